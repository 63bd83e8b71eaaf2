"""``attainment_compute``: achieved, expected to date, attainment, pace and projection as
DESIGN 4.3 and the worked examples; team numbers over the reporting tree; upserts and
daily snapshots; "no data source"; the 50% and 100% notices, once each."""

import datetime as dt
from decimal import Decimal

import pytest

from quotas import metrics
from quotas.models import Attainment, AttainmentSnapshot, Metric, Quota
from quotas.services.attainment import NOTICE_KIND, crossed_threshold
from spm.notifications.models import Notification
from spm.tenancy.models import Tenant

from .compute_factories import (
    ATTAINMENT_CASES,
    attainment_of,
    build_case,
    compute,
    day,
    roll_down,
    team,
)
from .factories import QuotaFactory, SaleFactory

MARCH = dt.date(2026, 3, 1)
MID_MARCH = dt.date(2026, 3, 16)  # A Monday: 11 of March's 22 weekdays are behind it.


def quota(member, month=MARCH, **fields) -> Quota:
    return QuotaFactory(member=member, month=month, **fields)


def sale(member, amount: str, closed_on: dt.date = dt.date(2026, 3, 10)):
    return SaleFactory(member=member, amount=Decimal(amount), closed_on=closed_on)


@pytest.mark.django_db
@pytest.mark.parametrize("case", ATTAINMENT_CASES, ids=[case["name"] for case in ATTAINMENT_CASES])
def test_it_stores_every_worked_attainment_example_exactly(case):
    stored = build_case(case, slug=f"attainment-{ATTAINMENT_CASES.index(case)}")
    tenant = Tenant.objects.get(pk=stored.tenant_id)
    for closed_on, amount in case["attainment"]["sales"]:
        if stored.metric == Metric.REVENUE:
            sale(stored.member, amount, day(closed_on))
        else:  # A count of deals: one sale per row, whatever its amount.
            sale(stored.member, "1.00", day(closed_on))
    roll_down(tenant)
    as_of = day(case["attainment"]["as_of"])

    result = compute(tenant, as_of=as_of, months=[stored.month])

    expected = case["attainment"]["expected"]
    row = attainment_of(stored)
    assert result.quotas == 1
    assert row.achieved == Decimal(expected["achieved"])
    assert row.expected_to_date == Decimal(expected["expected_to_date"])
    for name in ("attainment_pct", "pace_pct", "projected"):
        want = expected[name]
        assert getattr(row, name) == (None if want is None else Decimal(want)), name


def test_a_reps_quota_counts_their_own_sales_of_the_month_up_to_as_of(org, other):
    mine = quota(org.rep, amount=Decimal("22000.00"))
    sale(org.rep, "1000.00", dt.date(2026, 3, 2))
    sale(org.rep, "500.00", MID_MARCH)
    sale(org.rep, "9999.00", dt.date(2026, 3, 17))  # After as-of.
    sale(org.rep, "7777.00", dt.date(2026, 2, 28))  # Another month.
    sale(org.outsider_rep, "300.00", dt.date(2026, 3, 3))  # Someone else.
    sale(other.rep, "400.00", dt.date(2026, 3, 3))  # Another organisation.
    roll_down(org.tenant)

    compute(org.tenant, as_of=MID_MARCH)

    row = attainment_of(mine)
    assert row.achieved == Decimal("1500.00")
    assert row.expected_to_date == Decimal("11000.00")  # 11 weekdays × 1,000.
    assert row.attainment_pct == Decimal("6.82")
    assert row.pace_pct == Decimal("13.64")
    assert row.projected == Decimal("3000.00")
    assert row.as_of == MID_MARCH


def test_a_managers_quota_is_the_whole_reporting_trees_number(org):
    """acme: admin ← manager ← rep, and admin ← outsider_rep. The manager's quota counts
    the manager and the rep; the admin's counts everyone, indirect reports included."""
    quotas = {
        member: quota(member) for member in (org.admin, org.manager, org.rep, org.outsider_rep)
    }
    sale(org.rep, "100.00")
    sale(org.manager, "20.00")
    sale(org.outsider_rep, "3.00")
    sale(org.admin, "0.40")

    compute(org.tenant, as_of=MID_MARCH)

    achieved = {member: attainment_of(q).achieved for member, q in quotas.items()}
    assert achieved == {
        org.rep: Decimal("100.00"),
        org.outsider_rep: Decimal("3.00"),
        org.manager: Decimal("120.00"),
        org.admin: Decimal("123.40"),
    }


