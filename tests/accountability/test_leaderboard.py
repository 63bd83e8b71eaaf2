"""The leaderboard: every member of the organisation reads it, for a month, quarter or
year; ranked by attainment (Σ achieved ÷ Σ effective of revenue quotas), selling ratio
and current streak; the month's quota club with badges; the form to give a recognition
for managers and admins (the service decides; its messages are shown). A fixed number
of queries, whatever the number of reps. Plus the "Recognition" home card."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accountability.models import Recognition
from accountability.selectors.recognition import leaderboard, recognition_card
from activities.models import ActivityType
from spm.notifications.models import Notification
from spm.tenancy.models import Role

from ..activities.factories import ActivityFactory
from ..factories import MembershipFactory
from .recognition_helpers import MARCH, attained, recognised, run

URL = "/accountability/leaderboard/"
GIVE = "/accountability/recognitions/give/"
FEBRUARY, APRIL = dt.date(2026, 2, 1), dt.date(2026, 4, 1)


@pytest.fixture
def today(monkeypatch):
    """15 April 2026, so March is the last closed month."""
    moment = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment.date()


def club(member, *months):
    for month in months:
        recognised(
            member=member,
            kind=Recognition.Kind.QUOTA_CLUB,
            title="Quota club",
            automatic=True,
            period_start=month,
            period_end=month,
        )


def log(member, day, *, selling=0, other=0):
    def kind(name):
        return ActivityType.all_tenants.get(tenant=member.tenant, name=name)

    if selling:
        ActivityFactory(member=member, type=kind("Call"), date=day, duration_minutes=selling)
    if other:
        ActivityFactory(member=member, type=kind("Admin"), date=day, duration_minutes=other)


def order(html: str, board: str) -> list[int]:
    table = html.split(f'data-board="{board}"')[1].split("</table>")[0]
    return [int(pk) for pk in re.findall(r'<tr data-member="(\d+)"', table)]


# --- The figures --------------------------------------------------------------------------------


def test_attainment_over_a_quarter_is_the_sum_achieved_over_the_sum_of_quotas(org, today):
    attained(org.rep, "150.00", month=FEBRUARY, effective="2000.00")  # 3,000 of 2,000.
    attained(org.rep, "50.00", month=MARCH, effective="18000.00")  # 9,000 of 18,000.
    attained(org.outsider_rep, "90.00", month=MARCH)
    attained(org.outsider_rep, "300.00", month=MARCH, metric="deals")  # Not revenue.

    board = run(org.tenant, leaderboard, kind="quarter", at=MARCH)

    rows = {row.member.pk: row for row in board.rows}
    assert rows[org.rep.pk].attainment_pct == Decimal("60.00")  # Not the mean of 150 and 50.
    assert rows[org.outsider_rep.pk].attainment_pct == Decimal("90.00")
    assert rows[org.manager.pk].attainment_pct is None  # No revenue quota: not ranked.
    assert [row.member for row in board.by_attainment] == [org.outsider_rep, org.rep]
    assert (board.first, board.last, board.label) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
        "Q1 2026",
    )
    month = run(org.tenant, leaderboard, kind="month", at=FEBRUARY)
    assert [row.attainment_pct for row in month.by_attainment] == [Decimal("150.00")]


def test_selling_ratio_and_streaks_rank_everyone_who_sells(org, today):
    log(org.rep, dt.date(2026, 3, 3), selling=90, other=10)  # 90%.
    log(org.outsider_rep, dt.date(2026, 3, 4), selling=60, other=40)  # 60%.
    log(org.rep, dt.date(2026, 4, 3), selling=10, other=90)  # Another month.
    club(org.outsider_rep, FEBRUARY, MARCH)
    club(org.rep, MARCH)

    board = run(org.tenant, leaderboard, kind="month", at=MARCH)

    assert [(row.member, row.selling_pct) for row in board.by_selling] == [
        (org.rep, Decimal("90.0")),
        (org.outsider_rep, Decimal("60.0")),
    ]
    assert [(row.member, row.streak) for row in board.by_streak] == [
        (org.outsider_rep, 2),
        (org.rep, 1),
    ]
    by_name = sorted([org.rep, org.outsider_rep], key=lambda member: member.name.lower())
    assert [recognition.member for recognition in board.club] == by_name
    assert org.admin.pk not in {row.member.pk for row in board.rows}  # Admins do not sell.


def test_the_running_month_has_no_club_and_streaks_end_with_the_last_closed_month(org, today):
    club(org.rep, FEBRUARY, MARCH)

    board = run(org.tenant, leaderboard, kind="month", at=APRIL)
    year = run(org.tenant, leaderboard, kind="year", at=APRIL)

    assert board.streak_month is None
    assert board.by_streak == []
    assert year.streak_month == MARCH
    assert [(row.member, row.streak) for row in year.by_streak] == [(org.rep, 2)]


def test_the_card_shows_the_latest_recognitions_and_the_current_streak(org, today, other):
    club(org.rep, FEBRUARY, MARCH)
    recognised(member=org.rep, title="Customer hero", granted_by=org.manager)
    recognised(member=org.outsider_rep, title="Not mine")
    club(other.rep, MARCH)

    card = run(org.tenant, recognition_card, viewer=org.rep)

    assert card.streak == 2
    assert len(card.latest) == 3
    assert {recognition.member for recognition in card.latest} == {org.rep}


def test_the_home_page_shows_the_card_to_reps_and_managers(org, today, client_for):
    club(org.rep, MARCH)
    html = client_for(org.rep).get("/").content.decode()
    assert "data-card-recognition" in html
    assert "<span data-card-streak>1</span> month in a row" in html
    admin_html = client_for(org.admin).get("/").content.decode()
    assert "data-card-recognition" not in admin_html


# --- The page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep", "manager", "admin"])
def test_every_member_reads_the_leaderboard(org, other, today, client_for, persona):
    attained(org.rep, "120.00")
    attained(org.outsider_rep, "80.00")
    attained(other.rep, "500.00")  # Another organisation's.
    club(org.rep, MARCH)
    club(other.rep, MARCH)

    response = client_for(getattr(org, persona)).get(URL, {"period": "month", "at": "2026-03"})

    assert response.status_code == 200
    html = response.content.decode()
    assert order(html, "attainment") == [org.rep.pk, org.outsider_rep.pk]
    assert f'data-club-member="{org.rep.pk}"' in html
    assert f'data-club-member="{other.rep.pk}"' not in html
    assert other.rep.name not in html


def test_only_managers_and_admins_get_the_form_and_only_their_people_in_it(org, today, client_for):
    rep_html = client_for(org.rep).get(URL).content.decode()
    manager_html = client_for(org.manager).get(URL).content.decode()

    assert "data-give-form" not in rep_html
    assert "data-give-form" in manager_html
    form = manager_html.split("data-give-form")[1].split("</form>")[0]
    assert f'value="{org.rep.pk}"' in form
    assert f'value="{org.outsider_rep.pk}"' not in form


@pytest.mark.parametrize(
    "query",
    [{"period": "week"}, {"at": "2026-13"}, {"at": "March"}, {"period": "year", "at": "1999-01"}],
)
def test_a_malformed_period_or_month_is_a_400(org, today, client_for, query):
    assert client_for(org.rep).get(URL, query).status_code == 400


def test_a_manager_gives_a_recognition_from_the_page(org, today, client_for):
    back = f"{URL}?period=quarter&at=2026-04"
    response = client_for(org.manager).post(
        GIVE,
        {
            "member": org.rep.pk,
            "title": "Customer hero",
            "reason": "Saved the renewal.",
            "next": back,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == back
    recognition = Recognition.all_tenants.get()
    assert (recognition.member, recognition.granted_by, recognition.title) == (
        org.rep,
        org.manager,
        "Customer hero",
    )
    assert Notification.all_tenants.filter(recipient=org.rep).exists()
    page = client_for(org.manager).get(back).content.decode()
    assert "Customer hero" in page and "Saved the renewal." in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "Hero", "reason": " "}, "a reason is required"),
        ({"title": "", "reason": "Because."}, "Give the recognition a title."),
        ({"member": "outsider", "title": "Hero", "reason": "Because."}, "members of your team"),
        ({"member": "999999", "title": "Hero", "reason": "Because."}, "Choose someone"),
        ({"member": "abc", "title": "Hero", "reason": "Because."}, "whole number"),
    ],
)
def test_bad_input_is_shown_beside_the_form_and_changes_nothing(
    org, today, client_for, data, message
):
    member = {"outsider": org.outsider_rep.pk}.get(data.get("member"), data.get("member"))
    posted = {**data, "member": member if member is not None else org.rep.pk}

    response = client_for(org.manager).post(GIVE, posted)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Recognition.all_tenants.exists()
    assert not Notification.all_tenants.exists()


def test_another_organisations_member_cannot_be_recognised(org, other, today, client_for):
    response = client_for(org.admin).post(
        GIVE, {"member": other.rep.pk, "title": "Hero", "reason": "Because."}
    )
    assert response.status_code == 400
    assert not Recognition.all_tenants.exists()


def test_a_rep_may_not_give_a_recognition(org, today, client_for):
    response = client_for(org.rep).post(
        GIVE, {"member": org.outsider_rep.pk, "title": "Hero", "reason": "Because."}
    )
    assert response.status_code == 403
    assert not Recognition.all_tenants.exists()


def test_an_unsafe_next_is_ignored(org, today, client_for):
    response = client_for(org.admin).post(
        GIVE,
        {"member": org.rep.pk, "title": "Hero", "reason": "Because.", "next": "https://evil.test/"},
    )
    assert response["Location"] == URL


@pytest.mark.parametrize("size", [5, 50])
def test_the_page_reads_in_a_fixed_number_of_queries(
    org, today, client_for, size, django_assert_max_num_queries
):
    for number in range(size):
        rep = MembershipFactory(tenant=org.tenant, role=Role.REP, manager=org.manager)
        attained(rep, str(90 + number % 20), month=MARCH)
        attained(rep, "100.00", month=FEBRUARY)
        log(rep, dt.date(2026, 3, 2 + number % 20), selling=60, other=30)
        club(rep, FEBRUARY)
        recognised(member=rep, period_start=MARCH, period_end=MARCH, granted_by=org.manager)
    client = client_for(org.manager)

    # The session and membership, the leaderboard's six reads, the form's two, the shell's.
    with django_assert_max_num_queries(11):
        response = client.get(URL, {"period": "quarter", "at": "2026-03"})

    assert response.status_code == 200
    assert len(order(response.content.decode(), "attainment")) == size
