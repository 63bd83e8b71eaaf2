"""The second tenant wall: PostgreSQL row-level security (``spm.tenancy.rls``).

Superusers skip every policy, so each test here runs its SQL as an ordinary role: the
connection's own when it is one (CI connects as ``spm_app``), else a probe role entered
with ``SET LOCAL ROLE`` for the test's transaction.
"""

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.http import JsonResponse
from django.test import override_settings
from django.urls import path

from spm.api.base import TenantAPIView
from spm.tenancy import rls
from spm.tenancy.checks import row_security
from spm.tenancy.context import across_tenants, carried, tenant_context
from spm.tenancy.models import Membership, TenantOwnedModel
from territories.models import Account

from .conftest import login

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Row-level security exists on PostgreSQL only."
)

PROBE_ROLE = "spm_rls_probe"


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        return cursor.fetchone()[0]


@pytest.fixture
def walled(db):
    """The test's SQL runs as a role that row-level security binds."""
    if _is_superuser():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PROBE_ROLE}')"
                f" THEN CREATE ROLE {PROBE_ROLE} NOSUPERUSER NOBYPASSRLS; END IF; END $$"
            )
            cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {PROBE_ROLE}")
            cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {PROBE_ROLE}")
            cursor.execute(f"SET LOCAL ROLE {PROBE_ROLE}")
    assert not _is_superuser()


def _tenants_seen(table: str = "tenancy_membership") -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id, count(*) FROM {table} GROUP BY tenant_id")
        return dict(cursor.fetchall())


def test_every_tenant_table_has_its_policy_enabled_and_forced(db):
    tables = rls.tenant_tables()
    assert {"tenancy_membership", "territories_account", "tenancy_outboxjob"} <= set(tables)
    # Every concrete TenantOwnedModel, of any app, today's or a future one's.
    from django.apps import apps

    owned = {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and model._meta.managed
    }
    assert owned == set(tables)
    assert rls.tables_without_policy() == []


def test_the_structural_check_notices_a_table_without_its_policy(db):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE territories_account NO FORCE ROW LEVEL SECURITY")
    assert rls.tables_without_policy() == ["territories_account"]
    errors = [m for m in row_security(databases=["default"]) if m.id == "spm.E001"]
    assert "territories_account" in errors[0].msg
    rls.apply_policies()  # Idempotent: puts it back.
    assert rls.tables_without_policy() == []


def test_the_check_warns_when_the_role_skips_every_policy(db):
    warned = any(m.id == "spm.W001" for m in row_security(databases=["default"]))
    assert warned == _is_superuser()


def test_raw_sql_in_a_tenant_context_sees_only_that_tenants_rows(org, other, walled):
    with tenant_context(org.tenant):
        assert _tenants_seen() == {org.tenant.pk: 4}
    with tenant_context(other.tenant):
        assert _tenants_seen() == {other.tenant.pk: 4}
    with across_tenants():
        assert _tenants_seen() == {org.tenant.pk: 4, other.tenant.pk: 4}
    with rls.closed():
        assert _tenants_seen() == {}


def test_leaving_the_context_closes_the_wall_within_the_same_transaction(org, walled):
    with transaction.atomic():
        with tenant_context(org.tenant):
            assert _tenants_seen() == {org.tenant.pk: 4}
        with rls.closed():
            assert _tenants_seen() == {}


def test_a_tenant_cannot_write_a_row_into_another_tenants_table(org, other, walled):
    Account.all_tenants.create(tenant=other.tenant, name="Theirs", external_id="T-1")
    with tenant_context(org.tenant):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE territories_account SET name = 'Mine' WHERE tenant_id = %s",
                [other.tenant.pk],
            )
            assert cursor.rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            # The unscoped manager is no way around it: the row is checked on the way in.
            Account.all_tenants.create(tenant=other.tenant, name="Planted", external_id="P-1")
    assert list(Account.all_tenants.values_list("name", flat=True)) == ["Theirs"]


