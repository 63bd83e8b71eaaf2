"""Meta-tests: the tenancy rules hold for every model, admin class and API view, including
the ones added after these tests were written."""

import ast
import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, UniqueConstraint
from django.db.models.functions import Lower
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import ScopeError
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from spm import plugins
from spm.api.base import TenantAPIMixin, TenantViewSet
from spm.api.urls import router as api_router
from spm.tenancy.admin_base import (
    SECRET_FIELD_NAMES,
    PlatformOnlyAdminMixin,
    TenantScopedAdmin,
    TenantScopedInline,
)
from spm.tenancy.models import Tenant, TenantOwnedModel

# Apps whose every table belongs to one organisation.
TENANT_APPS = ["tenancy", "calendars", "territories", "activities", "quotas", "accountability"]
PLATFORM_MODELS = {Tenant}


def tenant_models() -> list[type]:
    listed = [
        model
        for label in TENANT_APPS
        for model in apps.get_app_config(label).get_models()
        if model not in PLATFORM_MODELS
    ]
    # Tenant-owned models of any other app (notifications…) obey the same rules.
    others = [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and model not in listed
    ]
    return listed + others


TENANT_MODELS = tenant_models()


def model_id(model) -> str:
    return model._meta.label


def test_the_tenant_apps_have_models():
    assert len(TENANT_MODELS) >= 9  # Guards the parametrisation below against finding nothing.


@pytest.mark.parametrize("model", TENANT_MODELS, ids=model_id)
def test_it_inherits_the_tenant_owned_base(model):
    assert issubclass(model, TenantOwnedModel)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=model_id)
def test_it_has_a_required_indexed_tenant_foreign_key(model):
    field = model._meta.get_field("tenant")
    assert field.many_to_one and field.related_model is Tenant
    assert not field.null
    assert field.db_index


@pytest.mark.parametrize("model", TENANT_MODELS, ids=model_id)
def test_its_default_manager_refuses_to_query_without_a_tenant(db, model):
    with pytest.raises(ScopeError):
        list(model._default_manager.all())
    with pytest.raises(ScopeError):
        model._default_manager.filter(pk=1).exists()


def constraint_field_names(constraint) -> list[str]:
    """The fields a constraint covers, in order, whether named or inside expressions."""
    if getattr(constraint, "fields", None):
        return list(constraint.fields)
    names = []
    for expression in getattr(constraint, "expressions", ()):
        # ExclusionConstraint lists (expression, operator) pairs.
        expression = expression[0] if isinstance(expression, tuple) else expression
        expression = F(expression) if isinstance(expression, str) else expression
        flat = expression.flatten() if hasattr(expression, "flatten") else [expression]
        names += [part.name for part in flat if isinstance(part, F)]
    return names


@pytest.mark.parametrize("model", TENANT_MODELS, ids=model_id)
def test_every_unique_constraint_starts_with_tenant(model):
    unique_sets = [list(fields) for fields in model._meta.unique_together]
    unique_sets += [
        constraint_field_names(constraint)
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint)
        or type(constraint).__name__ == "ExclusionConstraint"
    ]
    for fields in unique_sets:
        assert fields and fields[0] in ("tenant", "tenant_id"), (
            f"{model._meta.label}: unique over {fields} must start with tenant"
        )


@pytest.mark.parametrize("model", TENANT_MODELS, ids=model_id)
def test_no_field_but_the_primary_key_is_unique_on_its_own(model):
    unique = [
        field.name
        for field in model._meta.get_fields()
        if field.concrete and getattr(field, "unique", False) and not field.primary_key
    ]
    assert unique == [], f"{model._meta.label}: make {unique} unique per tenant instead"


def test_the_unique_constraint_check_sees_expressions_and_fields():
    by_fields = UniqueConstraint(fields=["tenant", "name"], name="a")
    by_expression = UniqueConstraint(F("tenant"), Lower("name"), name="b")
    wrong = UniqueConstraint(Lower("name"), F("tenant"), name="c")
    assert constraint_field_names(by_fields) == ["tenant", "name"]
    assert constraint_field_names(by_expression) == ["tenant", "name"]
    assert constraint_field_names(wrong)[0] == "name"


# --- Admin ------------------------------------------------------------------------------


REGISTERED = list(admin.site._registry.items())
TENANT_ADMINS = [(m, a) for m, a in REGISTERED if issubclass(m, TenantOwnedModel)]


@pytest.mark.parametrize(
    ("model", "model_admin"), TENANT_ADMINS, ids=[model_id(m) for m, _ in TENANT_ADMINS]
)
def test_tenant_models_are_administered_by_a_tenant_scoped_admin(model, model_admin):
    assert isinstance(model_admin, TenantScopedAdmin)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model_id(m) for m, _ in REGISTERED]
)
def test_inlines_of_tenant_models_are_tenant_scoped(model, model_admin):
    for inline in model_admin.inlines:
        if issubclass(inline.model, TenantOwnedModel):
            assert issubclass(inline, TenantScopedInline), f"{inline.__name__} on {model}"


