"""Evidence for reviews: each metric criterion's figure for a member over a period, from the
data the lower apps keep (no writes), and the score its thresholds suggest.

- **attainment** %: Σ achieved ÷ Σ effective amount of the member's revenue quotas in the
  period's months, from the stored ``quotas.models.Attainment`` rows (a manager's quota is
  their team's number, so a manager's attainment is their team's);
- **pace** %: Σ achieved ÷ Σ expected to date of the same rows;
- **selling ratio** %: selling minutes ÷ all logged minutes over the period
  (``activities.selectors.selling_time``);
- **activity count**: selling activities the member logged in the period;
- **action items on time** %: the member's own action items due in the period and done by
  their due date (in the organisation's time zone) ÷ those due in the period; a dropped
  item is left out of both (dropping one is a decision, not a miss).

``None`` means no data (no revenue quota, nothing logged, no item due), never zero.
Percentages are rounded half up to 2 places (the selling ratio to 0.1, as activities shows
it). ``evidence_for`` and ``evidence_for_many`` read in a fixed number of queries: the
criteria, then one query per metric the template uses, whatever the number of members.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum

from activities.models import Activity, Category
from activities.selectors.selling_time import Grouping, selling_time
from quotas.models import Attainment, Metric
from spm.tenancy.models import Membership, Tenant

from ..models import ActionItem, Criterion, ReviewTemplate

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Members above which a query reads the organisation's rows for the period and filters in
# Python (an ``IN`` list of thousands of ids makes a poor plan, and SQLite caps parameters).
IN_LIST_LIMIT = 1_000

Evidence = dict[int, Decimal | None]


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def _months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The first days of the first and last months the period touches."""
    return start.replace(day=1), end.replace(day=1)


def _for_members(queryset, member_ids: set[int], field: str = "member_id"):
    if len(member_ids) <= IN_LIST_LIMIT:
        return queryset.filter(**{f"{field}__in": sorted(member_ids)})
    return queryset


# --- One query per metric, for many members -------------------------------------------------


def _quota_figures(
    tenant: Tenant, member_ids: set[int], start: dt.date, end: dt.date
) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """``member_id → (attainment %, pace %)`` from the stored attainment of revenue quotas."""
    first, last = _months(start, end)
    rows = _for_members(
        Attainment.objects.filter(
            tenant=tenant,
            quota__metric=Metric.REVENUE,
            quota__month__gte=first,
            quota__month__lte=last,
        ),
        member_ids,
        "quota__member_id",
    )
    totals = (
        rows.order_by()
        .values("quota__member_id")
        .annotate(
            achieved=Sum("achieved"),
            effective=Sum("quota__effective_amount"),
            expected=Sum("expected_to_date"),
        )
        .values_list("quota__member_id", "achieved", "effective", "expected")
    )
    result = {}
    for member_id, achieved, effective, expected in totals:
        if member_id not in member_ids:
            continue
        achieved = achieved or Decimal(0)
        result[member_id] = (_percent(achieved, effective), _percent(achieved, expected))
    return result


def _selling_ratios(
    tenant: Tenant, member_ids: set[int], start: dt.date, end: dt.date
) -> dict[int, Decimal | None]:
    rows = selling_time(
        tenant=tenant, start=start, end=end, group=Grouping.MONTH, member_ids=member_ids
    )
    selling: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for row in rows:
        selling[row.member_id] += row.selling_minutes
        total[row.member_id] += row.total_minutes
    return {
        member_id: (
            None
            if not total[member_id]
            else (Decimal(selling[member_id]) * HUNDRED / Decimal(total[member_id])).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        )
        for member_id in total
    }


def _activity_counts(
    tenant: Tenant, member_ids: set[int], start: dt.date, end: dt.date
) -> dict[int, int]:
    rows = _for_members(
        Activity.objects.filter(
            tenant=tenant, date__gte=start, date__lte=end, type__category=Category.SELLING
        ),
        member_ids,
    )
    counts = rows.order_by().values("member_id").annotate(n=Count("pk"))
    return {
        member_id: n
        for member_id, n in counts.values_list("member_id", "n")
        if member_id in member_ids
    }


