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
source"). Runs in one organisation take turns (``lock_for_tenant``, one lock instead of a
row lock on each of thousands of quotas) before the figures are read, so two runs over
the same quotas serialise and the later one's figures are the ones kept; a quota changed
meanwhile asks for its own run after its commit, which then reads the new figures.

The quota's member is told when the attainment of a published quota of the current
month crosses 50% and 100%: the crossing is found by comparing the stored percentage
with the new one, and a notice already sent for that quota and threshold (or a higher
one) is not sent again.

Cost: a fixed number of queries whatever the number of quotas or sales: the reporting
lines, the lock, the quotas, one aggregate of the metric per month and metric, then on
PostgreSQL one statement that aggregates the daily targets, computes the figures and
writes both the attainment rows and the snapshots (``_compute_and_store_in_sql``); on
SQLite an aggregate of the targets, the figures in pandas (``rules.attainment_frame``),
the upsert and the snapshot copy. Three more when someone crossed a threshold.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import pandas as pd
from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from spm.notifications.models import Notification
from spm.notifications.services import Message, notify
from spm.tenancy.bulk import array_literal
from spm.tenancy.locks import lock_for_tenant
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.tasks_base import enqueue_on_commit

from .. import metrics, rules
from ..models import Attainment, AttainmentSnapshot, Quota, QuotaTarget
from ..rules.exact import power_of_ten_exponent
from ..rules.rolldown import metric_unit
from ..selectors.progress import ReportingLines
from ._common import ATTAINMENT_TASK, MY_QUOTA_URL, month_key

# Attainment thresholds a member is told about, in percent.
THRESHOLDS = (50, 100)
ATTAINMENT_LOCK = "quotas.attainment"
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
    *,
    tenant: Tenant,
    member_ids: Iterable[int],
    days: Iterable[dt.date],
    metric: str | None = None,
) -> None:
    """After the current transaction commits, ask for the attainment of ``member_ids``
    (and the team quotas above them) in the months of ``days`` to be recomputed: one
    debounced request (``quotas.tasks.attainment_for_members``), whatever the number of
    members. For a higher app whose metric's figures changed (activities).

    With ``metric``, only the months where some quota is on it: nothing else can
    change. An organisation that never set a quota on ``metric`` is answered without a
    query (``Tenant.quota_metrics``); else one indexed query answers."""
    members = sorted({int(member_id) for member_id in member_ids})
    months = sorted({day.replace(day=1) for day in days})
    if metric is not None and members:
        months = _months_counting(tenant, metric, months)
    if members and months:
        enqueue_on_commit(
            ATTAINMENT_TASK,
            tenant,
            member_ids=members,
            months=[month_key(month) for month in months],
        )


