"""Shared fixtures: two organisations, each with an admin, a manager and a rep.

``org`` is the organisation under test; ``other`` is a second one whose objects must
always be invisible (404) to ``org``'s people. Personas are ``Persona`` tuples so a
test can log in as one and still reach its membership.
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

from spm.tenancy import rls
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.services import api_token_issue

from .factories import MembershipFactory, TenantFactory, UserFactory

# Test code arranges and inspects every organisation's rows, like an operator at the
# shell: PostgreSQL's tenant wall is open on the test thread. Requests (the test client's
# and the live server's) and tasks still start with it closed and open it for their own
# organisation only, so the application's code is tested behind the wall.
rls.open_for_this_thread()


@dataclass
class Org:
    tenant: Tenant
    admin: Membership
    manager: Membership
    rep: Membership
    outsider_rep: Membership  # A rep outside the manager's reporting tree.


def build_org(slug: str) -> Org:
    tenant = TenantFactory(slug=slug, name=f"{slug.title()} Ltd")
    admin = MembershipFactory(
        tenant=tenant, role=Role.ADMIN, user=UserFactory(email=f"admin@{slug}.test")
    )
    manager = MembershipFactory(
        tenant=tenant,
        role=Role.MANAGER,
        manager=admin,
        user=UserFactory(email=f"manager@{slug}.test"),
    )
    rep = MembershipFactory(
        tenant=tenant, role=Role.REP, manager=manager, user=UserFactory(email=f"rep@{slug}.test")
    )
    outsider_rep = MembershipFactory(
        tenant=tenant, role=Role.REP, manager=admin, user=UserFactory(email=f"rep2@{slug}.test")
    )
    return Org(tenant=tenant, admin=admin, manager=manager, rep=rep, outsider_rep=outsider_rep)


@pytest.fixture
def org(db) -> Org:
    return build_org("acme")


@pytest.fixture
def other(db) -> Org:
    return build_org("globex")


def login(client: Client, member: Membership) -> Client:
    client.force_login(member.user)
    session = client.session
    session["spm_membership_id"] = member.pk
    session.save()
    return client


@pytest.fixture
def client_for(client):
    """``client_for(member)`` logs the test client in as ``member`` in that organisation."""
    return lambda member: login(client, member)


@pytest.fixture
def api_for(db):
    """``api_for(member)`` returns an APIClient authenticated with a token of ``member``."""

    def make(member: Membership) -> APIClient:
        key = api_token_issue(tenant=member.tenant, actor=None, membership=member)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return make