def test_a_members_change_recomputes_their_quotas_and_every_team_quota_above_them(org):
    quotas = {
        member: quota(member) for member in (org.admin, org.manager, org.rep, org.outsider_rep)
    }
    sale(org.rep, "100.00")

    result = compute(org.tenant, as_of=MID_MARCH, member_ids=[org.rep.pk])

    assert sorted(result.quota_ids) == sorted(
        quotas[m].pk for m in (org.rep, org.manager, org.admin)
    )
    assert attainment_of(quotas[org.outsider_rep]) is None


def test_months_default_to_the_month_holding_as_of_and_can_be_named(org):
    march, april = quota(org.rep), quota(org.rep, month=dt.date(2026, 4, 1))
    sale(org.rep, "50.00", dt.date(2026, 4, 2))

    assert compute(org.tenant, as_of=MID_MARCH).quota_ids == [march.pk]
    result = compute(org.tenant, as_of=dt.date(2026, 5, 3), months=[dt.date(2026, 4, 9)])

    assert result.quota_ids == [april.pk]
    row = attainment_of(april)
    assert row.achieved == Decimal("50.00")
    assert row.as_of == dt.date(2026, 4, 30)  # The month is over: as of its last day.


def test_recomputing_updates_the_one_row_and_keeps_one_snapshot_per_day(org):
    mine = quota(org.rep)
    roll_down(org.tenant)
    sale(org.rep, "100.00")
    compute(org.tenant, as_of=MID_MARCH)
    sale(org.rep, "200.00")

    compute(org.tenant, as_of=MID_MARCH)
    compute(org.tenant, as_of=MID_MARCH + dt.timedelta(days=1))

    assert Attainment.all_tenants.filter(quota=mine).count() == 1
    assert attainment_of(mine).achieved == Decimal("300.00")
    snapshots = AttainmentSnapshot.all_tenants.filter(quota=mine).order_by("day")
    assert [(s.day, s.achieved) for s in snapshots] == [
        (MID_MARCH, Decimal("300.00")),
        (MID_MARCH + dt.timedelta(days=1), Decimal("300.00")),
    ]
    assert snapshots[1].expected_to_date > snapshots[0].expected_to_date


def test_a_closed_month_gets_no_snapshot_dated_after_it(org):
    march = quota(org.rep)

    compute(org.tenant, as_of=dt.date(2026, 4, 3), months=[MARCH])

    assert attainment_of(march) is not None
    assert not AttainmentSnapshot.all_tenants.filter(quota=march).exists()


def test_a_quota_on_a_metric_without_a_data_source_gets_no_row_and_is_reported(org):
    assert metrics.get(Metric.ACTIVITIES) is None  # Guards the test: no app provides one.
    activities, revenue = quota(org.rep, metric=Metric.ACTIVITIES), quota(org.rep)

    result = compute(org.tenant, as_of=MID_MARCH)

    assert attainment_of(activities) is None
    assert attainment_of(revenue) is not None
    assert (result.no_source, result.no_source_metrics) == (1, [Metric.ACTIVITIES])


def test_a_registered_metric_source_is_used_without_changing_quotas(org):
    calls = []

    def achieved(tenant, member_ids, start, end):
        calls.append((tenant.pk, sorted(member_ids), start, end))
        return {member_id: Decimal("7") for member_id in member_ids}

    source = metrics.register(
        metrics.MetricSource(Metric.ACTIVITIES, "Activities", Decimal("1"), achieved)
    )
    try:
        activities = quota(org.manager, metric=Metric.ACTIVITIES, amount=Decimal("44"))
        roll_down(org.tenant)
        compute(org.tenant, as_of=MID_MARCH)
    finally:
        metrics.registry.unregister(source.name)

    assert calls == [(org.tenant.pk, sorted([org.manager.pk, org.rep.pk]), MARCH, MID_MARCH)]
    row = attainment_of(activities)
    assert row.achieved == Decimal("14")  # The manager's and the rep's 7 each.
    assert row.expected_to_date == Decimal("22")  # 44 over 22 weekdays, 11 behind.
    assert row.pace_pct == Decimal("63.64")


