"""Where an account was on a date (territories.selectors) and sales outside the seller's
territories on their close date (quotas.selectors.encroachment)."""

import datetime as dt
from decimal import Decimal

import factory
import pytest

from quotas.selectors.encroachment import encroachments, team_encroachments
from spm.tenancy.context import across_tenants, tenant_context
from territories.models import AccountAssignment
from territories.selectors import account_territories_on, account_territory_on

from ..territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory
from .factories import SaleFactory

JAN, FEB, MAR, APR = (dt.date(2026, month, 1) for month in (1, 2, 3, 4))


def moved(account, *, on, source, to, created=None):
    row = AccountAssignment.objects.create(
        tenant=account.tenant,
        account=account,
        from_territory=source,
        to_territory=to,
        effective_date=on,
    )
    if created is not None:
        AccountAssignment.objects.filter(pk=row.pk).update(created_at=created)
    return row


@pytest.fixture
def land(org, other):
    """West (a region) above Coast; East beside it. The rep owns Coast from January; the
    outsider rep worked East until the end of February."""
    with across_tenants():  # Arranging the other organisation's rows first.
        foreign = SaleFactory(member=other.rep, closed_on=MAR)
    with tenant_context(org.tenant):
        west = TerritoryFactory(tenant=org.tenant, name="West")
        coast = TerritoryFactory(tenant=org.tenant, name="Coast", parent=west)
        east = TerritoryFactory(tenant=org.tenant, name="East")
        TerritoryMemberFactory(territory=coast, member=org.rep, start_date=JAN)
        TerritoryMemberFactory(
            territory=east,
            member=org.outsider_rep,
            start_date=JAN,
            end_date=dt.date(2026, 2, 28),
        )
        TerritoryMemberFactory(territory=west, member=org.manager, start_date=JAN)
        yield {"west": west, "coast": coast, "east": east, "foreign": foreign, "org": org}


# --- An account's territory on a date ----------------------------------------------------


def test_an_account_without_history_was_always_in_its_current_territory(org, land):
    account = AccountFactory(tenant=org.tenant, territory=land["coast"])
    assert account_territory_on(tenant=org.tenant, account_ids=[account.pk], day=JAN) == {
        account.pk: land["coast"].pk
    }


def test_the_latest_move_on_or_before_the_date_wins_and_before_the_first_its_origin(org, land):
    coast, east = land["coast"], land["east"]
    account = AccountFactory(tenant=org.tenant, territory=None)
    moved(account, on=FEB, source=east, to=coast)
    moved(account, on=APR, source=coast, to=None)

    found = account_territories_on(
        tenant=org.tenant,
        pairs=[
            (account.pk, JAN),
            (account.pk, FEB),
            (account.pk, MAR),
            (account.pk, APR),
            (account.pk, dt.date(2026, 12, 1)),
        ],
    )

    assert found == {
        (account.pk, JAN): east.pk,  # Before the first move: where it came from.
        (account.pk, FEB): coast.pk,  # The effective date counts.
        (account.pk, MAR): coast.pk,
        (account.pk, APR): None,
        (account.pk, dt.date(2026, 12, 1)): None,
    }


def test_moves_on_the_same_day_count_in_the_order_they_were_recorded(org, land):
    coast, east = land["coast"], land["east"]
    account = AccountFactory(tenant=org.tenant)
    base = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    moved(account, on=FEB, source=None, to=east, created=base + dt.timedelta(hours=1))
    moved(account, on=FEB, source=None, to=coast, created=base)
    assert account_territory_on(tenant=org.tenant, account_ids=[account.pk], day=FEB) == {
        account.pk: east.pk
    }


def test_an_account_of_another_organisation_was_nowhere(org, other, land):
    with across_tenants():
        foreign = AccountFactory(
            tenant=other.tenant, territory=TerritoryFactory(tenant=other.tenant)
        )
    assert account_territory_on(tenant=org.tenant, account_ids=[foreign.pk], day=JAN) == {
        foreign.pk: None
    }


# --- Encroachment ---------------------------------------------------------------------


def sale(org, member, account, day, amount="100"):
    return SaleFactory(member=member, account=account, closed_on=day, amount=Decimal(amount))


