import pytest
from django_scopes import ScopeError

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership
from spm.tenancy.selectors import report_ids

from .factories import MembershipFactory


def test_scoped_manager_refuses_to_query_without_a_tenant(org):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_scoped_manager_sees_only_the_active_tenant(org, other):
    with tenant_context(org.tenant):
        emails = set(Membership.objects.values_list("user__email", flat=True))
    assert emails == {"admin@acme.test", "manager@acme.test", "rep@acme.test", "rep2@acme.test"}


def test_report_ids_walks_direct_and_indirect_reports_in_one_query(org, django_assert_num_queries):
    deep = MembershipFactory(tenant=org.tenant, manager=org.rep)
    deeper = MembershipFactory(tenant=org.tenant, manager=deep)
    with tenant_context(org.tenant), django_assert_num_queries(1):
        ids = report_ids(tenant=org.tenant, manager=org.manager)
    assert ids == {org.rep.pk, deep.pk, deeper.pk}
    with tenant_context(org.tenant):
        assert report_ids(tenant=org.tenant, manager=org.admin) == {
            org.manager.pk,
            org.rep.pk,
            org.outsider_rep.pk,
            deep.pk,
            deeper.pk,
        }
