"""Setting, publishing, acknowledging, copying and deleting quotas (DESIGN 4.2).

Invariants:

- one quota per (member, month, metric); ``month`` is the month's first day (any day of
  the month is accepted and stands for its month);
- ``amount`` is 0 to ``MAX_AMOUNT`` in the metric's unit (cents for revenue, whole
  deals and activities); ``ramp_pct`` is 0–100 with at most two decimals; the member is
  employed on at least one day of the month;
- admins set quotas for everyone; managers for their reporting tree, direct and
  indirect, but not for themselves (their own quota is their manager's to set); reps
  set none and acknowledge their own;
- ``version`` counts changes of the figures (amount and ramp): each one raises it by
  one and appends one ``QuotaChange``, never an ``AuditEvent`` (a season of grid edits
  must not flood the admins' recent activity); a save that changes nothing writes
  nothing. A caller that names the version it read gets ``StaleVersion`` when someone
  moved it on meanwhile; version 0 means "I saw no quota there". Publishing and
  acknowledging change the status, not the figures, so they leave ``version`` (and the
  stored targets, ``rolled_down_version``) alone;
- editing a published or acknowledged quota keeps it published (an acknowledged one must
  be acknowledged again: the rep agrees to the new figure) and tells its member;
- nothing is written unless everything is valid; rolldown is scheduled once per call,
  on commit, for exactly the quotas whose figures moved.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import audit
from spm.tenancy.tasks_base import enqueue_on_commit
from spm.tenancy.versioning import STALE_MESSAGE, StaleVersion, check_version

from ..models import Metric, Quota, QuotaChange
from ._common import (
    CHUNK,
    MY_QUOTA_URL,
    ROLLDOWN_TASK,
    Acting,
    acting,
    add_months,
    amount_problem,
    first_of_month,
    month_end,
    month_key,
    month_label,
    month_problem,
    parse_decimal,
    quantize,
    unit_of,
    update_rows,
)

OWN_QUOTA = "Your own quota is set by your manager."
HUNDRED = Decimal(100)
# Copying last year: a change below -100% would make negative quotas; above +1000% is a
# typing mistake far more often than a plan.
PERCENT_CHANGE_RANGE = (Decimal(-100), Decimal(1000))

CellKey = tuple[int, dt.date, str]  # (member id, month's first day, metric)


@dataclass(frozen=True)
class QuotaCell:
    """One cell of the grid: the quota of ``member_id`` for ``month`` on ``metric``.

    ``amount`` and ``ramp_pct`` may be ``Decimal``, ``int`` or text as typed ("12,500");
    ``ramp_pct=None`` keeps the stored ramp (100% for a new quota). ``version`` is the
    version the caller read: ``None`` for no check, 0 for "there was no quota".
    """

    member_id: int
    month: dt.date
    metric: str
    amount: Any
    ramp_pct: Any = None
    version: int | None = None

    @property
    def key(self) -> CellKey:
        month = first_of_month(self.month) if isinstance(self.month, dt.date) else self.month
        return (self.member_id, month, self.metric)


def cell_label(key: CellKey) -> str:
    """A cell's key as text: ``"<member id>/<YYYY-MM>/<metric>"``."""
    member_id, month, metric = key
    shown = month_key(month) if isinstance(month, dt.date) else str(month)
    return f"{member_id}/{shown}/{metric}"


class QuotaCellsInvalid(ValidationError):
    """Nothing was saved. ``cells`` maps each refused cell's key to its messages by field
    (``member``, ``month``, ``metric``, ``amount``, ``ramp_pct``, ``version``);
    ``stale`` maps the cells someone else changed meanwhile to their quota as it is now,
    so a grid can show the current value beside the message."""

    def __init__(
        self,
        cells: dict[CellKey, dict[str, list[str]]],
        stale: dict[CellKey, Quota] | None = None,
    ) -> None:
        self.cells = cells
        self.stale = stale or {}
        super().__init__(
            {
                cell_label(key): [message for messages in fields.values() for message in messages]
                for key, fields in cells.items()
            }
        )


# --- Checking cells ----------------------------------------------------------------------


def _employment_problem(member: Membership, month: dt.date) -> str:
    if member.start_date > month_end(month):
        return f"{member.name} starts on {member.start_date:%d %B %Y}, after {month_label(month)}."
    if member.end_date is not None and member.end_date < month:
        return f"{member.name} left on {member.end_date:%d %B %Y}, before {month_label(month)}."
    return ""


