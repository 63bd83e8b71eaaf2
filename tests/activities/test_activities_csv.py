"""The CSV import of activities (activities.csv_io) and the service rule it relies on:
logging for someone else only ``on_behalf`` of them, which only admins may ask."""

import pytest
from django.core.exceptions import PermissionDenied

from activities.models import Activity, ActivityType
from activities.services import ActivityRow, activities_create_many
from spm.tenancy.context import tenant_context

from ..quotas.factories import jobs_fixture  # noqa: F401 (a fixture)


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def call(scope):
    return ActivityType.objects.get(tenant=scope.tenant, name="Call")


def row_for(org, member, kind, minutes=30) -> ActivityRow:
    return ActivityRow(
        member_id=member.pk, type_id=kind.pk, date=org.tenant.today(), duration_minutes=minutes
    )


# --- The service's on_behalf rule -------------------------------------------------------


def test_an_admin_logs_for_someone_else_only_on_their_behalf(scope, call, jobs):
    rows = [row_for(scope, scope.rep, call)]
    with pytest.raises(PermissionDenied):
        activities_create_many(tenant=scope.tenant, actor=scope.admin, rows=rows)
    assert not Activity.objects.filter(tenant=scope.tenant).exists()

    created = activities_create_many(
        tenant=scope.tenant, actor=scope.admin, rows=rows, on_behalf=True
    )
    assert [a.member_id for a in created] == [scope.rep.pk]


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_on_behalf_is_refused_to_anyone_but_an_admin_even_for_their_own_rows(
    scope, call, jobs, role
):
    actor = getattr(scope, role)
    for member in (actor, scope.outsider_rep):
        with pytest.raises(PermissionDenied, match="Only an organisation's admin"):
            activities_create_many(
                tenant=scope.tenant,
                actor=actor,
                rows=[row_for(scope, member, call)],
                on_behalf=True,
            )
    assert not Activity.objects.filter(tenant=scope.tenant).exists()


def test_the_platform_superuser_imports_on_behalf_but_a_plain_user_may_not(scope, call, jobs):
    user = scope.rep.user
    rows = [row_for(scope, scope.rep, call)]
    with pytest.raises(PermissionDenied):
        activities_create_many(tenant=scope.tenant, actor=user, rows=rows, on_behalf=True)
    user.is_superuser = True
    created = activities_create_many(tenant=scope.tenant, actor=user, rows=rows, on_behalf=True)
    assert len(created) == 1


def test_the_own_rows_of_an_admin_need_no_on_behalf(scope, call, jobs):
    created = activities_create_many(
        tenant=scope.tenant, actor=scope.admin, rows=[row_for(scope, scope.admin, call)]
    )
    assert created[0].member_id == scope.admin.pk
