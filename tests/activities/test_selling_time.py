"""Selling time (activities.selectors.selling_time and .team): the ratio's arithmetic,
grouping days into ISO weeks and months, team sums (Σ selling ÷ Σ all, never a mean of
ratios), who is in a team, and a query count that does not grow with the team."""

import datetime as dt
from decimal import Decimal

import pytest

from activities.models import ActivityType
from activities.selectors.selling_time import (
    Grouping,
    SellingTime,
    is_below_target,
    period_of,
    selling_pct,
    selling_time,
    team_selling_time,
    team_total,
)
from activities.selectors.team import team_month, team_week_card, trend_weeks
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import MembershipFactory
from .factories import ActivityFactory

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def types(scope):
    return {
        "selling": ActivityType.objects.get(tenant=scope.tenant, name="Call"),
        "other": ActivityType.objects.get(tenant=scope.tenant, name="Reporting"),
    }


def log(member, types, day, selling=0, other=0):
    if selling:
        ActivityFactory(member=member, type=types["selling"], date=day, duration_minutes=selling)
    if other:
        ActivityFactory(member=member, type=types["other"], date=day, duration_minutes=other)


# --- The arithmetic -------------------------------------------------------------------------


def test_no_minutes_is_no_ratio_not_zero():
    assert selling_pct(0, 0) is None
    assert not is_below_target(None, Decimal("90"))


def test_the_ratio_is_a_decimal_percentage_to_one_decimal():
    assert selling_pct(45, 60) == Decimal("75.0")
    assert selling_pct(60, 60) == Decimal("100.0")
    assert selling_pct(0, 60) == Decimal("0.0")
    assert selling_pct(1, 3) == Decimal("33.3")
    assert selling_pct(2, 3) == Decimal("66.7")


def test_the_ratio_rounds_half_up_to_one_decimal():
    # 1 ÷ 16 = 6.25 % and 3 ÷ 16 = 18.75 %: exactly half way, both go up.
    assert selling_pct(1, 16) == Decimal("6.3")
    assert selling_pct(3, 16) == Decimal("18.8")
    # 1 ÷ 1,600 = 0.0625 % → 0.1; 7 ÷ 1,600 = 0.4375 % → 0.4.
    assert selling_pct(1, 1600) == Decimal("0.1")
    assert selling_pct(7, 1600) == Decimal("0.4")


def test_below_target_is_strictly_under_it():
    assert is_below_target(Decimal("89.9"), Decimal("90"))
    assert not is_below_target(Decimal("90.0"), Decimal("90"))
    assert not is_below_target(Decimal("95.0"), Decimal("90"))


def test_a_teams_ratio_is_the_sum_of_minutes_not_the_mean_of_ratios():
    target = Decimal("90")
    busy = SellingTime(1, MONDAY, MONDAY, 540, 600, 1, target)  # 90 %, ten hours.
    idle = SellingTime(2, MONDAY, MONDAY, 0, 60, 1, target)  # 0 %, one hour.
    team = team_total([busy, idle], start=MONDAY, end=MONDAY, target_pct=target)
    assert (team.selling_minutes, team.total_minutes) == (540, 660)
    assert team.selling_pct == Decimal("81.8")  # Not (90 + 0) ÷ 2 = 45.
    assert team.below_target


def test_periods_are_days_iso_weeks_and_months():
    sunday = dt.date(2026, 3, 8)
    assert period_of(sunday, Grouping.DAY) == (sunday, sunday)
    assert period_of(sunday, Grouping.WEEK) == (MONDAY, sunday)
    assert period_of(sunday, Grouping.MONTH) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    # The ISO week of 1 January 2027 (a Friday) starts in 2026.
    assert period_of(dt.date(2027, 1, 1), Grouping.WEEK)[0] == dt.date(2026, 12, 28)


# --- Reading --------------------------------------------------------------------------------


def test_a_members_days_add_up_selling_and_other_minutes(scope, types):
    log(scope.rep, types, MONDAY, selling=90, other=30)
    log(scope.rep, types, MONDAY, selling=30)
    log(scope.rep, types, MONDAY + dt.timedelta(days=1), other=60)
    rows = selling_time(tenant=scope.tenant, start=MONDAY, end=MONDAY + dt.timedelta(days=6))
    assert [(r.period_start, r.selling_minutes, r.total_minutes) for r in rows] == [
        (MONDAY, 120, 150),
        (MONDAY + dt.timedelta(days=1), 0, 60),
    ]
    assert rows[0].selling_pct == Decimal("80.0") and rows[0].below_target
    assert rows[1].selling_pct == Decimal("0.0")
    assert rows[0].target_pct == Decimal("90.00")