def _cell_problems(
    cell: QuotaCell, member: Membership | None, who: Acting
) -> tuple[dict[str, list[str]], Decimal | None, Decimal | None]:
    """Messages by field for one cell, and its clean amount and ramp (when valid)."""
    problems: dict[str, list[str]] = defaultdict(list)
    if member is None:
        problems["member"].append("Choose a member of this organisation.")
    elif not who.may_write_for(member.pk):
        problems["member"].append(who.refusal(member, own=OWN_QUOTA))
    if (problem := month_problem(cell.month)) or (
        member is not None and (problem := _employment_problem(member, cell.key[1]))
    ):
        problems["month"].append(problem)
    amount = ramp = None
    if cell.metric not in Metric.values:
        problems["metric"].append(f"Choose one of {', '.join(Metric.values)}.")
    else:
        unit = unit_of(cell.metric)
        amount = parse_decimal(cell.amount)
        if problem := amount_problem(amount, unit, unit_name=Metric(cell.metric).label.lower()):
            problems["amount"].append(problem)
            amount = None
        else:
            amount = quantize(amount, unit)
    if cell.ramp_pct is not None:
        ramp = parse_decimal(cell.ramp_pct)
        if ramp is None or not 0 <= ramp <= HUNDRED:
            problems["ramp_pct"].append("Enter a ramp between 0 and 100 (%).")
            ramp = None
        elif ramp % Decimal("0.01"):
            problems["ramp_pct"].append("Use at most 2 decimal places.")
            ramp = None
        else:
            ramp = ramp.quantize(Decimal("0.01"))
    return dict(problems), amount, ramp


def _members(tenant: Tenant, ids: Iterable[int]) -> dict[int, Membership]:
    ids = sorted({pk for pk in ids if isinstance(pk, int)})
    found: dict[int, Membership] = {}
    for start in range(0, len(ids), CHUNK):
        found.update(
            (member.pk, member)
            for member in Membership.objects.filter(
                tenant=tenant, pk__in=ids[start : start + CHUNK]
            ).select_related("user")
        )
    return found


def _existing(tenant: Tenant, keys: Sequence[CellKey], *, lock: bool) -> dict[CellKey, Quota]:
    """The stored quotas of ``keys``, locked in primary-key order when ``lock`` (two grids
    saving overlapping cells serialise instead of deadlocking)."""
    wanted = set(keys)
    member_ids = sorted({key[0] for key in wanted})
    months = sorted({key[1] for key in wanted})
    metrics = sorted({key[2] for key in wanted})
    found: dict[CellKey, Quota] = {}
    for start in range(0, len(member_ids), CHUNK):
        quotas = (
            Quota.objects.filter(
                tenant=tenant,
                member_id__in=member_ids[start : start + CHUNK],
                month__in=months,
                metric__in=metrics,
            )
            .select_related("member__user")
            .order_by("pk")
        )
        if lock:
            quotas = quotas.select_for_update(of=("self",))
        for quota in quotas:
            key = (quota.member_id, quota.month, quota.metric)
            if key in wanted:
                found[key] = quota
    return found


@dataclass
class _Checked:
    cells: list[QuotaCell]
    members: dict[int, Membership]
    amounts: dict[CellKey, Decimal]
    ramps: dict[CellKey, Decimal | None]
    problems: dict[CellKey, dict[str, list[str]]]


def _check(tenant: Tenant, who: Acting, cells: Sequence[QuotaCell]) -> _Checked:
    members = _members(tenant, (cell.member_id for cell in cells))
    checked = _Checked(list(cells), members, {}, {}, {})
    for cell in cells:
        key = cell.key
        if key in checked.amounts or key in checked.problems:
            checked.problems.setdefault(key, {}).setdefault(NON_FIELD_ERRORS, []).append(
                "This cell is given twice."
            )
            continue
        problems, amount, ramp = _cell_problems(cell, members.get(cell.member_id), who)
        if problems:
            checked.problems[key] = problems
        else:
            checked.amounts[key], checked.ramps[key] = amount, ramp
    return checked