PLATFORM_ADMINS = [m for m, _ in REGISTERED if not issubclass(m, TenantOwnedModel)]


def test_the_platform_models_are_found():
    labels = {model._meta.label for model in PLATFORM_ADMINS}
    assert {"tenancy.Tenant", "users.User", "auth.Group", "account.EmailAddress"} <= labels


@pytest.mark.parametrize("model", PLATFORM_ADMINS, ids=model_id)
def test_platform_models_are_the_superusers_alone(model):
    """Every model that is no organisation's (a library's too) is the superuser's: an
    organisation's admin is refused its lists and finds none of its objects (404)."""
    assert isinstance(admin.site._registry[model], PlatformOnlyAdminMixin)


def test_the_scoped_models_are_registered():
    registered = {model for model, _ in REGISTERED}
    expected = {"tenancy.Membership", "tenancy.Invitation", "tenancy.ApiToken"}
    expected |= {"tenancy.AuditEvent", "calendars.Holiday", "calendars.TimeOff"}
    assert expected <= {model._meta.label for model in registered}


# --- API --------------------------------------------------------------------------------

# Public descriptions of the API itself: they show no organisation's data.
SCHEMA_VIEWS = (SpectacularAPIView, SpectacularSwaggerView, SpectacularRedocView)


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


API_VIEWS = list(walk(get_resolver("spm.api.urls").url_patterns))


