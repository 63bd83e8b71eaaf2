"""Seasonality profiles and spreading an annual figure over the fiscal year's months.

Invariants:

- a profile has exactly 12 shares in %, January first, each ≥ 0 with at most two
  decimals, totalling exactly 100; its name is unique in the organisation, in any case;
- ``seasonal_spread`` splits an annual amount with running-total rounding: after each
  month the running total equals that month's exact cumulative share of the annual
  amount, rounded half up to the unit, so the months sum exactly to the annual amount,
  each is within one unit of its exact share, and none is negative;
- spreading over members goes through ``quotas_save_many`` (its checks, its history,
  its rolldown), all or nothing.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from spm.tenancy.models import Role, Tenant
from spm.tenancy.services import audit

from ..models import Metric, Quota, SeasonalityProfile
from ._common import acting, amount_problem, parse_decimal, quantize, unit_of
from .quotas import fiscal_year_months, quotas_from_annuals

MONTHS = 12
HUNDRED = Decimal(100)
NAME_MAX = SeasonalityProfile._meta.get_field("name").max_length
#: Twelve equal shares, exactly (100/12 % each), used when no profile is chosen.
EVEN = (Fraction(100, 12),) * MONTHS


def seasonality_shares_check(shares) -> list[Decimal]:
    """``shares`` as 12 ``Decimal`` percentages with two decimals, or ``ValidationError``
    on ``shares`` saying what is wrong (the admin form shows the same message)."""
    if isinstance(shares, str | bytes) or not isinstance(shares, Sequence):
        raise ValidationError({"shares": "Give 12 shares in %, January first."})
    if len(shares) != MONTHS:
        raise ValidationError(
            {"shares": f"Give exactly 12 shares in %, January first (got {len(shares)})."}
        )
    clean: list[Decimal] = []
    problems: list[str] = []
    for month, raw in zip(range(1, MONTHS + 1), shares, strict=True):
        share = parse_decimal(raw)
        name = dt.date(2000, month, 1).strftime("%B")
        if share is None:
            problems.append(f"{name}: enter a number.")
        elif share < 0:
            problems.append(f"{name}: a share cannot be negative.")
        elif share > HUNDRED:
            problems.append(f"{name}: a share is at most 100%.")
        elif share % Decimal("0.01"):
            problems.append(f"{name}: use at most 2 decimal places.")
        else:
            clean.append(share.quantize(Decimal("0.01")))
    if problems:
        raise ValidationError({"shares": problems})
    total = sum(clean, Decimal(0))
    if total != HUNDRED:
        raise ValidationError(
            {"shares": f"The shares total {total}%; they must total exactly 100%."}
        )
    return clean


def _name_check(tenant: Tenant, profile: SeasonalityProfile | None, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the profile a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"At most {NAME_MAX} characters."})
    taken = SeasonalityProfile.objects.filter(tenant=tenant, name__iexact=name)
    if profile is not None and profile.pk:
        taken = taken.exclude(pk=profile.pk)
    if taken.exists():
        raise ValidationError({"name": "A profile with this name already exists."})
    return name


def seasonality_profile_check(
    *, tenant: Tenant, profile: SeasonalityProfile | None, name: str, shares
) -> None:
    """Raise ``ValidationError`` (by field, every field at once) unless the profile can
    be saved with these values."""
    errors: dict = {}
    for check in (
        lambda: _name_check(tenant, profile, name),
        lambda: seasonality_shares_check(shares),
    ):
        try:
            check()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _admin_only(tenant: Tenant, actor) -> object | None:
    who = acting(tenant=tenant, actor=actor)
    if who.role != Role.ADMIN:
        raise PermissionDenied("Seasonality profiles are set by the organisation's admins.")
    return who.user


@transaction.atomic
def seasonality_profile_save(
    *,
    tenant: Tenant,
    actor,
    profile: SeasonalityProfile | None = None,
    name: str,
    shares,
) -> SeasonalityProfile:
    """Create a profile, or change one (admins). Shares are stored as text ("8.33")."""
    user = _admin_only(tenant, actor)
    if profile is not None and profile.tenant_id != tenant.pk:
        raise SeasonalityProfile.DoesNotExist("No such profile.")
    seasonality_profile_check(tenant=tenant, profile=profile, name=name, shares=shares)
    clean = seasonality_shares_check(shares)
    creating = profile is None or profile.pk is None
    profile = profile or SeasonalityProfile(tenant=tenant)
    profile.tenant = tenant
    profile.name = name.strip()
    profile.shares = [str(share) for share in clean]
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:  # Another admin took the name meanwhile.
        raise ValidationError({"name": "A profile with this name already exists."}) from exc
    audit(
        tenant=tenant,
        actor=user,
        action="seasonality.created" if creating else "seasonality.changed",
        obj=profile,
        data={"name": profile.name, "shares": profile.shares},
    )
    return profile


@transaction.atomic
def seasonality_profile_delete(*, tenant: Tenant, actor, profile: SeasonalityProfile) -> None:
    """Delete a profile (admins); quotas spread with it keep their amounts."""
    user = _admin_only(tenant, actor)
    if profile.tenant_id != tenant.pk:
        raise SeasonalityProfile.DoesNotExist("No such profile.")
    audit(tenant=tenant, actor=user, action="seasonality.deleted", obj=profile,
          data={"name": profile.name})  # fmt: skip
    SeasonalityProfile.objects.filter(tenant=tenant, pk=profile.pk).delete()


def seasonal_spread(
    annual: Decimal, shares: Sequence, unit: Decimal, first_month: int = 1
) -> list[Decimal]:
    """``annual`` split over the 12 months of a fiscal year starting in ``first_month``
    (1 = January) by ``shares`` (12 percentages, January first, totalling 100).

    Running-total rounding: the running total after the k-th month is the exact
    cumulative share of ``annual`` rounded half up to ``unit``; each month is the
    difference from the previous running total. ``annual`` must be a whole number of
    ``unit``s, so the last running total is ``annual`` itself.
    """
    if len(shares) != MONTHS or not 1 <= first_month <= MONTHS:
        raise ValueError("Give 12 shares and a first month between 1 and 12.")
    ordered = [Fraction(shares[(first_month - 1 + i) % MONTHS]) for i in range(MONTHS)]
    total_share = sum(ordered, Fraction(0))
    if total_share != 100:
        raise ValueError(f"The shares total {float(total_share)}%, not 100%.")
    if Fraction(annual) % Fraction(unit):
        raise ValueError(f"{annual} is not a whole number of {unit}.")
    exact = Fraction(annual)
    running = Decimal(0)
    spread: list[Decimal] = []
    cumulative = Fraction(0)
    for share in ordered:
        cumulative += share
        target = _round_half_up(exact * cumulative / 100, unit)
        spread.append(quantize(target - running, unit))
        running = target
    return spread


def _round_half_up(value: Fraction, unit: Decimal) -> Decimal:
    """``value`` (≥ 0) rounded half up to a multiple of ``unit``, exactly."""
    steps = value / Fraction(unit)
    whole = int(steps)
    if steps - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) * unit).quantize(unit, rounding=ROUND_HALF_UP)


@transaction.atomic
def quotas_spread_annual(
    *,
    tenant: Tenant,
    actor,
    annuals: Mapping[int, object],
    fiscal_year_start: dt.date,
    metric: str,
    profile: SeasonalityProfile | None = None,
) -> list[Quota]:
    """Set each member's 12 monthly quotas of the fiscal year starting at
    ``fiscal_year_start`` from their annual figure (``annuals[member_id]``), spread by
    ``profile`` (``None``: evenly). All or nothing, through ``quotas_save_many``.
    """
    if metric not in Metric.values:
        raise ValidationError({"metric": f"Choose one of {', '.join(Metric.values)}."})
    if profile is not None and profile.tenant_id != tenant.pk:
        raise SeasonalityProfile.DoesNotExist("No such profile.")
    acting(tenant=tenant, actor=actor)  # Refuses reps before any work.
    unit = unit_of(metric)
    shares = EVEN if profile is None else seasonality_shares_check(profile.shares)
    months = fiscal_year_months(fiscal_year_start)
    spreads: dict[int, list[Decimal]] = {}
    problems: dict[str, str] = {}
    for member_id, raw in annuals.items():
        annual = parse_decimal(raw)
        if problem := amount_problem(annual, unit, unit_name=Metric(metric).label.lower()):
            problems[str(member_id)] = problem
            continue
        spreads[member_id] = seasonal_spread(
            quantize(annual, unit), shares, unit, first_month=months[0].month
        )
    if problems:
        raise ValidationError({"annuals": [f"Member {k}: {v}" for k, v in problems.items()]})
    return quotas_from_annuals(
        tenant=tenant, actor=actor, spreads=spreads, months=months, metric=metric
    )