def quota_check(
    *,
    tenant: Tenant,
    actor,
    member: Membership,
    month: dt.date,
    metric: str,
    amount,
    ramp_pct=None,
) -> None:
    """Raise ``ValidationError`` by field unless ``actor`` may save these values (the
    admin form calls it to show the same messages as the grid and the API)."""
    who = acting(tenant=tenant, actor=actor)
    if member.tenant_id != tenant.pk:
        raise ValidationError({"member": "Choose a member of this organisation."})
    cell = QuotaCell(member.pk, month, metric, amount, ramp_pct)
    problems, _, _ = _cell_problems(cell, member, who)
    if problems:
        raise ValidationError(problems)


# --- Saving cells ----------------------------------------------------------------------


def _text(value) -> str | None:
    return None if value is None else str(value)


def _change(tenant: Tenant, quota: Quota, action: str, changes: dict, who: Acting) -> QuotaChange:
    """One history row, built from ids (a grid's hundreds of rows stay cheap to build)."""
    return QuotaChange(
        tenant_id=tenant.pk,
        quota_id=quota.pk,
        action=action,
        changes=changes,
        changed_by_id=getattr(who.user, "pk", None),
    )


def _key_of(quota: Quota) -> CellKey:
    return (quota.member_id, quota.month, quota.metric)


def quota_metrics_note(tenant: Tenant, metrics: Iterable[str]) -> None:
    """Add ``metrics`` to the organisation's ``quota_metrics`` (inside the transaction
    creating their quotas), on ``tenant`` too. The tenant's row is locked only when a
    metric is new to it, which happens at most once per metric."""
    if set(metrics) <= set(tenant.quota_metrics):
        return
    locked = Tenant.objects.select_for_update().only("quota_metrics").get(pk=tenant.pk)
    tenant.quota_metrics = sorted({*locked.quota_metrics, *metrics})
    Tenant.objects.filter(pk=tenant.pk).update(quota_metrics=tenant.quota_metrics)


def _save(tenant: Tenant, who: Acting, cells: Sequence[QuotaCell]) -> list[Quota]:
    """Check every cell, then write them all or raise ``QuotaCellsInvalid``. The caller
    holds the transaction. A constant number of queries whatever the number of cells."""
    checked = _check(tenant, who, cells)
    keys = list(checked.amounts)
    existing = _existing(tenant, keys, lock=True) if keys else {}
    stale: dict[CellKey, Quota] = {}
    for cell in cells:
        key = cell.key
        if key not in checked.amounts or cell.version is None:
            continue
        quota = existing.get(key)
        if quota is None:
            if cell.version != 0:
                checked.problems[key] = {
                    "version": ["This quota was deleted since you read it: reload and try again."]
                }
        elif cell.version != quota.version:
            stale[key] = quota
            checked.problems[key] = {"version": [STALE_MESSAGE]}
    if checked.problems:
        raise QuotaCellsInvalid(checked.problems, stale)

    now = timezone.now()
    created: list[Quota] = []
    changed: list[Quota] = []
    history: list[QuotaChange] = []
    renotify: list[Quota] = []
    result: dict[CellKey, Quota] = {}
    for key in keys:
        member_id, month, metric = key
        amount, ramp = checked.amounts[key], checked.ramps[key]
        quota = existing.get(key)
        if quota is None:
            quota = Quota(
                tenant=tenant,
                member_id=member_id,
                month=month,
                metric=metric,
                amount=amount,
                ramp_pct=ramp if ramp is not None else HUNDRED,
                status=Quota.Status.DRAFT,
                version=1,
            )
            quota.member = checked.members[member_id]
            created.append(quota)
            result[key] = quota
            continue
        changes: dict[str, list[str | None]] = {}
        if quota.amount != amount:
            changes["amount"] = [_text(quota.amount), _text(amount)]
            quota.amount = amount
        if ramp is not None and quota.ramp_pct != ramp:
            changes["ramp_pct"] = [_text(quota.ramp_pct), _text(ramp)]
            quota.ramp_pct = ramp
        result[key] = quota
        if not changes:
            continue
        if quota.status == Quota.Status.ACKNOWLEDGED:
            changes["status"] = [Quota.Status.ACKNOWLEDGED, Quota.Status.PUBLISHED]
            quota.status = Quota.Status.PUBLISHED
            quota.acknowledged_at = quota.acknowledged_by = None
        if quota.status == Quota.Status.PUBLISHED:
            renotify.append(quota)
        quota.version += 1
        quota.updated_at = now
        changed.append(quota)
        history.append(_change(tenant, quota, QuotaChange.Action.UPDATED, changes, who))

    if created:
        try:
            with transaction.atomic():
                Quota.objects.bulk_create(created, batch_size=1000)
        except IntegrityError:
            # Someone created one of these quotas after our read: keep nothing, show theirs.
            current = _existing(tenant, [_key_of(quota) for quota in created], lock=False)
            if not current:
                raise
            raise QuotaCellsInvalid(
                {key: {"version": [STALE_MESSAGE]} for key in current}, current
            ) from None
        quota_metrics_note(tenant, {quota.metric for quota in created})
        history.extend(
            _change(
                tenant,
                quota,
                QuotaChange.Action.CREATED,
                {"amount": [None, _text(quota.amount)], "ramp_pct": [None, _text(quota.ramp_pct)]},
                who,
            )
            for quota in created
        )
    update_rows(
        Quota,
        tenant,
        changed,
        ["amount", "ramp_pct", "status", "version", "acknowledged_at", "acknowledged_by",
         "updated_at"],
    )  # fmt: skip
    QuotaChange.objects.bulk_create(history, batch_size=1000)
    _notify_changed(tenant, renotify)
    moved = [quota.pk for quota in (*created, *changed)]
    if moved:
        enqueue_on_commit(ROLLDOWN_TASK, tenant, quota_ids=sorted(moved))
    return [result[cell.key] for cell in cells]


