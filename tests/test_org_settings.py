"""The organisation settings page (admins only)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from spm.tenancy.forms import OrganisationSettingsForm
from spm.tenancy.models import AuditEvent, Tenant
from spm.tenancy.services import (
    WORK_WEEK_WITHOUT_WEIGHT,
    tenant_settings_check,
    tenant_update_settings,
)

SETTINGS = reverse("tenancy:settings")


def valid_data(**changes) -> dict:
    data = {
        "name": "Acme Sales GmbH",
        "timezone": "America/New_York",
        "currency": "usd",
        "work_week": ["1", "2", "3", "4", "5", "6"],
        "selling_target_pct": "85.5",
        "fiscal_year_start_month": "4",
        "prorate_time_off": "on",
        "weight_1": "1",
        "weight_2": "1",
        "weight_3": "1",
        "weight_4": "1",
        "weight_5": "0.5",
        "weight_6": "0.25",
        "weight_7": "0",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def reload(org) -> Tenant:
    return Tenant.objects.get(pk=org.tenant.pk)


def assert_unchanged(org) -> None:
    tenant = reload(org)
    assert (tenant.name, tenant.timezone, tenant.currency) == ("Acme Ltd", "Europe/Berlin", "EUR")
    assert tenant.work_week == [1, 2, 3, 4, 5]
    assert tenant.weekday_weights == ["1", "1", "1", "1", "1", "1", "1"]
    assert tenant.selling_target_pct == Decimal("90.00")
    assert tenant.fiscal_year_start_month == 1
    assert tenant.prorate_time_off is False
    assert not AuditEvent.all_tenants.filter(action="tenant.settings_changed").exists()


def test_admin_sees_the_current_settings(org, client_for):
    response = client_for(org.admin).get(SETTINGS)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Acme Ltd"' in html
    assert '<option value="Europe/Berlin" selected>' in html
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        assert day in html
    form = response.context["form"]
    assert form["work_week"].value() == [1, 2, 3, 4, 5]
    assert form["weight_7"].value() == Decimal("1")


def test_admin_saves_every_setting(org, other, client_for):
    response = client_for(org.admin).post(SETTINGS, valid_data())
    assert response.status_code == 302
    assert response.url == SETTINGS
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Saved the organisation settings."
    ]
    tenant = reload(org)
    assert tenant.name == "Acme Sales GmbH"
    assert tenant.timezone == "America/New_York"
    assert tenant.currency == "USD"
    assert tenant.work_week == [1, 2, 3, 4, 5, 6]
    assert tenant.weekday_weights == ["1", "1", "1", "1", "0.5", "0.25", "0"]
    assert tenant.selling_target_pct == Decimal("85.50")
    assert tenant.fiscal_year_start_month == 4
    assert tenant.prorate_time_off is True
    event = AuditEvent.all_tenants.get(action="tenant.settings_changed")
    assert event.tenant == org.tenant
    assert event.actor == org.admin.user
    untouched = Tenant.objects.get(pk=other.tenant.pk)
    assert (untouched.name, untouched.timezone) == ("Globex Ltd", "Europe/Berlin")


def test_saving_unchanged_settings_writes_no_audit_row(org, client_for):
    data = valid_data(
        name="Acme Ltd",
        timezone="Europe/Berlin",
        currency="EUR",
        work_week=["1", "2", "3", "4", "5"],
        selling_target_pct="90",
        fiscal_year_start_month="1",
        prorate_time_off=None,
        weight_5="1",
        weight_6="1",
        weight_7="1.00",
    )
    response = client_for(org.admin).post(SETTINGS, data)
    assert response.status_code == 302
    assert_unchanged(org)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"currency": "E1R"}, "currency", "Use a three-letter ISO 4217 code, e.g. EUR."),
        ({"currency": "EURO"}, "currency", "Ensure this value has at most 3 characters"),
        (
            {"selling_target_pct": "120"},
            "selling_target_pct",
            "Ensure this value is less than or equal to 100.",
        ),
        ({"selling_target_pct": "lots"}, "selling_target_pct", "Enter a number."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice."),
        ({"work_week": None}, "work_week", "This field is required."),
        ({"work_week": ["1", "8"]}, "work_week", "Select a valid choice."),
        (
            {"weight_3": "-1"},
            "weight_3",
            "Ensure this value is greater than or equal to 0.",
        ),
        ({"weight_3": ""}, "weight_3", "This field is required."),
        ({"fiscal_year_start_month": "13"}, "fiscal_year_start_month", "Select a valid choice."),
        ({"name": "  "}, "name", "This field is required."),
    ],
)
def test_bad_settings_are_explained_per_field_and_nothing_is_saved(
    org, client_for, changes, field, message
):
    response = client_for(org.admin).post(SETTINGS, valid_data(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(error.startswith(message) for error in errors), errors
    assert message in response.content.decode()
    assert_unchanged(org)


def test_a_refused_save_leaves_the_page_showing_the_saved_name(org, client_for):
    response = client_for(org.admin).post(SETTINGS, valid_data(currency="E1R"))
    assert response.context["tenant"].name == "Acme Ltd"
    assert response.context["tenant"].currency == "EUR"


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_managers_and_reps_are_refused(org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, valid_data()).status_code == 403
    assert_unchanged(org)


def test_an_admin_changes_only_their_own_organisation(org, other, client_for):
    client_for(other.admin).post(SETTINGS, valid_data(name="Globex Worldwide"))
    assert reload(org).name == "Acme Ltd"
    assert Tenant.objects.get(pk=other.tenant.pk).name == "Globex Worldwide"


def test_the_time_zone_list_offers_canonical_names_and_keeps_a_legacy_zone(org, client_for):
    Tenant.objects.filter(pk=org.tenant.pk).update(timezone="US/Eastern")
    client = client_for(org.admin)
    response = client.get(SETTINGS)
    values = [value for value, _ in response.context["form"].fields["timezone"].choices]
    assert values[0] == "US/Eastern"
    assert "Europe/Berlin" in values and "UTC" in values
    assert "localtime" not in values and "US/Pacific" not in values
    response = client.post(SETTINGS, valid_data(timezone="US/Eastern"))
    assert response.status_code == 302
    assert reload(org).timezone == "US/Eastern"


def test_an_empty_submission_is_explained_not_ignored(org, client_for):
    response = client_for(org.admin).post(SETTINGS, {})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert_unchanged(org)


# --- A work week needs at least one weighted day ----------------------------------------

NO_WEIGHT = {f"weight_{number}": "0" for number in range(1, 8)}


def test_the_service_refuses_weights_that_are_all_zero_and_changes_nothing(org):
    tenant = org.tenant

    with pytest.raises(ValidationError) as refused:
        tenant_update_settings(tenant=tenant, actor=org.admin.user, weekday_weights=["0"] * 7)

    assert refused.value.message_dict == {"weekday_weights": [WORK_WEEK_WITHOUT_WEIGHT]}
    assert tenant.weekday_weights == ["1"] * 7  # The caller's instance is left as it was.
    assert_unchanged(org)


def test_the_service_refuses_a_work_week_whose_every_day_weighs_zero(org):
    # Weight only on the weekend, which is outside the Monday-to-Friday work week.
    weekend_only = ["0", "0", "0", "0", "0", "1", "1"]

    with pytest.raises(ValidationError) as refused:
        tenant_update_settings(
            tenant=org.tenant, actor=org.admin.user, weekday_weights=weekend_only
        )
    assert refused.value.message_dict == {"weekday_weights": [WORK_WEEK_WITHOUT_WEIGHT]}

    tenant_update_settings(tenant=org.tenant, actor=org.admin.user, weekday_weights=["0.5"] * 7)
    with pytest.raises(ValidationError):
        # Moving the work week onto days that weigh nothing is refused the same way.
        tenant_update_settings(
            tenant=org.tenant, actor=org.admin.user, work_week=[1, 2], weekday_weights=weekend_only
        )
    assert reload(org).work_week == [1, 2, 3, 4, 5]


def test_one_weighted_work_day_is_enough(org):
    tenant_update_settings(
        tenant=org.tenant,
        actor=org.admin.user,
        work_week=[3],
        weekday_weights=["0", "0", "0.5", "0", "0", "0", "0"],
    )

    tenant = reload(org)
    assert (tenant.work_week, tenant.weekday_weights[2]) == ([3], "0.5")


def test_the_check_reports_every_broken_setting_at_once(org):
    with pytest.raises(ValidationError) as refused:
        tenant_settings_check(tenant=org.tenant, currency="E1R", weekday_weights=["0"] * 7)

    assert set(refused.value.message_dict) == {"currency", "weekday_weights"}
    assert org.tenant.currency == "EUR"


def test_the_settings_form_shows_the_services_verdict_before_saving(org):
    form = OrganisationSettingsForm(valid_data(**NO_WEIGHT), tenant=org.tenant)

    assert not form.is_valid()
    assert form.non_field_errors() == [f"Weekday weights: {WORK_WEEK_WITHOUT_WEIGHT}"]


def test_all_zero_weights_are_explained_on_the_page_and_nothing_is_saved(org, client_for):
    response = client_for(org.admin).post(SETTINGS, valid_data(**NO_WEIGHT))

    assert response.status_code == 200
    assert WORK_WEEK_WITHOUT_WEIGHT in response.content.decode()
    assert_unchanged(org)