def _months_counting(tenant: Tenant, metric: str, months: list[dt.date]) -> list[dt.date]:
    if metric not in tenant.quota_metrics:
        return []
    return sorted(
        Quota.objects.filter(tenant=tenant, metric=metric, month__in=months)
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )


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
        lock_for_tenant(tenant, ATTAINMENT_LOCK)
        rows = [
            _Quota(*row)
            for row in quotas.order_by("pk").values_list(
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
        with_source = _with_source(rows, result)
        if not with_source:
            return result
        if connection.vendor == "postgresql":
            computed = _compute_and_store_in_sql(tenant, with_source, lines, as_of, result)
        else:
            achieved = _achieved(tenant, with_source, lines, as_of)
            computed = _compute(tenant, with_source, achieved, quotas, as_of)
            _store(tenant, computed, as_of, result)
        result.notified = _notify_crossings(tenant, computed, lines, today)
    return result


def _with_source(rows: list[_Quota], result: AttainmentResult) -> list[_Quota]:
    """The quotas whose metric has a data source; the others are counted as skipped."""
    sourced = {metric: metrics.get(metric) is not None for metric in {row.metric for row in rows}}
    skipped = [row for row in rows if not sourced[row.metric]]
    result.no_source = len(skipped)
    result.no_source_metrics = sorted({row.metric for row in skipped})
    return [row for row in rows if sourced[row.metric]]


def _compute(
    tenant: Tenant,
    rows: list[_Quota],
    achieved: dict[int, Decimal],
    quotas: QuerySet[Quota],
    as_of: dt.date,
) -> pd.DataFrame:
    """The figures of ``rows`` by ``rules.attainment_frame``, as a frame indexed by quota
    id (SQLite; PostgreSQL computes the same figures in ``_compute_and_store_in_sql``)."""
    expected = _expected_to_date(tenant, quotas, as_of)
    frame = _frame(rows, achieved)
    frame["expected_to_date"] = [expected.get(row.pk, ZERO) for row in rows]
    figures = rules.attainment_frame(frame, units=metrics.units())
    return frame.join(figures)


def _frame(rows: list[_Quota], achieved: dict[int, Decimal]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": [row.metric for row in rows],
            "member_id": [row.member_id for row in rows],
            "month": [row.month for row in rows],
            "status": [row.status for row in rows],
            "previous_pct": [row.previous_pct for row in rows],
            "achieved": [achieved[row.pk] for row in rows],
            "effective_amount": [row.effective_amount for row in rows],
        },
        index=pd.Index([row.pk for row in rows], name="quota_id"),
        dtype=object,
    )


def _compute_and_store_in_sql(
    tenant: Tenant,
    rows: list[_Quota],
    lines: ReportingLines,
    as_of: dt.date,
    result: AttainmentResult,
) -> pd.DataFrame:
    """PostgreSQL: compute and store every figure in one statement. The achieved figures
    come from the metrics' ``span_sql`` summed over each quota's team (its pairs of quota
    and counted member) in the statement, or, when a metric has no SQL form, from its
    ``achieved`` (one array); the quotas' daily targets are aggregated in the statement;
    the ``Attainment`` upsert and its copy to the day's ``AttainmentSnapshot`` are two
    data-modifying parts of it. The percentages and projection are
    ``rules.attainment_frame`` written in SQL with the same exact integer rounding
    (``div`` on numerics, half away from zero); a test holds the two equal. Returns the
    figures of the quotas at or above the lowest threshold, for the notices."""
    units = metrics.units()
    used = sorted({row.metric for row in rows})
    in_hundredths = {
        metric: 10 ** (power_of_ten_exponent(metric_unit(metric, units)) + 2) for metric in used
    }
    in_sql = all(metrics.get(metric).span_sql is not None for metric in used)
    last_days = {
        month: min(rules.month_bounds(month)[1], as_of) for month in {row.month for row in rows}
    }
    spans = [(row.metric, row.month, last_days[row.month]) for row in rows]
    params = {
        "tenant": tenant.pk,
        "as_of": as_of,
        "now": timezone.now(),
        "quota_ids": array_literal(row.pk for row in rows),
        "units": array_literal(in_hundredths[row.metric] for row in rows),
        "effective": array_literal(row.effective_amount for row in rows),
        "months": array_literal(row.month for row in rows),
        "lowest": min(THRESHOLDS),
    }
    groups: tuple[str, ...] | None = None
    if in_sql:
        distinct = sorted(set(spans))
        index = {span: number for number, span in enumerate(distinct)}
        teams = [lines.team(row.member_id) for row in rows]
        groups = tuple(metric for metric, _, _ in distinct)
        params |= {
            "groups": array_literal(index[span] for span in spans),
            "pair_quotas": array_literal(
                row.pk for row, team in zip(rows, teams, strict=True) for _ in team
            ),
            "pair_members": array_literal(member for team in teams for member in team),
        }
        for number, (_, first, last) in enumerate(distinct):
            params |= {f"start_{number}": first, f"end_{number}": last}
    else:
        achieved = _achieved(tenant, rows, lines, as_of)
        params["achieved"] = array_literal(achieved[row.pk] for row in rows)
    with connection.cursor() as cursor:
        cursor.execute(_attainment_sql(groups), params)
        stored = cursor.fetchall()
    (written, snapshots) = stored[0][:2]
    crossing = {quota_id: (pct, done) for _, _, quota_id, pct, done in stored if quota_id}
    result.quotas, result.snapshots = written, snapshots
    result.quota_ids = [row.pk for row in rows]
    near = [row for row in rows if row.pk in crossing]
    frame = _frame(near, {quota_id: done for quota_id, (_, done) in crossing.items()})
    frame["attainment_pct"] = [crossing[row.pk][0] for row in near]
    return frame


# ``attainment_pct``, ``pace_pct`` and ``projected`` from ``a`` (achieved), ``f`` (effective
# amount) and ``x`` (expected to date), all in hundredths, and ``u`` (the metric's unit in
# hundredths): ``rules.attainment_frame`` in SQL, exactly (``div`` truncates numerics, so
# round_half_up(p × q ÷ d) = sign(p) × div(2|p|q + d, 2d), half away from zero).
FIGURES_SQL = """
    CASE WHEN f > 0 THEN sign(a) * div(abs(a) * 20000 + f, 2 * f) * 0.01 END,
    CASE WHEN x > 0 THEN sign(a) * div(abs(a) * 20000 + x, 2 * x) * 0.01 END,
    CASE WHEN x > 0 THEN sign(a) * div(abs(a) * f * 2 + x * u, 2 * x * u) * u * 0.01 END
"""


@cache
def _attainment_sql(groups: tuple[str, ...] | None) -> str:
    """The statement; ``groups``: the metric of each (metric, month) group whose
    ``span_sql`` gives the achieved figures in it (``None``: they arrive as the
    ``achieved`` array)."""
    quote = connection.ops.quote_name
    attainment = quote(Attainment._meta.db_table)
    snapshot = quote(AttainmentSnapshot._meta.db_table)
    target = quote(QuotaTarget._meta.db_table)
    columns = ", ".join(SNAPSHOT_FIELDS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in SNAPSHOT_FIELDS)
    achieved_sql = _achieved_sql(groups)
    # PostgreSQL's JIT compiler takes this statement's cost estimate (the planner cannot
    # know the arrays' length) for a long query and spends about a second compiling a
    # statement that runs in a tenth of that: off for this transaction, in the same trip.
    return f"""
        SELECT set_config('jit', 'off', true);
        WITH {achieved_sql}, expected AS (
            SELECT t.quota_id, SUM(t.amount) AS amount
            FROM {target} t JOIN computed c ON c.quota_id = t.quota_id
            WHERE t.tenant_id = %(tenant)s AND t.granularity = 'day' AND t.start <= %(as_of)s
            GROUP BY t.quota_id
        ), figures AS (
            SELECT c.quota_id, c.achieved, COALESCE(e.amount, 0) AS expected, c.u,
                   c.achieved * 100 AS a, c.effective * 100 AS f,
                   COALESCE(e.amount, 0) * 100 AS x,
                   LEAST(%(as_of)s, (c.month + interval '1 month - 1 day')::date) AS as_of,
                   c.month <= %(as_of)s AND %(as_of)s < c.month + interval '1 month' AS today
            FROM computed c
            LEFT JOIN expected e ON e.quota_id = c.quota_id
        ), upserted AS (
            INSERT INTO {attainment} (tenant_id, quota_id, as_of, {columns}, computed_at)
            SELECT %(tenant)s, quota_id, as_of, achieved, expected,
                   {FIGURES_SQL},
                   %(now)s
            FROM figures
            ON CONFLICT (tenant_id, quota_id) DO UPDATE
                SET as_of = excluded.as_of, {updates}, computed_at = excluded.computed_at
            RETURNING quota_id, as_of, {columns}
        ), snapshots AS (
            INSERT INTO {snapshot} (tenant_id, quota_id, day, {columns})
            SELECT %(tenant)s, u.quota_id, u.as_of, {", ".join(f"u.{n}" for n in SNAPSHOT_FIELDS)}
            FROM upserted u JOIN figures f ON f.quota_id = u.quota_id
            WHERE f.today
            ON CONFLICT (tenant_id, quota_id, day) DO UPDATE SET {updates}
            RETURNING 1
        ), counts AS (
            SELECT (SELECT count(*) FROM upserted) AS written,
                   (SELECT count(*) FROM snapshots) AS snapshots
        )
        SELECT counts.written, counts.snapshots, u.quota_id, u.attainment_pct, u.achieved
        FROM counts LEFT JOIN upserted u ON u.attainment_pct >= %(lowest)s
    """


def _achieved_sql(groups: tuple[str, ...] | None) -> str:
    """The ``computed (quota_id, achieved, u, effective, month)`` part of the statement (the
    quotas' effective amounts and months as read, under the lock, before it): from the arrays, or
    from each (metric, month) group's figures per member (its metric's ``span_sql`` over
    the month up to the as-of date) summed over each quota's pairs of counted members."""
    if groups is None:
        return """computed (quota_id, achieved, u, effective, month) AS (
            SELECT * FROM unnest(%(quota_ids)s::bigint[], %(achieved)s::numeric[],
                                 %(units)s::numeric[], %(effective)s::numeric[],
                                 %(months)s::date[])
        )"""
    per_member = " UNION ALL ".join(
        f"SELECT {number}, * FROM ("
        + metrics.get(metric)
        .span_sql()
        .replace("%(start)s", f"%(start_{number})s")
        .replace("%(end)s", f"%(end_{number})s")
        + f") AS group_{number}"
        for number, metric in enumerate(groups)
    )
    return f"""quotas (quota_id, u, grp, effective, month) AS (
            SELECT * FROM unnest(%(quota_ids)s::bigint[], %(units)s::numeric[],
                                 %(groups)s::int[], %(effective)s::numeric[],
                                 %(months)s::date[])
        ), pairs (quota_id, member_id) AS (
            SELECT * FROM unnest(%(pair_quotas)s::bigint[], %(pair_members)s::bigint[])
        ), per_member (grp, member_id, amount) AS (
            {per_member}
        ), sums AS (
            SELECT p.quota_id, SUM(m.amount) AS amount
            FROM pairs p JOIN quotas q ON q.quota_id = p.quota_id
            JOIN per_member m ON m.grp = q.grp AND m.member_id = p.member_id
            GROUP BY p.quota_id
        ), computed (quota_id, achieved, u, effective, month) AS (
            SELECT q.quota_id, COALESCE(s.amount, 0), q.u, q.effective, q.month
            FROM quotas q LEFT JOIN sums s ON s.quota_id = q.quota_id
        )"""


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
    same ``conflict`` columns (a unique constraint of the model): one multi-row VALUES
    per ``UPSERT_PARAMETERS`` parameters (SQLite)."""
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
