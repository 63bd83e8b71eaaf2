"""Logging activities: one at a time, many at once, changing and deleting them.

Invariants:

- an activity's member, type and account belong to the organisation; a new activity's
  type is active (an activity keeps an inactive type it already had);
- its duration is a whole number of minutes from 1 to 1,440, and a member's minutes on
  one day never exceed 24 hours: every write takes the member's row lock
  (``spm.calendars.services.lock_member``) before adding up the day, so two concurrent
  requests for the same member run one after the other and the second sees the first;
- its date is not after today in the organisation's time zone, and within the accepted
  dates;
- who writes: every member logs their own activities; admins change or delete anyone's
  (a correction); managers read their reporting tree's but write only their own. Nobody
  logs a new activity for someone else, admins included, except through the admin's CSV
  import, which says so with ``on_behalf=True`` (``may_write``): only an organisation's
  admin or the platform superuser may pass it, anyone else is refused whatever the rows;
- ``version`` counts changes; a caller naming a stale one gets ``StaleVersion``;
- bulk writes are all or nothing and name the index and field of each problem;
- after the commit, attainment is recomputed for the members and months whose activities
  changed (the ``activities`` metric counts selling activities): one request per call,
  debounced by quotas.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Sum

from quotas.models import Metric
from quotas.services import attainment_schedule
from spm.calendars.services import lock_member, lock_members, readable_date
from spm.inputs import DATE_WINDOW_MESSAGE, EARLIEST_DATE, LATEST_DATE
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.services import audit
from spm.tenancy.versioning import StaleVersion
from territories.models import Account

from ..models import MINUTES_PER_DAY, Activity, ActivityType
from . import checked_insert
from .checked_insert import NewActivity

NOTES_MAX = Activity._meta.get_field("notes").max_length
OWN_ONLY = "You can log and change only your own activities."
LOG_OWN_ONLY = (
    "Activities are logged by their own member; an admin may correct them afterwards, "
    "or import them from a CSV file."
)
ON_BEHALF_ADMINS = "Only an organisation's admin imports activities for other people."
DURATION_MESSAGE = "Enter a whole number of minutes from 1 to 1,440 (24 hours)."
FUTURE_MESSAGE = "Activities can be logged up to today, not for a later day."


def hours_and_minutes(minutes: int) -> str:
    """``95`` → ``"1 h 35 min"``; ``60`` → ``"1 h"``; ``20`` → ``"20 min"``."""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


@dataclass(frozen=True)
class ActivityRow:
    """One activity to log, as the API's bulk create and the CSV import give it: ids are
    checked against the organisation, values are checked like a form's."""

    member_id: int
    type_id: Any
    date: Any
    duration_minutes: Any
    account_id: Any = None
    notes: Any = ""


class ActivityRowsInvalid(ValidationError):
    """Some rows of a bulk write are wrong: ``rows`` maps each bad row's index to its
    fields' messages. Nothing was written."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = rows
        count = len(rows)
        super().__init__(f"{count} row{'s' if count != 1 else ''} could not be logged.")


# --- Who may write ----------------------------------------------------------------------


def may_write(
    actor: Membership | Any, member_id: int, *, new: bool = False, on_behalf: bool = False
) -> bool:
    """Who may write ``member_id``'s activities.

    Members write their own. A change or deletion of someone else's (a correction) is for
    admins and the platform superuser (a ``User`` in the admin site). A ``new`` activity
    for someone else is logged only ``on_behalf`` of them, which only the admin's CSV
    import asks for, and only an admin or the platform superuser may ask it."""
    if isinstance(actor, Membership) and actor.pk == member_id:
        return True
    if new and not on_behalf:
        return False
    return is_admin(actor)


def is_admin(actor: Membership | Any) -> bool:
    """An organisation's admin, or the platform superuser."""
    if not isinstance(actor, Membership):
        return bool(getattr(actor, "is_superuser", False))
    return actor.role == Role.ADMIN


def _actor_user(actor):
    return actor.user if isinstance(actor, Membership) else actor


# --- Checks -----------------------------------------------------------------------------


def _duration_problem(value) -> tuple[int | None, str]:
    if isinstance(value, bool):
        return None, DURATION_MESSAGE
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None, DURATION_MESSAGE
    if not 1 <= minutes <= MINUTES_PER_DAY:
        return None, DURATION_MESSAGE
    return minutes, ""


def _date_problem(value, today: dt.date) -> tuple[dt.date | None, str]:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return None, "Enter a date as YYYY-MM-DD."
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        return None, "Enter a date as YYYY-MM-DD."
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        return None, DATE_WINDOW_MESSAGE
    if value > today:
        return None, FUTURE_MESSAGE
    return value, ""


