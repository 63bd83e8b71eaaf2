"""An organisation always keeps an active admin, whatever the path, also under two
PostgreSQL connections at once."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Role
from spm.tenancy.services import membership_update

from .conftest import build_org
from .factories import MembershipFactory, UserFactory


def active_admins(tenant) -> int:
    today = tenant.today()
    return sum(
        1
        for member in Membership.all_tenants.filter(tenant=tenant, role=Role.ADMIN)
        if member.start_date <= today and (member.end_date is None or member.end_date >= today)
    )


def test_the_last_admin_cannot_end_their_employment_in_the_past(org):
    yesterday = org.tenant.today() - dt.timedelta(days=1)
    with tenant_context(org.tenant), pytest.raises(ValidationError) as refused:
        membership_update(
            tenant=org.tenant, actor=org.admin.user, member=org.admin, end_date=yesterday
        )
    assert refused.value.message_dict == {"end_date": ["An organisation needs at least one admin."]}
    assert Membership.all_tenants.get(pk=org.admin.pk).end_date is None


def test_an_admin_who_left_does_not_count_as_the_remaining_admin(org):
    MembershipFactory(
        tenant=org.tenant,
        role=Role.ADMIN,
        user=UserFactory(email="gone@acme.test"),
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2021, 1, 1),
    )
    with tenant_context(org.tenant), pytest.raises(ValidationError):
        membership_update(tenant=org.tenant, actor=org.admin.user, member=org.admin, role=Role.REP)
    assert Membership.all_tenants.get(pk=org.admin.pk).role == Role.ADMIN


def test_one_of_two_admins_may_step_down(org):
    second = MembershipFactory(
        tenant=org.tenant, role=Role.ADMIN, user=UserFactory(email="second@acme.test")
    )
    with tenant_context(org.tenant):
        membership_update(tenant=org.tenant, actor=org.admin.user, member=second, role=Role.REP)
    assert active_admins(org.tenant) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs this."
)
@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one():
    org = build_org("admins")
    second = MembershipFactory(
        tenant=org.tenant,
        role=Role.ADMIN,
        user=UserFactory(email="second@admins.test"),
        start_date=dt.date(2024, 1, 1),
    )
    first_saved, release_first = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def demote(name, actor, member, hold):
        try:
            with tenant_context(org.tenant), transaction.atomic():
                fresh = Membership.objects.get(pk=member.pk)
                membership_update(tenant=org.tenant, actor=actor.user, member=fresh, role=Role.REP)
                if hold:
                    first_saved.set()
                    release_first.wait(timeout=10)
            outcomes[name] = "saved"
        except ValidationError:
            outcomes[name] = "refused"
        finally:
            first_saved.set()
            connection.close()

    one = threading.Thread(target=demote, args=("first", org.admin, second, True))
    two = threading.Thread(target=demote, args=("second", second, org.admin, False))
    one.start()
    first_saved.wait(timeout=10)
    two.start()
    two.join(timeout=1)
    waited = two.is_alive()
    release_first.set()
    one.join(timeout=10)
    two.join(timeout=10)
    assert (outcomes, waited) == ({"first": "saved", "second": "refused"}, True)
    assert active_admins(org.tenant) == 1
