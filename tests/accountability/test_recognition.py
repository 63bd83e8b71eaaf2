"""Recognition services and streaks: the month's quota club for everyone at ≥ 100% of
their revenue quota, once, told in the app and by email; recognitions given by a manager
to their team or by an admin, with a reason; streaks of consecutive months, for many
members in a fixed number of queries."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accountability.models import Recognition
from accountability.selectors.recognition import streaks
from accountability.services import quota_club_close, recognition_give
from quotas.models import Metric, Quota
from spm.notifications.models import Notification
from spm.tenancy.models import Role

from ..factories import MembershipFactory
from .recognition_helpers import MARCH, attained, recognised, run

CLUB = "accountability.quota_club"
GIVEN = "accountability.recognition"


def club_of(tenant, month=MARCH) -> set[int]:
    return set(
        Recognition.all_tenants.filter(
            tenant=tenant, kind=Recognition.Kind.QUOTA_CLUB, period_start=month
        ).values_list("member_id", flat=True)
    )


# --- The quota club ----------------------------------------------------------------------------


def test_everyone_at_or_above_100_percent_of_revenue_joins_the_months_quota_club(org, other):
    attained(org.rep, "100.00")
    attained(org.manager, "131.50")
    attained(org.outsider_rep, "99.99")
    attained(other.rep, "150.00")  # Another organisation closes its own month.

    granted = run(org.tenant, quota_club_close, month=dt.date(2026, 3, 17))

    assert {r.member_id for r in granted} == {org.rep.pk, org.manager.pk}
    assert club_of(org.tenant) == {org.rep.pk, org.manager.pk}
    assert not club_of(other.tenant)
    recognition = Recognition.all_tenants.get(member=org.rep)
    assert (recognition.title, recognition.automatic, recognition.granted_by) == (
        "Quota club",
        True,
        None,
    )
    assert (recognition.period_start, recognition.period_end) == (MARCH, dt.date(2026, 3, 31))


def test_revenue_decides_for_members_with_several_quotas(org):
    attained(org.rep, "100.00")
    attained(org.rep, "40.00", metric=Metric.DEALS)  # Below on deals: still in the club.
    attained(org.outsider_rep, "60.00")
    attained(org.outsider_rep, "180.00", metric=Metric.DEALS)  # Deals alone do not count.

    run(org.tenant, quota_club_close, month=MARCH)

    assert club_of(org.tenant) == {org.rep.pk}


def test_a_draft_quota_and_another_month_do_not_count(org):
    attained(org.rep, "120.00", status=Quota.Status.DRAFT)
    attained(org.manager, "120.00", month=dt.date(2026, 2, 1))

    assert run(org.tenant, quota_club_close, month=MARCH) == []
    assert not Recognition.all_tenants.exists()


def test_members_are_told_in_the_app_and_by_email(org, django_capture_on_commit_callbacks):
    attained(org.rep, "104.20")

    with django_capture_on_commit_callbacks(execute=True):
        run(org.tenant, quota_club_close, month=MARCH)

    notice = Notification.all_tenants.get(kind=CLUB)
    assert notice.recipient == org.rep
    assert notice.title == "You made the quota club for March 2026"
    assert "104.20%" in notice.body
    assert notice.url == "/accountability/leaderboard/?period=month&at=2026-03"
    assert [message.to for message in mail.outbox] == [[org.rep.user.email]]
    assert "You made the quota club for March 2026" in mail.outbox[0].subject


def test_closing_again_grants_and_tells_nobody_twice(org, django_capture_on_commit_callbacks):
    attained(org.rep, "110.00")
    with django_capture_on_commit_callbacks(execute=True):
        first = run(org.tenant, quota_club_close, month=MARCH)
    attained(org.outsider_rep, "100.00")  # A late correction lifts someone over the line.

    with django_capture_on_commit_callbacks(execute=True):
        again = run(org.tenant, quota_club_close, month=MARCH)
        third = run(org.tenant, quota_club_close, month=MARCH)

    assert [r.member_id for r in first] == [org.rep.pk]
    assert [r.member_id for r in again] == [org.outsider_rep.pk]
    assert third == []
    assert Recognition.all_tenants.count() == 2
    assert Notification.all_tenants.filter(kind=CLUB).count() == 2
    assert len(mail.outbox) == 2


def test_the_database_refuses_a_second_automatic_club_for_the_same_month(org):
    recognised(member=org.rep, kind=Recognition.Kind.QUOTA_CLUB, automatic=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        recognised(member=org.rep, kind=Recognition.Kind.QUOTA_CLUB, automatic=True)


# --- Given recognitions ------------------------------------------------------------------------


def give(actor, member, title="Great quarter", reason="Closed the Initech renewal early."):
    return run(
        actor.tenant, recognition_give, actor=actor, member=member, title=title, reason=reason
    )


def test_a_manager_recognises_a_member_of_their_tree_and_the_member_is_told(
    org, django_capture_on_commit_callbacks
):
    deep = MembershipFactory(tenant=org.tenant, role=Role.REP, manager=org.rep)  # Indirect.
    with django_capture_on_commit_callbacks(execute=True):
        given = give(org.manager, org.rep)
        give(org.manager, deep, title="First demo")

    assert (given.kind, given.automatic, given.granted_by) == (
        Recognition.Kind.KUDOS,
        False,
        org.manager,
    )
    assert given.reason == "Closed the Initech renewal early."
    today = org.tenant.today()
    assert given.period_start == today.replace(day=1)
    notice = Notification.all_tenants.get(kind=GIVEN, recipient=org.rep)
    assert notice.title == f"{org.manager.name} recognised you: Great quarter"
    assert notice.body == "Closed the Initech renewal early."
    assert len(mail.outbox) == 2


def test_an_admin_recognises_anyone_managers_included(org):
    assert give(org.admin, org.manager).member == org.manager
    assert give(org.admin, org.outsider_rep).member == org.outsider_rep


@pytest.mark.parametrize(
    ("title", "reason", "field"),
    [
        ("Great quarter", "   ", "reason"),
        ("Great quarter", "", "reason"),
        ("", "Because.", "title"),
        ("x" * 101, "Because.", "title"),
        ("Great quarter", "x" * 2001, "reason"),
    ],
)
def test_a_title_and_a_reason_are_required_and_nothing_is_written_without(
    org, title, reason, field
):
    with pytest.raises(ValidationError) as error:
        give(org.manager, org.rep, title=title, reason=reason)
    assert field in error.value.message_dict
    assert not Recognition.all_tenants.exists()
    assert not Notification.all_tenants.exists()


def test_a_manager_may_not_recognise_someone_outside_their_tree_nor_themself(org):
    for member in (org.outsider_rep, org.admin, org.manager):
        with pytest.raises(ValidationError) as error:
            give(org.manager, member)
        assert error.value.message_dict["member"] == [
            "You can recognise only the members of your team."
        ]
    assert not Recognition.all_tenants.exists()


def test_a_rep_gives_no_recognition(org):
    with pytest.raises(PermissionDenied):
        give(org.rep, org.outsider_rep)
    assert not Recognition.all_tenants.exists()


def test_another_organisations_member_is_refused(org, other):
    with pytest.raises(ValidationError):
        give(org.admin, other.rep)
    assert not Recognition.all_tenants.exists()


# --- Streaks -----------------------------------------------------------------------------------


def club(member, *months: dt.date) -> None:
    for month in months:
        recognised(
            member=member,
            kind=Recognition.Kind.QUOTA_CLUB,
            automatic=True,
            period_start=month,
            period_end=month,
        )


def test_a_streak_counts_consecutive_club_months_up_to_a_month(org, other):
    jan, feb, mar, apr = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))
    club(org.rep, dt.date(2025, 11, 1), jan, feb, mar)  # December broke the first run.
    club(org.manager, jan, mar)
    club(org.outsider_rep, jan, feb)  # Not in March: no current streak in March.
    club(other.rep, jan, feb, mar)
    recognised(member=org.admin, period_start=mar, period_end=mar)  # Given, not a club.

    in_march = run(org.tenant, streaks, member_ids=None, month=dt.date(2026, 3, 20))
    in_april = run(org.tenant, streaks, member_ids=None, month=apr)
    in_feb = run(org.tenant, streaks, member_ids=[org.rep.pk, org.outsider_rep.pk], month=feb)

    assert in_march == {org.rep.pk: 3, org.manager.pk: 1}
    assert in_april == {}
    assert in_feb == {org.rep.pk: 2, org.outsider_rep.pk: 2}


@pytest.mark.parametrize("size", [5, 50])
def test_streaks_cost_one_query_whatever_the_number_of_members(
    org, size, django_assert_max_num_queries
):
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    members = [MembershipFactory(tenant=org.tenant, role=Role.REP) for _ in range(size)]
    for member in members:
        club(member, *months)

    with django_assert_max_num_queries(1):
        found = run(org.tenant, streaks, member_ids=None, month=dt.date(2025, 12, 1))

    assert set(found.values()) == {12}
    assert len(found) == size