def _over_a_day(day: dt.date, logged: int, adding: int) -> str:
    return (
        f"That would make {hours_and_minutes(logged + adding)} on {readable_date(day)}; "
        f"a day holds 24 hours and {hours_and_minutes(logged)} is logged already."
    )


def _minutes_logged(
    tenant: Tenant, member_days: Iterable[tuple[int, dt.date]], exclude: Iterable[int] = ()
) -> dict[tuple[int, dt.date], int]:
    """Minutes already logged per (member, day), in one query, leaving out ``exclude``."""
    pairs = set(member_days)
    if not pairs:
        return {}
    members = sorted({member_id for member_id, _ in pairs})
    days = sorted({day for _, day in pairs})
    rows = (
        Activity.objects.filter(
            tenant=tenant, member_id__in=members, date__gte=days[0], date__lte=days[-1]
        )
        .exclude(pk__in=list(exclude))
        .order_by()
        .values_list("member_id", "date")
        .annotate(total=Sum("duration_minutes"))
    )
    return {(member_id, day): total for member_id, day, total in rows if (member_id, day) in pairs}


def _schedule_attainment(tenant: Tenant, changed: Iterable[tuple[int, dt.date, bool]]) -> None:
    """Ask quotas to recompute the attainment of the members and months of ``changed``
    (member, day, whether the activity was selling time): only selling activities count
    (the ``activities`` metric), and quotas sends nothing unless some quota of those
    months is on that metric."""
    selling = [(member_id, day) for member_id, day, is_selling in changed if is_selling]
    if selling:
        attainment_schedule(
            tenant=tenant,
            member_ids=[member_id for member_id, _ in selling],
            days=[day for _, day in selling],
            metric=Metric.ACTIVITIES,
        )


# --- Writes ---------------------------------------------------------------------------------


ROW_FIELDS = ("member_id", "type_id", "account_id", "duration_minutes", "date", "notes")


def _parse(row: ActivityRow, today: dt.date) -> tuple[NewActivity, dict[str, list[str]]]:
    """``row``'s values and the problems of their form, by field: what needs no query."""
    errors: dict[str, list[str]] = defaultdict(list)
    minutes, message = _duration_problem(row.duration_minutes)
    if message:
        errors["duration_minutes"].append(message)
    day, message = _date_problem(row.date, today)
    if message:
        errors["date"].append(message)
    notes = row.notes if row.notes is not None else ""
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        errors["notes"].append(f"Notes hold up to {NOTES_MAX:,} characters.")
    elif "\x00" in notes:
        errors["notes"].append("Notes can't contain NUL characters.")
    account_id = _as_id(row.account_id)
    if row.account_id not in (None, "") and account_id is None:
        account_id = -1  # Given, but not an id: no account has it.
    parsed = NewActivity(
        member_id=row.member_id,
        type_id=_as_id(row.type_id),
        account_id=account_id,
        date=day,
        minutes=minutes,
        notes=notes.strip() if isinstance(notes, str) else "",
    )
    return parsed, errors


@transaction.atomic
def activities_create_many(
    *,
    tenant: Tenant,
    actor,
    rows: Sequence[ActivityRow],
    source: str = Activity.Source.API,
    on_behalf: bool = False,
    types: Mapping[int, ActivityType] | None = None,
) -> list[Activity]:
    """Log every row or none: raises ``ActivityRowsInvalid`` naming each bad row's index
    and field, ``PermissionDenied`` when a row is for someone the actor may not log for.
    A fixed number of queries, whatever the number of rows. ``types`` are the rows'
    activity types by id when the caller has just read them (a form), so they are not
    read again.

    Rows are the actor's own, unless ``on_behalf`` is set: the admin's CSV import logs
    for the organisation's members with it, and it is refused (``PermissionDenied``) to
    anyone but an admin or the platform superuser.

    On PostgreSQL, rows whose form is right are locked and written in one round trip by
    a statement that checks the rest itself (``checked_insert``): the usual request's
    transaction sends nothing else. When it refuses them, or on SQLite, the rows are
    checked here one by one against the organisation, to name each problem."""
    if on_behalf and not is_admin(actor):
        raise PermissionDenied(ON_BEHALF_ADMINS)
    today = tenant.today()
    for row in rows:
        if not may_write(actor, row.member_id, new=True, on_behalf=on_behalf):
            raise PermissionDenied(OWN_ONLY if not is_admin(actor) else LOG_OWN_ONLY)
    parsed = [_parse(row, today) for row in rows]
    values = [value for value, _ in parsed]
    if checked_insert.available() and not any(errors for _, errors in parsed):
        written = checked_insert.insert(tenant=tenant, rows=values, source=source)
        if written is not None:
            _schedule_attainment(
                tenant,
                (
                    (value.member_id, value.date, selling)
                    for value, selling in zip(values, written.selling, strict=True)
                ),
            )
            return _saved(tenant, values, written, source, types)
    members = lock_members(tenant=tenant, member_ids={row.member_id for row in rows})
    return _check_and_create(tenant, parsed, members, source, types)


