"""Attainment, pace and projection of quotas, stored in bulk (DESIGN 4.3).

``attainment_compute`` is the one writer of ``Attainment`` and ``AttainmentSnapshot``.
For each quota it computes, as of a date (the tenant's today by default):

- ``achieved``: the metric's figure (``quotas.metrics``) over the quota's month up to
  as-of; a quota's member counts with everyone in their reporting tree, direct and
  indirect (a rep's quota counts the rep's own figure; a manager's quota is the team's
  number, the manager's own figure included);
- ``expected_to_date``: Σ daily targets dated on or before as-of;
- ``attainment_pct``, ``pace_pct`` and ``projected`` by ``rules.attainment_frame``.

Invariants: one ``Attainment`` row per quota (an upsert: recomputing gives the same row,
``as_of`` is the as-of date, or the month's last day once the month is over); one
``AttainmentSnapshot`` per quota and day, written for the quotas whose month holds the
as-of date; a quota on a metric without a data source gets no row (it shows "no data
source"). The quotas are locked (primary-key order) before the figures are read, so two
runs over the same quotas serialise and the later one's figures are the ones kept.

The quota's member is told when the attainment of a published quota of the current
month crosses 50% and 100%: the crossing is found by comparing the stored percentage
with the new one, and a notice already sent for that quota and threshold (or a higher
one) is not sent again.

Cost: a fixed number of queries (reporting lines, quotas, one aggregate of targets, one
aggregate of the metric per month and metric, the attainment upsert and its copy to the
snapshots; three more when someone crossed a threshold), whatever the number of quotas
or sales.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from spm.notifications.models import Notification
from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.tasks_base import enqueue_on_commit

from .. import metrics, rules
from ..models import Attainment, AttainmentSnapshot, Quota, QuotaTarget
from ..selectors.progress import ReportingLines
from ._common import ATTAINMENT_TASK, MY_QUOTA_URL, month_key

# Attainment thresholds a member is told about, in percent.
THRESHOLDS = (50, 100)
NOTICE_KIND = "quota.attainment"
# Quota ids per snapshot statement: 5,000 keeps it below SQLite's limit of 32,766
# parameters; a month of 2,000 reps is one statement.
CHUNK = 5_000
# Above this many members, quotas are read for the whole months and filtered in Python
# (an ``IN`` list of thousands of ids makes a poor plan and SQLite caps parameters).
IN_LIST_LIMIT = 1_000
ZERO = Decimal("0")
SNAPSHOT_FIELDS = ["achieved", "expected_to_date", "attainment_pct", "pace_pct", "projected"]
# Parameters per upsert statement: below SQLite's limit of 32,766, so a month of 2,000
# quotas (9 columns each) is one statement on either database.
UPSERT_PARAMETERS = 30_000


@dataclass
class AttainmentResult:
    as_of: dt.date
    quotas: int = 0  # Attainment rows written.
    snapshots: int = 0
    notified: int = 0
    no_source: int = 0  # Quotas skipped: their metric has no data source.
    no_source_metrics: list[str] = field(default_factory=list)
    quota_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Quota:
    pk: int
    member_id: int
    month: dt.date
    metric: str
    status: str
    effective_amount: Decimal
    previous_pct: Decimal | None


# --- Asking for a recompute ---------------------------------------------------------------


def attainment_schedule(
    *, tenant: Tenant, member_ids: Iterable[int], days: Iterable[dt.date]
) -> None:
    """After the current transaction commits, ask for the attainment of ``member_ids``
    (and the team quotas above them) in the months of ``days`` to be recomputed: one
    debounced request (``quotas.tasks.attainment_for_members``), whatever the number of
    members. For a higher app whose metric's figures changed (activities)."""
    members = sorted({int(member_id) for member_id in member_ids})
    if members:
        months = sorted({month_key(day) for day in days})
        enqueue_on_commit(ATTAINMENT_TASK, tenant, member_ids=members, months=months)


# --- The service ---------------------------------------------------------------------------


def attainment_compute(
    *,
    tenant: Tenant,
    as_of: dt.date | None = None,
    member_ids: Iterable[int] | None = None,
    months: Iterable[dt.date] | None = None,
    quota_ids: Iterable[int] | None = None,
) -> AttainmentResult:
    """Compute and store the attainment of the affected quotas as of ``as_of``.

    The quotas are those of ``months`` (any day of each; by default the month holding
    ``as_of``), of ``member_ids`` and of every manager above them when given (their
    team numbers count these members), or exactly ``quota_ids`` when given (after a
    rolldown). Returns counts, and which metrics had no data source.
    """
    today = tenant.today()
    as_of = as_of or today
    lines = ReportingLines.read(tenant)
    quotas = Quota.objects.filter(tenant=tenant)
    wanted_members: set[int] | None = None
    if quota_ids is not None:
        quotas = quotas.filter(pk__in=sorted({int(pk) for pk in quota_ids}))
    else:
        month_list = sorted({month.replace(day=1) for month in months or [as_of]})
        quotas = quotas.filter(month__in=month_list)
        if member_ids is not None:
            members = {int(member_id) for member_id in member_ids}
            wanted_members = members | lines.managers_above(members)
            if len(wanted_members) <= IN_LIST_LIMIT:
                quotas = quotas.filter(member_id__in=sorted(wanted_members))

    with transaction.atomic():
        rows = [
            _Quota(*row)
            for row in quotas.select_for_update(of=("self",))
            .order_by("pk")
            .values_list(
                "pk",
                "member_id",
                "month",
                "metric",
                "status",
                "effective_amount",
                "attainments__attainment_pct",
            )
        ]
        if wanted_members is not None:
            rows = [row for row in rows if row.member_id in wanted_members]
        result = AttainmentResult(as_of=as_of)
        computed = _compute(tenant, rows, quotas, lines, as_of, result)
        if computed is None:
            return result
        _store(tenant, computed, as_of, result)
        result.notified = _notify_crossings(tenant, computed, lines, today)
    return result


