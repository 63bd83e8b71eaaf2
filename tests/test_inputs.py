"""Bounded, validated input, by one mechanism per class: dates in a window, no NUL bytes,
JSON of bounded depth, finite decimals, whole-number ids (``spm.inputs``)."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from spm.calendars.models import Holiday, TimeOff
from spm.inputs import DATE_WINDOW_MESSAGE, sane_date
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant
from territories.csv_io import ImportRejected, accounts_import
from territories.models import Account

from .territories.factories import AccountFactory

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = ("spm", "territories", "quotas", "activities", "accountability")


# --- Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "9999-12-31"), ("1900-01-01", "1900-01-02")]
)
def test_time_off_far_outside_the_window_is_a_400_through_the_api(org, api_for, start, end):
    response = api_for(org.admin).post(
        "/api/v1/time-off/", {"member_id": org.rep.pk, "start": start, "end": end}, format="json"
    )
    assert response.status_code == 400
    assert DATE_WINDOW_MESSAGE in str(response.json())
    assert not TimeOff.all_tenants.exists()


def test_a_holiday_in_year_9999_is_a_form_error_on_the_calendar_page(org, client_for):
    response = client_for(org.admin).post(
        "/calendar/holidays/add/", {"date": "9999-01-01", "name": "Far away"}
    )
    assert response.status_code in (200, 422)
    assert DATE_WINDOW_MESSAGE in response.content.decode()
    assert not Holiday.all_tenants.exists()


def test_a_date_in_the_window_is_accepted(org, api_for):
    response = api_for(org.admin).post(
        "/api/v1/time-off/",
        {"member_id": org.rep.pk, "start": "2026-03-02", "end": "2026-03-06"},
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize("query", ["year=0", "year=99999", "year=-5", "start=0001-01-01"])
def test_holiday_filters_outside_the_window_are_a_400(org, api_for, query):
    response = api_for(org.rep).get(f"/api/v1/holidays/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_every_model_date_field_carries_the_window():
    missing = [
        f"{model._meta.label}.{field.name}"
        for config in apps.get_app_configs()
        if config.name.split(".")[0] in PROJECT_APPS
        for model in config.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField)
        and not isinstance(field, models.DateTimeField)
        and sane_date not in field.validators
    ]
    assert missing == []


def test_no_date_input_bypasses_the_bounded_fields():
    """Plain form fields, API fields and filters of dates come from ``spm.inputs``."""
    bare = {
        ("forms", "DateField"),
        ("serializers", "DateField"),
        ("django_filters", "DateFilter"),
        ("filters", "DateFilter"),
    }
    offenders = []
    for root in PROJECT_APPS:
        for path in (PROJECT_ROOT / root).rglob("*.py"):
            if "migrations" in path.parts or path.name == "inputs.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in bare
                ):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []


# --- NUL bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/org/invite/%00/",
        "/territories/mine/?q=%00",
        "/admin/territories/account/?q=a%00b",
        "/admin/autocomplete/?app_label=territories&model_name=account&field_name=territory&term=%00",
        "/api/v1/accounts/?search=%00",
        "/calendar/?year=%00",
    ],
)
def test_a_nul_byte_in_the_address_is_a_400_never_a_500(org, client_for, url):
    client = client_for(org.admin)
    client.raise_request_exception = False
    assert client.get(url).status_code == 400


def test_a_nul_byte_is_a_400_for_visitors_too(db):
    client = Client(raise_request_exception=False)
    assert client.get("/org/invite/%00/").status_code == 400


def test_a_nul_byte_in_a_csv_cell_is_an_import_error_naming_row_and_column(org):
    data = b"external_id,name\nA-1,Acme\x00Corp\n"
    with tenant_context(org.tenant), pytest.raises(ImportRejected) as rejected:
        accounts_import(tenant=org.tenant, actor=org.admin.user, data=data)
    assert [str(e) for e in rejected.value.errors] == [
        "Row 2, column “name”: Contains a NUL character; remove it."
    ]
    assert not Account.all_tenants.exists()


def test_a_csv_cell_over_the_field_limit_names_row_and_column(org):
    data = ("external_id,name\nA-1," + "x" * 300 + "\n").encode()
    with tenant_context(org.tenant), pytest.raises(ImportRejected) as rejected:
        accounts_import(tenant=org.tenant, actor=org.admin.user, data=data)
    limit = Account._meta.get_field("name").max_length
    assert [str(e) for e in rejected.value.errors] == [
        f"Row 2, column “name”: At most {limit} characters."
    ]


# --- JSON depth ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [25, 1000, 100_000])
def test_json_nested_too_deeply_is_a_400(org, api_for, depth):
    body = "[" * depth + "]" * depth
    response = api_for(org.admin).generic(
        "POST", "/api/v1/holidays/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Holiday.all_tenants.exists()


# --- Decimals and ids -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e999999"])
def test_non_finite_or_huge_decimals_are_form_errors(org, client_for, value):
    from .test_org_settings import valid_data

    response = client_for(org.admin).post("/org/settings/", valid_data(selling_target_pct=value))
    assert response.status_code == 200
    assert response.context["form"].errors["selling_target_pct"]
    assert Tenant.objects.get(pk=org.tenant.pk).selling_target_pct == Decimal("90.00")


@pytest.mark.parametrize("value", ["Infinity", "1e999999", "NaN"])
def test_non_finite_or_huge_decimals_are_400s_in_the_api(org, api_for, value):
    response = api_for(org.admin).post(
        "/api/v1/accounts/",
        {"name": "Acme", "external_id": "A-9", "annual_potential": value},
        format="json",
    )
    assert response.status_code == 400
    assert "annual_potential" in response.json()


@pytest.mark.parametrize("value", ["Infinity", "1e999999"])
def test_non_finite_decimals_are_form_errors_in_the_admin(org, client_for, value):
    account = AccountFactory(tenant=org.tenant)
    from .territories.test_admin_accounts import account_form

    response = client_for(org.admin).post(
        f"/admin/territories/account/{account.pk}/change/",
        account_form(account, annual_potential=value),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["annual_potential"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/time-off/?member_id={}.9",
        "/api/v1/members/?manager_id={}.9",
        "/api/v1/accounts/?territory_id={}.9",
    ],
)
def test_float_ids_in_filters_are_refused(org, api_for, url):
    response = api_for(org.admin).get(url.format(org.manager.pk))
    assert response.status_code == 400
    assert "whole number" in str(response.json())


def test_float_ids_are_refused_not_truncated(org, api_for):
    api = api_for(org.admin)
    assert api.get(f"/api/v1/time-off/?member_id={org.rep.pk}.9").status_code == 400
    assert api.get(f"/api/v1/members/{org.rep.pk}.9/").status_code == 404
    assert api.get(f"/api/v1/members/{org.rep.pk}/").status_code == 200
