"""``quotas_roll_down``: targets exactly as DESIGN 4.2 and the worked examples, written in
bulk, idempotent, one transaction per batch, never marking a moved version rolled down."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from quotas.models import Metric, Quota, QuotaTarget
from quotas.services import rolldown as rolldown_service
from spm.tenancy.models import Tenant

from ..factories import HolidayFactory, MembershipFactory, TimeOffFactory
from .compute_factories import (
    CASES,
    LONG_AGO,
    build_case,
    expected_values,
    roll_down,
    stored_targets,
    targets_as_values,
)
from .factories import QuotaFactory

MARCH = dt.date(2026, 3, 1)


def quota(member, month=MARCH, **fields) -> Quota:
    return QuotaFactory(member=member, month=month, **fields)


def reps(org, count: int):
    return [
        MembershipFactory(tenant=org.tenant, manager=org.manager, start_date=LONG_AGO)
        for _ in range(count)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_it_stores_every_worked_example_exactly(case):
    stored = build_case(case, slug=f"case-{CASES.index(case)}")

    result = roll_down(Tenant.objects.get(pk=stored.tenant_id))

    assert result.quotas == 1
    assert targets_as_values(stored) == expected_values(case)
    stored.refresh_from_db()
    assert stored.rolled_down_version == stored.version
    assert not stored.targets_pending


def test_it_sums_daily_and_weekly_targets_to_the_effective_amount(org):
    quotas = [quota(rep, amount=Decimal("1000.01") * (n + 1)) for n, rep in enumerate(reps(org, 4))]
    HolidayFactory(tenant=org.tenant, date=dt.date(2026, 3, 17))

    roll_down(org.tenant)

    for stored in Quota.all_tenants.filter(pk__in=[q.pk for q in quotas]):
        targets = QuotaTarget.all_tenants.filter(quota=stored)
        daily = [t.amount for t in targets if t.granularity == "day"]
        weekly = [t.amount for t in targets if t.granularity == "week"]
        assert sum(daily) == sum(weekly) == stored.effective_amount == stored.amount
        assert len(daily) == 21  # 22 weekdays in March 2026, one a holiday.
        assert dt.date(2026, 3, 17) not in {t.start for t in targets if t.granularity == "day"}


def test_running_it_again_writes_identical_rows(org):
    quotas = [
        quota(rep, month=month) for rep in reps(org, 3) for month in (MARCH, dt.date(2026, 4, 1))
    ]
    TimeOffFactory(member=quotas[0].member, start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 13))
    ids = [q.pk for q in quotas]

    roll_down(org.tenant)
    first = stored_targets(ids)
    again = roll_down(org.tenant)

    assert again.quotas == len(quotas)
    assert stored_targets(ids) == first
    assert len(first) == again.daily_rows + again.weekly_rows


def test_a_quota_without_capacity_gets_no_targets_and_the_warning(org):
    leaver = MembershipFactory(
        tenant=org.tenant, start_date=LONG_AGO, end_date=dt.date(2026, 2, 27)
    )
    empty = quota(leaver)

    result = roll_down(org.tenant)

    empty.refresh_from_db()
    assert (empty.no_capacity, empty.effective_amount) == (True, Decimal("0.00"))
    assert not QuotaTarget.all_tenants.filter(quota=empty).exists()
    assert result.no_capacity == 1


def test_it_replaces_the_old_targets_when_the_figures_change(org):
    stored = quota(org.rep, amount=Decimal("2200.00"))
    roll_down(org.tenant)
    Quota.all_tenants.filter(pk=stored.pk).update(amount=Decimal("4400.00"), version=2)

    roll_down(org.tenant, quota_ids=[stored.pk])

    stored.refresh_from_db()
    assert stored.rolled_down_version == 2
    assert stored.effective_amount == Decimal("4400.00")
    daily = QuotaTarget.all_tenants.filter(quota=stored, granularity="day")
    assert daily.count() == 22
    assert sum(t.amount for t in daily) == Decimal("4400.00")


def test_only_the_quotas_asked_for_are_rolled_down(org):
    asked, other_month, other_member = (
        quota(org.rep),
        quota(org.rep, month=dt.date(2026, 5, 1)),
        quota(org.outsider_rep),
    )

    by_ids = roll_down(org.tenant, quota_ids=[asked.pk])
    assert by_ids.quota_ids == [asked.pk]

    by_change = roll_down(
        org.tenant,
        member_ids=[org.outsider_rep.pk],
        start=dt.date(2026, 3, 20),
        end=dt.date(2026, 4, 2),
    )
    assert by_change.quota_ids == [other_member.pk]
    assert not QuotaTarget.all_tenants.filter(quota=other_month).exists()


def test_another_organisations_quotas_are_never_touched(org, other):
    ours, theirs = quota(org.rep), quota(other.rep)

    result = roll_down(org.tenant, quota_ids=[ours.pk, theirs.pk])

    assert result.quota_ids == [ours.pk]
    assert not QuotaTarget.all_tenants.filter(quota=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.rolled_down_version == 0


def test_a_version_that_moves_during_the_run_is_not_marked_rolled_down(org, monkeypatch):
    stored = quota(org.rep)
    read_calendar = rolldown_service._calendar

    def edit_meanwhile(tenant, quotas):
        # Someone saves new figures after the batch was read (on SQLite nothing locks).
        Quota.all_tenants.filter(pk=stored.pk).update(version=2, amount=Decimal("1.00"))
        return read_calendar(tenant, quotas)

    monkeypatch.setattr(rolldown_service, "_calendar", edit_meanwhile)
    result = roll_down(org.tenant)

    stored.refresh_from_db()
    assert (stored.version, stored.rolled_down_version) == (2, 0)
    assert stored.targets_pending
    assert result.version_moved == 1


def test_a_failed_batch_leaves_its_quotas_with_their_old_targets(org, monkeypatch):
    quotas = [quota(rep, amount=Decimal("2200.00")) for rep in reps(org, 4)]
    ids = [q.pk for q in quotas]
    roll_down(org.tenant)
    before = stored_targets(ids)
    Quota.all_tenants.filter(pk__in=ids).update(amount=Decimal("4400.00"), version=2)
    monkeypatch.setattr(rolldown_service, "BATCH", 2)
    insert = rolldown_service.insert_targets
    calls = []

    def killed_in_the_second_batch(rows):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return insert(rows)

    monkeypatch.setattr(rolldown_service, "insert_targets", killed_in_the_second_batch)
    with pytest.raises(RuntimeError):
        roll_down(org.tenant)

    first_batch, second_batch = ids[:2], ids[2:]
    assert stored_targets(second_batch) == [row for row in before if row[1] in second_batch]
    assert set(
        Quota.all_tenants.filter(pk__in=second_batch).values_list("rolled_down_version", flat=True)
    ) == {1}
    assert all(
        row[5] == Decimal("200.00") for row in stored_targets(first_batch) if row[2] == "day"
    )
    assert set(
        Quota.all_tenants.filter(pk__in=first_batch).values_list("rolled_down_version", flat=True)
    ) == {2}


def test_a_metric_with_no_data_source_is_still_rolled_down(org):
    activities = quota(org.rep, metric=Metric.ACTIVITIES, amount=Decimal("44"))

    roll_down(org.tenant)

    activities.refresh_from_db()
    assert activities.effective_amount == Decimal("44")
    assert QuotaTarget.all_tenants.filter(quota=activities, granularity="day").count() == 22


@pytest.mark.parametrize("count", [3, 40])
def test_its_queries_do_not_grow_with_the_number_of_quotas(
    org, count, django_assert_max_num_queries
):
    for rep in reps(org, count):
        quota(rep)
        TimeOffFactory(member=rep, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3))
    # Read the ids, then per batch: savepoint, lock and read, settings, holidays, time off,
    # delete, insert (3 statements for COPY), update, release.
    budget = 13 if connection.vendor == "postgresql" else 11
    with django_assert_max_num_queries(budget):
        result = roll_down(org.tenant)
    assert result.quotas == count
