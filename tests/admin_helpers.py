"""What the admin site's tests share: the platform superuser's client, page helpers, and the
tenant-wall checks every tenant-scoped admin page must pass.

An app's admin tests name their models in a subclass of ``ScopedAdminChecks`` and get the
checks for each of them; see ``tests/test_admin_tenancy.py`` and
``tests/test_admin_calendars.py``.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from spm.tenancy.models import Membership, Role
from spm.tenancy.services import api_token_issue

from .conftest import Org
from .factories import HolidayFactory, InvitationFactory, TimeOffFactory, UserFactory


# Imported by the test modules; named so the import does not shadow the fixture's name there.
@pytest.fixture(name="superuser_client")
def superuser_client_fixture(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="root@platform.test", is_superuser=True, is_staff=True))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def visit(client, url: str) -> tuple[int, list, list[str]]:
    """Follow redirects; the final status, the redirects and the messages shown, with
    the object's id replaced by N so that two ids compare equal."""
    object_id = url.rstrip("/").split("/")[-2]
    response = client.get(url, follow=True)
    shown = [str(m) for m in response.context["messages"]] if response.context else []
    return (
        response.status_code,
        response.redirect_chain,
        [message.replace(object_id, "N") for message in shown],
    )


def listed_ids(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def autocomplete(client, app_label, model_name, field_name, term=""):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200, response.content
    return {int(row["id"]) for row in response.json()["results"]}


def run_action(client, url, action, ids):
    return client.post(
        url, {"action": action, "_selected_action": [str(pk) for pk in ids], "index": "0"}
    )


def make_holiday(org: Org):
    return HolidayFactory(tenant=org.tenant, date=dt.date(2026, 12, 25), name="Christmas")


# --- The tenant wall, for every scoped admin page ---------------------------------------


@dataclass
class Scoped:
    url: str  # /admin/<app>/<model>/
    make: Callable[[Org], object]
    # Whether the model's admin offers a delete page; one it never offers answers 403
    # before looking the object up.
    has_delete_page: bool = True


class ScopedAdminChecks:
    """Checks that hold for each model a subclass names in ``SCOPED``: an organisation's
    admin sees and opens only their organisation's rows, another organisation's row is a
    missing one, the platform superuser sees them all, and a list costs the same number of
    queries however long it is."""

    SCOPED: ClassVar[dict[str, Scoped]] = {}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # Every check runs once for each model of the subclass, with the model's name as id.
        metafunc.parametrize("name", list(self.SCOPED))

    def test_changelists_show_only_the_own_organisations_rows(self, org, other, client_for, name):
        own, foreign = self.SCOPED[name].make(org), self.SCOPED[name].make(other)

        response = client_for(org.admin).get(self.SCOPED[name].url)

        assert response.status_code == 200
        assert own.pk in listed_ids(response)
        assert foreign.pk not in listed_ids(response)

    def test_the_platform_superuser_sees_every_organisations_rows(
        self, org, other, superuser_client, name
    ):
        own, foreign = self.SCOPED[name].make(org), self.SCOPED[name].make(other)

        response = superuser_client.get(self.SCOPED[name].url)

        assert response.status_code == 200
        assert {own.pk, foreign.pk} <= listed_ids(response)
        # The superuser can narrow the list to one organisation.
        filtered = superuser_client.get(
            self.SCOPED[name].url, {"tenant__id__exact": other.tenant.pk}
        )
        assert foreign.pk in listed_ids(filtered) and own.pk not in listed_ids(filtered)

    def test_changelist_queries_do_not_grow_with_the_rows(
        self, org, client_for, name, django_assert_max_num_queries
    ):
        client = client_for(org.admin)
        self.SCOPED[name].make(org)
        client.get(self.SCOPED[name].url)
        for index in range(10):
            extra = Membership.all_tenants.create(
                tenant=org.tenant,
                user=UserFactory(email=f"extra{index}@acme.test"),
                role=Role.REP,
                manager=org.manager,
                start_date=dt.date(2024, 1, 1),
            )
            TimeOffFactory(member=extra)
            HolidayFactory(tenant=org.tenant)
            InvitationFactory(tenant=org.tenant, manager=org.manager)
            api_token_issue(tenant=org.tenant, actor=org.admin.user, membership=extra)

        with django_assert_max_num_queries(14):
            response = client.get(self.SCOPED[name].url)
        assert response.status_code == 200

    @pytest.mark.parametrize("page", ["change", "delete", "history"])
    def test_another_organisations_object_is_the_same_as_a_missing_one(
        self, org, other, client_for, name, page
    ):
        client = client_for(org.admin)
        foreign = self.SCOPED[name].make(other)

        foreign_visit = visit(client, f"{self.SCOPED[name].url}{foreign.pk}/{page}/")
        missing_visit = visit(client, f"{self.SCOPED[name].url}987654/{page}/")

        assert foreign_visit == missing_visit
        status, chain, _ = foreign_visit
        # A 404 like a missing id (not Django's redirect to the index, not a 403), even on
        # the delete page of a model that never offers one.
        assert (status, chain) == (404, [])

    def test_the_own_organisations_object_opens(self, org, client_for, name):
        own = self.SCOPED[name].make(org)
        response = client_for(org.admin).get(f"{self.SCOPED[name].url}{own.pk}/change/")
        assert response.status_code == 200
