"""The OpenAPI schema and the interactive docs: complete, valid, and working offline."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from spm.tenancy import api as tenancy_api

STATIC_PREFIX = "/static/"


@pytest.fixture
def schema(db) -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_lists_me_and_members(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/me/"]) == {"get"}
    assert set(paths["/api/v1/members/"]) == {"get"}
    assert set(paths["/api/v1/members/{id}/"]) == {"get", "patch"}


def test_schema_documents_the_member_filters(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/members/"]["get"]["parameters"]}
    assert {"role", "manager_id", "page"} <= parameters


def test_schema_renders_decimals_as_strings(schema):
    tenant = schema["components"]["schemas"]["TenantOutput"]["properties"]
    assert tenant["selling_target_pct"]["type"] == "string"
    assert tenant["selling_target_pct"]["format"] == "decimal"
    assert tenant["weekday_weights"]["items"]["type"] == "string"
    assert tenant["work_week"]["items"]["type"] == "integer"


def test_schema_describes_manager_id_input_as_an_integer(schema):
    fields = schema["components"]["schemas"]["PatchedMemberUpdateInputRequest"]["properties"]
    assert fields["manager_id"]["type"] == "integer"
    assert fields["manager_id"]["nullable"] is True


def test_schema_offers_token_and_session_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_me_and_members_generate_without_warnings(capsys):
    # Generating only this module's routes isolates them from other apps' endpoints.
    generator = SchemaGenerator(patterns=_tenancy_patterns())
    generator.get_schema(request=None, public=True)
    assert "Warning" not in capsys.readouterr().err


def _tenancy_patterns():
    from django.urls import include, path

    from spm.api.base import TenantRouter

    router = TenantRouter()
    tenancy_api.register(router)
    return [path("api/v1/", include(router.urls)), *tenancy_api.urlpatterns]


def test_the_whole_schema_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/members/" in yaml.safe_load(target.read_text())["paths"]


def test_api_docs_load_only_local_assets(db):
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://|//cdn", html), "The docs page must not reach the network."
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "The docs page loads Swagger UI from files."
    for asset in assets:
        assert asset.startswith(STATIC_PREFIX), asset
        assert finders.find(asset.removeprefix(STATIC_PREFIX)), f"{asset} is not a local file"


def test_api_docs_point_at_the_local_schema(db):
    html = Client().get("/api/docs/").content.decode()
    assert '"/api/schema/"' in html


def test_the_docs_group_operations_by_resource(schema):
    assert schema["paths"]["/api/v1/me/"]["get"]["tags"] == ["me"]
    assert schema["paths"]["/api/v1/members/{id}/"]["patch"]["tags"] == ["members"]


# --- The error answers of every operation --------------------------------------------


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def test_every_operation_documents_401_and_403(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if not {"401", "403"} <= set(operation["responses"])
    ]
    assert missing == []


def test_operations_on_one_object_document_404_and_writes_document_400(schema):
    problems = []
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if "{" in path and "404" not in responses:
            problems.append(f"{method.upper()} {path}: no 404")
        if method in {"post", "put", "patch"} and "400" not in responses:
            problems.append(f"{method.upper()} {path}: no 400")
    assert problems == []
    errors = schema["paths"]["/api/v1/accounts/{id}/"]["patch"]["responses"]
    assert errors["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert errors["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_a_versioned_write_documents_409():
    from spm.api.schema import add_error_responses

    schema = {
        "paths": {
            "/api/v1/quotas/{id}/": {
                "patch": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PatchedQuota"}
                            }
                        }
                    },
                    "responses": {"200": {"description": ""}},
                },
                "get": {"responses": {"200": {"description": ""}}},
            }
        },
        "components": {"schemas": {"PatchedQuota": {"properties": {"version": {}}}}},
    }
    result = add_error_responses(schema, None, None, True)
    paths = result["paths"]["/api/v1/quotas/{id}/"]
    assert set(paths["patch"]["responses"]) == {"200", "400", "401", "403", "404", "409", "414"}
    assert set(paths["get"]["responses"]) == {"200", "401", "403", "404", "414"}
    assert set(paths["get"]["responses"]["414"]["content"]) == {"text/html"}