def test_an_update_in_one_tenant_leaves_the_other_tenants_rows_alone(org, other, walled):
    for owner in (org, other):
        Account.all_tenants.create(tenant=owner.tenant, name="Same", external_id="E-1")
    with tenant_context(org.tenant), connection.cursor() as cursor:
        cursor.execute("UPDATE territories_account SET name = 'Renamed'")
        assert cursor.rowcount == 1
    names = dict(Account.all_tenants.values_list("tenant_id", "name"))
    assert names == {org.tenant.pk: "Renamed", other.tenant.pk: "Same"}


def test_a_server_side_cursor_is_walled_too(org, other, walled):
    with tenant_context(org.tenant):
        # .iterator() reads through a named (server-side) cursor on PostgreSQL.
        seen = {m.tenant_id for m in Membership.all_tenants.iterator(chunk_size=2)}
    assert seen == {org.tenant.pk}


@pytest.mark.django_db(transaction=True)
def test_a_held_cursor_outside_a_transaction_is_walled_and_leaves_no_setting_behind(org, other):
    # No surrounding transaction: Django declares the cursor WITH HOLD. The connection's
    # role is used as it is (a superuser skips the policy; CI's role does not).
    binds = not _is_superuser()
    with tenant_context(org.tenant):
        seen = {m.tenant_id for m in Membership.all_tenants.iterator(chunk_size=2)}
    if binds:
        assert seen == {org.tenant.pk}
    # Read with the wall closed, so that this statement itself carries no setting.
    with rls.closed(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT current_setting('{rls.TENANT_SETTING}', true),"
            f" current_setting('{rls.BYPASS_SETTING}', true)"
        )
        assert cursor.fetchone() in {("", ""), (None, None)}


def test_a_streamed_body_is_read_in_the_context_it_was_made_in(org, other, walled):
    with tenant_context(org.tenant):
        body = carried(iter([None, None]))
        first = next(body)
    assert first is None
    with rls.closed():
        # Read after the context was left, as a server reads a streamed response.
        def rows():
            yield _tenants_seen()

        with tenant_context(org.tenant):
            stream = carried(rows())
        assert next(stream) == {org.tenant.pk: 4}


def _raw_sql_view(request):
    return JsonResponse({str(k): v for k, v in _tenants_seen().items()})


class _RawSqlApiView(TenantAPIView):
    def get(self, request):
        return JsonResponse({str(k): v for k, v in _tenants_seen().items()})


urlpatterns = [
    path("raw-sql/", _raw_sql_view),
    path("api/v1/raw-sql/", _RawSqlApiView.as_view()),
]


@override_settings(ROOT_URLCONF=__name__)
def test_raw_sql_in_one_tenants_request_sees_only_that_tenants_rows(org, other, walled, client):
    # The test thread itself is open (conftest): the request closes the wall, then opens
    # it for its own organisation only.
    assert rls.current_state() == rls.BYPASS
    login(client, org.rep)
    response = client.get("/raw-sql/")
    assert response.json() == {str(org.tenant.pk): 4}


@override_settings(ROOT_URLCONF=__name__)
def test_raw_sql_in_one_tenants_api_request_sees_only_that_tenants_rows(
    org, other, walled, api_for
):
    response = api_for(other.manager).get("/api/v1/raw-sql/")
    assert response.json() == {str(other.tenant.pk): 4}


@override_settings(ROOT_URLCONF=__name__)
def test_an_anonymous_request_sees_no_tenant_row(org, walled, client):
    assert client.get("/raw-sql/").json() == {}


def test_a_tenant_task_sees_only_its_tenants_rows(org, other, walled):
    from spm.tenancy.tasks_base import tenant_task

    @tenant_task()
    def count_rows(tenant):
        return _tenants_seen()

    assert count_rows.apply(args=[other.tenant.pk]).get() == {other.tenant.pk: 4}


def test_a_streamed_export_is_read_inside_its_organisations_wall(org, other, walled, client):
    for owner, name in ((org, "Ours"), (other, "Theirs")):
        Account.all_tenants.create(tenant=owner.tenant, name=name, external_id="X-1")
    login(client, org.admin)
    with rls.closed():
        # The body is read here, as a server reads it: after the middleware has returned.
        response = client.get("/admin/territories/account/export/")
        body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert "Ours" in body
    assert "Theirs" not in body