def _figure(quota: Quota) -> str:
    if quota.metric == Metric.REVENUE:
        return f"{quota.amount:,.2f}"
    return f"{quota.amount:,.0f} {Metric(quota.metric).label.lower()}"


def _notify_changed(tenant: Tenant, quotas: list[Quota]) -> None:
    """Tell each member once that their published quotas changed."""
    by_member: dict[int, list[Quota]] = defaultdict(list)
    for quota in quotas:
        by_member[quota.member_id].append(quota)
    messages = []
    for member_quotas in by_member.values():
        member = member_quotas[0].member
        if len(member_quotas) == 1:
            quota = member_quotas[0]
            title = f"Your {month_label(quota.month)} {Metric(quota.metric).label.lower()} quota changed"
            body = f"It is now {_figure(quota)}. Open it to see your targets and acknowledge it."
        else:
            title = f"{len(member_quotas)} of your quotas changed"
            body = "Open your quota to see the new figures and targets, and acknowledge them."
        messages.append(
            Message(
                recipient=member, kind="quota.changed", title=title, body=body, url=MY_QUOTA_URL
            )
        )
    notify(tenant=tenant, messages=messages)


@transaction.atomic
def quota_save(
    *,
    tenant: Tenant,
    actor,
    member: Membership,
    month: dt.date,
    metric: str,
    amount,
    ramp_pct=None,
    version: int | None = None,
) -> Quota:
    """Create or change the quota of (``member``, ``month``, ``metric``).

    ``actor`` is the acting ``Membership`` (or the platform superuser's ``User``). Raises
    ``PermissionDenied`` when the actor may not set this member's quotas,
    ``ValidationError`` by field for bad values, and ``StaleVersion`` (with the quota as
    it is now) when ``version`` is not the stored one (0: the caller saw no quota).
    """
    who = acting(tenant=tenant, actor=actor)
    if member.tenant_id != tenant.pk:
        raise ValidationError({"member": "Choose a member of this organisation."})
    if not who.may_write_for(member.pk):
        raise PermissionDenied(who.refusal(member, own=OWN_QUOTA))
    cell = QuotaCell(member.pk, month, metric, amount, ramp_pct, version)
    try:
        [quota] = _save(tenant, who, [cell])
    except QuotaCellsInvalid as invalid:
        if invalid.stale:
            raise StaleVersion(next(iter(invalid.stale.values()))) from None
        raise ValidationError(next(iter(invalid.cells.values()))) from None
    return quota


@transaction.atomic
def quotas_save_many(*, tenant: Tenant, actor, cells: Sequence[QuotaCell]) -> list[Quota]:
    """Save many cells at once (a paste into the grid, a grid CSV import): all or nothing.

    Every cell is checked first; any problem raises ``QuotaCellsInvalid`` naming each bad
    cell (and, for a stale version, the quota as it is now) with nothing written. Returns
    the quotas in the order of ``cells``. About ten queries whatever the number of cells
    (50 members × 12 months included); one rolldown job for every quota that moved.
    """
    who = acting(tenant=tenant, actor=actor)
    if not cells:
        return []
    return _save(tenant, who, cells)


