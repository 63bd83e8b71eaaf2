"""Logging activities (activities.services.activities): the checks, the 24-hour day,
who writes, versions, bulk all-or-nothing, and the attainment request after a change."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activities.models import Activity, ActivityType, Category
from activities.services import (
    ActivityRow,
    ActivityRowsInvalid,
    activities_create_many,
    activity_create,
    activity_delete,
    activity_update,
    hours_and_minutes,
)
from quotas.models import Metric
from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent
from spm.tenancy.versioning import StaleVersion

from ..quotas.factories import QuotaFactory, jobs_fixture  # noqa: F401 (a fixture)
from ..territories.factories import AccountFactory
from .factories import ActivityFactory, ActivityTypeFactory

ATTAINMENT = "quotas.tasks.attainment_for_members"


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def call(scope):
    return ActivityType.objects.get(tenant=scope.tenant, name="Call")


def log(org, actor, kind, **values):
    values = {"member": org.rep, "date": org.tenant.today(), "duration_minutes": 30, **values}
    return activity_create(tenant=org.tenant, actor=actor, type=kind, **values)


def test_every_new_organisation_has_the_default_types(scope):
    types = ActivityType.objects.filter(tenant=scope.tenant)
    assert {t.name: t.category for t in types} == {
        "Call": Category.SELLING,
        "Email": Category.SELLING,
        "Meeting": Category.SELLING,
        "Demo": Category.SELLING,
        "Proposal": Category.SELLING,
        "Reporting": Category.NON_SELLING,
        "Admin": Category.NON_SELLING,
        "Internal meeting": Category.NON_SELLING,
        "Training": Category.NON_SELLING,
        "Travel": Category.NON_SELLING,
    }


def activities_quota(org):
    return QuotaFactory(
        member=org.rep, month=org.tenant.today().replace(day=1), metric=Metric.ACTIVITIES
    )


def test_a_rep_logs_their_own_activity_and_attainment_is_asked_for(scope, call, jobs):
    activities_quota(scope)
    account = AccountFactory(tenant=scope.tenant)
    activity = log(scope, scope.rep, call, account=account, notes="  Intro call ")
    assert (activity.member, activity.type, activity.account) == (scope.rep, call, account)
    assert activity.notes == "Intro call"
    assert jobs == [
        (
            ATTAINMENT,
            {
                "tenant_id": scope.tenant.pk,
                "member_ids": [scope.rep.pk],
                "months": [f"{scope.tenant.today():%Y-%m}"],
            },
        )
    ]


def test_nothing_is_asked_for_when_no_quota_counts_activities_or_the_time_is_not_selling(
    scope, call, jobs
):
    log(scope, scope.rep, call)  # No quota on the activities metric this month.
    assert jobs == []
    activities_quota(scope)
    travel = ActivityType.objects.get(tenant=scope.tenant, name="Travel")
    activity = log(scope, scope.rep, travel)
    activity_delete(tenant=scope.tenant, actor=scope.rep, activity=activity)
    assert jobs == []
    changed = activity_update(
        tenant=scope.tenant,
        actor=scope.rep,
        activity=log(scope, scope.rep, travel),
        type=call,
        date=scope.tenant.today(),
        duration_minutes=20,
    )
    assert changed.type == call and len(jobs) == 1  # Travel became a call: it counts now.


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"duration_minutes": 0}, "duration_minutes", "from 1 to 1,440"),
        ({"duration_minutes": 1441}, "duration_minutes", "from 1 to 1,440"),
        ({"duration_minutes": "ten"}, "duration_minutes", "from 1 to 1,440"),
        ({"date": dt.date(2999, 1, 1)}, "date", "between 1970 and 2100"),
        ({"notes": "x" * 2001}, "notes", "2,000 characters"),
    ],
)
def test_bad_values_are_named_and_nothing_is_saved(scope, call, values, field, message):
    with pytest.raises(ValidationError) as refused:
        log(scope, scope.rep, call, **values)
    assert message in " ".join(refused.value.message_dict[field])
    assert not Activity.objects.filter(tenant=scope.tenant).exists()


def test_tomorrow_in_the_organisations_time_zone_is_refused(scope, call):
    tomorrow = scope.tenant.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        log(scope, scope.rep, call, date=tomorrow)
    assert refused.value.message_dict["date"] == [
        "Activities can be logged up to today, not for a later day."
    ]


@pytest.fixture
def foreign(other):
    """Another organisation's account and type, made before ``scope`` narrows the wall."""
    return AccountFactory(tenant=other.tenant), ActivityTypeFactory(tenant=other.tenant)


def test_another_organisations_account_and_type_are_refused(foreign, scope, call):
    foreign_account, foreign_type = foreign
    with pytest.raises(ValidationError) as refused:
        log(scope, scope.rep, foreign_type, account=foreign_account)
    assert set(refused.value.message_dict) == {"type", "account"}


