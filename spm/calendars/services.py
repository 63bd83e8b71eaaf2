"""Every write to the calendar: tenant holidays and members' time off.

Each service takes the tenant first and the acting user second, validates, writes in
one transaction with an audit row, and once the transaction has committed sends
``calendar_changed`` so work days, capacity and anything built on them (quota
rolldown) can be recomputed for the dates affected.
"""

import datetime as dt
import functools
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import dateformat

from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import audit

from .models import Holiday, TimeOff
from .signals import calendar_changed

HOLIDAY_NAME_MAX = Holiday._meta.get_field("name").max_length
REASON_MAX = TimeOff._meta.get_field("reason").max_length

DateRange = tuple[dt.date, dt.date]


def readable_date(day: dt.date) -> str:
    """A date as people write it in messages: ``2 Mar 2026``."""
    return dateformat.format(day, "j M Y")


def merge_ranges(ranges: Iterable[DateRange]) -> list[DateRange]:
    """Sort date ranges and merge those that overlap or touch (both ends included)."""
    merged: list[DateRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _send_calendar_changed_on_commit(
    *, sender: type, tenant: Tenant, member_ids: list[int] | None, ranges: Iterable[DateRange]
) -> None:
    for start, end in merge_ranges(ranges):
        transaction.on_commit(
            functools.partial(
                calendar_changed.send,
                sender=sender,
                tenant=tenant,
                member_ids=member_ids,
                start=start,
                end=end,
            )
        )


# --- Holidays ---------------------------------------------------------------


def _clean_holiday(*, tenant: Tenant, date, name: str, exclude: Holiday | None = None) -> str:
    """Validate a holiday's fields and return its cleaned name."""
    errors: dict[str, str] = {}
    if not isinstance(date, dt.date):
        errors["date"] = "Enter a valid date."
    name = (name or "").strip()
    if not name:
        errors["name"] = "Give the holiday a name, e.g. New Year's Day."
    elif len(name) > HOLIDAY_NAME_MAX:
        errors["name"] = f"Keep the name to {HOLIDAY_NAME_MAX} characters or fewer."
    if "date" not in errors:
        existing = Holiday.objects.filter(tenant=tenant, date=date)
        if exclude is not None:
            existing = existing.exclude(pk=exclude.pk)
        clash = existing.first()
        if clash is not None:
            errors["date"] = f"{readable_date(date)} is already a holiday: {clash.name}."
    if errors:
        raise ValidationError(errors)
    return name


def _date_taken(date: dt.date) -> ValidationError:
    # Reached only when a concurrent request saved the same date between our check and insert.
    return ValidationError({"date": f"{readable_date(date)} is already a holiday."})


def holiday_create(*, tenant: Tenant, actor, date: dt.date, name: str) -> Holiday:
    """Add a day the whole organisation does not work. One holiday per date."""
    name = _clean_holiday(tenant=tenant, date=date, name=name)
    holiday = Holiday(tenant=tenant, date=date, name=name)
    try:
        with transaction.atomic():
            holiday.save()
            audit(
                tenant=tenant,
                actor=actor,
                action="holiday.created",
                obj=holiday,
                data={"date": date.isoformat(), "name": name},
            )
            _send_calendar_changed_on_commit(
                sender=Holiday, tenant=tenant, member_ids=None, ranges=[(date, date)]
            )
    except IntegrityError as exc:
        raise _date_taken(date) from exc
    return holiday


def holiday_update(*, tenant: Tenant, actor, holiday: Holiday, date: dt.date, name: str) -> Holiday:
    """Rename a holiday or move it to another date (which must not be a holiday yet)."""
    if holiday.tenant_id != tenant.pk:
        raise Holiday.DoesNotExist
    name = _clean_holiday(tenant=tenant, date=date, name=name, exclude=holiday)
    changed = {
        field: value
        for field, value in {"date": date, "name": name}.items()
        if getattr(holiday, field) != value
    }
    if not changed:
        return holiday
    old_date = holiday.date
    try:
        with transaction.atomic():
            Holiday.objects.filter(tenant=tenant, pk=holiday.pk).update(**changed)
            audit(
                tenant=tenant,
                actor=actor,
                action="holiday.changed",
                obj=holiday,
                data={field: str(value) for field, value in changed.items()},
            )
            if "date" in changed:
                _send_calendar_changed_on_commit(
                    sender=Holiday,
                    tenant=tenant,
                    member_ids=None,
                    ranges=[(old_date, old_date), (date, date)],
                )
    except IntegrityError as exc:
        raise _date_taken(date) from exc
    for field, value in changed.items():
        setattr(holiday, field, value)
    return holiday


@transaction.atomic
def holiday_delete(*, tenant: Tenant, actor, holiday: Holiday) -> None:
    """Remove a holiday: the day becomes a work day again if it is on the work week."""
    if holiday.tenant_id != tenant.pk:
        raise Holiday.DoesNotExist
    audit(
        tenant=tenant,
        actor=actor,
        action="holiday.deleted",
        obj=holiday,
        data={"date": holiday.date.isoformat(), "name": holiday.name},
    )
    Holiday.objects.filter(tenant=tenant, pk=holiday.pk).delete()
    _send_calendar_changed_on_commit(
        sender=Holiday, tenant=tenant, member_ids=None, ranges=[(holiday.date, holiday.date)]
    )


# --- Time off -----------------------------------------------------------------


def time_off_check(
    *,
    tenant: Tenant,
    member: Membership,
    start: dt.date,
    end: dt.date,
    exclude: TimeOff | None = None,
) -> None:
    """Raise ``ValidationError`` unless ``member`` may be off from ``start`` to ``end``.

    Ranges include both ends; a member's ranges never overlap (``exclude`` is the range
    being edited). Callers that write must hold the member's row lock (see
    ``lock_member``) so a concurrent request cannot insert an overlap after this check.
    """
    if member.tenant_id != tenant.pk:
        raise ValidationError({"member": "Choose a member of this organisation."})
    errors: dict[str, str] = {}
    if not isinstance(start, dt.date):
        errors["start"] = "Enter a valid start date."
    if not isinstance(end, dt.date):
        errors["end"] = "Enter a valid end date."
    if errors:
        raise ValidationError(errors)
    if end < start:
        raise ValidationError({"end": "The end date must be on or after the start date."})
    overlapping = TimeOff.objects.filter(
        tenant=tenant, member=member, start__lte=end, end__gte=start
    ).order_by("start")
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    clash = overlapping.first()
    if clash is not None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: (
                    f"{member.name} already has time off from {readable_date(clash.start)} "
                    f"to {readable_date(clash.end)}. Change that range or pick other dates."
                )
            }
        )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason to {REASON_MAX} characters or fewer."})
    return reason