def _saved(
    tenant: Tenant,
    values: list[NewActivity],
    written: checked_insert.Written,
    source: str,
    types: Mapping[int, ActivityType] | None,
) -> list[Activity]:
    """The activities ``checked_insert`` wrote, as if read back (no query)."""
    saved = []
    for value, pk in zip(values, written.ids, strict=True):
        activity = Activity(
            pk=pk,
            tenant=tenant,
            member_id=value.member_id,
            type_id=value.type_id,
            account_id=value.account_id,
            date=value.date,
            duration_minutes=value.minutes,
            notes=value.notes,
            source=source,
            version=1,
            created_at=written.at,
            updated_at=written.at,
        )
        activity._state.adding = False
        activity._state.db = connection.alias
        if types is not None and value.type_id in types:
            activity.type = types[value.type_id]
        saved.append(activity)
    return saved


def _check_and_create(
    tenant: Tenant,
    parsed: list[tuple[NewActivity, dict[str, list[str]]]],
    members: set[int],
    source: str,
    types: Mapping[int, ActivityType] | None,
) -> list[Activity]:
    """Check every row against the organisation, name each problem by row and field, and
    write them all when there is none."""
    type_ids = {value.type_id for value, _ in parsed} - {None}
    if types is None or not type_ids <= set(types):
        types = ActivityType.objects.filter(tenant=tenant).in_bulk(sorted(type_ids))
    account_ids = {value.account_id for value, _ in parsed} - {None}
    accounts = set(
        Account.objects.filter(tenant=tenant, pk__in=sorted(account_ids)).values_list(
            "pk", flat=True
        )
    )

    problems: dict[int, dict[str, list[str]]] = {}
    valid: list[tuple[int, Activity]] = []
    for index, (value, form_errors) in enumerate(parsed):
        errors = defaultdict(list, form_errors)
        if value.member_id not in members:
            errors["member_id"].append("No such member in this organisation.")
        kind = types.get(value.type_id) if value.type_id is not None else None
        if kind is None:
            errors["type_id"].append("Choose one of the organisation's activity types.")
        elif not kind.active:
            errors["type_id"].append(f"The type “{kind.name}” is no longer in use.")
        if value.account_id is not None and value.account_id not in accounts:
            errors["account_id"].append("No such account in this organisation.")
        if errors:
            problems[index] = errors
            continue
        valid.append(
            (
                index,
                Activity(
                    tenant=tenant,
                    member_id=value.member_id,
                    type=kind,
                    account_id=value.account_id,
                    date=value.date,
                    duration_minutes=value.minutes,
                    notes=value.notes,
                    source=source,
                ),
            )
        )

    logged = _minutes_logged(tenant, ((a.member_id, a.date) for _, a in valid))
    for index, activity in valid:
        key = (activity.member_id, activity.date)
        already = logged.get(key, 0)
        if already + activity.duration_minutes > MINUTES_PER_DAY:
            problems.setdefault(index, defaultdict(list))["duration_minutes"].append(
                _over_a_day(activity.date, already, activity.duration_minutes)
            )
        logged[key] = already + activity.duration_minutes

    if problems:
        raise ActivityRowsInvalid(
            {
                index: {field: errors[field] for field in ROW_FIELDS if errors.get(field)}
                for index, errors in sorted(problems.items())
            }
        )
    created = Activity.objects.bulk_create([activity for _, activity in valid])
    _schedule_attainment(tenant, ((a.member_id, a.date, a.type.is_selling) for a in created))
    return created


def _as_id(value) -> int | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return -1  # Not an id: no row has it.
    return number if 0 < number < 2**63 else -1