def test_an_inactive_type_cannot_be_logged(scope):
    retired = ActivityTypeFactory(tenant=scope.tenant, name="Fax", active=False)
    with pytest.raises(ValidationError, match="no longer in use"):
        log(scope, scope.rep, retired)


def test_a_day_never_holds_more_than_24_hours(scope, call):
    today = scope.tenant.today()
    ActivityFactory(member=scope.rep, type=call, date=today, duration_minutes=1400)
    log(scope, scope.rep, call, duration_minutes=40)  # Exactly 24 h.
    with pytest.raises(ValidationError) as refused:
        log(scope, scope.rep, call, duration_minutes=1)
    assert refused.value.message_dict["duration_minutes"] == [
        f"That would make 24 h 1 min on {today:%-d %b %Y}; a day holds 24 hours and 24 h "
        "is logged already."
    ]
    # Another member's day, and another day, are their own.
    log(scope, scope.manager, call, member=scope.manager, duration_minutes=60)


def test_an_update_counts_the_day_without_the_activity_itself(scope, call):
    activity = log(scope, scope.rep, call, duration_minutes=1000)
    log(scope, scope.rep, call, duration_minutes=400)
    changed = activity_update(
        tenant=scope.tenant,
        actor=scope.rep,
        activity=activity,
        type=call,
        date=activity.date,
        duration_minutes=1040,
        version=1,
    )
    assert (changed.duration_minutes, changed.version) == (1040, 2)
    with pytest.raises(ValidationError, match="a day holds 24 hours"):
        activity_update(
            tenant=scope.tenant,
            actor=scope.rep,
            activity=activity,
            type=call,
            date=activity.date,
            duration_minutes=1041,
        )


def test_a_stale_version_is_refused(scope, call):
    activity = log(scope, scope.rep, call)
    with pytest.raises(StaleVersion):
        activity_update(
            tenant=scope.tenant,
            actor=scope.rep,
            activity=activity,
            type=call,
            date=activity.date,
            duration_minutes=10,
            version=7,
        )
    with pytest.raises(StaleVersion):
        activity_delete(tenant=scope.tenant, actor=scope.rep, activity=activity, version=7)
    assert Activity.objects.get(pk=activity.pk).duration_minutes == 30


def test_members_write_their_own_and_admins_correct_anyones(scope, call):
    with pytest.raises(PermissionDenied):
        log(scope, scope.manager, call)  # The manager reads the rep's day, never writes it.
    activity = log(scope, scope.rep, call)
    with pytest.raises(PermissionDenied):
        activity_delete(tenant=scope.tenant, actor=scope.manager, activity=activity)
    activity_delete(tenant=scope.tenant, actor=scope.admin, activity=activity)
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert AuditEvent.objects.filter(tenant=scope.tenant, action="activity.deleted").count() == 1


def test_bulk_is_all_or_nothing_and_names_every_bad_row(scope, call):
    today = scope.tenant.today()
    rows = [
        ActivityRow(member_id=scope.rep.pk, type_id=call.pk, date=today, duration_minutes=700),
        ActivityRow(member_id=scope.rep.pk, type_id=999_999, date=today, duration_minutes=5),
        ActivityRow(member_id=scope.rep.pk, type_id=call.pk, date=today, duration_minutes=741),
        ActivityRow(member_id=scope.rep.pk, type_id=call.pk, date="03/02", duration_minutes=5),
    ]
    with pytest.raises(ActivityRowsInvalid) as refused:
        activities_create_many(tenant=scope.tenant, actor=scope.rep, rows=rows)
    assert set(refused.value.rows) == {1, 2, 3}
    assert set(refused.value.rows[1]) == {"type_id"}
    assert "a day holds 24 hours" in refused.value.rows[2]["duration_minutes"][0]
    assert set(refused.value.rows[3]) == {"date"}
    assert not Activity.objects.filter(tenant=scope.tenant).exists()

    created = activities_create_many(tenant=scope.tenant, actor=scope.rep, rows=rows[:1] * 2)
    assert [a.duration_minutes for a in created] == [700, 700]


def test_bulk_costs_the_same_queries_for_two_rows_or_two_hundred(
    scope, call, django_assert_max_num_queries
):
    today = scope.tenant.today()
    rows = [
        ActivityRow(member_id=scope.rep.pk, type_id=call.pk, date=today, duration_minutes=5)
        for _ in range(200)
    ]
    # Members, their lock, types, the day's minutes, the insert (SQLite: up to three
    # statements of at most 999 parameters), the transaction's savepoints.
    with django_assert_max_num_queries(10):
        activities_create_many(tenant=scope.tenant, actor=scope.rep, rows=rows)


@pytest.mark.parametrize(
    ("minutes", "text"), [(20, "20 min"), (60, "1 h"), (95, "1 h 35 min"), (1440, "24 h")]
)
def test_hours_and_minutes(minutes, text):
    assert hours_and_minutes(minutes) == text