# --- Publishing and acknowledging ------------------------------------------------------


def _visible_quotas(tenant: Tenant, who: Acting, quota_ids: Iterable[int]) -> list[Quota]:
    """The quotas of ``quota_ids`` the actor may see (their team and themselves), locked."""
    ids = sorted(set(quota_ids))
    quotas = list(
        Quota.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk__in=ids)
        .select_related("member__user")
        .order_by("pk")
    )
    if who.writable is not None:
        own = who.member.pk if who.member is not None else None
        quotas = [q for q in quotas if q.member_id in who.writable or q.member_id == own]
    found = {quota.pk for quota in quotas}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise ValidationError({"ids": f"No such quota: {shown}{more}. Nothing was published."})
    return quotas


@transaction.atomic
def quotas_publish(*, tenant: Tenant, actor, quota_ids: Iterable[int]) -> int:
    """Publish the draft quotas among ``quota_ids`` and tell each member once; returns how
    many were published (published and acknowledged ones are left as they are).

    Ids the actor may not see are refused by name and nothing is published; a manager's
    own quota is refused with ``PermissionDenied`` (their manager publishes it).
    """
    who = acting(tenant=tenant, actor=actor)
    quotas = _visible_quotas(tenant, who, quota_ids)
    for quota in quotas:
        if not who.may_write_for(quota.member_id):
            raise PermissionDenied(OWN_QUOTA)
    drafts = [quota for quota in quotas if quota.status == Quota.Status.DRAFT]
    if not drafts:
        return 0
    now = timezone.now()
    for quota in drafts:
        quota.status = Quota.Status.PUBLISHED
        quota.published_at, quota.published_by = now, who.user
        quota.updated_at = now
    update_rows(Quota, tenant, drafts, ["status", "published_at", "published_by", "updated_at"])
    QuotaChange.objects.bulk_create(
        [
            _change(
                tenant,
                quota,
                QuotaChange.Action.PUBLISHED,
                {"status": [Quota.Status.DRAFT, Quota.Status.PUBLISHED]},
                who,
            )
            for quota in drafts
        ],
        batch_size=1000,
    )
    by_member: dict[int, list[Quota]] = defaultdict(list)
    for quota in drafts:
        by_member[quota.member_id].append(quota)
    messages = []
    for member_quotas in by_member.values():
        months = sorted({quota.month for quota in member_quotas})
        span = month_label(months[0])
        if len(months) > 1:
            span = f"{months[0]:%B %Y} to {month_label(months[-1])}"
        title = (
            f"Your quota for {span} is published"
            if len(member_quotas) == 1
            else f"Your quotas for {span} are published"
        )
        messages.append(
            Message(
                recipient=member_quotas[0].member,
                kind="quota.published",
                title=title,
                body="Open it to see your targets and acknowledge it.",
                url=MY_QUOTA_URL,
            )
        )
    notify(tenant=tenant, messages=messages)
    return len(drafts)


@transaction.atomic
def quota_acknowledge(
    *, tenant: Tenant, actor: Membership, quota: Quota, version: int | None = None
) -> Quota:
    """The quota's own member agrees to it: published → acknowledged (who and when).

    Only the quota's member may; a draft cannot be acknowledged (400); acknowledging an
    acknowledged quota again changes nothing. ``version`` is the figure the member saw:
    if it changed meanwhile, ``StaleVersion`` shows them the new one.
    """
    if quota.tenant_id != tenant.pk:
        raise Quota.DoesNotExist("No such quota.")
    if not isinstance(actor, Membership) or actor.pk != quota.member_id:
        raise PermissionDenied("Only the person whose quota it is can acknowledge it.")
    locked = (
        Quota.objects.select_for_update(of=("self",))
        .select_related("member__user")
        .get(tenant=tenant, pk=quota.pk)
    )
    check_version(locked, version)
    if locked.status == Quota.Status.ACKNOWLEDGED:
        return locked
    if locked.status != Quota.Status.PUBLISHED:
        raise ValidationError(
            {"status": "This quota is not published yet: nothing to acknowledge."}
        )
    now = timezone.now()
    locked.status = Quota.Status.ACKNOWLEDGED
    locked.acknowledged_at, locked.acknowledged_by = now, actor.user
    locked.updated_at = now
    locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    QuotaChange.objects.create(
        tenant=tenant,
        quota=locked,
        action=QuotaChange.Action.ACKNOWLEDGED,
        changes={"status": [Quota.Status.PUBLISHED, Quota.Status.ACKNOWLEDGED]},
        changed_by=actor.user,
    )
    return locked