def _validate_time_off(
    *,
    tenant: Tenant,
    member: Membership,
    start: dt.date,
    end: dt.date,
    reason: str,
    exclude: TimeOff | None = None,
) -> str:
    """Check every field at once, so a form shows all its problems; return the clean reason."""
    errors: dict = {}
    try:
        reason = _clean_reason(reason)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        time_off_check(tenant=tenant, member=member, start=start, end=end, exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return reason


def lock_member(*, tenant: Tenant, member_id: int) -> None:
    """Lock the member's row until the transaction ends (call it inside one).

    A write whose check spans a member's other rows takes this lock first, so two
    concurrent requests for the same member run one after the other and the second one
    sees the first one's row: time off (no overlapping ranges) and activities (no more
    than 24 hours a day). (SQLite has no row locks; it serialises writers anyway.)
    """
    lock_members(tenant=tenant, member_ids=[member_id])


def lock_members(*, tenant: Tenant, member_ids: Iterable[int]) -> set[int]:
    """``lock_member`` for many members in one query, in primary-key order (every caller
    locks in the same order, so two of them never deadlock). Returns the ids that exist
    in ``tenant``: the lock doubles as the check that the members are its own."""
    return set(
        Membership.objects.select_for_update()
        .filter(tenant=tenant, pk__in=sorted({int(pk) for pk in member_ids}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@functools.cache
def lock_members_sql() -> str:
    """``lock_members`` as PostgreSQL text (the same rows, in the same order), for a write
    that sends it ahead of its own statement in one round trip; its parameters are
    ``tenant`` (an id) and ``members`` (an array of ids, e.g. ``array_literal``). In a
    READ COMMITTED transaction each statement reads a snapshot taken when it starts, so
    the statement after it sees every row committed while it waited."""
    table = connection.ops.quote_name(Membership._meta.db_table)
    return (
        f"SELECT id FROM {table} WHERE tenant_id = %(tenant)s "
        f"AND id = ANY(%(members)s::bigint[]) ORDER BY id FOR UPDATE"
    )


def _time_off_data(time_off: TimeOff) -> dict[str, str | int]:
    return {
        "member_id": time_off.member_id,
        "start": time_off.start.isoformat(),
        "end": time_off.end.isoformat(),
        "reason": time_off.reason,
    }


@transaction.atomic
def time_off_create(
    *,
    tenant: Tenant,
    actor,
    member: Membership,
    start: dt.date,
    end: dt.date,
    reason: str = "",
) -> TimeOff:
    """Book time off for ``member`` from ``start`` to ``end`` inclusive, never overlapping."""
    if member.tenant_id == tenant.pk:
        lock_member(tenant=tenant, member_id=member.pk)
    reason = _validate_time_off(tenant=tenant, member=member, start=start, end=end, reason=reason)
    time_off = TimeOff.objects.create(
        tenant=tenant, member=member, start=start, end=end, reason=reason
    )
    audit(
        tenant=tenant,
        actor=actor,
        action="time_off.created",
        obj=time_off,
        data=_time_off_data(time_off),
    )
    _send_calendar_changed_on_commit(
        sender=TimeOff, tenant=tenant, member_ids=[member.pk], ranges=[(start, end)]
    )
    return time_off


@transaction.atomic
def time_off_update(
    *,
    tenant: Tenant,
    actor,
    time_off: TimeOff,
    start: dt.date,
    end: dt.date,
    reason: str,
) -> TimeOff:
    """Change a time-off range's dates or reason; it still may not overlap another."""
    if time_off.tenant_id != tenant.pk:
        raise TimeOff.DoesNotExist
    lock_member(tenant=tenant, member_id=time_off.member_id)
    member = time_off.member
    reason = _validate_time_off(
        tenant=tenant, member=member, start=start, end=end, reason=reason, exclude=time_off
    )
    changed = {
        field: value
        for field, value in {"start": start, "end": end, "reason": reason}.items()
        if getattr(time_off, field) != value
    }
    if not changed:
        return time_off
    old_range = (time_off.start, time_off.end)
    TimeOff.objects.filter(tenant=tenant, pk=time_off.pk).update(**changed)
    for field, value in changed.items():
        setattr(time_off, field, value)
    audit(
        tenant=tenant,
        actor=actor,
        action="time_off.changed",
        obj=time_off,
        data={field: str(value) for field, value in changed.items()},
    )
    if "start" in changed or "end" in changed:
        _send_calendar_changed_on_commit(
            sender=TimeOff,
            tenant=tenant,
            member_ids=[member.pk],
            ranges=[old_range, (start, end)],
        )
    return time_off


@transaction.atomic
def time_off_delete(*, tenant: Tenant, actor, time_off: TimeOff) -> None:
    """Cancel a time-off range: its days count as capacity again."""
    if time_off.tenant_id != tenant.pk:
        raise TimeOff.DoesNotExist
    lock_member(tenant=tenant, member_id=time_off.member_id)
    audit(
        tenant=tenant,
        actor=actor,
        action="time_off.deleted",
        obj=time_off,
        data=_time_off_data(time_off),
    )
    TimeOff.objects.filter(tenant=tenant, pk=time_off.pk).delete()
    _send_calendar_changed_on_commit(
        sender=TimeOff,
        tenant=tenant,
        member_ids=[time_off.member_id],
        ranges=[(time_off.start, time_off.end)],
    )