def activity_create(
    *,
    tenant: Tenant,
    actor,
    member: Membership,
    type: ActivityType,
    date: dt.date,
    duration_minutes: int,
    account: Account | None = None,
    notes: str = "",
    source: str = Activity.Source.WEB,
) -> Activity:
    """Log one activity. Raises ``ValidationError`` by field (the model's field names:
    ``type``, ``account``, ``date``, ``duration_minutes``, ``notes``) or
    ``PermissionDenied``."""
    row = ActivityRow(
        member_id=member.pk if member.tenant_id == tenant.pk else -1,
        type_id=type.pk if type is not None and type.tenant_id == tenant.pk else -1,
        account_id=(
            None if account is None else account.pk if account.tenant_id == tenant.pk else -1
        ),
        date=date,
        duration_minutes=duration_minutes,
        notes=notes,
    )
    try:
        (activity,) = activities_create_many(
            tenant=tenant,
            actor=actor,
            rows=[row],
            source=source,
            types={type.pk: type} if type is not None and type.tenant_id == tenant.pk else None,
        )
    except ActivityRowsInvalid as invalid:
        raise ValidationError(_model_fields(invalid.rows[0])) from None
    return activity


def _model_fields(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Bulk rows name ids (``type_id``); a single write names the model's fields."""
    rename = {"type_id": "type", "account_id": "account", "member_id": "member"}
    return {rename.get(name, name): messages for name, messages in errors.items()}


def _locked(tenant: Tenant, activity: Activity) -> Activity:
    if activity.tenant_id != tenant.pk:
        raise Activity.DoesNotExist("No such activity.")
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("type")
        .get(tenant=tenant, pk=activity.pk)
    )


@transaction.atomic
def activity_update(
    *,
    tenant: Tenant,
    actor,
    activity: Activity,
    type: ActivityType,
    date: dt.date,
    duration_minutes: int,
    account: Account | None = None,
    notes: str = "",
    version: int | None = None,
) -> Activity:
    """Change an activity (its member stays). Same checks and errors as
    ``activity_create``; a stale ``version`` raises ``StaleVersion``."""
    if activity.tenant_id != tenant.pk:
        raise Activity.DoesNotExist("No such activity.")
    if not may_write(actor, activity.member_id):
        raise PermissionDenied(OWN_ONLY)
    lock_member(tenant=tenant, member_id=activity.member_id)
    current = _locked(tenant, activity)
    if version is not None and version != current.version:
        raise StaleVersion(current)
    errors: dict[str, list[str]] = defaultdict(list)
    if type is None or type.tenant_id != tenant.pk:
        errors["type"].append("Choose one of the organisation's activity types.")
    elif not type.active and type.pk != current.type_id:
        errors["type"].append(f"The type “{type.name}” is no longer in use.")
    if account is not None and account.tenant_id != tenant.pk:
        errors["account"].append("No such account in this organisation.")
    minutes, message = _duration_problem(duration_minutes)
    if message:
        errors["duration_minutes"].append(message)
    # An activity logged for a past day stays where it is even after the window moves.
    day, message = _date_problem(date, max(tenant.today(), current.date))
    if message:
        errors["date"].append(message)
    notes = notes or ""
    if len(notes) > NOTES_MAX:
        errors["notes"].append(f"Notes hold up to {NOTES_MAX:,} characters.")
    if not errors:
        already = _minutes_logged(tenant, [(current.member_id, day)], exclude=[current.pk]).get(
            (current.member_id, day), 0
        )
        if already + minutes > MINUTES_PER_DAY:
            errors["duration_minutes"].append(_over_a_day(day, already, minutes))
    if errors:
        raise ValidationError(dict(errors))
    changed = [
        (current.member_id, current.date, current.type.is_selling),
        (current.member_id, day, type.is_selling),
    ]
    current.type, current.account = type, account
    current.date, current.duration_minutes, current.notes = day, minutes, notes.strip()
    current.version += 1
    current.save()
    _schedule_attainment(tenant, changed)
    return current


@transaction.atomic
def activity_delete(*, tenant: Tenant, actor, activity: Activity, version: int | None = None):
    """Delete an activity logged by mistake; audited when someone else's is deleted."""
    if activity.tenant_id != tenant.pk:
        raise Activity.DoesNotExist("No such activity.")
    if not may_write(actor, activity.member_id):
        raise PermissionDenied(OWN_ONLY)
    current = _locked(tenant, activity)
    if version is not None and version != current.version:
        raise StaleVersion(current)
    if not (isinstance(actor, Membership) and actor.pk == current.member_id):
        audit(
            tenant=tenant,
            actor=_actor_user(actor),
            action="activity.deleted",
            obj=current,
            data={
                "member_id": current.member_id,
                "date": current.date.isoformat(),
                "type": current.type.name,
                "duration_minutes": current.duration_minutes,
            },
        )
    current.delete()
    _schedule_attainment(tenant, [(current.member_id, current.date, current.type.is_selling)])
