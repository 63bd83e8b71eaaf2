"""Writing the daily plan (DESIGN 4.5): suggestions, tasks added by hand, their order,
completing (with the activity logged in the same step), dismissing and reopening.

Invariants:

- a plan belongs to its member: only they add, reorder, complete, dismiss, reopen,
  change or delete its tasks (``PermissionDenied`` for anyone else, admins included:
  a plan is a personal to-do list; managers and admins read it). A task of another
  organisation is ``PlanTask.DoesNotExist``;
- suggestions (``plan_suggest``, ``plans_suggest``) are the top ``SUGGESTIONS_PER_DAY``
  accounts of the member's territories by annual potential × days since the last
  contact (``activities.selectors.plan``), less those already in the day's plan in any
  state (a dismissed suggestion is not offered again that day), plus one line with the
  gap to the day's revenue target. Suggesting again adds only accounts that entered the
  top since and refreshes the open gap line's amount: running it twice changes nothing.
  The member's row is locked first, so two runs for the same member follow each other
  (the database's partial unique constraint guards the account lines as well);
- ``position`` orders a day's tasks; new tasks go last. Reordering moves only the
  member's own open tasks of that day, into the places those tasks held; the day's
  positions are then renumbered 0, 1, 2…;
- completing a task may log its activity (``activity_create``, every check of it) in
  the same transaction: either both happen or neither. The activity is linked in
  ``PlanTask.activity``; reopening the task unlinks it and keeps the activity (it took
  place; delete it from the day's log if it did not).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quotas.models import Metric
from quotas.selectors.progress import DayTarget, day_targets
from spm.calendars.services import readable_date
from spm.inputs import DATE_WINDOW_MESSAGE, EARLIEST_DATE, LATEST_DATE
from spm.tenancy.models import Membership, Tenant
from territories.admin.common import money
from territories.models import Account

from ..models import ActivityType, PlanTask
from ..selectors.plan import members_to_plan, suggestion_frame
from .activities import activity_create

#: Accounts suggested per member and day: a morning's worth of calls.
SUGGESTIONS_PER_DAY = 10
TITLE_MAX = PlanTask._meta.get_field("title").max_length
OWN_PLAN_ONLY = "Only the plan's own member can change it."
NOT_OPEN = "Only open tasks can be moved."


@dataclass(frozen=True)
class Suggested:
    """What a suggestion run did: the account lines it added, the gap lines it added or
    refreshed."""

    added: int
    gaps: int


# --- Helpers ------------------------------------------------------------------------------


def _check_task(tenant: Tenant, actor, task: PlanTask) -> None:
    if task.tenant_id != tenant.pk:
        raise PlanTask.DoesNotExist("No such task.")
    if not (isinstance(actor, Membership) and actor.pk == task.member_id):
        raise PermissionDenied(OWN_PLAN_ONLY)


def _locked(tenant: Tenant, task: PlanTask) -> PlanTask:
    return PlanTask.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=task.pk)


def _lock_members(tenant: Tenant, member_ids: Iterable[int]) -> None:
    """Lock the members' rows in one query, in primary-key order (no deadlock)."""
    list(
        Membership.objects.select_for_update()
        .filter(tenant=tenant, pk__in=sorted(set(member_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _day_tasks(tenant: Tenant, member_id: int, date: dt.date) -> list[PlanTask]:
    return list(
        PlanTask.objects.filter(tenant=tenant, member_id=member_id, date=date).order_by(
            "position", "pk"
        )
    )


def _renumber(tasks: Sequence[PlanTask]) -> None:
    changed = []
    for position, task in enumerate(tasks):
        if task.position != position:
            task.position = position
            changed.append(task)
    if changed:
        PlanTask.objects.bulk_update(changed, ["position"])


def _title_problem(title) -> tuple[str, str]:
    if not isinstance(title, str) or not title.strip():
        return "", "Say what the task is."
    title = title.strip()
    if len(title) > TITLE_MAX:
        return "", f"A task's title holds up to {TITLE_MAX} characters."
    if "\x00" in title:
        return "", "A task's title can't contain NUL characters."
    return title, ""


def gap_title(tenant: Tenant, target: DayTarget, date: dt.date) -> str:
    """``Close $1,250.00 today to stay on your revenue target`` (or that it is met)."""
    when = "today" if date == tenant.today() else f"on {readable_date(date)}"
    if target.gap > 0:
        return f"Close {money(target.gap, tenant.currency)} {when} to stay on your revenue target"
    return (
        f"Revenue target {'for ' if when == 'today' else ''}{when} met: "
        f"{money(target.achieved, tenant.currency)} of {money(target.target, tenant.currency)}"
    )


# --- Suggestions -------------------------------------------------------------------------------


@transaction.atomic
def plans_suggest(*, tenant: Tenant, member_ids: Iterable[int], date: dt.date) -> Suggested:
    """Suggest the day's accounts and gap line to each of ``member_ids`` (see the
    module's docstring). A fixed number of queries whatever the number of members: the
    members' lock, the ranking's three reads, the day's existing tasks, the day's
    targets (four), one insert and one update."""
    member_ids = sorted({int(member_id) for member_id in member_ids})
    if not member_ids:
        return Suggested(0, 0)
    _lock_members(tenant, member_ids)
    ranked = suggestion_frame(tenant=tenant, member_ids=member_ids, date=date)
    existing = PlanTask.objects.filter(tenant=tenant, member_id__in=member_ids, date=date)
    planned: dict[int, set[int]] = defaultdict(set)
    last_position: dict[int, int] = {}
    gap_lines: dict[int, PlanTask] = {}
    for task in existing.order_by("position", "pk"):
        last_position[task.member_id] = max(last_position.get(task.member_id, -1), task.position)
        if task.account_id is not None:
            planned[task.member_id].add(task.account_id)
        if task.kind == PlanTask.Kind.TARGET_GAP and task.suggested:
            gap_lines.setdefault(task.member_id, task)
    targets = day_targets(tenant=tenant, member_ids=member_ids, day=date, metric=Metric.REVENUE)

    new: list[PlanTask] = []
    refreshed: list[PlanTask] = []

    def add(member_id: int, **fields) -> None:
        position = last_position.get(member_id, -1) + 1
        last_position[member_id] = position
        new.append(
            PlanTask(tenant=tenant, member_id=member_id, date=date, position=position, **fields)
        )

    for member_id in member_ids:
        target = targets.get(member_id)
        line = gap_lines.get(member_id)
        if target is not None and target.has_source:
            title = gap_title(tenant, target, date)
            if line is None and target.gap > 0:
                add(member_id, title=title, kind=PlanTask.Kind.TARGET_GAP, suggested=True)
            elif line is not None and line.status == PlanTask.Status.OPEN and line.title != title:
                line.title = title
                refreshed.append(line)
        top = ranked[ranked["member_id"] == member_id].head(SUGGESTIONS_PER_DAY)
        for account_id, name, score in top[["account_id", "name", "score"]].itertuples(index=False):
            if int(account_id) in planned[member_id]:
                continue
            add(
                member_id,
                title=f"Contact {name}"[:TITLE_MAX],
                kind=PlanTask.Kind.ACCOUNT,
                account_id=int(account_id),
                score=score,
                suggested=True,
            )
    if new:
        # The lock makes conflicts impossible here; ignoring them keeps a run that
        # overlapped a hand-added suggestion of the same account from failing whole.
        PlanTask.objects.bulk_create(new, ignore_conflicts=True)
    if refreshed:
        PlanTask.objects.bulk_update(refreshed, ["title"])
    new_gaps = sum(1 for task in new if task.kind == PlanTask.Kind.TARGET_GAP)
    return Suggested(added=len(new) - new_gaps, gaps=new_gaps + len(refreshed))


def plan_suggest(*, tenant: Tenant, member: Membership, date: dt.date) -> Suggested:
    """Suggest ``member``'s accounts and gap line for ``date``; idempotent (see the
    module's docstring). The "Suggest" button and the morning run call this."""
    if member.tenant_id != tenant.pk:
        raise Membership.DoesNotExist("No such member.")
    return plans_suggest(tenant=tenant, member_ids=[member.pk], date=date)


def plans_suggest_morning(*, tenant: Tenant) -> Suggested:
    """Today's suggestions, in the organisation's time zone, for every member employed
    today who works a territory."""
    today = tenant.today()
    return plans_suggest(
        tenant=tenant, member_ids=members_to_plan(tenant=tenant, date=today), date=today
    )


# --- Working the plan ----------------------------------------------------------------------------


@transaction.atomic
def plan_task_add(
    *,
    tenant: Tenant,
    actor,
    member: Membership,
    date,
    title,
    account: Account | None = None,
) -> PlanTask:
    """Add a task by hand at the end of ``member``'s plan for ``date``. Raises
    ``ValidationError`` by field (``title``, ``date``, ``account``) or
    ``PermissionDenied`` (only one's own plan)."""
    if member.tenant_id != tenant.pk:
        raise Membership.DoesNotExist("No such member.")
    if not (isinstance(actor, Membership) and actor.pk == member.pk):
        raise PermissionDenied(OWN_PLAN_ONLY)
    errors: dict[str, list[str]] = defaultdict(list)
    title, message = _title_problem(title)
    if message:
        errors["title"].append(message)
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date.strip())
        except ValueError:
            date = None
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors["date"].append("Enter a date as YYYY-MM-DD.")
    elif not EARLIEST_DATE <= date <= LATEST_DATE:
        errors["date"].append(DATE_WINDOW_MESSAGE)
    if account is not None and account.tenant_id != tenant.pk:
        errors["account"].append("No such account in this organisation.")
    if errors:
        raise ValidationError(dict(errors))
    _lock_members(tenant, [member.pk])
    tasks = _day_tasks(tenant, member.pk, date)
    return PlanTask.objects.create(
        tenant=tenant,
        member=member,
        date=date,
        title=title,
        kind=PlanTask.Kind.ACCOUNT if account is not None else PlanTask.Kind.CUSTOM,
        account=account,
        position=max((task.position for task in tasks), default=-1) + 1,
        suggested=False,
    )


@transaction.atomic
def plan_tasks_reorder(
    *, tenant: Tenant, actor, member: Membership, date: dt.date, ids: Sequence
) -> list[PlanTask]:
    """Put the open tasks ``ids`` of ``member``'s plan for ``date`` in that order, in
    the places they held (the others stay where they are); returns the day's tasks in
    their new order. ``ids`` may name a few of the day's open tasks (a swap) or all of
    them; naming anything else (another day's, someone else's, a done or dismissed task,
    an id twice) is a ``ValidationError`` on ``ids`` and changes nothing."""
    if member.tenant_id != tenant.pk:
        raise Membership.DoesNotExist("No such member.")
    if not (isinstance(actor, Membership) and actor.pk == member.pk):
        raise PermissionDenied(OWN_PLAN_ONLY)
    wanted: list[int] = []
    for value in ids:
        try:
            wanted.append(int(str(value).strip()))
        except (TypeError, ValueError):
            raise ValidationError({"ids": ["Give the tasks' ids, as whole numbers."]}) from None
    if not wanted:
        raise ValidationError({"ids": ["Give the tasks to put in order."]})
    if len(set(wanted)) != len(wanted):
        raise ValidationError({"ids": ["Name each task once."]})
    _lock_members(tenant, [member.pk])
    tasks = _day_tasks(tenant, member.pk, date)
    open_ids = {task.pk for task in tasks if task.status == PlanTask.Status.OPEN}
    if not set(wanted) <= open_ids:
        raise ValidationError(
            {"ids": [f"Only your own open tasks of {readable_date(date)} can be put in order."]}
        )
    by_id = {task.pk: task for task in tasks}
    moved, slots = set(wanted), iter(wanted)
    ordered = [by_id[next(slots)] if task.pk in moved else task for task in tasks]
    _renumber(ordered)
    return ordered


def plan_task_move(*, tenant: Tenant, actor, task: PlanTask, offset: int) -> list[PlanTask]:
    """Move an open task ``offset`` places among the day's open tasks (−1 up, +1 down);
    at either end it stays. Returns the day's tasks in order."""
    _check_task(tenant, actor, task)
    with transaction.atomic():
        _lock_members(tenant, [task.member_id])
        tasks = _day_tasks(tenant, task.member_id, task.date)
        open_ids = [t.pk for t in tasks if t.status == PlanTask.Status.OPEN]
        if task.pk not in open_ids:
            raise ValidationError({"position": [NOT_OPEN]})
        index = open_ids.index(task.pk)
        other = index + offset
        if not 0 <= other < len(open_ids):
            return tasks
        open_ids[index], open_ids[other] = open_ids[other], open_ids[index]
        return plan_tasks_reorder(
            tenant=tenant, actor=actor, member=task.member, date=task.date, ids=open_ids
        )


@transaction.atomic
def plan_task_complete(
    *,
    tenant: Tenant,
    actor,
    task: PlanTask,
    log: bool = False,
    type: ActivityType | None = None,
    duration_minutes=None,
    notes: str = "",
) -> PlanTask:
    """Mark an open task done; with ``log``, log its activity (``type``, minutes (the
    type's default when not given), on the task's day and account, the task's title as
    notes unless ``notes`` are given) through
    ``activity_create`` in the same transaction, and link it. Raises ``ValidationError``
    (the activity's fields: ``type``, ``duration_minutes``, ``date``…; ``status`` for a
    task that is not open) and changes nothing then."""
    _check_task(tenant, actor, task)
    current = _locked(tenant, task)
    if current.status != PlanTask.Status.OPEN:
        raise ValidationError({"status": ["This task is not open: reopen it first."]})
    if log:
        if type is None:
            raise ValidationError({"type": ["Choose the activity's type."]})
        if duration_minutes is None or duration_minutes == "":
            duration_minutes = type.default_duration  # The type's usual minutes.
        current.activity = activity_create(
            tenant=tenant,
            actor=actor,
            member=actor,
            type=type,
            date=current.date,
            duration_minutes=duration_minutes,
            account=current.account,
            notes=notes or current.title,
        )
    current.status = PlanTask.Status.DONE
    current.completed_at = timezone.now()
    current.save(update_fields=["status", "completed_at", "activity"])
    return current


@transaction.atomic
def plan_task_dismiss(*, tenant: Tenant, actor, task: PlanTask) -> PlanTask:
    """Set an open task aside for the day (a dismissed suggestion is not offered again
    that day)."""
    _check_task(tenant, actor, task)
    current = _locked(tenant, task)
    if current.status != PlanTask.Status.OPEN:
        raise ValidationError({"status": ["This task is not open: reopen it first."]})
    current.status = PlanTask.Status.DISMISSED
    current.save(update_fields=["status"])
    return current


@transaction.atomic
def plan_task_reopen(*, tenant: Tenant, actor, task: PlanTask) -> PlanTask:
    """Open a done or dismissed task again; a logged activity stays logged, unlinked."""
    _check_task(tenant, actor, task)
    current = _locked(tenant, task)
    if current.status == PlanTask.Status.OPEN:
        return current
    current.status = PlanTask.Status.OPEN
    current.completed_at = None
    current.activity = None
    current.save(update_fields=["status", "completed_at", "activity"])
    return current


@transaction.atomic
def plan_task_update(
    *,
    tenant: Tenant,
    actor,
    task: PlanTask,
    title=None,
    status: str | None = None,
    position: int | None = None,
) -> PlanTask:
    """Change a task's title, status (open, done or dismissed: as reopening, completing
    without logging, dismissing) or place (``position``: its index among the day's
    tasks, an open task only). ``None`` leaves a field as it is."""
    _check_task(tenant, actor, task)
    current = _locked(tenant, task)
    errors: dict[str, list[str]] = {}
    if title is not None:
        title, message = _title_problem(title)
        if message:
            errors["title"] = [message]
    if status is not None and status not in PlanTask.Status.values:
        errors["status"] = [f"Choose a status among {', '.join(PlanTask.Status.values)}."]
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        errors["position"] = ["Give the position as a whole number."]
    elif position is not None and position < 0:
        errors["position"] = ["A position is 0 or more."]
    if errors:
        raise ValidationError(errors)
    if title is not None and title != current.title:
        current.title = title
        current.save(update_fields=["title"])
    if status is not None and status != current.status:
        if status == PlanTask.Status.OPEN:
            current = plan_task_reopen(tenant=tenant, actor=actor, task=current)
        elif current.status != PlanTask.Status.OPEN:
            raise ValidationError({"status": ["This task is not open: reopen it first."]})
        elif status == PlanTask.Status.DONE:
            current = plan_task_complete(tenant=tenant, actor=actor, task=current)
        else:
            current = plan_task_dismiss(tenant=tenant, actor=actor, task=current)
    if position is not None:
        if current.status != PlanTask.Status.OPEN:
            raise ValidationError({"position": [NOT_OPEN]})
        _lock_members(tenant, [current.member_id])
        tasks = [
            t for t in _day_tasks(tenant, current.member_id, current.date) if t.pk != current.pk
        ]
        tasks.insert(min(position, len(tasks)), current)
        _renumber(tasks)
    current.refresh_from_db()
    return current


@transaction.atomic
def plan_task_delete(*, tenant: Tenant, actor, task: PlanTask) -> None:
    """Delete a task the member added by hand; suggestions are dismissed instead (so
    they are not offered again that day)."""
    _check_task(tenant, actor, task)
    current = _locked(tenant, task)
    if current.suggested:
        raise ValidationError(
            {"suggested": ["A suggestion is dismissed, not deleted: it stays set aside today."]}
        )
    current.delete()
