"""Calendar services: holidays and time off, with their audit rows and change signals."""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from spm.calendars.models import Holiday, TimeOff
from spm.calendars.services import (
    holiday_create,
    holiday_delete,
    holiday_update,
    merge_ranges,
    time_off_check,
    time_off_create,
    time_off_delete,
    time_off_update,
)
from spm.calendars.signals import calendar_changed
from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent, Membership

from .factories import HolidayFactory, TimeOffFactory

D = dt.date


@pytest.fixture
def changes():
    """Every ``calendar_changed`` sent during the test, as dicts of its arguments."""
    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append({"sender": sender, **kwargs})

    calendar_changed.connect(receiver, dispatch_uid="test-calendar-changes")
    yield received
    calendar_changed.disconnect(dispatch_uid="test-calendar-changes")


def audit_actions(tenant) -> list[str]:
    return list(
        AuditEvent.all_tenants.filter(tenant=tenant).order_by("pk").values_list("action", flat=True)
    )


# --- Holidays -------------------------------------------------------------------


def test_holiday_create_saves_it_audits_it_and_signals_the_whole_tenant_on_commit(
    org, changes, django_capture_on_commit_callbacks
):
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        holiday = holiday_create(
            tenant=org.tenant, actor=org.admin.user, date=D(2026, 5, 1), name="  Labour Day "
        )
    assert holiday.name == "Labour Day"
    assert Holiday.all_tenants.get(pk=holiday.pk).tenant == org.tenant
    event = AuditEvent.all_tenants.get(tenant=org.tenant, action="holiday.created")
    assert event.actor == org.admin.user
    assert event.object_id == str(holiday.pk)
    assert event.data == {"date": "2026-05-01", "name": "Labour Day"}
    assert changes == [
        {
            "sender": Holiday,
            "signal": calendar_changed,
            "tenant": org.tenant,
            "member_ids": None,
            "start": D(2026, 5, 1),
            "end": D(2026, 5, 1),
        }
    ]


def test_the_signal_waits_for_the_transaction_to_commit(
    org, changes, django_capture_on_commit_callbacks
):
    with tenant_context(org.tenant), django_capture_on_commit_callbacks() as callbacks:
        holiday_create(tenant=org.tenant, actor=org.admin.user, date=D(2026, 5, 1), name="May")
        assert changes == []
    assert len(callbacks) == 1


def test_a_second_holiday_on_the_same_date_is_refused_with_the_existing_name(
    org, changes, django_capture_on_commit_callbacks
):
    HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25), name="Christmas Day")
    with (
        tenant_context(org.tenant),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as raised,
    ):
        holiday_create(tenant=org.tenant, actor=org.admin.user, date=D(2026, 12, 25), name="Xmas")
    assert raised.value.message_dict == {
        "date": ["25 Dec 2026 is already a holiday: Christmas Day."]
    }
    assert Holiday.all_tenants.filter(tenant=org.tenant).count() == 1
    assert audit_actions(org.tenant) == []
    assert changes == []


def test_two_tenants_may_have_a_holiday_on_the_same_date(org, other):
    HolidayFactory(tenant=other.tenant, date=D(2026, 12, 25), name="Christmas Day")
    with tenant_context(org.tenant):
        holiday_create(tenant=org.tenant, actor=org.admin.user, date=D(2026, 12, 25), name="Xmas")
    assert Holiday.all_tenants.filter(date=D(2026, 12, 25)).count() == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Give the holiday a name, e.g. New Year's Day."),
        ("x" * 121, "Keep the name to 120 characters or fewer."),
    ],
)
def test_a_holiday_needs_a_sensible_name(org, name, message):
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        holiday_create(tenant=org.tenant, actor=org.admin.user, date=D(2026, 1, 1), name=name)
    assert raised.value.message_dict == {"name": [message]}
    assert not Holiday.all_tenants.exists()


def test_a_holiday_needs_a_date(org):
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        holiday_create(tenant=org.tenant, actor=org.admin.user, date=None, name="Someday")
    assert raised.value.message_dict == {"date": ["Enter a valid date."]}


def test_holiday_update_moves_it_and_signals_the_old_and_the_new_date(
    org, changes, django_capture_on_commit_callbacks
):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3), name="Good Friday")
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        holiday_update(
            tenant=org.tenant,
            actor=org.admin.user,
            holiday=holiday,
            date=D(2026, 4, 6),
            name="Easter Monday",
        )
    holiday.refresh_from_db()
    assert (holiday.date, holiday.name) == (D(2026, 4, 6), "Easter Monday")
    assert [(change["start"], change["end"]) for change in changes] == [
        (D(2026, 4, 3), D(2026, 4, 3)),
        (D(2026, 4, 6), D(2026, 4, 6)),
    ]
    event = AuditEvent.all_tenants.get(action="holiday.changed")
    assert event.data == {"date": "2026-04-06", "name": "Easter Monday"}


