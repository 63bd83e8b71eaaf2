"""What the page tests share: a fixed "today" (Monday 16 March 2026) for every
organisation, and a month of quotas, sales, targets and figures built through the
services, as the app builds them."""

import datetime as dt
from decimal import Decimal

import pytest

from quotas.models import Metric, Quota
from spm.tenancy.models import Tenant

from .compute_factories import compute, roll_down
from .factories import QuotaFactory, SaleFactory

MARCH = dt.date(2026, 3, 1)
TODAY = dt.date(2026, 3, 16)  # A Monday; 11 of March's 22 weekdays are done by its end.


# Imported by the test modules; named so the import does not shadow the fixture's name there.
@pytest.fixture(name="today")
def today_fixture(monkeypatch) -> dt.date:
    """Every organisation's today is ``TODAY``: figures, targets and charts are exact."""
    monkeypatch.setattr(Tenant, "today", lambda self: TODAY)
    return TODAY


def sale(member, amount: str, closed_on: dt.date, **fields):
    return SaleFactory(member=member, amount=Decimal(amount), closed_on=closed_on, **fields)


def quota(member, amount: str = "22000.00", **fields) -> Quota:
    fields.setdefault("month", MARCH)
    fields.setdefault("metric", Metric.REVENUE)
    fields.setdefault("status", Quota.Status.PUBLISHED)
    return QuotaFactory(member=member, amount=Decimal(amount), **fields)


def compute_march(tenant, *, days=(dt.date(2026, 3, 13), TODAY)) -> None:
    """Roll down, then attainment as of each of ``days`` (a snapshot each)."""
    roll_down(tenant)
    for day in days:
        compute(tenant, as_of=day)