def _action_items_on_time(
    tenant: Tenant, member_ids: set[int], start: dt.date, end: dt.date
) -> dict[int, Decimal | None]:
    rows = _for_members(
        ActionItem.objects.filter(tenant=tenant, due_date__gte=start, due_date__lte=end).exclude(
            status=ActionItem.Status.DROPPED
        ),
        member_ids,
        "owner_id",
    ).values_list("owner_id", "status", "due_date", "completed_at")
    zone = tenant.zone
    due: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    for owner_id, status, due_date, completed_at in rows:
        if owner_id not in member_ids:
            continue
        due[owner_id] += 1
        if (
            status == ActionItem.Status.DONE
            and completed_at is not None
            and completed_at.astimezone(zone).date() <= due_date
        ):
            on_time[owner_id] += 1
    return {
        owner_id: _percent(Decimal(on_time[owner_id]), Decimal(n)) for owner_id, n in due.items()
    }


# --- Evidence per criterion ---------------------------------------------------------------


def _criteria(template: ReviewTemplate) -> list[Criterion]:
    cached = getattr(template, "_prefetched_objects_cache", {}).get("criteria")
    if cached is not None:
        return list(cached)
    return list(Criterion.objects.filter(tenant_id=template.tenant_id, template=template))


def evidence_for_many(
    tenant: Tenant,
    members: Iterable[Membership | int],
    template: ReviewTemplate,
    start: dt.date,
    end: dt.date,
    *,
    criteria: Sequence[Criterion] | None = None,
) -> dict[int, Evidence]:
    """``member_id → {criterion_id → evidence}`` for every member over ``start``–``end``.

    One query for the criteria (none when ``criteria`` is given or prefetched) and one per
    metric the template uses, whatever the number of members."""
    member_ids = {getattr(member, "pk", member) for member in members}
    criteria = list(criteria) if criteria is not None else _criteria(template)
    metrics = {criterion.metric for criterion in criteria}
    M = Criterion.Metric
    quota = (
        _quota_figures(tenant, member_ids, start, end)
        if member_ids and metrics & {M.ATTAINMENT, M.PACE}
        else {}
    )
    ratios = (
        _selling_ratios(tenant, member_ids, start, end)
        if member_ids and M.SELLING_RATIO in metrics
        else {}
    )
    counts = (
        _activity_counts(tenant, member_ids, start, end)
        if member_ids and M.ACTIVITY_COUNT in metrics
        else {}
    )
    items = (
        _action_items_on_time(tenant, member_ids, start, end)
        if member_ids and M.ACTION_ITEMS_ON_TIME in metrics
        else {}
    )

    def value(member_id: int, metric: str) -> Decimal | None:
        if metric == M.ATTAINMENT:
            return quota.get(member_id, (None, None))[0]
        if metric == M.PACE:
            return quota.get(member_id, (None, None))[1]
        if metric == M.SELLING_RATIO:
            return ratios.get(member_id)
        if metric == M.ACTIVITY_COUNT:
            return Decimal(counts.get(member_id, 0))
        if metric == M.ACTION_ITEMS_ON_TIME:
            return items.get(member_id)
        return None

    return {
        member_id: {criterion.pk: value(member_id, criterion.metric) for criterion in criteria}
        for member_id in member_ids
    }


def evidence_for(
    *,
    tenant: Tenant,
    member: Membership | int,
    template: ReviewTemplate,
    period_start: dt.date,
    period_end: dt.date,
    criteria: Sequence[Criterion] | None = None,
) -> Evidence:
    """``{criterion_id → evidence}`` for one member (``None``: no data)."""
    member_id = getattr(member, "pk", member)
    return evidence_for_many(
        tenant, [member_id], template, period_start, period_end, criteria=criteria
    )[member_id]


def suggested_score(criterion: Criterion, evidence: Decimal | None) -> int | None:
    """1 below ``min_for_2``, 2 from it, … 5 at or above ``min_for_5``; ``None`` for a manual
    criterion, one without thresholds, or no evidence. Pure."""
    if evidence is None or criterion.metric == Criterion.Metric.MANUAL:
        return None
    thresholds = criterion.thresholds
    if all(threshold is None for threshold in thresholds):
        return None
    score = 1
    for index, threshold in enumerate(thresholds):
        if threshold is not None and Decimal(evidence) >= threshold:
            score = index + 2
    return score