def test_renaming_a_holiday_does_not_signal_a_calendar_change(
    org, changes, django_capture_on_commit_callbacks
):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3), name="Good Fri")
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        holiday_update(
            tenant=org.tenant,
            actor=org.admin.user,
            holiday=holiday,
            date=D(2026, 4, 3),
            name="Good Friday",
        )
    assert Holiday.all_tenants.get(pk=holiday.pk).name == "Good Friday"
    assert audit_actions(org.tenant) == ["holiday.changed"]
    assert changes == []


def test_saving_a_holiday_unchanged_writes_nothing(org):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3), name="Good Friday")
    with tenant_context(org.tenant):
        holiday_update(
            tenant=org.tenant,
            actor=org.admin.user,
            holiday=holiday,
            date=D(2026, 4, 3),
            name="Good Friday",
        )
    assert audit_actions(org.tenant) == []


def test_a_holiday_cannot_move_onto_another_holiday(org):
    HolidayFactory(tenant=org.tenant, date=D(2026, 1, 1), name="New Year's Day")
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 1, 2), name="Bridge day")
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        holiday_update(
            tenant=org.tenant,
            actor=org.admin.user,
            holiday=holiday,
            date=D(2026, 1, 1),
            name="Bridge day",
        )
    assert raised.value.message_dict == {
        "date": ["1 Jan 2026 is already a holiday: New Year's Day."]
    }
    holiday.refresh_from_db()
    assert holiday.date == D(2026, 1, 2)


def test_another_tenants_holiday_cannot_be_changed_or_deleted(org, other):
    holiday = HolidayFactory(tenant=other.tenant, date=D(2026, 1, 1))
    with tenant_context(org.tenant):
        with pytest.raises(Holiday.DoesNotExist):
            holiday_update(
                tenant=org.tenant,
                actor=org.admin.user,
                holiday=holiday,
                date=D(2026, 1, 2),
                name="Mine now",
            )
        with pytest.raises(Holiday.DoesNotExist):
            holiday_delete(tenant=org.tenant, actor=org.admin.user, holiday=holiday)
    assert Holiday.all_tenants.get(pk=holiday.pk).date == D(2026, 1, 1)


def test_holiday_delete_removes_it_audits_it_and_signals_its_date(
    org, changes, django_capture_on_commit_callbacks
):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 10, 3), name="Unity Day")
    pk = holiday.pk
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        holiday_delete(tenant=org.tenant, actor=org.admin.user, holiday=holiday)
    assert not Holiday.all_tenants.filter(pk=pk).exists()
    event = AuditEvent.all_tenants.get(action="holiday.deleted")
    assert event.object_id == str(pk)
    assert event.data == {"date": "2026-10-03", "name": "Unity Day"}
    assert [(c["member_ids"], c["start"], c["end"]) for c in changes] == [
        (None, D(2026, 10, 3), D(2026, 10, 3))
    ]


# --- Time off: checks -----------------------------------------------------------------


def test_time_off_must_end_on_or_after_its_start(org):
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        time_off_check(tenant=org.tenant, member=org.rep, start=D(2026, 3, 6), end=D(2026, 3, 5))
    assert raised.value.message_dict == {
        "end": ["The end date must be on or after the start date."]
    }


def test_a_one_day_time_off_is_fine(org):
    with tenant_context(org.tenant):
        time_off_check(tenant=org.tenant, member=org.rep, start=D(2026, 3, 6), end=D(2026, 3, 6))


def test_time_off_is_refused_for_a_member_of_another_tenant(org, other):
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        time_off_check(tenant=org.tenant, member=other.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    assert raised.value.message_dict == {"member": ["Choose a member of this organisation."]}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2026, 3, 6), D(2026, 3, 10)),  # Touches the existing range's last day.
        (D(2026, 2, 25), D(2026, 3, 2)),  # Touches its first day.
        (D(2026, 3, 3), D(2026, 3, 4)),  # Inside it.
        (D(2026, 2, 1), D(2026, 3, 31)),  # Around it.
    ],
)
def test_time_off_may_not_overlap_the_members_other_time_off(org, start, end):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        time_off_check(tenant=org.tenant, member=org.rep, start=start, end=end)
    [message] = raised.value.message_dict[NON_FIELD_ERRORS]
    assert "already has time off from 2 Mar 2026 to 6 Mar 2026" in message
    assert org.rep.name in message


def test_time_off_right_after_another_range_is_fine(org):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant):
        time_off_check(tenant=org.tenant, member=org.rep, start=D(2026, 3, 7), end=D(2026, 3, 9))
        time_off_check(tenant=org.tenant, member=org.rep, start=D(2026, 2, 1), end=D(2026, 3, 1))


