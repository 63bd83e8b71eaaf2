"""The assignment-rule engine and the services that apply it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from spm.tenancy.context import tenant_context
from territories import rules as engine
from territories.models import Account, AccountAssignment
from territories.services import (
    assignment_rule_save,
    assignment_rules_apply,
    assignment_rules_preview,
)

from .factories import AccountFactory, AssignmentRuleFactory, TerritoryFactory


def frame(*accounts: dict):
    defaults = {
        "territory_id": None,
        "country": "",
        "region": "",
        "postal_code": "",
        "industry": "",
        "annual_potential": Decimal("0"),
    }
    rows = []
    for number, account in enumerate(accounts, start=1):
        values = {**defaults, **account}
        rows.append(
            (
                number,
                values["territory_id"],
                values["country"],
                values["region"],
                values["postal_code"],
                values["industry"],
                values["annual_potential"],
            )
        )
    return engine.accounts_frame(rows)


def rule(field, operator, value, value_to="", priority=100, territory_id=1):
    return engine.RuleSpec(
        territory_id=territory_id,
        field=field,
        operator=operator,
        value=value,
        value_to=value_to,
        priority=priority,
    )


def targets(plan):
    return {account_id: new for account_id, _, new in plan.moves}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (rule("country", "equals", " us "), {1, 2}),
        (rule("region", "in", "CA, wa"), {1, 3}),
        (rule("postal_code", "starts_with", "94,98"), {1, 3}),
        (rule("postal_code", "starts_with", "941, 1000, 9810"), {1, 2, 3}),
        (rule("postal_code", "starts_with", "9410500"), set()),
        (rule("postal_code", "between", "10000", "19999"), {2}),
        (rule("annual_potential", "gte", "250000"), {2, 3}),
        (rule("annual_potential", "lte", "250000"), {1, 2}),
        (rule("annual_potential", "between", "100000.01", "250000"), {2}),
        (rule("annual_potential", "equals", "99999.99"), {1}),
        (rule("industry", "equals", "software"), {1}),
        (rule("industry", "in", "Retail,Banking"), {2, 3}),
    ],
)
def test_each_operator_matches_exactly_the_accounts_it_describes(spec, expected):
    accounts = frame(
        {
            "country": "US",
            "region": "CA",
            "postal_code": "94105",
            "industry": "Software",
            "annual_potential": Decimal("99999.99"),
        },
        {
            "country": "us",
            "region": "NY",
            "postal_code": "10001",
            "industry": "Retail",
            "annual_potential": Decimal("250000.00"),
        },
        {
            "country": "CA",
            "region": "WA",
            "postal_code": "98101",
            "industry": "Banking",
            "annual_potential": Decimal("900000.00"),
        },
    )
    assert set(targets(engine.evaluate(accounts, [spec]))) == expected


def test_the_lower_priority_number_wins():
    accounts = frame({"country": "US", "region": "CA"})
    plan = engine.evaluate(
        accounts,
        [
            rule("country", "equals", "US", priority=50, territory_id=7),
            rule("region", "equals", "CA", priority=10, territory_id=8),
        ],
    )
    assert targets(plan) == {1: 8}
    assert plan.conflicts == []


def test_two_territories_at_the_same_priority_are_a_conflict_and_nothing_moves():
    accounts = frame({"country": "US", "region": "CA", "territory_id": 3})
    plan = engine.evaluate(
        accounts,
        [
            rule("country", "equals", "US", priority=10, territory_id=7),
            rule("region", "equals", "CA", priority=10, territory_id=8),
            rule("region", "equals", "CA", priority=99, territory_id=9),
        ],
    )
    assert plan.moves == []
    assert plan.conflicts == [(1, [7, 8])]


def test_two_rules_of_the_same_territory_at_the_same_priority_are_not_a_conflict():
    accounts = frame({"country": "US", "region": "CA"})
    plan = engine.evaluate(
        accounts,
        [
            rule("country", "equals", "US", priority=10, territory_id=7),
            rule("region", "equals", "CA", priority=10, territory_id=7),
        ],
    )
    assert targets(plan) == {1: 7}


def test_accounts_already_in_place_and_unmatched_accounts_do_not_move():
    accounts = frame({"country": "US", "territory_id": 7}, {"country": "DE"})
    plan = engine.evaluate(accounts, [rule("country", "equals", "US", territory_id=7)])
    assert plan.moves == []
    assert (plan.unchanged, plan.matched, plan.unmatched) == (1, 1, 1)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (rule("annual_potential", "starts_with", "1"), "operator"),
        (rule("annual_potential", "gte", "lots"), "value"),
        (rule("postal_code", "between", "20000"), "value_to"),
        (rule("postal_code", "between", "30000", "20000"), "value_to"),
        (rule("region", "in", " , "), "value"),
        (rule("colour", "equals", "red"), "field"),
    ],
)
def test_invalid_rules_are_explained_by_field(spec, field):
    assert field in engine.rule_errors(spec)


def test_a_between_rule_without_upper_bound_asks_for_one():
    errors = engine.rule_errors(rule("postal_code", "between", "20000"))
    assert errors["value_to"] == "“Between” needs an upper bound too."


@pytest.fixture
def placed(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    AssignmentRuleFactory(territory=west, field="region", operator="in", value="CA,WA", priority=10)
    AssignmentRuleFactory(territory=east, field="region", operator="in", value="NY,MA", priority=10)
    AssignmentRuleFactory(
        territory=east, field="industry", operator="equals", value="Banking", priority=10
    )
    accounts = {
        "ca": AccountFactory(tenant=org.tenant, region="CA"),
        "ny": AccountFactory(tenant=org.tenant, region="NY", territory=west),
        "conflict": AccountFactory(tenant=org.tenant, region="WA", industry="Banking"),
        "none": AccountFactory(tenant=org.tenant, region="TX"),
    }
    return org, west, east, accounts


def territory_of(account):
    return Account.all_tenants.get(pk=account.pk).territory_id


def test_a_dry_run_lists_the_moves_and_changes_nothing(placed):
    org, west, east, accounts = placed
    with tenant_context(org.tenant):
        plan = assignment_rules_preview(tenant=org.tenant)
    assert targets(plan) == {accounts["ca"].pk: west.pk, accounts["ny"].pk: east.pk}
    assert plan.conflicts == [(accounts["conflict"].pk, sorted([west.pk, east.pk]))]
    assert territory_of(accounts["ca"]) is None
    assert territory_of(accounts["ny"]) == west.pk
    assert not AccountAssignment.all_tenants.exists()


def test_applying_rules_moves_accounts_records_history_and_leaves_conflicts(placed):
    org, west, east, accounts = placed
    with tenant_context(org.tenant):
        plan = assignment_rules_apply(tenant=org.tenant, actor=org.admin.user)
    assert len(plan.moves) == 2
    assert territory_of(accounts["ca"]) == west.pk
    assert territory_of(accounts["ny"]) == east.pk
    assert territory_of(accounts["conflict"]) is None
    history = AccountAssignment.all_tenants.get(account=accounts["ny"])
    assert (history.from_territory_id, history.to_territory_id, history.source) == (
        west.pk,
        east.pk,
        "rules",
    )
    assert history.applied_at is not None
    assert history.changed_by == org.admin.user


def test_applying_rules_to_unassigned_accounts_only_leaves_assigned_ones(placed):
    org, west, _east, accounts = placed
    with tenant_context(org.tenant):
        plan = assignment_rules_apply(tenant=org.tenant, actor=None, only_unassigned=True)
    assert targets(plan) == {accounts["ca"].pk: west.pk}
    assert territory_of(accounts["ny"]) == west.pk


def test_rules_never_touch_another_tenants_accounts(placed, other):
    org, _west, _, _ = placed
    foreign = AccountFactory(tenant=other.tenant, region="CA")
    with tenant_context(org.tenant):
        assignment_rules_apply(tenant=org.tenant, actor=None)
    assert territory_of(foreign) is None


def test_applying_rules_issues_the_same_number_of_queries_for_10_or_100_accounts(
    org, django_assert_num_queries
):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    AssignmentRuleFactory(territory=west, field="region", operator="equals", value="CA")
    AssignmentRuleFactory(territory=east, field="region", operator="equals", value="NY")

    def run(count: int) -> int:
        Account.all_tenants.filter(tenant=org.tenant).delete()
        Account.all_tenants.bulk_create(
            [
                Account(
                    tenant=org.tenant,
                    name=f"A{i}",
                    external_id=f"{count}-{i}",
                    region="CA" if i % 2 else "NY",
                )
                for i in range(count)
            ]
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with tenant_context(org.tenant), CaptureQueriesContext(connection) as queries:
            plan = assignment_rules_apply(tenant=org.tenant, actor=None)
        assert len(plan.moves) == count
        return len(queries)

    # Past a few hundred rows the count grows only by one statement per batch
    # (UPDATE_CHUNK ids, HISTORY_BATCH history rows, and SQLite's parameter limit).
    small, large = run(10), run(100)
    assert small == large
    assert large <= 12


def test_saving_a_rule_rejects_bad_values_and_saves_nothing(org):
    west = TerritoryFactory(tenant=org.tenant, name="West")
    with tenant_context(org.tenant), pytest.raises(ValidationError) as error:
        assignment_rule_save(
            tenant=org.tenant,
            actor=None,
            territory=west,
            field="annual_potential",
            operator="gte",
            value="a lot",
        )
    assert "value" in error.value.message_dict
    from territories.models import AssignmentRule

    assert not AssignmentRule.all_tenants.exists()


def test_rules_of_inactive_territories_are_ignored(org):
    closed = TerritoryFactory(tenant=org.tenant, name="Closed", active=False)
    AssignmentRuleFactory(territory=closed, field="region", operator="equals", value="CA")
    account = AccountFactory(tenant=org.tenant, region="CA")
    with tenant_context(org.tenant):
        plan = assignment_rules_apply(tenant=org.tenant, actor=None)
    assert plan.moves == []
    assert territory_of(account) is None