def test_sales_outside_the_sellers_territories_on_the_close_date_are_listed(org, land):
    coast, east = land["coast"], land["east"]
    home = AccountFactory(tenant=org.tenant, name="Home", territory=coast)
    moving = AccountFactory(tenant=org.tenant, name="Moving", territory=east)
    moved(moving, on=MAR, source=coast, to=east)
    unassigned = AccountFactory(tenant=org.tenant, name="Nowhere", territory=None)

    inside = sale(org, org.rep, home, dt.date(2026, 3, 5))
    before_move = sale(org, org.rep, moving, dt.date(2026, 2, 20))
    after_move = sale(org, org.rep, moving, dt.date(2026, 3, 2))
    nowhere = sale(org, org.rep, unassigned, dt.date(2026, 3, 3))

    found = encroachments(tenant=org.tenant, member_ids={org.rep.pk}, start=JAN, end=APR)

    assert [e.sale for e in found] == [nowhere, after_move]
    assert found[1].territory == east and found[1].seller_territories == ("Coast",)
    assert found[0].territory is None
    assert inside not in [e.sale for e in found] and before_move not in [e.sale for e in found]


def test_a_membership_that_ended_no_longer_covers_the_territory(org, land):
    account = AccountFactory(tenant=org.tenant, territory=land["east"])
    february = sale(org, org.outsider_rep, account, dt.date(2026, 2, 28))
    march = sale(org, org.outsider_rep, account, dt.date(2026, 3, 1))
    found = encroachments(tenant=org.tenant, member_ids=None, start=JAN, end=APR)
    assert [e.sale for e in found] == [march]  # Not February's: East was theirs then.
    assert found[0].seller_territories == ()
    assert february not in [e.sale for e in found]


def test_a_region_covers_the_territories_below_it(org, land):
    account = AccountFactory(tenant=org.tenant, territory=land["coast"])
    sale(org, org.manager, account, dt.date(2026, 3, 2))
    assert encroachments(tenant=org.tenant, member_ids={org.manager.pk}, start=JAN, end=APR) == []


def test_a_manager_sees_their_team_and_an_admin_everyone(org, land):
    east_account = AccountFactory(tenant=org.tenant, territory=land["east"])
    mine = sale(org, org.rep, east_account, dt.date(2026, 3, 2))
    theirs = sale(org, org.outsider_rep, east_account, dt.date(2026, 3, 3))

    for_manager = team_encroachments(tenant=org.tenant, viewer=org.manager, start=JAN, end=APR)
    for_admin = team_encroachments(tenant=org.tenant, viewer=org.admin, start=JAN, end=APR)
    for_rep = team_encroachments(tenant=org.tenant, viewer=org.outsider_rep, start=JAN, end=APR)

    assert [e.sale for e in for_manager] == [mine]
    assert [e.sale for e in for_admin] == [theirs, mine]
    assert [e.sale for e in for_rep] == [theirs]
    assert land["foreign"].pk not in {e.sale.pk for e in for_admin}


def test_the_dates_bound_the_list(org, land):
    account = AccountFactory(tenant=org.tenant, territory=land["east"])
    sale(org, org.rep, account, dt.date(2026, 2, 27))
    inside = sale(org, org.rep, account, dt.date(2026, 3, 31))
    found = encroachments(tenant=org.tenant, member_ids=None, start=MAR, end=dt.date(2026, 3, 31))
    assert [e.sale for e in found] == [inside]


def test_thousands_of_sales_cost_a_handful_of_queries(org, land, django_assert_max_num_queries):
    accounts = [
        AccountFactory(tenant=org.tenant, territory=land["coast" if n % 3 else "east"])
        for n in range(30)
    ]
    for account in accounts[:10]:
        moved(account, on=FEB, source=land["east"], to=account.territory)
    SaleFactory.create_batch(
        2_000,
        member=org.rep,
        account=factory.Iterator(accounts),
        closed_on=factory.Iterator([dt.date(2026, 1 + n % 3, 1 + n % 28) for n in range(90)]),
    )

    with django_assert_max_num_queries(6):
        found = team_encroachments(tenant=org.tenant, viewer=org.manager, start=JAN, end=APR)

    assert found and all(e.territory != land["coast"] for e in found)
    assert all(e.sale.member.name for e in found[:50])  # Loaded with the sales.