def test_another_members_time_off_does_not_overlap(org):
    TimeOffFactory(member=org.outsider_rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant):
        time_off_check(tenant=org.tenant, member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))


def test_a_range_does_not_overlap_itself_when_edited(org):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant):
        time_off_check(
            tenant=org.tenant,
            member=org.rep,
            start=D(2026, 3, 2),
            end=D(2026, 3, 9),
            exclude=time_off,
        )


# --- Time off: writes -------------------------------------------------------------------


def test_time_off_create_saves_it_audits_it_and_signals_the_member_and_dates(
    org, changes, django_capture_on_commit_callbacks
):
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        time_off = time_off_create(
            tenant=org.tenant,
            actor=org.manager.user,
            member=org.rep,
            start=D(2026, 3, 30),
            end=D(2026, 4, 3),
            reason=" Family trip ",
        )
    saved = TimeOff.all_tenants.get(pk=time_off.pk)
    assert (saved.tenant, saved.member, saved.start, saved.end, saved.reason) == (
        org.tenant,
        org.rep,
        D(2026, 3, 30),
        D(2026, 4, 3),
        "Family trip",
    )
    event = AuditEvent.all_tenants.get(action="time_off.created")
    assert event.actor == org.manager.user
    assert event.data == {
        "member_id": org.rep.pk,
        "start": "2026-03-30",
        "end": "2026-04-03",
        "reason": "Family trip",
    }
    assert changes == [
        {
            "sender": TimeOff,
            "signal": calendar_changed,
            "tenant": org.tenant,
            "member_ids": [org.rep.pk],
            "start": D(2026, 3, 30),
            "end": D(2026, 4, 3),
        }
    ]


def test_time_off_create_with_bad_input_reports_every_problem_and_saves_nothing(
    org, changes, django_capture_on_commit_callbacks
):
    with (
        tenant_context(org.tenant),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as raised,
    ):
        time_off_create(
            tenant=org.tenant,
            actor=org.admin.user,
            member=org.rep,
            start=D(2026, 3, 9),
            end=D(2026, 3, 2),
            reason="r" * 201,
        )
    assert raised.value.message_dict == {
        "end": ["The end date must be on or after the start date."],
        "reason": ["Keep the reason to 200 characters or fewer."],
    }
    assert not TimeOff.all_tenants.exists()
    assert audit_actions(org.tenant) == []
    assert changes == []


def test_time_off_create_refuses_an_overlap_and_saves_nothing(org):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant), pytest.raises(ValidationError):
        time_off_create(
            tenant=org.tenant,
            actor=org.admin.user,
            member=org.rep,
            start=D(2026, 3, 5),
            end=D(2026, 3, 12),
        )
    assert TimeOff.all_tenants.count() == 1


def test_time_off_create_refuses_a_member_of_another_tenant(org, other):
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        time_off_create(
            tenant=org.tenant,
            actor=org.admin.user,
            member=other.rep,
            start=D(2026, 3, 2),
            end=D(2026, 3, 6),
        )
    assert "member" in raised.value.message_dict
    assert not TimeOff.all_tenants.exists()


