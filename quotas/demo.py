"""Quotas' part of the demo organisation (a ``SeedStep`` registered in ``plugin.py``).

What a sales organisation half way through its year looks like, so that every quota page
is alive on first start:

- a revenue quota per rep and month, from twelve months ago to the end of the current
  fiscal year (last year's are there to copy from), a little heavier at the year's end;
  deals quotas for four reps; each manager's team quota, the sum of their tree's; the
  two recent joiners prorated in the month they started (rolldown does it) and ramping
  (50%, then 75%); everything published, and acknowledged up to last month (this
  month's by half the reps, so the others see the button);
- a year of sales with a believable spread: two reps well above quota, most near it, two
  far below; on accounts of the seller's territories, a few on someone else's
  (encroachment to discuss);
- targets rolled down and attainment computed synchronously through the services (not
  Celery): the final figures of every month gone by, daily snapshots of this month and
  the last so pace can be charted.

Every write goes through the quota services, as a manager's would. Idempotent: quotas
are keyed by member, month and metric, sales by their external id (``DEMO-…``); a run
that finds everything in place adds nothing and computes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from spm.tenancy.models import Membership
from territories.models import Account, TerritoryMember

from .models import Metric, Quota, Sale
from .rules import month_bounds
from .selectors.grid import fiscal_months, fiscal_year_of
from .services import (
    QuotaCell,
    SaleRow,
    quota_acknowledge,
    quotas_publish,
    quotas_save_many,
    sales_upsert_many,
)
from .services.attainment import attainment_compute
from .services.rolldown import quotas_roll_down

if TYPE_CHECKING:
    from spm.demo.seed import SeededOrg

DEMO_SEED = 20_260_301  # Fixed: every run draws the same figures.
CENT = Decimal("0.01")
# How each rep sells against quota (1 = exactly on it), by login: a few well above, most
# near, some far below; the recent joiners find their feet.
PERFORMANCE = {
    "rep1": 1.32, "rep2": 1.21, "rep3": 1.04, "rep4": 0.97, "rep5": 1.02, "rep6": 0.93,
    "rep7": 0.9, "rep8": 0.52, "rep9": 1.0, "rep10": 0.61, "rep11": 0.88, "rep12": 0.75,
}  # fmt: skip
# Quota weight of each calendar month, January first: a strong fourth quarter.
SEASON = [0.9, 0.9, 1.0, 1.0, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.15, 1.25]
# The reps with a deals quota beside their revenue one.
DEALS_REPS = ("rep1", "rep2", "rep3", "rep4")
AVERAGE_DEAL = 4_200  # Revenue per sale, on average.
# The share of a rep's sales on an account outside their territories.
ENCROACHING_SHARE = 0.04
# Ramp of a joiner's months from the one they start in.
RAMP = (Decimal("50"), Decimal("75"))


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _months(today: dt.date, fiscal_year: list[dt.date]) -> list[dt.date]:
    """Twelve months back from this one, to the fiscal year's last month."""
    first = _add_months(today.replace(day=1), -11)
    months, month = [], first
    while month <= fiscal_year[-1]:
        months.append(month)
        month = _add_months(month, 1)
    return months


def _employed(member: Membership, month: dt.date) -> bool:
    first, last = month_bounds(month)
    return member.start_date <= last and (member.end_date is None or member.end_date >= first)


def _base_amount(number: int, month: dt.date) -> Decimal:
    """A rep's monthly revenue quota: 22,000–28,000 by rep, shaped by the season, to 500."""
    base = 22_000 + (number % 4) * 2_000
    return Decimal(round(base * SEASON[month.month - 1] / 500) * 500).quantize(CENT)


def _ramp(member: Membership, month: dt.date, today: dt.date) -> Decimal | None:
    """50% in a recent joiner's first month, 75% in the next; ``None`` (100%) otherwise."""
    start = member.start_date.replace(day=1)
    if start < _add_months(today.replace(day=1), -12):
        return None
    since = (month.year - start.year) * 12 + month.month - start.month
    return RAMP[since] if 0 <= since < len(RAMP) else None


