"""What the recognition tests share: stored attainment for a member's month, written as
the quotas app stores it (a published quota and its ``Attainment`` row), and a way to
run a service in an organisation's scope."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accountability.models import Recognition
from quotas.models import Attainment, Metric, Quota
from spm.tenancy.context import tenant_context

from ..quotas.factories import QuotaFactory

MARCH = dt.date(2026, 3, 1)


def attained(
    member,
    pct: str,
    *,
    month: dt.date = MARCH,
    metric: str = Metric.REVENUE,
    effective: str = "10000.00",
    status: str = Quota.Status.PUBLISHED,
) -> Quota:
    """``member``'s quota for ``month`` with ``pct``% of ``effective`` achieved, stored."""
    amount = Decimal(effective)
    achieved = (amount * Decimal(pct) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    quota = QuotaFactory(
        member=member,
        month=month,
        metric=metric,
        amount=amount,
        effective_amount=amount,
        status=status,
    )
    Attainment.all_tenants.create(
        tenant=member.tenant,
        quota=quota,
        as_of=month,
        achieved=achieved,
        expected_to_date=amount,
        attainment_pct=Decimal(pct),
        computed_at=timezone.now(),
    )
    return quota


def run(tenant, service, **kwargs):
    with tenant_context(tenant):
        return service(tenant=tenant, **kwargs)


def recognised(member, **fields) -> Recognition:
    """A recognition of ``member`` (given, for March 2026, unless ``fields`` say otherwise)."""
    values = {
        "kind": Recognition.Kind.KUDOS,
        "title": "Recognition",
        "period_start": MARCH,
        "period_end": dt.date(2026, 3, 31),
        **fields,
    }
    return Recognition.all_tenants.create(tenant=member.tenant, member=member, **values)