def test_time_off_create_locks_the_member_row_before_checking_for_overlaps(org):
    locked_models = []
    original = QuerySet.select_for_update

    def spy(queryset, *args, **kwargs):
        locked_models.append(queryset.model)
        return original(queryset, *args, **kwargs)

    with (
        tenant_context(org.tenant),
        mock.patch.object(QuerySet, "select_for_update", spy),
        CaptureQueriesContext(connection) as queries,
    ):
        time_off_create(
            tenant=org.tenant,
            actor=org.admin.user,
            member=org.rep,
            start=D(2026, 3, 2),
            end=D(2026, 3, 6),
        )
    assert locked_models == [Membership]
    tables = [
        "membership" if '"tenancy_membership"' in sql else "timeoff"
        for sql in (query["sql"] for query in queries.captured_queries)
        if sql.startswith("SELECT")
        and ('"tenancy_membership"' in sql or '"calendars_timeoff"' in sql)
    ]
    assert tables[:2] == ["membership", "timeoff"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Row locks need PostgreSQL; SQLite has none."
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_overlapping_requests_cannot_both_book_time_off():
    from .conftest import build_org

    org = build_org("race")
    first_saved, release_first = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def book(name: str, start: dt.date, end: dt.date, hold: bool) -> None:
        try:
            with tenant_context(org.tenant), transaction.atomic():
                time_off_create(tenant=org.tenant, actor=None, member=org.rep, start=start, end=end)
                if hold:
                    first_saved.set()
                    release_first.wait(timeout=10)
            outcomes[name] = "saved"
        except ValidationError:
            outcomes[name] = "refused"
        finally:
            first_saved.set()
            connection.close()

    first = threading.Thread(target=book, args=("first", D(2026, 3, 2), D(2026, 3, 6), True))
    second = threading.Thread(target=book, args=("second", D(2026, 3, 5), D(2026, 3, 9), False))
    first.start()
    first_saved.wait(timeout=10)
    second.start()
    second.join(timeout=1)  # Blocks on the member's row lock while the first one is open.
    assert second.is_alive()
    release_first.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert outcomes == {"first": "saved", "second": "refused"}
    assert TimeOff.all_tenants.filter(member=org.rep).count() == 1


def test_time_off_update_changes_dates_and_signals_the_old_and_new_dates_merged(
    org, changes, django_capture_on_commit_callbacks
):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        time_off_update(
            tenant=org.tenant,
            actor=org.admin.user,
            time_off=time_off,
            start=D(2026, 3, 4),
            end=D(2026, 3, 11),
            reason="Longer trip",
        )
    time_off.refresh_from_db()
    assert (time_off.start, time_off.end, time_off.reason) == (
        D(2026, 3, 4),
        D(2026, 3, 11),
        "Longer trip",
    )
    assert [(c["member_ids"], c["start"], c["end"]) for c in changes] == [
        ([org.rep.pk], D(2026, 3, 2), D(2026, 3, 11))
    ]
    event = AuditEvent.all_tenants.get(action="time_off.changed")
    assert event.data == {"start": "2026-03-04", "end": "2026-03-11", "reason": "Longer trip"}


def test_moving_time_off_to_another_month_signals_both_ranges_separately(
    org, changes, django_capture_on_commit_callbacks
):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        time_off_update(
            tenant=org.tenant,
            actor=org.admin.user,
            time_off=time_off,
            start=D(2026, 8, 3),
            end=D(2026, 8, 7),
            reason=time_off.reason,
        )
    assert [(c["start"], c["end"]) for c in changes] == [
        (D(2026, 3, 2), D(2026, 3, 6)),
        (D(2026, 8, 3), D(2026, 8, 7)),
    ]


def test_time_off_update_refuses_an_overlap_and_keeps_the_range(org):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 9), end=D(2026, 3, 13))
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(org.tenant), pytest.raises(ValidationError) as raised:
        time_off_update(
            tenant=org.tenant,
            actor=org.admin.user,
            time_off=time_off,
            start=D(2026, 3, 2),
            end=D(2026, 3, 9),
            reason="",
        )
    assert "from 9 Mar 2026 to 13 Mar 2026" in raised.value.message_dict[NON_FIELD_ERRORS][0]
    time_off.refresh_from_db()
    assert (time_off.end, time_off.reason) == (D(2026, 3, 6), "Vacation")
    assert audit_actions(org.tenant) == []


def test_another_tenants_time_off_cannot_be_changed_or_deleted(org, other):
    time_off = TimeOffFactory(member=other.rep)
    with tenant_context(org.tenant):
        with pytest.raises(TimeOff.DoesNotExist):
            time_off_update(
                tenant=org.tenant,
                actor=org.admin.user,
                time_off=time_off,
                start=D(2026, 1, 1),
                end=D(2026, 1, 2),
                reason="",
            )
        with pytest.raises(TimeOff.DoesNotExist):
            time_off_delete(tenant=org.tenant, actor=org.admin.user, time_off=time_off)
    assert TimeOff.all_tenants.filter(pk=time_off.pk).exists()


def test_time_off_delete_removes_it_audits_it_and_signals_its_dates(
    org, changes, django_capture_on_commit_callbacks
):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    pk = time_off.pk
    with tenant_context(org.tenant), django_capture_on_commit_callbacks(execute=True):
        time_off_delete(tenant=org.tenant, actor=org.admin.user, time_off=time_off)
    assert not TimeOff.all_tenants.filter(pk=pk).exists()
    event = AuditEvent.all_tenants.get(action="time_off.deleted")
    assert event.object_id == str(pk)
    assert event.data["member_id"] == org.rep.pk
    assert [(c["member_ids"], c["start"], c["end"]) for c in changes] == [
        ([org.rep.pk], D(2026, 3, 2), D(2026, 3, 6))
    ]


def test_merge_ranges_joins_ranges_that_overlap_or_touch():
    assert merge_ranges(
        [
            (D(2026, 3, 9), D(2026, 3, 10)),
            (D(2026, 3, 1), D(2026, 3, 5)),
            (D(2026, 3, 6), D(2026, 3, 7)),
            (D(2026, 3, 20), D(2026, 3, 20)),
        ]
    ) == [(D(2026, 3, 1), D(2026, 3, 7)), (D(2026, 3, 9), D(2026, 3, 10)), (D(2026, 3, 20),) * 2]