def test_weeks_and_months_group_the_days_and_clip_to_the_range(scope, types):
    for offset, minutes in ((0, 60), (6, 60), (7, 60), (30, 60)):  # Mon 2, Sun 8, Mon 9, Wed 1 Apr.
        log(scope.rep, types, MONDAY + dt.timedelta(days=offset), selling=minutes, other=20)
    start, end = dt.date(2026, 3, 4), dt.date(2026, 4, 1)  # From a Wednesday.
    weeks = selling_time(tenant=scope.tenant, start=start, end=end, group=Grouping.WEEK)
    assert [(r.period_start, r.period_end, r.total_minutes, r.days_logged) for r in weeks] == [
        (start, dt.date(2026, 3, 8), 80, 1),  # Monday the 2nd is before the range.
        (dt.date(2026, 3, 9), dt.date(2026, 3, 15), 80, 1),
        (dt.date(2026, 3, 30), end, 80, 1),
    ]
    months = selling_time(tenant=scope.tenant, start=start, end=end, group=Grouping.MONTH)
    assert [(r.period_start, r.period_end, r.selling_minutes, r.total_minutes) for r in months] == [
        (start, dt.date(2026, 3, 31), 120, 160),
        (dt.date(2026, 4, 1), end, 60, 80),
    ]
    assert months[0].selling_pct == Decimal("75.0")


def test_the_organisations_target_is_used(scope, types):
    scope.tenant.selling_target_pct = Decimal("70")
    scope.tenant.save(update_fields=["selling_target_pct"])
    log(scope.rep, types, MONDAY, selling=45, other=15)
    (row,) = selling_time(tenant=scope.tenant, start=MONDAY, end=MONDAY)
    assert row.target_pct == Decimal("70") and not row.below_target


def test_members_are_kept_apart_and_can_be_chosen(scope, types):
    log(scope.rep, types, MONDAY, selling=60)
    log(scope.outsider_rep, types, MONDAY, other=60)
    everyone = selling_time(tenant=scope.tenant, start=MONDAY, end=MONDAY)
    assert {(r.member_id, r.selling_minutes) for r in everyone} == {
        (scope.rep.pk, 60),
        (scope.outsider_rep.pk, 0),
    }
    chosen = selling_time(
        tenant=scope.tenant, start=MONDAY, end=MONDAY, member_ids=[scope.outsider_rep.pk]
    )
    assert [r.member_id for r in chosen] == [scope.outsider_rep.pk]
    assert selling_time(tenant=scope.tenant, start=MONDAY, end=MONDAY, member_ids=[]) == []


def test_team_selling_time_sums_members_per_week(scope, types):
    log(scope.rep, types, MONDAY, selling=540, other=60)
    log(scope.outsider_rep, types, MONDAY + dt.timedelta(days=2), other=60)
    (week,) = team_selling_time(
        tenant=scope.tenant,
        member_ids=[scope.rep.pk, scope.outsider_rep.pk],
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=6),
    )
    assert (week.member_id, week.selling_minutes, week.total_minutes) == (None, 540, 660)
    assert week.selling_pct == Decimal("81.8")


def test_another_organisations_minutes_never_count(other, scope, types):
    log(scope.rep, types, MONDAY, selling=60)
    with tenant_context(other.tenant):
        ActivityFactory(member=other.rep, date=MONDAY, duration_minutes=600)
    rows = selling_time(tenant=scope.tenant, start=MONDAY, end=MONDAY)
    assert [(r.member_id, r.total_minutes) for r in rows] == [(scope.rep.pk, 60)]


# --- The team -------------------------------------------------------------------------------


