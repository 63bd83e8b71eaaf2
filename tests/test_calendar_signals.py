"""The core tells the apps, on commit, when who works on which day changes beyond holidays
and time off: a member's employment dates, the organisation's work week, weekday
weights or ``prorate_time_off`` (``calendar_changed``), so quota targets follow."""

import datetime as dt
from decimal import Decimal

import pytest

from quotas.models import Quota, QuotaTarget
from spm.calendars.signals import calendar_changed
from spm.inputs import LATEST_DATE
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.services import membership_update, tenant_update_settings

from .quotas.factories import QuotaFactory


@pytest.fixture
def sent():
    """Every ``calendar_changed`` sent during the test, as dicts of its arguments."""
    received = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal")
        received.append({"sender": sender, **kwargs})

    calendar_changed.connect(receiver, dispatch_uid="test-core-calendar-signals")
    yield received
    calendar_changed.disconnect(dispatch_uid="test-core-calendar-signals")


def update_member(org, member, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org.tenant):
        membership_update(tenant=org.tenant, actor=org.admin.user, member=member, **fields)


def update_settings(org, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org.tenant):
        tenant_update_settings(tenant=org.tenant, actor=org.admin.user, **fields)


@pytest.mark.parametrize(
    ("old_start", "fields", "start", "end"),
    [
        # Joined a week earlier: 1–7 March became employed days.
        (
            dt.date(2024, 3, 8),
            {"start_date": dt.date(2024, 3, 1)},
            dt.date(2024, 3, 1),
            dt.date(2024, 3, 7),
        ),
        # Joined later: 1–14 January are no longer employed days.
        (
            dt.date(2024, 1, 1),
            {"start_date": dt.date(2024, 1, 15)},
            dt.date(2024, 1, 1),
            dt.date(2024, 1, 14),
        ),
        # Leaves on 30 June: every day after it changed.
        (
            dt.date(2024, 1, 1),
            {"end_date": dt.date(2026, 6, 30)},
            dt.date(2026, 7, 1),
            LATEST_DATE,
        ),
    ],
)
def test_an_employment_change_names_the_member_and_the_days_it_moved(
    org, sent, django_capture_on_commit_callbacks, old_start, fields, start, end
):
    Membership.all_tenants.filter(pk=org.rep.pk).update(start_date=old_start)
    org.rep.refresh_from_db()

    update_member(org, org.rep, django_capture_on_commit_callbacks, **fields)

    assert sent == [
        {
            "sender": Membership,
            "tenant": org.tenant,
            "member_ids": [org.rep.pk],
            "start": start,
            "end": end,
        }
    ]


def test_moving_a_leaving_date_names_the_days_between_the_two(
    org, sent, django_capture_on_commit_callbacks
):
    update_member(org, org.rep, django_capture_on_commit_callbacks, end_date=dt.date(2026, 6, 30))
    sent.clear()

    update_member(org, org.rep, django_capture_on_commit_callbacks, end_date=dt.date(2026, 5, 31))

    assert [(s["start"], s["end"]) for s in sent] == [(dt.date(2026, 6, 1), dt.date(2026, 6, 30))]


def test_a_role_or_manager_change_moves_no_work_day(org, sent, django_capture_on_commit_callbacks):
    update_member(org, org.outsider_rep, django_capture_on_commit_callbacks, manager=org.manager)
    update_member(org, org.outsider_rep, django_capture_on_commit_callbacks, role=Role.MANAGER)
    assert sent == []


def test_nothing_is_sent_before_the_commit_or_when_nothing_changed(
    org, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, tenant_context(org.tenant):
        membership_update(
            tenant=org.tenant, actor=org.admin.user, member=org.rep, end_date=dt.date(2026, 6, 30)
        )
    assert sent == [] and len(callbacks) == 1
    update_member(org, org.rep, django_capture_on_commit_callbacks, end_date=dt.date(2026, 6, 30))
    assert sent == []  # The same date again: nothing moved.


@pytest.mark.parametrize(
    "fields",
    [
        {"work_week": [1, 2, 3, 4]},
        {"weekday_weights": ["1", "1", "1", "1", "0.5", "0", "0"]},
        {"prorate_time_off": True},
    ],
)
def test_a_calendar_setting_concerns_everyone_from_today_on(
    org, sent, django_capture_on_commit_callbacks, fields
):
    update_settings(org, django_capture_on_commit_callbacks, **fields)

    assert sent == [
        {
            "sender": Tenant,
            "tenant": org.tenant,
            "member_ids": None,
            "start": org.tenant.today(),
            "end": LATEST_DATE,
        }
    ]


def test_other_settings_move_no_work_day(org, sent, django_capture_on_commit_callbacks):
    update_settings(
        org, django_capture_on_commit_callbacks, timezone="Europe/Paris", currency="GBP"
    )
    assert sent == []


# --- What quotas does with them -----------------------------------------------------------


def test_a_later_start_date_rolls_the_members_quota_down_again(
    org, django_capture_on_commit_callbacks
):
    quota = QuotaFactory(member=org.rep, month=dt.date(2026, 3, 1), amount=Decimal("2200.00"))

    update_member(org, org.rep, django_capture_on_commit_callbacks, start_date=dt.date(2026, 3, 16))

    quota.refresh_from_db()
    # Prorated: 12 of March's 22 weekdays are employed from the 16th.
    assert quota.effective_amount == Decimal("1200.00")
    days = QuotaTarget.all_tenants.filter(quota=quota, granularity="day")
    assert min(days.values_list("start", flat=True)) == dt.date(2026, 3, 16)


def test_a_shorter_work_week_rolls_down_this_month_and_later_but_not_the_past(
    org, django_capture_on_commit_callbacks
):
    this_month = org.tenant.today().replace(day=1)
    past = (this_month - dt.timedelta(days=1)).replace(day=1)
    current = QuotaFactory(member=org.rep, month=this_month, amount=Decimal("1000.00"))
    earlier = QuotaFactory(member=org.rep, month=past, amount=Decimal("1000.00"))

    update_settings(org, django_capture_on_commit_callbacks, work_week=[1, 2, 3, 4])

    days = QuotaTarget.all_tenants.filter(quota=current, granularity="day")
    assert days.exists()
    assert {day.isoweekday() for day in days.values_list("start", flat=True)} <= {1, 2, 3, 4}
    assert Quota.all_tenants.get(pk=earlier.pk).targets_pending  # A closed month stays.
