"""Read models for the pages: the rep's own progress, a manager's team, achievability.
Fixed query counts whatever the size of the team (50 reps here)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotas.models import Metric, Quota
from quotas.selectors.progress import achievability_for, my_quota_summary, team_attainment
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import MembershipFactory
from .compute_factories import LONG_AGO, compute, roll_down, team
from .factories import QuotaFactory, SaleFactory

MARCH = dt.date(2026, 3, 1)
MID_MARCH = dt.date(2026, 3, 16)  # A Monday; 11 of March's 22 weekdays are done by its end.


def sale(member, amount: str, closed_on: dt.date = dt.date(2026, 3, 10)):
    return SaleFactory(member=member, amount=Decimal(amount), closed_on=closed_on)


def queries(work) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured)


# --- My quota ----------------------------------------------------------------------------


@pytest.fixture
def my_march(org):
    quota = QuotaFactory(member=org.rep, month=MARCH, amount=Decimal("22000.00"))
    QuotaFactory(member=org.rep, month=MARCH, metric=Metric.DEALS, amount=Decimal("11"))
    sale(org.rep, "1000.00", dt.date(2026, 3, 2))
    sale(org.rep, "500.00", MID_MARCH)
    roll_down(org.tenant)
    compute(org.tenant, as_of=dt.date(2026, 3, 13))
    compute(org.tenant, as_of=MID_MARCH)
    return quota


def summary(org, member, today=MID_MARCH):
    with tenant_context(org.tenant):
        return my_quota_summary(tenant=org.tenant, member=member, today=today)


def test_my_quota_shows_todays_target_the_month_and_what_is_needed_per_day(org, my_march):
    mine = summary(org, org.rep)

    revenue = mine.primary
    assert [q.quota.metric for q in mine.quotas] == [Metric.REVENUE, Metric.DEALS]
    assert revenue.quota == my_march
    assert revenue.today_target == Decimal("1000.00")
    assert revenue.effective_amount == Decimal("22000.00")
    assert (revenue.achieved, revenue.expected_to_date) == (Decimal("1500.00"), Decimal("11000.00"))
    assert (revenue.attainment_pct, revenue.pace_pct) == (Decimal("6.82"), Decimal("13.64"))
    assert revenue.projected == Decimal("3000.00")
    assert revenue.left == Decimal("20500.00")
    assert revenue.remaining_capacity_days == 12  # 16–20, 23–27, 30–31 March.
    assert revenue.needed_per_day == Decimal("1708.33")
    deals = mine.quotas[1]
    assert (deals.achieved, deals.today_target) == (Decimal("2"), Decimal("1"))


def test_my_quota_charts_every_day_of_the_month_from_the_snapshots(org, my_march):
    series = summary(org, org.rep).primary.series

    assert [point.day for point in series] == [MARCH + dt.timedelta(days=n) for n in range(31)]
    by_day = {point.day: point for point in series}
    assert by_day[dt.date(2026, 3, 13)].achieved == Decimal("1000.00")
    assert by_day[MID_MARCH].achieved == Decimal("1500.00")
    assert by_day[dt.date(2026, 3, 17)].achieved is None  # Still to come.
    assert by_day[dt.date(2026, 3, 14)].target == Decimal("0")  # A Saturday.
    assert by_day[MID_MARCH].expected == Decimal("11000.00")
    assert series[-1].expected == Decimal("22000.00")


def test_a_weekend_has_no_target_and_a_quota_without_a_source_says_so(org):
    QuotaFactory(member=org.rep, month=MARCH, metric=Metric.ACTIVITIES, amount=Decimal("44"))
    roll_down(org.tenant)
    compute(org.tenant, as_of=MID_MARCH)

    activities = summary(org, org.rep, today=dt.date(2026, 3, 14)).primary

    assert activities.has_source is False
    assert activities.achieved is None and activities.attainment_pct is None
    assert activities.today_target is None
    assert activities.effective_amount == Decimal("44")


def test_my_quota_is_empty_without_a_quota_this_month(org, my_march):
    assert summary(org, org.rep, today=dt.date(2026, 4, 2)).quotas == []
    assert summary(org, org.outsider_rep).quotas == []


def test_my_quota_reads_in_four_queries(org, my_march):
    assert queries(lambda: summary(org, org.rep)) == 4


# --- A manager's team ------------------------------------------------------------------------


def build_team(org, size: int):
    """``size`` reps under the manager (plus acme's rep): a tenth at 120% of a 2,200
    quota, the rest at 50%; a sub-manager with a team quota of their own."""
    reps = [org.rep, *team(org.tenant, org.manager, size)]
    for n, rep in enumerate(reps):
        QuotaFactory(member=rep, month=MARCH, amount=Decimal("2200.00"))
        sale(rep, "2640.00" if n % 10 == 0 else "1100.00", dt.date(2026, 3, 2))
    lead = MembershipFactory(
        tenant=org.tenant, role=Role.MANAGER, manager=org.manager, start_date=LONG_AGO
    )
    lead_rep = MembershipFactory(tenant=org.tenant, manager=lead, start_date=LONG_AGO)
    QuotaFactory(member=lead, month=MARCH, amount=Decimal("4400.00"))
    QuotaFactory(member=lead_rep, month=MARCH, amount=Decimal("2200.00"))
    sale(lead_rep, "2200.00", dt.date(2026, 3, 2))
    QuotaFactory(member=org.manager, month=MARCH, amount=Decimal("100000.00"))
    roll_down(org.tenant)
    compute(org.tenant, as_of=dt.date(2026, 3, 13))
    compute(org.tenant, as_of=MID_MARCH)
    return reps, lead, lead_rep


def team_view(org, manager, as_of=MID_MARCH):
    with tenant_context(org.tenant):
        return team_attainment(tenant=org.tenant, manager=manager, month=MARCH, as_of=as_of)


def test_the_team_view_lists_the_reporting_tree_with_the_headline_shares(org):
    reps, lead, lead_rep = build_team(org, 49)

    view = team_view(org, org.manager)

    members = {row.member.pk for row in view.rows}
    assert members == {rep.pk for rep in reps} | {lead.pk, lead_rep.pk}  # Not the manager.
    team_row = next(row for row in view.rows if row.member.pk == lead.pk)
    assert team_row.is_team and team_row.achieved == Decimal("2200.00")
    # The headline counts individual quotas only: 5 of the 50 reps plus lead_rep at ≥ 100%.
    assert view.reps == 51
    assert view.at_or_above_100 == 6
    assert view.share_at_or_above_100 == Decimal("11.76")
    # Pace is achieved ÷ expected (half the month gone): 50% of the quota is on pace.
    assert view.on_pace == 51 and view.share_on_pace == Decimal("100.00")
    assert dict(view.distribution) == {
        "< 25%": 0,
        "25–50%": 0,
        "50–75%": 45,
        "75–100%": 0,
        "100–125%": 6,
        "≥ 125%": 0,
    }


def test_the_team_view_charts_the_teams_pace_from_the_snapshots(org):
    build_team(org, 9)

    view = team_view(org, org.manager)

    assert [point.day for point in view.pace_series] == [dt.date(2026, 3, 13), MID_MARCH]
    mid = view.pace_series[1]
    assert mid.achieved == Decimal("1100.00") * 9 + Decimal("2640.00") + Decimal("2200.00")
    assert mid.expected_to_date == Decimal("1100.00") * 11
    assert mid.pace_pct == (mid.achieved * 100 / mid.expected_to_date).quantize(Decimal("0.01"))


def test_an_earlier_as_of_reads_that_days_snapshots(org):
    build_team(org, 4)

    view = team_view(org, org.manager, as_of=dt.date(2026, 3, 13))

    assert {row.expected_to_date for row in view.rows if not row.is_team} == {Decimal("1000.00")}


def test_the_team_view_judges_each_quota_against_the_trailing_rate_before_as_of(org):
    reps, lead, _ = build_team(org, 4)

    view = team_view(org, org.manager)  # As of 16 March: 90 days from 16 December.

    rows = {row.member.pk: row for row in view.rows}
    best, usual = rows[reps[0].pk], rows[reps[1].pk]
    days = best.achievability.trailing_capacity_days
    assert days == 64  # Weekdays from 16 December to 15 March: 12 + 22 + 20 + 10.
    assert best.actual_daily_rate == (Decimal("2640.00") / days).quantize(Decimal("0.01"))
    assert usual.actual_daily_rate == (Decimal("1100.00") / days).quantize(Decimal("0.01"))
    assert best.required_daily_rate == usual.required_daily_rate == Decimal("100.00")
    assert best.flagged and usual.flagged  # 100 a day is more than 1.5× 41.25 and 17.19.
    assert rows[lead.pk].achievability.trailing_achieved == Decimal("2200.00")


def test_a_rep_sees_no_team(org):
    build_team(org, 2)
    assert team_view(org, org.rep).rows == []


@pytest.mark.parametrize("size", [5, 50])
def test_the_team_view_reads_in_a_fixed_number_of_queries(org, size, django_assert_max_num_queries):
    build_team(org, size)
    with django_assert_max_num_queries(9):
        view = team_view(org, org.manager)
    assert len(view.rows) == size + 3


# --- Achievability ----------------------------------------------------------------------------


FIRST_OF_MARCH = dt.date(2026, 3, 1)  # The trailing window: 1 Dec 2025 – 28 Feb 2026.
WINDOW_WEEKDAYS = 65  # 23 in December, 22 in January, 20 in February.


def judged(org, quotas, today=FIRST_OF_MARCH):
    with tenant_context(org.tenant):
        return achievability_for(tenant=org.tenant, quotas=quotas, today=today)


def test_a_quota_needing_more_than_the_multiple_of_the_trailing_rate_is_flagged(org):
    sale(org.rep, "6500.00", dt.date(2026, 1, 15))  # 100.00 a capacity day.
    sale(org.rep, "999.00", dt.date(2026, 3, 1))  # Outside the window.
    at_limit = Quota(member=org.rep, month=MARCH, amount=Decimal("3300.00"))  # 150 a day.
    beyond = QuotaFactory(member=org.rep, month=dt.date(2026, 4, 1), amount=Decimal("3322.00"))

    result = judged(org, [at_limit, beyond])

    limit = result[(org.rep.pk, MARCH, Metric.REVENUE)]
    assert limit.trailing_capacity_days == WINDOW_WEEKDAYS
    assert limit.actual_daily_rate == Decimal("100.00")
    assert (limit.required_daily_rate, limit.ratio) == (Decimal("150.00"), Decimal("1.50"))
    assert limit.flagged is False  # Exactly 1.5×: not more than it.
    over = result[(org.rep.pk, dt.date(2026, 4, 1), Metric.REVENUE)]
    assert over.required_daily_rate == Decimal("151.00")  # 22 weekdays in April 2026.
    assert over.flagged is True


def test_the_multiple_is_the_organisations(org):
    org.tenant.achievability_multiple = Decimal("2.00")
    org.tenant.save()
    sale(org.rep, "6500.00", dt.date(2026, 1, 15))

    result = judged(org, [Quota(member=org.rep, month=MARCH, amount=Decimal("4000.00"))])

    assert result[(org.rep.pk, MARCH, Metric.REVENUE)].flagged is False  # 1.82×.


def test_a_team_quota_is_judged_against_the_teams_trailing_figure(org):
    sale(org.rep, "6500.00", dt.date(2026, 1, 15))
    team_quota = Quota(member=org.manager, month=MARCH, amount=Decimal("3300.00"))

    result = judged(org, [team_quota])[(org.manager.pk, MARCH, Metric.REVENUE)]

    assert result.trailing_achieved == Decimal("6500.00")
    assert result.actual_daily_rate == Decimal("100.00")


def test_without_history_or_a_source_nothing_is_flagged(org):
    newcomer = MembershipFactory(tenant=org.tenant, start_date=dt.date(2026, 3, 1))
    result = judged(
        org,
        [
            Quota(member=newcomer, month=MARCH, amount=Decimal("99999.00")),
            Quota(member=org.rep, month=MARCH, metric=Metric.ACTIVITIES, amount=Decimal("999")),
        ],
    )
    fresh = result[(newcomer.pk, MARCH, Metric.REVENUE)]
    assert (fresh.actual_daily_rate, fresh.flagged) == (None, False)
    activities = result[(org.rep.pk, MARCH, Metric.ACTIVITIES)]
    assert (activities.has_source, activities.flagged) == (False, False)


@pytest.mark.parametrize("size", [5, 50])
def test_achievability_reads_in_a_fixed_number_of_queries(org, size):
    reps = team(org.tenant, org.manager, size)
    quotas = [Quota(member=rep, month=MARCH, amount=Decimal("100.00")) for rep in reps]
    # Reporting lines, members, holidays, time off, one aggregate of the metric.
    assert queries(lambda: judged(org, quotas)) == 5
