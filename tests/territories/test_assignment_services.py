"""Moving accounts by hand, scheduling moves, and territory membership rules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from territories import services
from territories.models import Account, AccountAssignment, Territory, TerritoryMember
from territories.services import (
    accounts_assign,
    scheduled_assignments_apply,
    territory_member_add,
    territory_member_end,
    territory_save,
)

from .factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory


def territory_of(account):
    return Account.all_tenants.get(pk=account.pk).territory_id


def test_assigning_moves_accounts_and_writes_history_in_the_same_transaction(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    a, b = AccountFactory(tenant=org.tenant, territory=east), AccountFactory(tenant=org.tenant)
    today = org.tenant.today()
    with tenant_context(org.tenant):
        result = accounts_assign(
            tenant=org.tenant,
            actor=org.admin.user,
            account_ids=[a.pk, b.pk],
            territory=west,
            effective_date=today,
        )
    assert (result.moved, result.scheduled, result.unchanged) == (2, 0, 0)
    assert territory_of(a) == territory_of(b) == west.pk
    rows = AccountAssignment.all_tenants.order_by("account_id")
    assert [(r.account_id, r.from_territory_id, r.to_territory_id) for r in rows] == [
        (a.pk, east.pk, west.pk),
        (b.pk, None, west.pk),
    ]


def test_a_future_effective_date_schedules_the_move_until_that_day(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    account = AccountFactory(tenant=org.tenant)
    today = org.tenant.today()
    later = today + dt.timedelta(days=5)
    with tenant_context(org.tenant):
        result = accounts_assign(
            tenant=org.tenant,
            actor=None,
            account_ids=[account.pk],
            territory=west,
            effective_date=later,
        )
        assert result.scheduled == 1
        assert territory_of(account) is None
        assert scheduled_assignments_apply(tenant=org.tenant, today=today) == 0
        assert scheduled_assignments_apply(tenant=org.tenant, today=later) == 1
        assert scheduled_assignments_apply(tenant=org.tenant, today=later) == 0
    assert territory_of(account) == west.pk


def test_ids_of_another_tenants_accounts_are_ignored(org, other):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    foreign = AccountFactory(tenant=other.tenant)
    with tenant_context(org.tenant):
        result = accounts_assign(
            tenant=org.tenant,
            actor=None,
            account_ids=[foreign.pk],
            territory=west,
            effective_date=org.tenant.today(),
        )
    assert result.moved == 0
    assert territory_of(foreign) is None


def test_another_tenants_territory_cannot_be_the_target(org, other):
    foreign = TerritoryFactory(tenant=other.tenant, name="Foreign")
    account = AccountFactory(tenant=org.tenant)
    with tenant_context(org.tenant), pytest.raises(foreign.DoesNotExist):
        accounts_assign(
            tenant=org.tenant,
            actor=None,
            account_ids=[account.pk],
            territory=foreign,
            effective_date=org.tenant.today(),
        )


def test_reps_are_notified_when_accounts_move_in_or_out(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=dt.date(2020, 1, 1))
    TerritoryMemberFactory(territory=east, member=org.outsider_rep, start_date=dt.date(2020, 1, 1))
    accounts = [AccountFactory(tenant=org.tenant, territory=east) for _ in range(3)]
    with tenant_context(org.tenant):
        accounts_assign(
            tenant=org.tenant,
            actor=None,
            account_ids=[a.pk for a in accounts],
            territory=west,
            effective_date=org.tenant.today(),
        )
    titles = dict(Notification.all_tenants.values_list("recipient_id", "title"))
    assert titles == {
        org.rep.pk: "3 accounts moved into West",
        org.outsider_rep.pk: "3 accounts moved out of East",
    }


def test_a_territory_has_at_most_one_owner_on_any_date(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    with tenant_context(org.tenant):
        territory_member_add(
            tenant=org.tenant,
            actor=None,
            territory=west,
            member=org.rep,
            role="owner",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 6, 30),
        )
        with pytest.raises(ValidationError) as error:
            territory_member_add(
                tenant=org.tenant,
                actor=None,
                territory=west,
                member=org.outsider_rep,
                role="owner",
                start_date=dt.date(2026, 6, 30),
            )
        assert "already has an owner" in error.value.message_dict["role"][0]
        # The day after the first owner leaves, a new owner may start; overlays any time.
        territory_member_add(
            tenant=org.tenant,
            actor=None,
            territory=west,
            member=org.outsider_rep,
            role="owner",
            start_date=dt.date(2026, 7, 1),
        )
        territory_member_add(
            tenant=org.tenant,
            actor=None,
            territory=west,
            member=org.manager,
            role="overlay",
            start_date=dt.date(2026, 3, 1),
        )
    assert TerritoryMember.all_tenants.filter(territory=west).count() == 3


def test_reps_are_notified_when_added_to_or_removed_from_a_territory(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    with tenant_context(org.tenant):
        link = territory_member_add(
            tenant=org.tenant,
            actor=None,
            territory=west,
            member=org.rep,
            role="overlay",
            start_date=dt.date(2026, 1, 1),
        )
        territory_member_end(
            tenant=org.tenant, actor=None, link=link, end_date=dt.date(2026, 12, 31)
        )
    kinds = list(Notification.all_tenants.filter(recipient=org.rep).values_list("kind", flat=True))
    assert sorted(kinds) == ["territory.added", "territory.removed"]
    assert TerritoryMember.all_tenants.get(pk=link.pk).end_date == dt.date(2026, 12, 31)


def test_a_territory_cannot_be_moved_under_its_own_descendant(org):
    with tenant_context(org.tenant):
        region = territory_save(tenant=org.tenant, actor=None, name="Americas")
        child = territory_save(tenant=org.tenant, actor=None, name="West", parent=region)
        with pytest.raises(ValidationError) as error:
            territory_save(
                tenant=org.tenant, actor=None, territory=region, name="Americas", parent=child
            )
    assert "parent" in error.value.message_dict


def test_territory_names_are_unique_per_tenant_only(org, other):
    with tenant_context(org.tenant):
        territory_save(tenant=org.tenant, actor=None, name="West")
        with pytest.raises(ValidationError):
            territory_save(tenant=org.tenant, actor=None, name="West")
    with tenant_context(other.tenant):
        territory_save(tenant=other.tenant, actor=None, name="West")


@pytest.mark.skipif(
    __import__("django.db", fromlist=["connection"]).connection.vendor != "postgresql",
    reason="Exclusion constraints exist on PostgreSQL only (CI runs it).",
)
def test_the_database_refuses_two_overlapping_owners_even_without_the_service(org):
    from django.db import IntegrityError, transaction

    west = TerritoryFactory(tenant=org.tenant, name="West")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryMemberFactory(
            territory=west, member=org.outsider_rep, start_date=dt.date(2026, 5, 1)
        )
    # An overlay on the same dates is fine.
    TerritoryMemberFactory(
        territory=west, member=org.outsider_rep, role="overlay", start_date=dt.date(2026, 5, 1)
    )


@pytest.mark.parametrize("name", ["east", "EAST", "  East  "])
def test_the_service_refuses_a_territory_name_that_differs_only_in_case(org, name):
    TerritoryFactory(tenant=org.tenant, name="East")
    with tenant_context(org.tenant), pytest.raises(ValidationError) as refused:
        services.territory_save(tenant=org.tenant, actor=org.admin.user, name=name)
    assert refused.value.message_dict == {"name": ["A territory named “East” already exists."]}
    assert Territory.all_tenants.filter(tenant=org.tenant).count() == 1


def test_the_database_refuses_a_territory_name_that_differs_only_in_case(org):
    TerritoryFactory(tenant=org.tenant, name="East")
    with pytest.raises(IntegrityError), transaction.atomic():
        Territory.all_tenants.create(tenant=org.tenant, name="eAST")


def test_another_organisation_may_use_the_same_name_in_any_case(org, other):
    TerritoryFactory(tenant=org.tenant, name="East")
    with tenant_context(other.tenant):
        created = services.territory_save(tenant=other.tenant, actor=other.admin.user, name="east")
    assert created.name == "east"
