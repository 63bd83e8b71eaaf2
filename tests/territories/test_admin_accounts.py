"""The account admin: list, filters, change form, actions, rules, CSV, isolation and roles."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from spm.notifications.models import Notification
from territories.models import Account, AccountAssignment, Territory

from ..factories import UserFactory
from .factories import (
    AccountFactory,
    AssignmentRuleFactory,
    TerritoryFactory,
    TerritoryMemberFactory,
)

CHANGELIST = "/admin/territories/account/"
IMPORT = CHANGELIST + "import/"
EXPORT = CHANGELIST + "export/"
IMPORTS = "/admin/territories/accountimport/"
APPLY_ALL = CHANGELIST + "apply-rules/"
HEADER = "external_id,name,industry,country,region,postal_code,annual_potential,territory\n"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def territory_of(account) -> int | None:
    return Account.all_tenants.get(pk=account.pk).territory_id


def action(name: str, accounts, **extra) -> dict:
    return {"action": name, "_selected_action": [a.pk for a in accounts], **extra}


def confirm_assign(accounts, territory, day, **extra) -> dict:
    return action(
        "assign_to_territory",
        accounts,
        select_across="0",
        territory="" if territory is None else getattr(territory, "pk", territory),
        effective_date=day if isinstance(day, str) else day.isoformat(),
        confirm="Move accounts",
        **extra,
    )


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def book(org, other):
    """West Coast (owner: the rep) and East in ``org``; three accounts; a foreign account."""
    coast = TerritoryFactory(tenant=org.tenant, name="West Coast")
    east = TerritoryFactory(tenant=org.tenant, name="East")
    TerritoryMemberFactory(territory=coast, member=org.rep, start_date=dt.date(2024, 1, 1))
    a = AccountFactory(tenant=org.tenant, name="Acme Tools", industry="Retail", country="US")
    b = AccountFactory(tenant=org.tenant, name="Bolt Ltd", industry="Software", country="DE")
    c = AccountFactory(
        tenant=org.tenant, name="Crane Co", industry="Logistics", territory=east, country="US"
    )
    foreign_territory = TerritoryFactory(tenant=other.tenant, name="North")
    foreign = AccountFactory(
        tenant=other.tenant, name="Globex Foreign", industry="Mining", territory=foreign_territory
    )
    return {
        "coast": coast,
        "east": east,
        "a": a,
        "b": b,
        "c": c,
        "foreign": foreign,
        "foreign_territory": foreign_territory,
    }


# --- The list -----------------------------------------------------------------------


def test_the_list_shows_only_own_accounts_with_money_formatted(client_for, org, book):
    response = client_for(org.admin).get(CHANGELIST)
    assert response.status_code == 200
    names = {a.name for a in response.context["cl"].result_list}
    assert names == {"Acme Tools", "Bolt Ltd", "Crane Co"}
    assert "€100,000.00" in response.content.decode()
    assert b"Globex Foreign" not in response.content


def test_the_list_costs_the_same_queries_for_many_accounts(
    client_for, org, book, django_assert_max_num_queries
):
    client = client_for(org.admin)
    with django_assert_max_num_queries(11) as few:
        client.get(CHANGELIST)
    for n in range(40):
        AccountFactory(tenant=org.tenant, territory=book["east" if n % 2 else "coast"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 43


def test_search_finds_by_name_external_id_and_postal_code(client_for, org, book):
    Account.all_tenants.filter(pk=book["b"].pk).update(postal_code="10115", external_id="CRM-9")
    client = client_for(org.admin)
    for term in ["bolt", "CRM-9", "10115"]:
        names = [a.name for a in client.get(CHANGELIST, {"q": term}).context["cl"].result_list]
        assert names == ["Bolt Ltd"], term


def test_the_territory_filter_lists_only_own_territories_and_filters(client_for, org, book):
    response = client_for(org.admin).get(CHANGELIST)
    spec = next(f for f in response.context["cl"].filter_specs if f.parameter_name == "territory")
    assert [label for _, label in spec.lookup_choices] == ["East", "West Coast"]
    assert b"North" not in response.content
    filtered = client_for(org.admin).get(CHANGELIST, {"territory": book["east"].pk})
    assert [a.name for a in filtered.context["cl"].result_list] == ["Crane Co"]


def test_filtering_by_another_tenants_territory_shows_nothing(client_for, org, book):
    response = client_for(org.admin).get(CHANGELIST, {"territory": book["foreign_territory"].pk})
    assert list(response.context["cl"].result_list) == []


def test_the_unassigned_industry_and_country_filters(client_for, org, book):
    client = client_for(org.admin)
    unassigned = client.get(CHANGELIST, {"assignment": "unassigned"}).context["cl"].result_list
    assert {a.name for a in unassigned} == {"Acme Tools", "Bolt Ltd"}
    response = client.get(CHANGELIST, {"industry": "Software"})
    assert [a.name for a in response.context["cl"].result_list] == ["Bolt Ltd"]
    industries = next(
        f
        for f in response.context["cl"].filter_specs
        if getattr(f, "lookup_kwarg", "") == "industry"
    )
    assert "Mining" not in list(industries.lookup_choices)
    german = client.get(CHANGELIST, {"country": "DE"}).context["cl"].result_list
    assert [a.name for a in german] == ["Bolt Ltd"]


def test_another_tenants_account_behaves_like_a_missing_id(client_for, org, book):
    client = client_for(org.admin)
    missing = client.get(f"{CHANGELIST}999999/change/")
    response = client.get(f"{CHANGELIST}{book['foreign'].pk}/change/")
    assert response.status_code == missing.status_code == 404


def test_territory_autocomplete_lists_only_own_territories(client_for, org, book):
    response = client_for(org.admin).get(
        "/admin/autocomplete/",
        {"app_label": "territories", "model_name": "account", "field_name": "territory"},
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert names == {"West Coast", "East"}


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_are_refused_every_account_page(client_for, org, book, persona):
    client = client_for(getattr(org, persona))
    for url in [CHANGELIST, IMPORT, EXPORT, APPLY_ALL, f"{CHANGELIST}{book['a'].pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 403, url
    response = client.post(
        CHANGELIST, confirm_assign([book["a"]], book["coast"], org.tenant.today())
    )
    assert response.status_code == 403
    assert territory_of(book["a"]) is None


def test_the_platform_superuser_sees_every_tenants_accounts(client, org, book):
    client.force_login(UserFactory(email="root@platform.test", is_superuser=True, is_staff=True))
    response = client.get(CHANGELIST)
    names = {a.name for a in response.context["cl"].result_list}
    assert names == {"Acme Tools", "Bolt Ltd", "Crane Co", "Globex Foreign"}


# --- The change form ----------------------------------------------------------------


def account_form(account, **changes) -> dict:
    data = {
        "name": account.name,
        "external_id": account.external_id,
        "industry": account.industry,
        "country": account.country,
        "region": account.region,
        "postal_code": account.postal_code,
        "annual_potential": str(account.annual_potential),
        "territory": account.territory_id or "",
        "effective_date": "",
    }
    data.update(changes)
    return data


def test_changing_the_territory_in_the_form_records_history_and_notifies(client_for, org, book):
    account = book["a"]
    response = client_for(org.admin).post(
        f"{CHANGELIST}{account.pk}/change/", account_form(account, territory=book["coast"].pk)
    )
    assert response.status_code == 302
    assert territory_of(account) == book["coast"].pk
    history = AccountAssignment.all_tenants.get(account=account)
    assert (history.to_territory_id, history.changed_by_id, history.source) == (
        book["coast"].pk,
        org.admin.user.pk,
        "manual",
    )
    assert Notification.all_tenants.filter(recipient=org.rep, kind="accounts.moved_in").exists()
    assert "Acme Tools moved to West Coast." in messages_of(response)


def test_a_future_effective_date_in_the_form_schedules_the_move(client_for, org, book):
    account, later = book["a"], org.tenant.today() + dt.timedelta(days=10)
    response = client_for(org.admin).post(
        f"{CHANGELIST}{account.pk}/change/",
        account_form(account, territory=book["coast"].pk, effective_date=later.isoformat()),
    )
    assert response.status_code == 302
    assert territory_of(account) is None
    assert AccountAssignment.all_tenants.get(account=account).applied_at is None
    assert f"Acme Tools will move to West Coast on {later.day} {later:%b %Y}." in messages_of(
        response
    )


def test_editing_other_fields_does_not_touch_the_history(client_for, org, book):
    account = book["c"]
    response = client_for(org.admin).post(
        f"{CHANGELIST}{account.pk}/change/", account_form(account, name="Crane Company")
    )
    assert response.status_code == 302
    stored = Account.all_tenants.get(pk=account.pk)
    assert (stored.name, stored.territory_id) == ("Crane Company", book["east"].pk)
    assert not AccountAssignment.all_tenants.exists()


def test_adding_an_account_with_a_territory_records_its_placement(client_for, org, book):
    data = account_form(
        Account(name="Delta", external_id="D-1", annual_potential=Decimal("5")),
        territory=book["east"].pk,
    )
    response = client_for(org.admin).post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302
    delta = Account.all_tenants.get(external_id="D-1")
    assert (delta.tenant_id, delta.territory_id) == (org.tenant.pk, book["east"].pk)
    assert AccountAssignment.all_tenants.get(account=delta).from_territory_id is None


def test_an_inactive_territory_in_the_form_is_an_error_and_nothing_changes(client_for, org, book):
    Territory.all_tenants.filter(pk=book["coast"].pk).update(active=False)
    account = book["a"]
    response = client_for(org.admin).post(
        f"{CHANGELIST}{account.pk}/change/",
        account_form(account, territory=book["coast"].pk, name="Renamed"),
    )
    assert response.status_code == 200
    assert "inactive" in str(response.context["adminform"].form.errors["territory"])
    assert Account.all_tenants.get(pk=account.pk).name == "Acme Tools"


def test_a_duplicate_external_id_is_a_form_error(client_for, org, book):
    account = book["a"]
    response = client_for(org.admin).post(
        f"{CHANGELIST}{account.pk}/change/",
        account_form(account, external_id=book["b"].external_id),
    )
    assert response.status_code == 200
    assert "external_id" in response.context["adminform"].form.errors


def test_another_tenants_territory_cannot_be_chosen_in_the_form(client_for, org, book):
    account = book["a"]
    response = client_for(org.admin).post(
        f"{CHANGELIST}{account.pk}/change/",
        account_form(account, territory=book["foreign_territory"].pk),
    )
    assert response.status_code == 200
    assert "territory" in response.context["adminform"].form.errors
    assert territory_of(account) is None


# --- Assign to territory… -----------------------------------------------------------


def test_the_assign_action_shows_the_selection_and_only_own_active_territories(
    client_for, org, book
):
    TerritoryFactory(tenant=org.tenant, name="Retired", active=False)
    response = client_for(org.admin).post(
        CHANGELIST, action("assign_to_territory", [book["a"], book["b"]], index="0")
    )
    assert response.status_code == 200
    assert response.templates[0].name == "admin/territories/assign_accounts.html"
    form = response.context["form"]
    labels = [label for _, label in form.fields["territory"].widget.choices]
    assert labels == ["Choose a territory…", "East", "West Coast", "— remove from territory —"]
    assert response.context["selection"]["count"] == 2
    html = response.content.decode()
    assert "Acme Tools" in html and "Bolt Ltd" in html
    assert f'value="{org.tenant.today().isoformat()}"' in html
    assert territory_of(book["a"]) is None


def test_confirming_moves_the_accounts_and_says_so(client_for, org, book):
    client = client_for(org.admin)
    response = client.post(
        CHANGELIST, confirm_assign([book["a"], book["b"]], book["coast"], org.tenant.today())
    )
    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert territory_of(book["a"]) == territory_of(book["b"]) == book["coast"].pk
    assert messages_of(response) == ["2 accounts moved to West Coast."]
    assert AccountAssignment.all_tenants.filter(to_territory=book["coast"]).count() == 2
    notice = Notification.all_tenants.get(recipient=org.rep)
    assert notice.title == "2 accounts moved into West Coast"


def test_a_future_date_schedules_the_move_and_says_when(client_for, org, book):
    later = org.tenant.today() + dt.timedelta(days=30)
    response = client_for(org.admin).post(
        CHANGELIST, confirm_assign([book["a"]], book["coast"], later)
    )
    assert messages_of(response) == [
        f"1 account will move to West Coast on {later.day} {later:%b %Y}."
    ]
    assert territory_of(book["a"]) is None
    assert AccountAssignment.all_tenants.get(account=book["a"]).applied_at is None


def test_removing_from_the_territory(client_for, org, book):
    response = client_for(org.admin).post(
        CHANGELIST, confirm_assign([book["c"]], "none", org.tenant.today())
    )
    assert messages_of(response) == ["1 account moved out of their territory."]
    assert territory_of(book["c"]) is None


def test_accounts_already_there_are_counted_as_unchanged(client_for, org, book):
    response = client_for(org.admin).post(
        CHANGELIST, confirm_assign([book["a"], book["c"]], book["east"], org.tenant.today())
    )
    assert messages_of(response) == ["1 account moved to East. 1 account was already in East."]


@pytest.mark.parametrize(
    ("territory", "day", "field", "message"),
    [
        ("", "today", "territory", "Choose a territory"),
        ("coast", "31/02/2026", "effective_date", "Enter a date"),
        ("coast", "", "effective_date", "Enter the date the move takes effect."),
        ("retired", "today", "territory", "Retired is inactive"),
        ("foreign_territory", "today", "territory", "Choose a territory from the list."),
        ("junk", "today", "territory", "Choose a territory from the list."),
    ],
)
def test_bad_input_re_renders_the_page_with_errors_and_moves_nothing(
    client_for, org, book, territory, day, field, message
):
    book["retired"] = TerritoryFactory(tenant=org.tenant, name="Retired", active=False)
    book["junk"] = "abc"
    day = org.tenant.today().isoformat() if day == "today" else day
    response = client_for(org.admin).post(
        CHANGELIST, confirm_assign([book["a"]], book.get(territory, territory) or None, day)
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert "Nothing was moved" in response.content.decode()
    assert territory_of(book["a"]) is None
    assert not AccountAssignment.all_tenants.exists()


def test_the_action_ignores_another_tenants_account_ids(client_for, org, book):
    response = client_for(org.admin).post(
        CHANGELIST, confirm_assign([book["foreign"]], book["coast"], org.tenant.today())
    )
    assert response.status_code == 302
    assert territory_of(book["foreign"]) == book["foreign_territory"].pk
    assert not AccountAssignment.all_tenants.exists()


def test_the_action_on_all_filtered_accounts_moves_exactly_those(client_for, org, book):
    data = confirm_assign([book["a"]], book["coast"], org.tenant.today())
    data["select_across"] = "1"
    response = client_for(org.admin).post(CHANGELIST + "?assignment=unassigned", data)
    assert response.status_code == 302
    assert territory_of(book["a"]) == territory_of(book["b"]) == book["coast"].pk
    assert territory_of(book["c"]) == book["east"].pk
    assert territory_of(book["foreign"]) == book["foreign_territory"].pk


# --- Assignment rules ---------------------------------------------------------------


@pytest.fixture
def ruled(org, other, book):
    """US → West Coast (10); DE → East and West Coast (both 20: a conflict for Bolt)."""
    AssignmentRuleFactory(territory=book["coast"], field="country", value="US", priority=10)
    AssignmentRuleFactory(territory=book["east"], field="country", value="DE", priority=20)
    AssignmentRuleFactory(territory=book["coast"], field="country", value="DE", priority=20)
    AssignmentRuleFactory(territory=book["foreign_territory"], field="country", value="US")
    return book


def test_the_rules_action_previews_moves_and_conflicts_without_changing_anything(
    client_for, org, ruled
):
    selection = [ruled["a"], ruled["b"], ruled["c"]]
    response = client_for(org.admin).post(
        CHANGELIST, action("apply_assignment_rules", selection, index="0")
    )
    assert response.status_code == 200
    moves = [(r.account, r.from_name, r.to_name) for r in response.context["move_rows"]]
    assert sorted(moves) == [
        ("Acme Tools", "(unassigned)", "West Coast"),
        ("Crane Co", "East", "West Coast"),
    ]
    conflicts = [(r.account, r.territories) for r in response.context["conflict_rows"]]
    assert conflicts == [("Bolt Ltd", "West Coast, East")] or conflicts == [
        ("Bolt Ltd", "East, West Coast")
    ]
    assert territory_of(ruled["a"]) is None
    assert not AccountAssignment.all_tenants.exists()


def test_confirming_the_rules_applies_them_and_lists_the_conflicts(client_for, org, ruled):
    selection = [ruled["a"], ruled["b"], ruled["c"]]
    response = client_for(org.admin).post(
        CHANGELIST, action("apply_assignment_rules", selection, select_across="0", apply="Apply")
    )
    assert response.status_code == 200
    assert territory_of(ruled["a"]) == territory_of(ruled["c"]) == ruled["coast"].pk
    assert territory_of(ruled["b"]) is None
    assert [r.account for r in response.context["conflict_rows"]] == ["Bolt Ltd"]
    assert messages_of(response)[0].startswith("Assignment rules applied: 2 accounts moved.")
    assert AccountAssignment.all_tenants.filter(source="rules").count() == 2


def test_the_rules_action_only_touches_the_selected_accounts(client_for, org, ruled):
    response = client_for(org.admin).post(
        CHANGELIST, action("apply_assignment_rules", [ruled["a"]], select_across="0", apply="1")
    )
    assert response.status_code == 302
    assert messages_of(response) == ["Assignment rules applied: 1 account moved."]
    assert territory_of(ruled["c"]) == ruled["east"].pk


def test_the_rules_action_ignores_another_tenants_account_ids(client_for, org, ruled):
    client_for(org.admin).post(
        CHANGELIST, action("apply_assignment_rules", [ruled["foreign"]], apply="1")
    )
    assert territory_of(ruled["foreign"]) == ruled["foreign_territory"].pk
    assert not AccountAssignment.all_tenants.exists()


def test_apply_rules_to_all_previews_then_applies(client_for, org, ruled):
    client = client_for(org.admin)
    page = client.get(APPLY_ALL)
    assert page.status_code == 200
    assert "only_unassigned" in page.context["form"].fields
    preview = client.get(APPLY_ALL, {"preview": "1"})
    assert len(preview.context["move_rows"]) == 2
    assert territory_of(ruled["a"]) is None
    applied = client.post(APPLY_ALL, {})
    assert applied.status_code == 200  # Conflicts are listed on the result page.
    assert territory_of(ruled["c"]) == ruled["coast"].pk
    assert territory_of(ruled["foreign"]) == ruled["foreign_territory"].pk


def test_apply_rules_to_only_unassigned_accounts_leaves_placed_ones(client_for, org, ruled):
    client = client_for(org.admin)
    preview = client.get(APPLY_ALL, {"preview": "1", "only_unassigned": "on"})
    assert [r.account for r in preview.context["move_rows"]] == ["Acme Tools"]
    client.post(APPLY_ALL, {"only_unassigned": "on"})
    assert territory_of(ruled["a"]) == ruled["coast"].pk
    assert territory_of(ruled["c"]) == ruled["east"].pk


def test_apply_rules_without_conflicts_returns_to_the_list(client_for, org, book):
    AssignmentRuleFactory(territory=book["coast"], field="country", value="US", priority=10)
    response = client_for(org.admin).post(APPLY_ALL, {})
    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert messages_of(response) == ["Assignment rules applied: 2 accounts moved."]


# --- CSV export ---------------------------------------------------------------------


def test_export_selected_contains_only_own_selected_accounts(client_for, org, book):
    response = client_for(org.admin).post(
        CHANGELIST, action("export_selected_csv", [book["a"], book["foreign"]], index="0")
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][:2] == ["external_id", "name"]
    assert [row[1] for row in rows[1:]] == ["Acme Tools"]


def test_export_button_exports_the_filtered_list_of_own_accounts(client_for, org, book):
    client = client_for(org.admin)
    everything = csv_rows(client.get(EXPORT))
    assert sorted(row[1] for row in everything[1:]) == ["Acme Tools", "Bolt Ltd", "Crane Co"]
    filtered = csv_rows(client.get(EXPORT, {"territory": book["east"].pk}))
    assert [(row[1], row[7]) for row in filtered[1:]] == [("Crane Co", "East")]
    searched = csv_rows(client.get(EXPORT, {"q": "bolt"}))
    assert [row[1] for row in searched[1:]] == ["Bolt Ltd"]


def test_the_list_links_the_export_to_its_filters(client_for, org, book):
    response = client_for(org.admin).get(CHANGELIST, {"territory": book["east"].pk})
    assert f'href="{EXPORT}?territory={book["east"].pk}"' in response.content.decode()


# --- CSV import ---------------------------------------------------------------------


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("accounts.csv", text.encode(), content_type="text/csv")


def test_the_import_page_explains_the_columns(client_for, org):
    response = client_for(org.admin).get(IMPORT)
    assert response.status_code == 200
    html = response.content.decode()
    for column in ["external_id", "annual_potential", "territory"]:
        assert f"<code>{column}</code>" in html


def test_a_file_with_a_bad_row_imports_nothing_and_names_row_and_column(client_for, org, book):
    text = HEADER + "N-1,Nova,,US,,,10,West Coast\nN-2,Orbit,,US,,,20,Atlantis\n"
    # The upload leads to the import's page, which shows the result (a small file is
    # imported during the upload).
    response = client_for(org.admin).post(IMPORT, {"file": upload(text)}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(IMPORTS)
    assert response.context["state"].errors == [
        "Row 3, column “territory”: No territory named “Atlantis”."
    ]
    assert "Nothing was imported" in response.content.decode()
    assert not Account.all_tenants.filter(external_id__in=["N-1", "N-2"]).exists()


def test_another_tenants_territory_name_is_unknown_to_the_import(client_for, org, book):
    text = HEADER + "N-1,Nova,,US,,,10,North\n"
    response = client_for(org.admin).post(IMPORT, {"file": upload(text)}, follow=True)
    assert response.context["state"].errors == [
        "Row 2, column “territory”: No territory named “North”."
    ]


def test_a_good_file_imports_into_the_own_tenant_and_reports_counts(client_for, org, book):
    text = (
        HEADER
        + f"{book['a'].external_id},Acme Tools Inc,Retail,US,CA,94105,100000,\n"
        + "N-1,Nova,,US,,,10,West Coast\n"
    )
    response = client_for(org.admin).post(IMPORT, {"file": upload(text)})
    assert response.status_code == 302
    assert messages_of(response) == [
        "Import done: 1 created, 1 updated, 1 account placed in a territory, 0 unchanged."
    ]
    nova = Account.all_tenants.get(external_id="N-1")
    assert (nova.tenant_id, nova.territory_id) == (org.tenant.pk, book["coast"].pk)
    assert Account.all_tenants.get(pk=book["a"].pk).name == "Acme Tools Inc"


def test_importing_without_a_file_says_so(client_for, org):
    response = client_for(org.admin).post(IMPORT, {})
    assert response.status_code == 200
    assert "Choose a CSV file to import." in str(response.context["form"].errors["file"])


# --- The platform superuser ---------------------------------------------------------


@pytest.fixture
def root(client, db):
    client.force_login(UserFactory(email="root@platform.test", is_superuser=True, is_staff=True))
    return client


def test_the_superuser_assigns_within_one_organisation_at_a_time(root, org, book):
    mixed = root.post(
        CHANGELIST, action("assign_to_territory", [book["a"], book["foreign"]], index="0")
    )
    assert mixed.status_code == 302
    assert messages_of(mixed) == ["Select accounts of one organisation at a time."]
    page = root.post(CHANGELIST, action("assign_to_territory", [book["a"]], index="0"))
    labels = [label for _, label in page.context["form"].fields["territory"].widget.choices]
    assert "North" not in labels and "West Coast" in labels
    done = root.post(CHANGELIST, confirm_assign([book["a"]], book["coast"], org.tenant.today()))
    assert messages_of(done) == ["1 account moved to West Coast."]
    assert territory_of(book["a"]) == book["coast"].pk


def test_the_superuser_chooses_the_organisation_to_import_into(root, org, other, book):
    text = HEADER + "N-1,Nova,,US,,,10,North\n"
    missing = root.post(IMPORT, {"file": upload(text)})
    assert "tenant" in missing.context["form"].errors
    response = root.post(IMPORT, {"file": upload(text), "tenant": other.tenant.pk})
    assert response.status_code == 302
    nova = Account.all_tenants.get(external_id="N-1")
    assert (nova.tenant_id, nova.territory_id) == (other.tenant.pk, book["foreign_territory"].pk)


def test_the_account_export_neutralises_cells_that_look_like_formulas(client_for, org, book):
    AccountFactory(
        tenant=org.tenant, name='=HYPERLINK("http://evil.example","Click")', external_id="+1"
    )
    rows = csv_rows(client_for(org.admin).get(EXPORT))
    by_name = {row[1]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","Click")' in by_name
    assert by_name['\'=HYPERLINK("http://evil.example","Click")'][0] == "'+1"