@transaction.atomic
def quota_delete(*, tenant: Tenant, actor, quota: Quota, version: int | None = None) -> None:
    """Delete a draft quota (a cell typed by mistake) with its targets and history.

    A published or acknowledged quota is never deleted: its member has seen it (set its
    amount to 0 instead). Recorded in the audit log, since the quota's own history goes
    with it.
    """
    who = acting(tenant=tenant, actor=actor)
    if quota.tenant_id != tenant.pk:
        raise Quota.DoesNotExist("No such quota.")
    locked = (
        Quota.objects.select_for_update(of=("self",))
        .select_related("member__user")
        .get(tenant=tenant, pk=quota.pk)
    )
    if not who.may_write_for(locked.member_id):
        raise PermissionDenied(who.refusal(locked.member, own=OWN_QUOTA))
    check_version(locked, version)
    if locked.status != Quota.Status.DRAFT:
        raise ValidationError(
            {"status": "A published quota cannot be deleted; set its amount to 0 instead."}
        )
    audit(
        tenant=tenant,
        actor=who.user,
        action="quota.deleted",
        obj=locked,
        data={
            "member_id": locked.member_id,
            "month": month_key(locked.month),
            "metric": locked.metric,
            "amount": _text(locked.amount),
        },
    )
    locked.delete()


# --- Copy last year -----------------------------------------------------------------


def fiscal_year_months(fiscal_year_start: dt.date) -> list[dt.date]:
    """The twelve months of the fiscal year starting in ``fiscal_year_start``'s month."""
    first = first_of_month(fiscal_year_start)
    return [add_months(first, offset) for offset in range(12)]


def _percent_change(percent_change) -> Decimal:
    value = parse_decimal(percent_change)
    low, high = PERCENT_CHANGE_RANGE
    if value is None or not low <= value <= high:
        raise ValidationError(
            {"percent_change": f"Enter a change between {low:,}% and +{high:,}%, e.g. 5 or -2.5."}
        )
    return value


@transaction.atomic
def quotas_copy_last_year(
    *,
    tenant: Tenant,
    actor,
    member_ids: Iterable[int],
    fiscal_year_start: dt.date,
    metric: str,
    percent_change,
) -> list[Quota]:
    """Set each member's quotas for the fiscal year starting at ``fiscal_year_start`` to
    the same month of the year before × (1 + ``percent_change`` / 100), rounded half up
    to the metric's unit. Months without a quota last year are left as they are; ramps
    are kept (a ramp belongs to this year's member, not last year's). All or nothing,
    through ``quotas_save_many``.
    """
    pct = _percent_change(percent_change)
    if metric not in Metric.values:
        raise ValidationError({"metric": f"Choose one of {', '.join(Metric.values)}."})
    months = fiscal_year_months(fiscal_year_start)
    last_year = {add_months(month, -12): month for month in months}
    unit = unit_of(metric)
    cells = [
        QuotaCell(
            member_id=member_id,
            month=last_year[month],
            metric=metric,
            amount=quantize(amount * (HUNDRED + pct) / HUNDRED, unit),
        )
        for member_id, month, amount in Quota.objects.filter(
            tenant=tenant,
            member_id__in=sorted(set(member_ids)),
            month__in=list(last_year),
            metric=metric,
        )
        .order_by("member_id", "month")
        .values_list("member_id", "month", "amount")
    ]
    return quotas_save_many(tenant=tenant, actor=actor, cells=cells)


def quotas_from_annuals(
    *,
    tenant: Tenant,
    actor,
    spreads: Mapping[int, Sequence[Decimal]],
    months: Sequence[dt.date],
    metric: str,
) -> list[Quota]:
    """Save one row of monthly amounts per member (``spreads[member_id][i]`` for
    ``months[i]``) through ``quotas_save_many`` (the seasonality service's writer)."""
    cells = [
        QuotaCell(member_id=member_id, month=month, metric=metric, amount=amount)
        for member_id, amounts in spreads.items()
        for month, amount in zip(months, amounts, strict=True)
    ]
    return quotas_save_many(tenant=tenant, actor=actor, cells=cells)
