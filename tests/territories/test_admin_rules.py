"""The assignment-rule admin and the read-only assignment history."""

import datetime as dt

import pytest

from spm.tenancy.context import tenant_context
from spm.tenancy.models import AuditEvent
from territories.models import AccountAssignment, AssignmentRule
from territories.services import accounts_assign

from ..factories import UserFactory
from .factories import AccountFactory, AssignmentRuleFactory, TerritoryFactory

RULES = "/admin/territories/assignmentrule/"
HISTORY = "/admin/territories/accountassignment/"


def rule_form(territory, **fields) -> dict:
    data = {
        "territory": territory.pk,
        "field": "country",
        "operator": "equals",
        "value": "US",
        "value_to": "",
        "priority": "100",
        "active": "on",
    }
    data.update(fields)
    return data


@pytest.fixture
def west(org):
    return TerritoryFactory(tenant=org.tenant, name="West")


@pytest.fixture
def foreign_rule(other):
    north = TerritoryFactory(tenant=other.tenant, name="North")
    return AssignmentRuleFactory(territory=north, value="CA")


# --- Rules --------------------------------------------------------------------------


def test_the_rule_list_shows_only_own_rules(client_for, org, west, foreign_rule):
    AssignmentRuleFactory(territory=west, operator="in", value="US, CA")
    response = client_for(org.admin).get(RULES)
    assert response.status_code == 200
    rules = list(response.context["cl"].result_list)
    assert [(r.territory.name, r.value) for r in rules] == [("West", "US, CA")]
    assert b"North" not in response.content


def test_the_rule_list_costs_the_same_queries_for_many_rules(
    client_for, org, west, django_assert_max_num_queries
):
    client = client_for(org.admin)
    AssignmentRuleFactory(territory=west)
    with django_assert_max_num_queries(10) as few:
        client.get(RULES)
    for n in range(25):
        territory = TerritoryFactory(tenant=org.tenant, name=f"T{n}")
        AssignmentRuleFactory(territory=territory, priority=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(RULES)
    assert response.context["cl"].result_count == 26


def test_the_list_shows_both_bounds_of_a_between_rule(client_for, org, west):
    AssignmentRuleFactory(
        territory=west, field="annual_potential", operator="between", value="10", value_to="20"
    )
    assert "10 … 20" in client_for(org.admin).get(RULES).content.decode()


def test_adding_a_rule_goes_through_the_service(client_for, org, west):
    response = client_for(org.admin).post(
        f"{RULES}add/", rule_form(west, operator="in", value=" US, CA ", priority="5")
    )
    assert response.status_code == 302
    rule = AssignmentRule.all_tenants.get()
    assert (rule.tenant_id, rule.value, rule.priority) == (org.tenant.pk, "US, CA", 5)
    assert AuditEvent.all_tenants.filter(action="assignment_rule.created").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"operator": "between", "value": "A"}, "value_to", "upper bound too"),
        (
            {"field": "annual_potential", "operator": "starts_with", "value": "1"},
            "operator",
            "applies to text fields",
        ),
        ({"field": "annual_potential", "operator": "gte", "value": "lots"}, "value", "amounts"),
        (
            {"field": "annual_potential", "operator": "between", "value": "9", "value_to": "5"},
            "value_to",
            "must not be below",
        ),
        ({"operator": "in", "value": " , "}, "value", "Enter a value."),
        ({"value_to": "Z"}, "value_to", "Only “is between”"),
    ],
)
def test_an_invalid_rule_shows_the_error_on_its_field_and_saves_nothing(
    client_for, org, west, fields, field, message
):
    response = client_for(org.admin).post(f"{RULES}add/", rule_form(west, **fields))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in str(errors[field])
    assert not AssignmentRule.all_tenants.exists()


def test_the_form_explains_operators_and_priority(client_for, org):
    html = client_for(org.admin).get(f"{RULES}add/").content.decode()
    assert "comma-separated list" in html
    assert "Lower numbers win" in html
    assert "conflict" in html


def test_another_tenants_territory_cannot_be_chosen(client_for, org, foreign_rule):
    response = client_for(org.admin).post(f"{RULES}add/", rule_form(foreign_rule.territory))
    assert response.status_code == 200
    assert "territory" in response.context["adminform"].form.errors
    assert AssignmentRule.all_tenants.count() == 1


def test_another_tenants_rule_behaves_like_a_missing_id(client_for, org, foreign_rule):
    client = client_for(org.admin)
    missing = client.get(f"{RULES}999999/change/")
    response = client.get(f"{RULES}{foreign_rule.pk}/change/")
    assert response.status_code == missing.status_code == 404
    client.post(f"{RULES}{foreign_rule.pk}/change/", rule_form(foreign_rule.territory, value="X"))
    assert AssignmentRule.all_tenants.get(pk=foreign_rule.pk).value == "CA"


def test_rule_territory_autocomplete_lists_only_own_territories(
    client_for, org, west, foreign_rule
):
    response = client_for(org.admin).get(
        "/admin/autocomplete/",
        {"app_label": "territories", "model_name": "assignmentrule", "field_name": "territory"},
    )
    assert {row["text"] for row in response.json()["results"]} == {"West"}