def _quota_cells(org: SeededOrg, months: list[dt.date], today: dt.date) -> list[QuotaCell]:
    reps = org.reps
    cells: list[QuotaCell] = []
    revenue: dict[tuple[int, dt.date], Decimal] = {}
    for number, rep in enumerate(reps, start=1):
        key = rep.user.email.split("@")[0]
        for month in months:
            if not _employed(rep, month):
                continue
            amount = _base_amount(number, month)
            ramp = _ramp(rep, month, today)
            revenue[(rep.pk, month)] = amount * (ramp or 100) / 100
            cells.append(QuotaCell(rep.pk, month, Metric.REVENUE, amount, ramp_pct=ramp))
            if key in DEALS_REPS:
                deals = max(1, round(float(amount) / AVERAGE_DEAL))
                cells.append(QuotaCell(rep.pk, month, Metric.DEALS, deals))
    # A manager's quota is their team's number: the sum of their tree's rep quotas.
    children: dict[int, list[int]] = defaultdict(list)
    for member in [*org.managers, *reps]:
        if member.manager_id is not None:
            children[member.manager_id].append(member.pk)

    def tree(member_id: int) -> list[int]:
        found, stack = [], [member_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(children.get(current, ()))
        return found

    for manager in org.managers:
        below = tree(manager.pk)
        for month in months:
            if not _employed(manager, month):
                continue
            total = sum((revenue.get((pk, month), Decimal(0)) for pk in below), Decimal(0))
            if total:
                amount = (total / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000
                cells.append(QuotaCell(manager.pk, month, Metric.REVENUE, amount))
    return cells


def _work_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return [day for day in days if day.weekday() < 5]


def _sale_rows(org: SeededOrg, months: list[dt.date], today: dt.date) -> list[SaleRow]:
    """A year of sales per rep, up to today: each month about the rep's quota × their
    performance (± 15%), in deals of about ``AVERAGE_DEAL`` on work days, mostly on the
    accounts of the territories they worked that day."""
    tenant = org.tenant
    accounts_by_territory: dict[int | None, list[int]] = defaultdict(list)
    for pk, territory_id in (
        Account.objects.filter(tenant=tenant).order_by("pk").values_list("pk", "territory_id")
    ):
        accounts_by_territory[territory_id].append(pk)
    territories_of: dict[int, list[int]] = defaultdict(list)
    for member_id, territory_id in (
        TerritoryMember.objects.filter(tenant=tenant)
        .order_by("territory_id")
        .values_list("member_id", "territory_id")
    ):
        territories_of[member_id].append(territory_id)
    everywhere = sorted(pk for ids in accounts_by_territory.values() for pk in ids)
    if not everywhere:
        return []

    rows: list[SaleRow] = []
    first_month = _add_months(today.replace(day=1), -11)
    for number, rep in enumerate(org.reps, start=1):
        key = rep.user.email.split("@")[0]
        rng = random.Random(DEMO_SEED + number)
        own = sorted(pk for t in territories_of.get(rep.pk, ()) for pk in accounts_by_territory[t])
        others = sorted(set(everywhere) - set(own)) or everywhere
        serial = 0
        for month in months:
            if month < first_month or month > today:
                continue
            first, last = month_bounds(month)
            days = _work_days(max(first, rep.start_date), min(last, today))
            if not days:
                continue
            whole_month = _work_days(max(first, rep.start_date), last)
            ramp = _ramp(rep, month, today) or Decimal(100)
            expected = float(_base_amount(number, month) * ramp / 100)
            expected *= PERFORMANCE.get(key, 1.0) * rng.uniform(0.85, 1.15)
            expected *= len(days) / len(whole_month)  # This month: only the days gone by.
            count = max(1, round(expected / AVERAGE_DEAL))
            weights = [rng.uniform(0.4, 1.6) for _ in range(count)]
            for weight in weights:
                serial += 1
                amount = Decimal(expected * weight / sum(weights)).quantize(CENT)
                pool = others if not own or rng.random() < ENCROACHING_SHARE else own
                rows.append(
                    SaleRow(
                        external_id=f"DEMO-{number:02d}-{serial:04d}",
                        member_id=rep.pk,
                        account_id=rng.choice(pool),
                        amount=max(amount, Decimal("100.00")),
                        closed_on=rng.choice(days),
                    )
                )
    return rows


def seed_quotas(*, org: SeededOrg) -> None:
    """Quotas, sales, targets and figures for the demo organisation (see the module)."""
    tenant, admin = org.tenant, org.admin
    today = tenant.today()
    fiscal_year = fiscal_months(tenant, fiscal_year_of(tenant, today))
    months = _months(today, fiscal_year)

    existing = set(Quota.objects.filter(tenant=tenant).values_list("member_id", "month", "metric"))
    cells = [cell for cell in _quota_cells(org, months, today) if cell.key not in existing]
    created = quotas_save_many(tenant=tenant, actor=admin, cells=cells) if cells else []
    if created:
        quotas_publish(tenant=tenant, actor=admin, quota_ids=[quota.pk for quota in created])

    known = set(
        Sale.objects.filter(tenant=tenant, external_id__startswith="DEMO-").values_list(
            "external_id", flat=True
        )
    )
    rows = [row for row in _sale_rows(org, months, today) if row.external_id not in known]
    if rows:
        sales_upsert_many(tenant=tenant, actor=admin, rows=rows, source=Sale.Source.IMPORT)
    if not created and not rows:
        return  # Everything is in place: a second run adds nothing.

    if created:
        quotas_roll_down(tenant=tenant, quota_ids=[quota.pk for quota in created])
        _acknowledge(org, created, today)
    this_month = today.replace(day=1)
    for month in months:
        if month >= _add_months(this_month, -1):
            break
        attainment_compute(tenant=tenant, as_of=month_bounds(month)[1], months=[month])
    # Daily snapshots of last month and this one, up to today: the pace charts.
    day = _add_months(this_month, -1)
    while day <= today:
        attainment_compute(tenant=tenant, as_of=day, months=[day])
        day += dt.timedelta(days=1)


def _acknowledge(org: SeededOrg, quotas: list[Quota], today: dt.date) -> None:
    """Reps and managers agreed to their quotas up to last month; this month's, half of
    them (the others still have the button to press)."""
    this_month = today.replace(day=1)
    people = {member.pk: member for member in [*org.managers, *org.reps]}
    for quota in quotas:
        member = people.get(quota.member_id)
        if member is None or quota.month > this_month:
            continue
        if quota.month == this_month and member in org.reps and org.reps.index(member) % 2 == 0:
            continue  # rep1, rep3…: this month's button is theirs to press.
        quota_acknowledge(tenant=org.tenant, actor=member, quota=quota)
