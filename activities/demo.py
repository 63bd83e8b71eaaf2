"""Activities' part of the demo organisation (a ``SeedStep`` registered in ``plugin.py``).

Three months of logged days, so the Day page, the week view, the team's selling time and
the encroachment list are alive on first start:

- every rep and manager logs each of their capacity days (work days, not holidays or
  their time off, while employed) from three months ago to yesterday, about seven to
  nine hours, and today's morning so far; reps differ in selling ratio: most near the
  90% target, a few well below it (rep8, rep10, rep12), managers lower (they coach and
  report);
- selling activities (calls, emails, meetings, demos, proposals) on accounts of the
  member's territories, a few on another territory's account (encroachment to discuss);
  non-selling time as reporting, admin, internal meetings, training and travel;
- an ``activities`` quota for this month for three reps (published, rolled down), whose
  attainment counts their selling activities;
- today's plan of every rep: suggestions from their territories and the gap line.

Everything goes through the services: the history is one all-or-nothing bulk log (as the
admin's CSV import logs for others), the plans through ``plans_suggest``. Idempotent: a
tenant with activities already gets no second history; suggesting again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from quotas.models import Metric, Quota
from quotas.services import QuotaCell, quotas_publish, quotas_save_many
from quotas.services.attainment import attainment_compute
from quotas.services.rolldown import quotas_roll_down
from spm.calendars.selectors import capacity_days_by_member
from territories.models import Account, TerritoryMember

from .models import Activity, ActivityType, Category
from .services import ActivityRow, activities_create_many
from .services.plan import plans_suggest

if TYPE_CHECKING:
    from spm.demo.seed import SeededOrg

DEMO_SEED = 20_261_203  # Fixed: every run draws the same days.
HISTORY_DAYS = 92
# Each member's share of selling time, by login; the rest of their day is non-selling.
SELLING_SHARE = {
    "rep1": 0.94, "rep2": 0.92, "rep3": 0.91, "rep4": 0.9, "rep5": 0.93, "rep6": 0.89,
    "rep7": 0.91, "rep8": 0.71, "rep9": 0.9, "rep10": 0.78, "rep11": 0.92, "rep12": 0.83,
}  # fmt: skip
MANAGER_SHARE = 0.62
ENCROACHING_SHARE = 0.03
# Reps with an activities quota this month (count of selling activities).
ACTIVITY_QUOTA_REPS = ("rep1", "rep2", "rep8")
SELLING_MINUTES = {"Call": (10, 30), "Email": (5, 20), "Meeting": (30, 90),
                   "Demo": (30, 75), "Proposal": (30, 120)}  # fmt: skip
NON_SELLING_MINUTES = {"Reporting": (15, 45), "Admin": (10, 40), "Internal meeting": (20, 60),
                       "Training": (30, 90), "Travel": (20, 90)}  # fmt: skip


def seed_activities(*, org: SeededOrg) -> None:
    tenant = org.tenant
    today = tenant.today()
    if not Activity.objects.filter(tenant=tenant).exists():
        rows = _history(org, today)
        activities_create_many(
            tenant=tenant,
            actor=org.admin,
            rows=rows,
            source=Activity.Source.IMPORT,
            on_behalf=True,
        )
    _activity_quotas(org, today)
    plans_suggest(tenant=tenant, member_ids=[rep.pk for rep in org.reps], date=today)


def _capacity_days(org: SeededOrg, first: dt.date, last: dt.date) -> dict[int, list[dt.date]]:
    """Each member's capacity days from ``first`` to ``last``: two queries a month."""
    people = [*org.managers, *org.reps]
    days: dict[int, list[dt.date]] = defaultdict(list)
    month = first.replace(day=1)
    while month <= last:
        for member_id, month_days in capacity_days_by_member(
            tenant=org.tenant, members=people, year=month.year, month=month.month
        ).items():
            days[member_id] += [day for day in month_days if first <= day <= last]
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return days


def _accounts(org: SeededOrg) -> tuple[dict[int, list[int]], list[int]]:
    """The accounts of each member's territories, and every placed account."""
    by_territory: dict[int, list[int]] = defaultdict(list)
    for pk, territory_id in (
        Account.objects.filter(tenant=org.tenant, territory__isnull=False)
        .order_by("pk")
        .values_list("pk", "territory_id")
    ):
        by_territory[territory_id].append(pk)
    own: dict[int, list[int]] = defaultdict(list)
    for member_id, territory_id in (
        TerritoryMember.objects.filter(tenant=org.tenant)
        .order_by("pk")
        .values_list("member_id", "territory_id")
    ):
        own[member_id] += by_territory.get(territory_id, [])
    return own, [pk for accounts in by_territory.values() for pk in accounts]


def _history(org: SeededOrg, today: dt.date) -> list[ActivityRow]:
    rng = random.Random(DEMO_SEED)
    types = {t.name: t for t in ActivityType.objects.filter(tenant=org.tenant, active=True)}
    selling = [types[name] for name in SELLING_MINUTES if name in types]
    non_selling = [types[name] for name in NON_SELLING_MINUTES if name in types]
    minutes = {**SELLING_MINUTES, **NON_SELLING_MINUTES}
    own_accounts, every_account = _accounts(org)
    days = _capacity_days(org, today - dt.timedelta(days=HISTORY_DAYS), today)
    shares = {
        **{manager.pk: MANAGER_SHARE for manager in org.managers},
        **{
            member.pk: SELLING_SHARE.get(login, 0.9)
            for login, member in org.people.items()
            if member in org.reps
        },
    }
    rows = []
    for member_id, share in shares.items():
        accounts = own_accounts.get(member_id) or every_account
        for day in days.get(member_id, []):
            # Today is half done: the morning's work so far.
            budget = rng.randint(200, 260) if day == today else rng.randint(420, 540)
            while budget > 0:
                kind = rng.choice(selling if rng.random() < share else non_selling)
                low, high = minutes[kind.name]
                duration = min(budget, 5 * round(rng.randint(low, high) / 5) or 5)
                budget -= duration
                account = None
                if kind.category == Category.SELLING and accounts:
                    pool = every_account if rng.random() < ENCROACHING_SHARE else accounts
                    account = rng.choice(pool)
                rows.append(
                    ActivityRow(
                        member_id=member_id,
                        type_id=kind.pk,
                        date=day,
                        duration_minutes=duration,
                        account_id=account,
                    )
                )
    return rows


def _activity_quotas(org: SeededOrg, today: dt.date) -> None:
    """An activities quota this month for a few reps: about five selling activities a
    work day. Saved, published and rolled down through the quota services."""
    month = today.replace(day=1)
    people = org.people
    reps = [people[login] for login in ACTIVITY_QUOTA_REPS if login in people]
    existing = set(
        Quota.objects.filter(
            tenant=org.tenant, month=month, metric=Metric.ACTIVITIES, member__in=reps
        ).values_list("member_id", flat=True)
    )
    cells = [
        QuotaCell(member_id=rep.pk, month=month, metric=Metric.ACTIVITIES, amount=Decimal("110"))
        for rep in reps
        if rep.pk not in existing
    ]
    if not cells:
        return
    quotas = quotas_save_many(tenant=org.tenant, actor=org.admin, cells=cells)
    quotas_publish(tenant=org.tenant, actor=org.admin, quota_ids=[quota.pk for quota in quotas])
    quotas_roll_down(tenant=org.tenant, quota_ids=[quota.pk for quota in quotas])
    attainment_compute(tenant=org.tenant, months=[month])