def _compute(
    tenant: Tenant,
    rows: list[_Quota],
    quotas: QuerySet[Quota],
    lines: ReportingLines,
    as_of: dt.date,
    result: AttainmentResult,
) -> pd.DataFrame | None:
    """The figures of every quota with a data source, as a frame indexed by quota id."""
    with_source = [row for row in rows if metrics.get(row.metric) is not None]
    skipped = [row for row in rows if metrics.get(row.metric) is None]
    result.no_source = len(skipped)
    result.no_source_metrics = sorted({row.metric for row in skipped})
    if not with_source:
        return None

    achieved = _achieved(tenant, with_source, lines, as_of)
    expected = _expected_to_date(tenant, quotas, as_of)
    frame = pd.DataFrame(
        {
            "metric": [row.metric for row in with_source],
            "member_id": [row.member_id for row in with_source],
            "month": [row.month for row in with_source],
            "status": [row.status for row in with_source],
            "previous_pct": [row.previous_pct for row in with_source],
            "achieved": [achieved[row.pk] for row in with_source],
            "effective_amount": [row.effective_amount for row in with_source],
            "expected_to_date": [expected.get(row.pk, ZERO) for row in with_source],
        },
        index=pd.Index([row.pk for row in with_source], name="quota_id"),
        dtype=object,
    )
    figures = rules.attainment_frame(frame, units=metrics.units())
    return frame.join(figures)


def _achieved(
    tenant: Tenant, rows: list[_Quota], lines: ReportingLines, as_of: dt.date
) -> dict[int, Decimal]:
    """Each quota's achieved figure: one call of its metric's source per month and metric,
    for every member any of those quotas counts, summed over each quota's team."""
    teams = {row.member_id: lines.team(row.member_id) for row in rows}
    groups: dict[tuple[dt.date, str], list[_Quota]] = defaultdict(list)
    for row in rows:
        groups[(row.month, row.metric)].append(row)
    achieved: dict[int, Decimal] = {}
    for (month, metric), group in groups.items():
        first, last = rules.month_bounds(month)
        members = sorted({member for row in group for member in teams[row.member_id]})
        source = metrics.get(metric)
        own = source.achieved(tenant, members, first, min(last, as_of)) if as_of >= first else {}
        for row in group:
            achieved[row.pk] = sum((own.get(m, ZERO) for m in teams[row.member_id]), ZERO)
    return achieved


def _expected_to_date(
    tenant: Tenant, quotas: QuerySet[Quota], as_of: dt.date
) -> dict[int, Decimal]:
    """Σ daily targets dated on or before ``as_of``, per quota, in one aggregate over the
    quotas' targets (a semi-join with the quotas' query: no list of ids, and one pass
    over the targets whatever the planner knows about the table)."""
    return dict(
        QuotaTarget.objects.filter(
            tenant=tenant,
            quota__in=quotas.values("pk"),
            granularity=QuotaTarget.Granularity.DAY,
            start__lte=as_of,
        )
        .order_by()
        .values("quota_id")
        .annotate(total=Sum("amount"))
        .values_list("quota_id", "total")
    )


