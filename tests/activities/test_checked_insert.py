"""Logging in one statement on PostgreSQL (activities.services.checked_insert): it writes
exactly what the service's own checks accept, all or nothing, and says which rows can
change attainment."""

import dataclasses
import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from activities.models import Activity, ActivityType
from activities.services import (
    ActivityRow,
    ActivityRowsInvalid,
    activities_create_many,
    checked_insert,
)
from activities.services import activities as service
from quotas.models import Metric
from spm.tenancy.context import tenant_context

from ..quotas.factories import QuotaFactory, jobs_fixture, statements  # noqa: F401 (a fixture)
from ..territories.factories import AccountFactory
from .factories import ActivityFactory, ActivityTypeFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The one-statement write is PostgreSQL's."
)
ATTAINMENT = "quotas.tasks.attainment_for_members"


@pytest.fixture
def world(org, other):
    """``org`` in scope, with a retired type, an account, and another organisation's type
    and account (made first: the tenant wall checks what is written in its scope)."""
    with tenant_context(other.tenant):
        foreign_type = ActivityTypeFactory(tenant=other.tenant)
        foreign_account = AccountFactory(tenant=other.tenant)
    with tenant_context(org.tenant):
        org.call = ActivityType.objects.get(tenant=org.tenant, name="Call")
        org.travel = ActivityType.objects.get(tenant=org.tenant, name="Travel")
        org.retired = ActivityTypeFactory(tenant=org.tenant, active=False)
        org.account = AccountFactory(tenant=org.tenant)
        org.foreign_type, org.foreign_account = foreign_type, foreign_account
        org.day = org.tenant.today() - dt.timedelta(days=1)
        yield org


def row(world, **values) -> ActivityRow:
    values = {
        "member_id": world.rep.pk,
        "type_id": world.call.pk,
        "date": world.day,
        "duration_minutes": 30,
        **values,
    }
    return ActivityRow(**values)


def log(world, rows):
    return activities_create_many(tenant=world.tenant, actor=world.rep, rows=rows)


def test_a_well_formed_activity_is_one_round_trip_the_lock_then_the_insert(world):
    with CaptureQueriesContext(connection) as queries:
        (activity,) = log(world, [row(world, account_id=world.account.pk, notes=" Intro ")])
    sql = [s for s in statements(queries) if "SAVEPOINT" not in s]  # The test's transaction.
    assert len(sql) == 1, sql
    lock, insert = sql[0].split(";", 1)
    assert lock.rstrip().endswith("FOR UPDATE") and insert.lstrip().startswith("WITH new AS")
    stored = Activity.objects.get(pk=activity.pk)
    assert [
        (a.member_id, a.type_id, a.account_id, a.date, a.duration_minutes, a.notes)
        for a in (activity, stored)
    ] == [(world.rep.pk, world.call.pk, world.account.pk, world.day, 30, "Intro")] * 2
    assert (activity.version, activity.source, activity.created_at) == (
        stored.version,
        stored.source,
        stored.created_at,
    )


def test_many_rows_come_back_in_their_order_with_their_ids(world):
    days = [world.day - dt.timedelta(days=n) for n in (3, 0, 7, 1)]
    created = log(
        world, [row(world, date=day, duration_minutes=10 + n) for n, day in enumerate(days)]
    )
    assert [(a.date, a.duration_minutes) for a in created] == [
        (day, 10 + n) for n, day in enumerate(days)
    ]
    stored = Activity.objects.in_bulk([a.pk for a in created])
    assert [(stored[a.pk].date, stored[a.pk].duration_minutes) for a in created] == [
        (a.date, a.duration_minutes) for a in created
    ]


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("retired type", "type_id"),
        ("another organisation's type", "type_id"),
        ("no such type", "type_id"),
        ("another organisation's account", "account_id"),
        ("no such account", "account_id"),
        ("a day already nearly full", "duration_minutes"),
        ("a batch over a day", "duration_minutes"),
    ],
)
def test_a_refusal_writes_nothing_and_the_service_names_the_problem(world, case, field):
    ActivityFactory(member=world.rep, type=world.call, date=world.day, duration_minutes=1_400)
    other_day = world.day - dt.timedelta(days=2)
    good = row(world, date=other_day)
    bad = {
        "retired type": row(world, date=other_day, type_id=world.retired.pk),
        "another organisation's type": row(world, date=other_day, type_id=world.foreign_type.pk),
        "no such type": row(world, date=other_day, type_id=10**12),
        "another organisation's account": row(
            world, date=other_day, account_id=world.foreign_account.pk
        ),
        "no such account": row(world, date=other_day, account_id=10**12),
        "a day already nearly full": row(world, duration_minutes=41),
        "a batch over a day": row(world, date=other_day, duration_minutes=1_411),
    }[case]
    rows = [good, bad]
    values = [service._parse(r, world.tenant.today())[0] for r in rows]
    before = Activity.objects.count()
    with transaction.atomic():
        assert checked_insert.insert(tenant=world.tenant, rows=values, source="api") is None
    assert Activity.objects.count() == before
    with pytest.raises(ActivityRowsInvalid) as refused:
        log(world, rows)
    assert list(refused.value.rows) == [1] and list(refused.value.rows[1]) == [field]
    assert Activity.objects.count() == before


