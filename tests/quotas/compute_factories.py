"""What the tests of the compute path (rolldown, attainment, their tasks, commands and
selectors) share: the worked examples of ../shared/examples/rolldown.json built as
database rows, and short ways to run the services in an organisation's context."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from quotas.models import Attainment, Quota, QuotaTarget
from quotas.services.attainment import attainment_compute
from quotas.services.rolldown import quotas_roll_down
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Tenant

from ..factories import HolidayFactory, MembershipFactory, TenantFactory, TimeOffFactory
from .factories import QuotaFactory

EXAMPLES = Path(__file__).resolve().parent / "examples" / "rolldown.json"
CASES = json.loads(EXAMPLES.read_text())["cases"]
ATTAINMENT_CASES = [case for case in CASES if "attainment" in case]
# A member whose employment the example leaves open started long before any example.
LONG_AGO = dt.date(2020, 1, 1)


def day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def month_of(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def build_case(case: dict, *, slug: str) -> Quota:
    """The example's organisation (its calendar), member (employment, time off) and quota."""
    calendar = case["tenant"]
    tenant = TenantFactory(
        slug=slug,
        work_week=calendar["work_week"],
        weekday_weights=calendar["weekday_weights"],
        prorate_time_off=calendar["prorate_time_off"],
    )
    for holiday in calendar["holidays"]:
        HolidayFactory(tenant=tenant, date=day(holiday))
    member = MembershipFactory(
        tenant=tenant,
        start_date=day(case["member"]["start_date"]) or LONG_AGO,
        end_date=day(case["member"]["end_date"]),
    )
    for start, end in case["member"]["time_off"]:
        TimeOffFactory(member=member, start=day(start), end=day(end))
    quota = case["quota"]
    return QuotaFactory(
        member=member,
        month=month_of(quota["month"]),
        metric=quota["metric"],
        amount=Decimal(quota["amount"]),
        ramp_pct=Decimal(quota["ramp_pct"]),
    )


def roll_down(tenant: Tenant, **kwargs):
    with tenant_context(tenant):
        return quotas_roll_down(tenant=tenant, **kwargs)


def compute(tenant: Tenant, **kwargs):
    with tenant_context(tenant):
        return attainment_compute(tenant=tenant, **kwargs)


def targets_as_values(quota: Quota) -> dict:
    """A quota's stored rolldown in the examples' shape, amounts as ``Decimal`` (the
    columns hold two decimal places for every metric, so a count 3 is stored as 3.00)."""
    quota = Quota.all_tenants.get(pk=quota.pk)
    rows = QuotaTarget.all_tenants.filter(quota=quota).order_by("granularity", "start")
    return {
        "effective_amount": quota.effective_amount,
        "no_capacity": quota.no_capacity,
        "daily": [[row.start.isoformat(), row.amount] for row in rows if row.granularity == "day"],
        "weekly": [
            [row.start.isoformat(), row.end.isoformat(), row.amount]
            for row in rows
            if row.granularity == "week"
        ],
    }


def expected_values(case: dict) -> dict:
    """The example's expected rolldown, amounts as ``Decimal``."""
    expected = case["expected"]
    return {
        "effective_amount": Decimal(expected["effective_amount"]),
        "no_capacity": expected["no_capacity"],
        "daily": [[date, Decimal(amount)] for date, amount in expected["daily"]],
        "weekly": [[start, end, Decimal(amount)] for start, end, amount in expected["weekly"]],
    }


def stored_targets(quota_ids) -> list[tuple]:
    """Every target row of the quotas, without its id: what idempotence compares."""
    return list(
        QuotaTarget.all_tenants.filter(quota_id__in=list(quota_ids))
        .order_by("quota_id", "granularity", "start")
        .values_list("tenant_id", "quota_id", "granularity", "start", "end", "amount")
    )


def attainment_of(quota: Quota) -> Attainment | None:
    return Attainment.all_tenants.filter(quota_id=quota.pk).first()


def team(tenant: Tenant, manager: Membership, size: int, **fields) -> list[Membership]:
    """``size`` reps reporting to ``manager``."""
    return [
        MembershipFactory(tenant=tenant, manager=manager, start_date=LONG_AGO, **fields)
        for _ in range(size)
    ]
