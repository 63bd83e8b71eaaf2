"""Seasonality profiles and spreading an annual figure (quotas.services.seasonality)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from quotas.models import Quota, SeasonalityProfile
from quotas.services import (
    quotas_spread_annual,
    seasonal_spread,
    seasonality_profile_delete,
    seasonality_profile_save,
    seasonality_shares_check,
)
from quotas.services.seasonality import EVEN
from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent

from .factories import SeasonalityProfileFactory, jobs_fixture  # noqa: F401 (a fixture)

CENT, ONE = Decimal("0.01"), Decimal("1")
RETAIL = ["6", "6", "7", "7", "8", "8", "8", "8", "9", "10", "11", "12"]


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


# --- Spreading ------------------------------------------------------------------------


def test_an_even_spread_of_a_revenue_figure_sums_exactly_to_it():
    months = seasonal_spread(Decimal("100000.00"), EVEN, CENT)
    assert months == [Decimal("8333.33"), Decimal("8333.34"), Decimal("8333.33")] * 4
    assert sum(months) == Decimal("100000.00")


def test_a_profile_spreads_by_its_shares_with_running_total_rounding():
    shares = [Decimal(s) for s in RETAIL]
    months = seasonal_spread(Decimal("1000.00"), shares, CENT)
    assert months == [Decimal(s) * 10 for s in RETAIL]
    assert sum(months) == Decimal("1000.00")


def test_a_small_count_is_spread_through_the_year_not_piled_at_its_start():
    months = seasonal_spread(Decimal("3"), EVEN, ONE)
    # Running totals 0.25, 0.5, 0.75… rounded half up: 0, 1, 1, 1, 1, 2…
    assert months == [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
    assert sum(months) == 3


def test_the_fiscal_year_starts_in_its_first_month():
    shares = [Decimal(s) for s in RETAIL]
    months = seasonal_spread(Decimal("1000.00"), shares, CENT, first_month=4)
    # April first, then round to March.
    assert months[0] == Decimal("70.00") and months[-1] == Decimal("70.00")
    assert months[8] == Decimal("120.00")  # December, the ninth month from April.


@given(
    annual=st.integers(min_value=0, max_value=10**14).map(lambda cents: Decimal(cents) / 100),
    weights=st.lists(st.integers(min_value=0, max_value=500), min_size=12, max_size=12).filter(
        lambda w: sum(w) > 0
    ),
    first_month=st.integers(min_value=1, max_value=12),
)
def test_months_always_sum_to_the_annual_figure_and_stay_within_a_cent(
    annual, weights, first_month
):
    # Shares in hundredths of a percent that total exactly 100.
    total = sum(weights)
    hundredths = [w * 10000 // total for w in weights]
    hundredths[weights.index(max(weights))] += 10000 - sum(hundredths)
    shares = [Decimal(h) / 100 for h in hundredths]

    months = seasonal_spread(annual, shares, CENT, first_month=first_month)

    assert sum(months) == annual
    assert all(month >= 0 for month in months)
    ordered = shares[first_month - 1 :] + shares[: first_month - 1]
    for month, share in zip(months, ordered, strict=True):
        assert abs(month - annual * share / 100) <= CENT


def test_an_annual_figure_not_in_the_unit_is_a_programming_error():
    with pytest.raises(ValueError):
        seasonal_spread(Decimal("2.5"), EVEN, ONE)


# --- Profiles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        (["10"] * 11, "exactly 12 shares"),
        (["8.33"] * 12, "total 99.96%"),
        (["-1"] + ["9.18"] * 11, "January: a share cannot be negative"),
        (["x"] + ["10"] * 11, "January: enter a number"),
        (["8.333"] * 12, "2 decimal places"),
        ("100", "12 shares"),
    ],
)
def test_bad_shares_are_refused_with_a_clear_message(shares, message):
    with pytest.raises(ValidationError) as refused:
        seasonality_shares_check(shares)
    assert message in " ".join(refused.value.message_dict["shares"])


def test_an_admin_saves_a_profile_whose_shares_total_100(scope):
    profile = seasonality_profile_save(
        tenant=scope.tenant, actor=scope.admin, name=" Retail ", shares=RETAIL
    )
    stored = SeasonalityProfile.objects.get(pk=profile.pk)
    assert stored.name == "Retail"
    assert stored.shares == [f"{Decimal(s):.2f}" for s in RETAIL]
    assert AuditEvent.objects.filter(action="seasonality.created").exists()


def test_a_profile_name_is_unique_in_any_case(scope):
    SeasonalityProfileFactory(tenant=scope.tenant, name="Retail")
    with pytest.raises(ValidationError) as refused:
        seasonality_profile_save(
            tenant=scope.tenant, actor=scope.admin, name="RETAIL", shares=RETAIL
        )
    assert "already exists" in refused.value.message_dict["name"][0]


def test_managers_and_reps_may_not_write_profiles(scope):
    for someone in (scope.manager, scope.rep):
        with pytest.raises(PermissionDenied):
            seasonality_profile_save(tenant=scope.tenant, actor=someone, name="X", shares=RETAIL)
    profile = SeasonalityProfileFactory(tenant=scope.tenant)
    with pytest.raises(PermissionDenied):
        seasonality_profile_delete(tenant=scope.tenant, actor=scope.manager, profile=profile)
    seasonality_profile_delete(tenant=scope.tenant, actor=scope.admin, profile=profile)
    assert not SeasonalityProfile.objects.exists()


# --- Spreading over members -----------------------------------------------------------


def test_a_manager_spreads_annual_figures_over_the_fiscal_year(scope, jobs):
    profile = SeasonalityProfileFactory(tenant=scope.tenant, shares=RETAIL)

    quotas = quotas_spread_annual(
        tenant=scope.tenant,
        actor=scope.manager,
        annuals={scope.rep.pk: "120000"},
        fiscal_year_start=dt.date(2026, 4, 1),
        metric="revenue",
        profile=profile,
    )

    assert len(quotas) == 12
    assert (quotas[0].month, quotas[-1].month) == (dt.date(2026, 4, 1), dt.date(2027, 3, 1))
    assert sum(q.amount for q in quotas) == Decimal("120000.00")
    assert Quota.objects.get(month=dt.date(2026, 12, 1)).amount == Decimal("14400.00")
    assert len(jobs) == 1


def test_spreading_without_a_profile_is_even(scope, jobs):
    quotas = quotas_spread_annual(
        tenant=scope.tenant,
        actor=scope.admin,
        annuals={scope.rep.pk: 12},
        fiscal_year_start=dt.date(2026, 1, 1),
        metric="deals",
    )
    assert [q.amount for q in quotas] == [Decimal("1.00")] * 12


def test_spreading_a_bad_annual_figure_saves_nothing(scope, jobs):
    with pytest.raises(ValidationError):
        quotas_spread_annual(
            tenant=scope.tenant,
            actor=scope.admin,
            annuals={scope.rep.pk: "-5"},
            fiscal_year_start=dt.date(2026, 1, 1),
            metric="revenue",
        )
    assert not Quota.objects.exists() and jobs == []