def view_class(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def test_the_api_walk_finds_the_routes():
    routes = {route for route, _ in API_VIEWS}
    assert "api/v1/me/" in routes
    assert any(route.startswith("api/v1/^members") for route in routes)
    assert {view_class(cb) for _, cb in API_VIEWS} >= {SpectacularAPIView, SpectacularSwaggerView}


TENANT_API_VIEWS = [
    (route, callback)
    for route, callback in API_VIEWS
    if not (view_class(callback) and issubclass(view_class(callback), SCHEMA_VIEWS))
]


@pytest.mark.parametrize(
    ("route", "callback"), TENANT_API_VIEWS, ids=[route for route, _ in TENANT_API_VIEWS]
)
def test_every_api_view_activates_the_callers_tenant(route, callback):
    cls = view_class(callback)
    assert cls is not None, f"{route} is not a class-based API view"
    assert issubclass(cls, TenantAPIMixin), f"{route}: {cls.__name__} must derive from it"


# --- Every API resource, as another organisation -----------------------------------------


def test_no_api_resource_reaches_another_organisations_objects(org, api_for):
    """Walks every router resource as acme's admin against a fully seeded second
    organisation: its objects are never listed, and reading, changing or deleting one
    is a 404 (or 405 where the resource has no such method), exactly like a missing id."""
    call_command(
        "seed_demo", "--tenant", "globex", "--password", "demo-password-1", stdout=StringIO()
    )
    globex = Tenant.objects.get(slug="globex")
    api = api_for(org.admin)
    problems = []
    for prefix, viewset, _ in api_router.registry:
        model = getattr(viewset, "model", None)
        if model is None:
            problems.append(f"{prefix}: declare the viewset's model")
            continue
        foreign_ids = set(model.all_tenants.filter(tenant=globex).values_list("pk", flat=True))
        if not foreign_ids:
            problems.append(f"{prefix}: seed_demo creates no {model.__name__}, so this is untested")
            continue
        listing = api.get(f"/api/v1/{prefix}/")
        if listing.status_code == 200:
            listed = {row.get("id") for row in listing.json()["results"]}
            if listed & foreign_ids:
                problems.append(f"{prefix}: lists another organisation's ids")
        foreign_url = f"/api/v1/{prefix}/{min(foreign_ids)}/"
        missing_url = f"/api/v1/{prefix}/987654321/"
        for method in ("get", "patch", "put", "delete"):
            foreign = getattr(api, method)(foreign_url, {}, format="json").status_code
            missing = getattr(api, method)(missing_url, {}, format="json").status_code
            if foreign != missing or foreign not in (404, 405):
                problems.append(f"{method.upper()} {prefix}: {foreign} (a missing id: {missing})")
        if model.all_tenants.filter(pk=min(foreign_ids)).count() != 1:
            problems.append(f"{prefix}: another organisation's object was deleted")
    assert problems == []


# --- The core and the apps ----------------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = ("territories", "quotas", "activities", "accountability")
# The two places allowed to list the apps (DESIGN section 2).
LISTS_THE_APPS = {"spm/settings/base.py", "spm/urls.py"}
# "territories", "territories.models", "territories:mine", "admin:territories_account_change".
NAMES_AN_APP = re.compile(r"^(admin:)?(" + "|".join(DOMAIN_APPS) + r")([.:_]|$)")


def core_modules() -> list[Path]:
    return sorted(
        path
        for path in (PROJECT_ROOT / "spm").rglob("*.py")
        if "migrations" not in path.parts
        and path.relative_to(PROJECT_ROOT).as_posix() not in LISTS_THE_APPS
    )


def code_strings(tree: ast.AST):
    """Every string constant and imported module name, docstrings left out (prose)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ""
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.value


def test_the_core_names_no_domain_app_in_its_code():
    """``spm/`` reaches the apps only through ``spm.plugins``: no import, no app label,
    URL namespace or task name of an app in a string."""
    modules = core_modules()
    assert len(modules) > 40  # Guards against walking the wrong folder.
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}: {text!r}"
        for path in modules
        for text in code_strings(ast.parse(path.read_text()))
        if NAMES_AN_APP.match(text)
    ]
    assert offenders == []


CORE_TEMPLATE_FOLDERS = ("partials", "web", "tenancy", "calendars", "notifications", "account")


def test_the_core_templates_link_to_no_domain_app():
    templates = [
        path
        for folder in CORE_TEMPLATE_FOLDERS
        for path in (PROJECT_ROOT / "templates" / folder).rglob("*.html")
    ] + sorted((PROJECT_ROOT / "templates").glob("*.html"))
    assert len(templates) > 20
    link = re.compile(r"""\{%\s*(url|nav_item|include)\s+["'](""" + "|".join(DOMAIN_APPS) + ")[:/]")
    offenders = [
        str(path.relative_to(PROJECT_ROOT)) for path in templates if link.search(path.read_text())
    ]
    assert offenders == []


def test_the_apps_fill_the_plug_in_points():
    assert "territories:mine" in {entry.url_name for entry in plugins.nav_entries}
    assert any(step.title == "Define territories and accounts" for step in plugins.setup_steps)
    assert any("territories" in str(route.__module__) for route in plugins.api_routes)


def test_no_tenant_viewset_replaces_the_scoped_queryset():
    """``TenantViewSet.get_queryset`` is the tenant wall of the API: views implement
    ``scoped_queryset()`` and never override it (PostHog's rule)."""
    seen = set()

    def subclasses(cls):
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                yield sub
                yield from subclasses(sub)

    viewsets = list(subclasses(TenantViewSet))
    assert len(viewsets) >= 5  # The URLconf imported every API module.
    overriding = [cls.__qualname__ for cls in viewsets if "get_queryset" in vars(cls)]
    assert overriding == []


def test_every_unscoped_query_says_why():
    """``all_tenants`` crosses the tenant wall: each use outside tests and migrations has a
    comment on its line or just above saying why it must."""
    unexplained = []
    for path in sorted(PROJECT_ROOT.glob("*/**/*.py")):
        relative = path.relative_to(PROJECT_ROOT)
        if relative.parts[0] in {"tests", ".venv", "var"} or "migrations" in relative.parts:
            continue
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if ".all_tenants" not in line or line.lstrip().startswith("#"):
                continue
            if "all_tenants = models.Manager()" in line:
                continue  # The manager's definition.
            context = lines[max(0, number - 3) : number + 1]
            if not any("#" in nearby for nearby in context):
                unexplained.append(f"{relative}:{number + 1}: {line.strip()}")
    assert unexplained == []


SECRET_LOOKUPS = [
    (model, model_admin, field.name)
    for model, model_admin in REGISTERED
    for field in model._meta.get_fields()
    if field.name in SECRET_FIELD_NAMES
]


def test_the_models_with_secrets_are_found():
    assert {(model._meta.label, name) for model, _, name in SECRET_LOOKUPS} >= {
        ("tenancy.Invitation", "key"),
        ("tenancy.ApiToken", "digest"),
        ("users.User", "password"),
    }


@pytest.mark.parametrize(
    ("model", "model_admin", "name"),
    SECRET_LOOKUPS,
    ids=[f"{m._meta.label}.{n}" for m, _, n in SECRET_LOOKUPS],
)
def test_no_admin_filter_or_search_reaches_a_secret_field(rf, model, model_admin, name):
    request = rf.get("/")
    for lookup in (name, f"{name}__regex", f"{name}__startswith", f"{name}__exact"):
        assert not model_admin.lookup_allowed(lookup, "a", request), lookup
    request.user = get_user_model()(is_superuser=True, is_active=True)
    searched = model_admin.get_search_fields(request)
    assert not [field for field in searched if name in field.split("__")]