def test_the_default_as_of_is_the_organisations_today(org):
    org.tenant.timezone = "Pacific/Kiritimati"  # UTC+14: often a day ahead of UTC.
    org.tenant.save()

    result = compute(org.tenant)

    assert result.as_of == org.tenant.today()


@pytest.mark.parametrize("size", [5, 50])
def test_its_queries_do_not_grow_with_the_team(org, size, django_assert_max_num_queries):
    for rep in team(org.tenant, org.manager, size):
        quota(rep)
        sale(rep, "10.00")
    quota(org.manager)
    # Reporting lines, savepoint, quotas, their targets' sums, sales, the attainment
    # upsert, the snapshot copy, release.
    with django_assert_max_num_queries(8):
        result = compute(org.tenant, as_of=MID_MARCH)
    assert result.quotas == size + 1


# --- Notices at 50% and 100% -----------------------------------------------------------------


def notices(member) -> list[str]:
    return list(
        Notification.all_tenants.filter(recipient=member, kind=NOTICE_KIND)
        .order_by("pk")
        .values_list("title", flat=True)
    )


@pytest.fixture
def live_quota(org):
    """A published quota of the current month (notices are about this month's quotas)."""
    today = org.tenant.today()
    live = quota(
        org.rep,
        month=today.replace(day=1),
        amount=Decimal("1000.00"),
        status=Quota.Status.PUBLISHED,
    )
    roll_down(org.tenant)
    return live


def test_a_rep_is_told_once_when_crossing_50_and_once_when_crossing_100(org, live_quota):
    today = org.tenant.today()
    month = f"{today:%B %Y}"
    sale(org.rep, "400.00", today)
    compute(org.tenant)
    assert notices(org.rep) == []

    sale(org.rep, "150.00", today)
    compute(org.tenant)
    compute(org.tenant)  # Nothing new: no second notice.
    assert notices(org.rep) == [f"You reached 50% of your {month} revenue quota"]

    sale(org.rep, "460.00", today)
    compute(org.tenant)
    assert notices(org.rep) == [
        f"You reached 50% of your {month} revenue quota",
        f"You reached 100% of your {month} revenue quota",
    ]


def test_a_jump_past_both_thresholds_is_one_notice_and_a_dip_does_not_repeat_it(org, live_quota):
    today = org.tenant.today()
    refund = sale(org.rep, "1100.00", today)
    compute(org.tenant)
    assert notices(org.rep) == [f"You reached 100% of your {today:%B %Y} revenue quota"]

    refund.amount = Decimal("100.00")  # Corrected down to 10%…
    refund.save()
    compute(org.tenant)
    sale(org.rep, "500.00", today)  # …and back up to 60%.
    compute(org.tenant)

    assert len(notices(org.rep)) == 1


def test_draft_quotas_and_past_months_tell_nobody(org):
    today = org.tenant.today()
    quota(org.rep, month=today.replace(day=1), amount=Decimal("10.00"))  # A draft.
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    quota(org.rep, month=last_month, amount=Decimal("10.00"), status=Quota.Status.PUBLISHED)
    sale(org.rep, "50.00", today)
    sale(org.rep, "50.00", last_month)
    roll_down(org.tenant)

    compute(org.tenant, months=[today, last_month])

    assert notices(org.rep) == []


def test_a_manager_is_told_about_their_team_number(org):
    today = org.tenant.today()
    quota(org.manager, month=today.replace(day=1), amount=Decimal("100.00"), status="published")
    sale(org.rep, "100.00", today)
    roll_down(org.tenant)

    compute(org.tenant)

    assert notices(org.manager) == [f"Your team reached 100% of its {today:%B %Y} revenue quota"]


@pytest.mark.parametrize(
    ("previous", "current", "crossed"),
    [
        (None, Decimal("49.99"), None),
        (None, Decimal("50.00"), 50),
        (Decimal("49.99"), Decimal("100.00"), 100),
        (Decimal("50.00"), Decimal("99.99"), None),
        (Decimal("120.00"), Decimal("90.00"), None),
        (Decimal("10.00"), None, None),
    ],
)
def test_a_crossing_is_found_by_comparing_the_stored_percentage(previous, current, crossed):
    assert crossed_threshold(previous, current) == crossed