def test_another_organisations_member_is_refused(world, other):
    value, _ = service._parse(row(world), world.tenant.today())
    foreign = dataclasses.replace(value, member_id=other.rep.pk)
    before = Activity.objects.count()
    with transaction.atomic():
        assert (
            checked_insert.insert(tenant=world.tenant, rows=[value, foreign], source="api") is None
        )
    assert Activity.objects.count() == before


def test_only_selling_rows_in_a_month_some_quota_counts_ask_for_attainment(world, jobs):
    this_month = world.tenant.today().replace(day=1)
    QuotaFactory(member=world.manager, month=this_month, metric=Metric.ACTIVITIES)
    last_month = this_month - dt.timedelta(days=1)
    log(
        world,
        [
            row(world, date=world.tenant.today()),
            row(world, date=world.tenant.today(), type_id=world.travel.pk),
            row(world, date=last_month),  # No quota counts activities that month.
        ],
    )
    assert jobs == [
        (
            ATTAINMENT,
            {
                "tenant_id": world.tenant.pk,
                "member_ids": [world.rep.pk],
                "months": [f"{this_month:%Y-%m}"],
            },
        )
    ]


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["call", "travel", "retired", "foreign", "none"]),
            "account": st.sampled_from(["none", "own", "foreign"]),
            "days_ago": st.integers(min_value=0, max_value=1),
            "minutes": st.sampled_from([1, 30, 40, 41, 700, 1_000, 1_440]),
        }
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=rows_strategy, logged=st.sampled_from([0, 500, 1_400]))
@example(drawn=[{"kind": "call", "account": "none", "days_ago": 0, "minutes": 40}], logged=1_400)
@example(drawn=[{"kind": "call", "account": "none", "days_ago": 0, "minutes": 41}], logged=1_400)
@example(
    drawn=[
        {"kind": "travel", "account": "own", "days_ago": 1, "minutes": 1_440},
        {"kind": "call", "account": "own", "days_ago": 1, "minutes": 1},
    ],
    logged=0,
)
def test_the_statement_accepts_exactly_what_the_services_checks_accept(world, drawn, logged):
    with transaction.atomic():
        if logged:
            ActivityFactory(
                member=world.rep, type=world.call, date=world.day, duration_minutes=logged
            )
        rows = [
            row(
                world,
                type_id={
                    "call": world.call.pk,
                    "travel": world.travel.pk,
                    "retired": world.retired.pk,
                    "foreign": world.foreign_type.pk,
                    "none": None,
                }[item["kind"]],
                account_id={
                    "none": None,
                    "own": world.account.pk,
                    "foreign": world.foreign_account.pk,
                }[item["account"]],
                date=world.day - dt.timedelta(days=item["days_ago"]),
                duration_minutes=item["minutes"],
            )
            for item in drawn
        ]
        parsed = [service._parse(r, world.tenant.today()) for r in rows]
        with transaction.atomic():
            written = checked_insert.insert(
                tenant=world.tenant, rows=[value for value, _ in parsed], source="api"
            )
            transaction.set_rollback(True)
        with transaction.atomic():
            try:
                service._check_and_create(world.tenant, parsed, {world.rep.pk}, "api", None)
                accepted = True
            except ActivityRowsInvalid:
                accepted = False
            transaction.set_rollback(True)
        assert (written is not None) == accepted, (drawn, logged)
        transaction.set_rollback(True)