def _store(tenant: Tenant, frame: pd.DataFrame, as_of: dt.date, result: AttainmentResult) -> None:
    """Upsert one ``Attainment`` per quota (one INSERT … ON CONFLICT DO UPDATE built
    straight from the figures, no model instances), then copy those of the quotas whose
    month holds ``as_of`` to that day's ``AttainmentSnapshot``."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value(as_of)
    attainments, snapshots = [], []
    for quota_id, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        last = rules.month_bounds(row.month)[1]
        figures = (
            row.achieved,
            row.expected_to_date,
            row.attainment_pct,
            row.pace_pct,
            row.projected,
        )
        stored_as_of = day if as_of <= last else ops.adapt_datefield_value(last)
        attainments.append((tenant.pk, int(quota_id), stored_as_of, *figures, now))
        if row.month <= as_of <= last:
            snapshots.append(int(quota_id))
    _upsert(
        Attainment,
        ["tenant_id", "quota_id", "as_of", *SNAPSHOT_FIELDS, "computed_at"],
        ["tenant_id", "quota_id"],
        attainments,
    )
    _snapshot(tenant, snapshots)
    result.quotas = len(attainments)
    result.snapshots = len(snapshots)
    result.quota_ids = [int(quota_id) for quota_id in frame.index]


def _snapshot(tenant: Tenant, quota_ids: list[int]) -> None:
    """Copy the attainment rows just written for ``quota_ids`` (those whose month holds
    the as-of date) to that day's snapshots, in the database: one INSERT … SELECT per
    chunk of ids."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in SNAPSHOT_FIELDS)
    updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in SNAPSHOT_FIELDS)
    with connection.cursor() as cursor:
        for first in range(0, len(quota_ids), CHUNK):
            chunk = quota_ids[first : first + CHUNK]
            cursor.execute(
                f"INSERT INTO {quote(AttainmentSnapshot._meta.db_table)} "
                f"(tenant_id, quota_id, day, {columns}) "
                f"SELECT tenant_id, quota_id, as_of, {columns} "
                f"FROM {quote(Attainment._meta.db_table)} "
                f"WHERE tenant_id = %s AND quota_id IN ({', '.join(['%s'] * len(chunk))}) "
                f"ON CONFLICT (tenant_id, quota_id, day) DO UPDATE SET {updates}",
                [tenant.pk, *chunk],
            )


def _upsert(model, columns: list[str], conflict: list[str], rows: list[tuple]) -> None:
    """INSERT ``rows`` into ``model``'s table, updating the row that already holds the
    same ``conflict`` columns (a unique constraint of the model). PostgreSQL takes each
    column as one array (``unnest``: a handful of parameters, whatever the number of
    rows); SQLite one multi-row VALUES per ``UPSERT_PARAMETERS`` parameters."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    updates = ", ".join(
        f"{quote(column)} = excluded.{quote(column)}"
        for column in columns
        if column not in conflict
    )
    on_conflict = f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            fields = {field.column: field for field in model._meta.concrete_fields}
            arrays = ", ".join(f"%s::{fields[column].db_type(connection)}[]" for column in columns)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {on_conflict}",
                [list(values) for values in zip(*rows, strict=True)],
            )
            return
        placeholder = f"({', '.join(['%s'] * len(columns))})"
        per_statement = UPSERT_PARAMETERS // len(columns)
        for first in range(0, len(rows), per_statement):
            chunk = rows[first : first + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholder] * len(chunk))} "
                f"{on_conflict}",
                [value for row in chunk for value in row],
            )


# --- Telling members they crossed a threshold -----------------------------------------------


def crossed_threshold(previous: Decimal | None, current: Decimal | None) -> int | None:
    """The highest threshold that ``current`` reaches and ``previous`` did not, if any."""
    if current is None:
        return None
    crossed = [t for t in THRESHOLDS if current >= t and (previous is None or previous < t)]
    return max(crossed) if crossed else None


def notice_title(*, threshold: int, month: dt.date, metric: str, team: bool) -> str:
    label = f"{month:%B %Y} {metric}"
    if team:
        return f"Your team reached {threshold}% of its {label} quota"
    return f"You reached {threshold}% of your {label} quota"


def _notify_crossings(
    tenant: Tenant, frame: pd.DataFrame, lines: ReportingLines, today: dt.date
) -> int:
    """Notify the members whose published quota of the current month crossed a threshold,
    once per quota and threshold. Returns how many were notified."""
    live = {Quota.Status.PUBLISHED, Quota.Status.ACKNOWLEDGED}
    crossings = []
    for row in frame.itertuples(index=False):
        if row.status not in live or not row.month <= today <= rules.month_bounds(row.month)[1]:
            continue
        threshold = crossed_threshold(row.previous_pct, row.attainment_pct)
        if threshold is not None:
            crossings.append((row, threshold))
    if not crossings:
        return 0

    def titles(row, threshold: int) -> list[str]:
        """This notice's title and those of the higher thresholds (already told)."""
        team = lines.has_reports(row.member_id)
        return [
            notice_title(threshold=t, month=row.month, metric=row.metric, team=team)
            for t in THRESHOLDS
            if t >= threshold
        ]

    member_ids = sorted({row.member_id for row, _ in crossings})
    sent = set(
        Notification.objects.filter(
            tenant=tenant,
            recipient_id__in=member_ids,
            kind=NOTICE_KIND,
            title__in=sorted({title for row, t in crossings for title in titles(row, t)}),
        ).values_list("recipient_id", "title")
    )
    recipients = Membership.objects.filter(tenant=tenant).in_bulk(member_ids)
    messages = []
    for row, threshold in crossings:
        candidates = titles(row, threshold)
        if any((row.member_id, title) in sent for title in candidates):
            continue
        messages.append(
            Message(
                recipient=recipients[row.member_id],
                kind=NOTICE_KIND,
                title=candidates[0],
                body=(
                    f"{row.achieved} achieved of {row.effective_amount} "
                    f"({row.attainment_pct}%), as of {today:%d %B %Y}."
                ),
                url=MY_QUOTA_URL,
            )
        )
    notify(tenant=tenant, messages=messages)
    return len(messages)
