"""Territory invariants under two PostgreSQL connections at once (SQLite has no row locks)."""

import datetime as dt
import threading

import pytest
from celery._state import _set_task_join_will_block
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from territories.models import Account, AccountAssignment, Territory
from territories.services import accounts_assign, territory_save

from ..conftest import build_org
from .factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def celery_join_flag():
    """Eager tasks run in both threads; Celery guards ``result.get()`` with a process-wide
    flag that two threads can leave set. Put it back for the tests that follow."""
    yield
    _set_task_join_will_block(False)


def race(first, second) -> dict[str, str]:
    """Run ``first`` until it has written (holding its transaction open), start ``second``,
    check that it waits, then let ``first`` commit. Returns each one's outcome."""
    first_wrote, release_first = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def run(name, work, hold):
        try:
            with transaction.atomic():
                work()
                if hold:
                    first_wrote.set()
                    release_first.wait(timeout=10)
            outcomes[name] = "saved"
        except ValidationError as error:
            outcomes[name] = "refused: " + " ".join(error.messages)
        finally:
            first_wrote.set()
            connection.close()

    one = threading.Thread(target=run, args=("first", first, True))
    two = threading.Thread(target=run, args=("second", second, False))
    one.start()
    first_wrote.wait(timeout=10)
    two.start()
    two.join(timeout=1)
    waited = two.is_alive()
    release_first.set()
    one.join(timeout=10)
    two.join(timeout=10)
    outcomes["second waited"] = "yes" if waited else "no"
    return outcomes


def test_two_moves_of_one_account_serialise_and_the_history_chain_holds():
    org = build_org("moves")
    today = org.tenant.today()
    east = TerritoryFactory(tenant=org.tenant, name="East")
    west = TerritoryFactory(tenant=org.tenant, name="West")
    north = TerritoryFactory(tenant=org.tenant, name="North")
    for territory in (east, west, north):
        TerritoryMemberFactory(
            territory=territory, member=org.rep, start_date=today - dt.timedelta(days=10)
        )
    account = AccountFactory(tenant=org.tenant, territory=east)

    def move_to(territory):
        def work():
            with tenant_context(org.tenant):
                accounts_assign(
                    tenant=org.tenant,
                    actor=None,
                    account_ids=[account.pk],
                    territory=territory,
                    effective_date=today,
                )

        return work

    outcomes = race(move_to(west), move_to(north))

    assert outcomes == {"first": "saved", "second": "saved", "second waited": "yes"}
    assert Account.all_tenants.get(pk=account.pk).territory_id == north.pk
    chain = list(
        AccountAssignment.all_tenants.filter(account=account)
        .order_by("pk")
        .values_list("from_territory_id", "to_territory_id")
    )
    assert chain == [(east.pk, west.pk), (west.pk, north.pk)]
    # The notices tell what happened: West gained and then lost the account.
    titles = sorted(
        Notification.all_tenants.filter(recipient=org.rep).values_list("title", flat=True)
    )
    assert titles == sorted(
        [
            "1 account moved out of East",
            "1 account moved into West",
            "1 account moved out of West",
            "1 account moved into North",
        ]
    )


def test_the_tree_stays_a_tree_under_two_concurrent_parent_changes():
    org = build_org("tree")
    a = TerritoryFactory(tenant=org.tenant, name="A")
    b = TerritoryFactory(tenant=org.tenant, name="B")

    def put(child, parent):
        def work():
            with tenant_context(org.tenant):
                fresh = Territory.objects.get(pk=child.pk)
                territory_save(
                    tenant=org.tenant,
                    actor=None,
                    territory=fresh,
                    name=fresh.name,
                    parent=Territory.objects.get(pk=parent.pk),
                )

        return work

    outcomes = race(put(a, b), put(b, a))

    assert outcomes == {
        "first": "saved",
        "second": "refused: A territory cannot sit inside itself or its own sub-territories.",
        "second waited": "yes",
    }
    parents = dict(Territory.all_tenants.filter(tenant=org.tenant).values_list("name", "parent"))
    assert parents == {"A": b.pk, "B": None}
