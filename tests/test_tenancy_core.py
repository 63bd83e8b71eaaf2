import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone
from django_scopes import ScopeError

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership
from spm.tenancy.selectors import memberships_for_user, report_ids

from .factories import MembershipFactory, TenantFactory, UserFactory


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


# --- Whose memberships are current: each organisation's own date decides ----------------


@pytest.fixture
def half_past_ten_utc_on_11_march():
    """10:30 UTC on 11 March 2026: already the 12th in Kiritimati (UTC+14), still the
    10th in Pago Pago (UTC-11)."""
    now = dt.datetime(2026, 3, 11, 10, 30, tzinfo=dt.UTC)
    with mock.patch.object(timezone, "now", return_value=now):
        yield


@pytest.fixture
def kiritimati(db):
    return TenantFactory(slug="kiritimati", name="Kiritimati Ltd", timezone="Pacific/Kiritimati")


@pytest.fixture
def pago_pago(db):
    return TenantFactory(slug="pago-pago", name="Pago Pago Ltd", timezone="Pacific/Pago_Pago")


def test_a_membership_ends_once_its_last_day_is_over_in_its_organisations_time_zone(
    kiritimati, half_past_ten_utc_on_11_march
):
    person = UserFactory(email="traveller@example.test")
    MembershipFactory(tenant=kiritimati, user=person, end_date=dt.date(2026, 3, 11))

    assert kiritimati.today() == dt.date(2026, 3, 12)
    assert list(memberships_for_user(user=person)) == []


def test_a_membership_lasts_through_its_last_day_in_its_organisations_time_zone(
    kiritimati, pago_pago, half_past_ten_utc_on_11_march
):
    person = UserFactory(email="traveller@example.test")
    # The server's date (11 March in UTC) is past this last day; Pago Pago's is not.
    last_day_today = MembershipFactory(tenant=pago_pago, user=person, end_date=dt.date(2026, 3, 10))
    last_day_in_kiritimati = MembershipFactory(
        tenant=kiritimati, user=person, end_date=dt.date(2026, 3, 12)
    )

    assert pago_pago.today() == dt.date(2026, 3, 10)
    assert list(memberships_for_user(user=person)) == [last_day_in_kiritimati, last_day_today]


def test_memberships_for_a_user_are_read_in_one_query(
    kiritimati, pago_pago, half_past_ten_utc_on_11_march, django_assert_num_queries
):
    person = UserFactory(email="traveller@example.test")
    MembershipFactory(tenant=kiritimati, user=person)
    MembershipFactory(tenant=pago_pago, user=person, end_date=dt.date(2026, 3, 10))
    MembershipFactory(
        tenant=TenantFactory(slug="long-gone", timezone="UTC"),
        user=person,
        end_date=dt.date(2025, 12, 31),
    )

    with django_assert_num_queries(1):
        memberships = list(memberships_for_user(user=person))

    assert [m.tenant.slug for m in memberships] == ["kiritimati", "pago-pago"]