def test_a_managers_team_is_their_tree_and_themselves_only_when_they_log(scope, types):
    lead = MembershipFactory(tenant=scope.tenant, role=Role.MANAGER, manager=scope.manager)
    indirect = MembershipFactory(tenant=scope.tenant, manager=lead)
    log(scope.rep, types, MONDAY, selling=60, other=60)
    log(indirect, types, MONDAY, selling=120)
    log(scope.outsider_rep, types, MONDAY, other=600)  # Not in the manager's tree.
    team = team_month(tenant=scope.tenant, viewer=scope.manager, month=MONDAY, today=MONDAY)
    assert {row.member.pk for row in team.rows} == {scope.rep.pk, lead.pk, indirect.pk}
    assert (team.total.selling_minutes, team.total.total_minutes) == (180, 240)
    assert team.total.selling_pct == Decimal("75.0")
    assert [row.member.pk for row in team.below] == [scope.rep.pk]
    assert [row.member.pk for row in team.not_logged] == [lead.pk]

    log(scope.manager, types, MONDAY, selling=60)
    team = team_month(tenant=scope.tenant, viewer=scope.manager, month=MONDAY, today=MONDAY)
    assert scope.manager.pk in {row.member.pk for row in team.rows}
    assert team.total.total_minutes == 300


def test_an_admins_team_is_the_whole_organisation_without_idle_admins(scope, types):
    log(scope.outsider_rep, types, MONDAY, selling=60)
    team = team_month(tenant=scope.tenant, viewer=scope.admin, month=MONDAY, today=MONDAY)
    assert {row.member.pk for row in team.rows} == {
        scope.manager.pk,
        scope.rep.pk,
        scope.outsider_rep.pk,
    }
    assert team.total.selling_pct == Decimal("100.0")


def test_people_not_employed_in_the_month_are_listed_only_if_they_logged(scope, types):
    gone = MembershipFactory(
        tenant=scope.tenant,
        manager=scope.manager,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2026, 2, 27),
    )
    team = team_month(tenant=scope.tenant, viewer=scope.manager, month=MONDAY, today=MONDAY)
    assert gone.pk not in {row.member.pk for row in team.rows}


def test_the_trend_is_twelve_iso_weeks_ending_with_this_week(scope, types):
    today = dt.date(2026, 3, 18)  # A Wednesday.
    first, last = trend_weeks(month=dt.date(2026, 3, 1), today=today)
    assert (first, last) == (dt.date(2025, 12, 29), dt.date(2026, 3, 22))
    log(scope.rep, types, dt.date(2025, 12, 29), selling=30, other=30)
    log(scope.rep, types, dt.date(2025, 12, 28), selling=600)  # The week before: left out.
    log(scope.rep, types, dt.date(2026, 3, 16), selling=90, other=10)
    team = team_month(tenant=scope.tenant, viewer=scope.manager, month=today, today=today)
    assert len(team.trend) == 12
    assert team.trend[0].period_start == first and team.trend[0].selling_pct == Decimal("50.0")
    assert team.trend[-1].selling_pct == Decimal("90.0")
    assert all(week.selling_pct is None for week in team.trend[1:-1])
    # A month gone by ends its trend with the week of its last day.
    assert trend_weeks(month=dt.date(2026, 1, 1), today=today)[1] == dt.date(2026, 2, 1)


def test_the_card_shows_this_week_and_who_is_below_target(scope, types, monkeypatch):
    from spm.tenancy.models import Tenant

    monkeypatch.setattr(Tenant, "today", lambda self: dt.date(2026, 3, 4))
    log(scope.rep, types, MONDAY, selling=30, other=30)
    log(scope.rep, types, MONDAY - dt.timedelta(days=1), other=600)  # Last week.
    card = team_week_card(tenant=scope.tenant, viewer=scope.manager)
    assert card.week_start == MONDAY
    assert card.total.selling_pct == Decimal("50.0")
    assert [person.pk for person in card.below] == [scope.rep.pk]


@pytest.mark.parametrize("size", [5, 50])
def test_the_team_reads_in_a_fixed_number_of_queries(scope, types, size, django_assert_num_queries):
    for n in range(size):
        member = MembershipFactory(tenant=scope.tenant, manager=scope.manager)
        log(member, types, MONDAY + dt.timedelta(days=n % 5), selling=30 + n, other=15)
    with django_assert_num_queries(3):
        team = team_month(tenant=scope.tenant, viewer=scope.manager, month=MONDAY, today=MONDAY)
    assert len(team.rows) == size + 1
    with django_assert_num_queries(1):
        rows = selling_time(tenant=scope.tenant, start=MONDAY, end=dt.date(2026, 3, 31))
    assert len(rows) == size