def test_priority_and_active_are_editable_in_the_list(client_for, org, west):
    rule = AssignmentRuleFactory(territory=west, priority=100)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(rule.pk),
        "form-0-priority": "7",
        "_save": "Save",
    }
    response = client_for(org.admin).post(RULES, data)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.priority, rule.active) == (7, False)
    assert AuditEvent.all_tenants.filter(action="assignment_rule.changed").exists()


def test_the_list_editor_cannot_reach_another_tenants_rule(client_for, org, foreign_rule):
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(foreign_rule.pk),
        "form-0-priority": "1",
        "_save": "Save",
    }
    client_for(org.admin).post(RULES, data)
    foreign_rule.refresh_from_db()
    assert (foreign_rule.priority, foreign_rule.active) == (100, True)


def test_the_rule_list_links_to_the_preview(client_for, org):
    html = client_for(org.admin).get(RULES).content.decode()
    assert 'href="/admin/territories/account/apply-rules/"' in html


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_are_refused_rules_and_history(client_for, org, west, persona):
    client = client_for(getattr(org, persona))
    for url in [RULES, f"{RULES}add/", HISTORY]:
        assert client.get(url).status_code == 403, url
    client.post(f"{RULES}add/", rule_form(west))
    assert not AssignmentRule.all_tenants.exists()


# --- Assignment history -------------------------------------------------------------


@pytest.fixture
def moves(org, other, west):
    account = AccountFactory(tenant=org.tenant, name="Acme Tools")
    later = org.tenant.today() + dt.timedelta(days=5)
    with tenant_context(org.tenant):
        accounts_assign(
            tenant=org.tenant,
            actor=org.admin.user,
            account_ids=[account.pk],
            territory=west,
            effective_date=org.tenant.today(),
        )
        accounts_assign(
            tenant=org.tenant,
            actor=None,
            account_ids=[account.pk],
            territory=None,
            effective_date=later,
        )
    north = TerritoryFactory(tenant=other.tenant, name="North")
    foreign = AccountFactory(tenant=other.tenant, name="Globex Foreign")
    with tenant_context(other.tenant):
        accounts_assign(
            tenant=other.tenant,
            actor=None,
            account_ids=[foreign.pk],
            territory=north,
            effective_date=other.tenant.today(),
        )
    return account


def test_the_history_lists_own_moves_read_only(client_for, org, moves):
    response = client_for(org.admin).get(HISTORY)
    assert response.status_code == 200
    assert response.context["title"] == "Assignment history"
    html = response.content.decode()
    assert "Acme Tools" in html and "Globex Foreign" not in html
    assert "Scheduled" in html and "Applied" in html and "(unassigned)" in html
    assert "Assigned by hand" in html
    assert not response.context["has_add_permission"]
    assert "action_form" not in response.context or response.context["action_form"] is None


def test_the_history_cannot_be_added_changed_or_deleted(client_for, org, moves):
    row = AccountAssignment.all_tenants.filter(account=moves).first()
    client = client_for(org.admin)
    assert client.get(f"{HISTORY}add/").status_code == 403
    assert client.post(f"{HISTORY}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    page = client.get(f"{HISTORY}{row.pk}/change/")
    assert page.status_code == 200  # Viewable, read only.
    client.post(f"{HISTORY}{row.pk}/change/", {"source": "rules"})
    assert AccountAssignment.all_tenants.get(pk=row.pk).source == "manual"


def test_the_history_filters_and_search(client_for, org, moves):
    client = client_for(org.admin)
    scheduled = client.get(HISTORY, {"status": "scheduled"}).context["cl"].result_list
    assert [r.to_territory_id for r in scheduled] == [None]
    manual = client.get(HISTORY, {"source__exact": "manual"}).context["cl"].result_list
    assert len(manual) == 2
    assert client.get(HISTORY, {"q": "Globex"}).context["cl"].result_count == 0
    by_account = client.get(HISTORY, {"account__id__exact": moves.pk}).context["cl"]
    assert by_account.result_count == 2


def test_another_tenants_history_row_behaves_like_a_missing_id(client_for, org, moves):
    foreign = AccountAssignment.all_tenants.exclude(tenant=org.tenant).get()
    client = client_for(org.admin)
    missing = client.get(f"{HISTORY}999999/change/")
    response = client.get(f"{HISTORY}{foreign.pk}/change/")
    assert response.status_code == missing.status_code == 404


def test_the_history_list_costs_the_same_queries_for_many_rows(
    client_for, org, west, moves, django_assert_max_num_queries
):
    client = client_for(org.admin)
    with django_assert_max_num_queries(8) as few:
        client.get(HISTORY)
    accounts = [AccountFactory(tenant=org.tenant) for _ in range(20)]
    east = TerritoryFactory(tenant=org.tenant, name="East")
    with tenant_context(org.tenant):
        accounts_assign(
            tenant=org.tenant,
            actor=org.admin.user,
            account_ids=[a.pk for a in accounts],
            territory=east,
            effective_date=org.tenant.today(),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(HISTORY)
    assert response.context["cl"].result_count == 22


def test_the_platform_superuser_sees_every_tenants_history(client, org, moves):
    client.force_login(UserFactory(email="root@platform.test", is_superuser=True, is_staff=True))
    response = client.get(HISTORY)
    assert response.context["cl"].result_count == 3
