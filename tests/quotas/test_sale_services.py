"""Recording sales one at a time and in bulk, and deleting them (quotas.services.sales)."""

import datetime as dt
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotas.models import Sale
from quotas.services import (
    SaleRow,
    SaleRowsInvalid,
    sale_delete,
    sale_update,
    sale_upsert,
    sales_delete,
    sales_upsert_many,
)
from spm.tenancy.context import across_tenants, tenant_context
from spm.tenancy.models import AuditEvent, Membership
from spm.tenancy.versioning import StaleVersion

from ..factories import MembershipFactory
from ..territories.factories import AccountFactory
from .factories import SaleFactory, jobs_fixture, statements  # noqa: F401 (a fixture)

ATTAINMENT = "quotas.tasks.attainment_for_members"
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def account(scope):
    return AccountFactory(tenant=scope.tenant)


def upsert(org, actor, account, **values):
    values = {
        "external_id": "CRM-1",
        "member": org.rep,
        "account": account,
        "amount": Decimal("1500.00"),
        "closed_on": DAY,
        **values,
    }
    return sale_upsert(tenant=org.tenant, actor=actor, **values)


def test_a_new_external_id_creates_a_sale_and_schedules_its_members_attainment(
    scope, account, jobs
):
    sale, created = upsert(scope, scope.manager, account, source="api")

    assert created is True
    stored = Sale.objects.get(pk=sale.pk)
    assert (stored.member, stored.account, stored.amount, stored.closed_on, stored.source) == (
        scope.rep, account, Decimal("1500.00"), DAY, "api",
    )  # fmt: skip
    assert stored.version == 1
    assert jobs == [
        (
            ATTAINMENT,
            {"tenant_id": scope.tenant.pk, "member_ids": [scope.rep.pk], "months": ["2026-03"]},
        )
    ]


def test_a_known_external_id_updates_the_sale_and_never_duplicates_it(scope, account, jobs):
    first, _ = upsert(scope, scope.admin, account)
    jobs.clear()

    second, created = upsert(
        scope, scope.admin, account, member=scope.outsider_rep, closed_on=dt.date(2026, 4, 2)
    )

    assert created is False and second.pk == first.pk
    assert Sale.objects.count() == 1
    stored = Sale.objects.get(pk=first.pk)
    assert stored.member == scope.outsider_rep and stored.version == 2
    # Both sellers and both months: the sale left one and joined the other.
    assert jobs == [
        (
            ATTAINMENT,
            {
                "tenant_id": scope.tenant.pk,
                "member_ids": sorted([scope.rep.pk, scope.outsider_rep.pk]),
                "months": ["2026-03", "2026-04"],
            },
        )
    ]


def test_writing_the_same_sale_again_changes_nothing(scope, account, jobs):
    upsert(scope, scope.admin, account)
    jobs.clear()
    sale, created = upsert(scope, scope.admin, account, amount="1,500")
    assert created is False and sale.version == 1 and jobs == []


def test_a_stale_version_is_refused_with_the_sale_as_it_is_now(scope, account, jobs):
    upsert(scope, scope.admin, account)
    upsert(scope, scope.admin, account, amount=Decimal("9"))
    with pytest.raises(StaleVersion) as stale:
        upsert(scope, scope.admin, account, amount=Decimal("1"), version=1)
    assert stale.value.current.amount == Decimal("9.00")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"external_id": "  "}, "external_id", "Give the sale's id in your CRM."),
        ({"external_id": "x" * 65}, "external_id", "At most 64 characters."),
        ({"amount": Decimal("-1")}, "amount", "0 or more"),
        ({"amount": Decimal("1.001")}, "amount", "2 decimal places"),
        ({"amount": "lots"}, "amount", "Enter a number"),
        ({"closed_on": dt.date(2099, 1, 1)}, "closed_on", "or earlier"),
        ({"closed_on": dt.date(1900, 1, 1)}, "closed_on", "between 1970 and 2100"),
        ({"closed_on": "2026-03-01"}, "closed_on", "Enter the date"),
    ],
)
def test_bad_values_are_refused_by_field(scope, account, jobs, values, field, message):
    with pytest.raises(ValidationError) as refused:
        upsert(scope, scope.admin, account, **values)
    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not Sale.objects.exists() and jobs == []


def test_a_member_or_account_of_another_organisation_is_refused(other, scope, account, jobs):
    with across_tenants():  # Arranging another organisation's row.
        foreign_account = AccountFactory(tenant=other.tenant)
    with pytest.raises(ValidationError) as refused:
        upsert(scope, scope.admin, foreign_account, member=other.rep)
    assert set(refused.value.message_dict) == {"member", "account"}
    assert not Sale.objects.exists()


def test_managers_record_sales_for_their_tree_only_and_reps_for_nobody(scope, account, jobs):
    with pytest.raises(PermissionDenied, match="Your own sales"):
        upsert(scope, scope.manager, account, member=scope.manager)
    with pytest.raises(PermissionDenied, match="not in your team"):
        upsert(scope, scope.manager, account, member=scope.outsider_rep)
    with pytest.raises(PermissionDenied):
        upsert(scope, scope.rep, account)
    assert not Sale.objects.exists()


def test_a_manager_may_not_take_over_another_teams_sale_by_its_external_id(scope, account, jobs):
    upsert(scope, scope.admin, account, member=scope.outsider_rep)
    with pytest.raises(ValidationError) as refused:
        upsert(scope, scope.manager, account, member=scope.rep)
    assert "may not change" in refused.value.message_dict["external_id"][0]
    assert Sale.objects.get().member == scope.outsider_rep


# --- Changing and deleting a sale by its id -----------------------------------------


def test_a_sale_is_changed_by_its_id_including_its_external_id(scope, account, jobs):
    sale, _ = upsert(scope, scope.admin, account)
    changed = sale_update(
        tenant=scope.tenant,
        actor=scope.manager,
        sale=sale,
        external_id="CRM-2",
        member=scope.rep,
        account=account,
        amount=Decimal("10"),
        closed_on=DAY,
        version=1,
    )
    assert (changed.external_id, changed.amount, changed.version) == ("CRM-2", Decimal("10.00"), 2)


def test_a_sale_cannot_take_another_sales_external_id(scope, account, jobs):
    sale, _ = upsert(scope, scope.admin, account)
    upsert(scope, scope.admin, account, external_id="CRM-2")
    with pytest.raises(ValidationError) as refused:
        sale_update(
            tenant=scope.tenant,
            actor=scope.admin,
            sale=sale,
            external_id="CRM-2",
            member=scope.rep,
            account=account,
            amount=Decimal("1"),
            closed_on=DAY,
        )
    assert "already has the external ID" in refused.value.message_dict["external_id"][0]


def test_deleting_a_sale_is_audited_and_schedules_attainment(scope, account, jobs):
    sale, _ = upsert(scope, scope.admin, account)
    jobs.clear()
    sale_delete(tenant=scope.tenant, actor=scope.manager, sale=sale, version=1)
    assert not Sale.objects.exists()
    assert AuditEvent.objects.get(action="sales.deleted").data["external_ids"] == ["CRM-1"]
    assert jobs == [
        (
            ATTAINMENT,
            {"tenant_id": scope.tenant.pk, "member_ids": [scope.rep.pk], "months": ["2026-03"]},
        )
    ]


def test_a_manager_may_not_delete_another_teams_sale(scope, account, jobs):
    sale = SaleFactory(member=scope.outsider_rep, account=account)
    with pytest.raises(PermissionDenied):
        sales_delete(tenant=scope.tenant, actor=scope.manager, sales=[sale])
    assert Sale.objects.filter(pk=sale.pk).exists()


# --- Many sales at once ---------------------------------------------------------------


def rows_for(org, accounts, count: int, prefix: str = "S") -> list[SaleRow]:
    members = [org.rep, org.outsider_rep]
    return [
        SaleRow(
            external_id=f"{prefix}-{index:06d}",
            member_id=members[index % 2].pk,
            account_id=accounts[index % len(accounts)].pk,
            amount=Decimal(index % 5000) + Decimal("0.50"),
            closed_on=dt.date(2026, 1 + index % 6, 1 + index % 28),
        )
        for index in range(count)
    ]


def test_a_bulk_write_is_all_or_nothing_and_names_each_bad_row(scope, account, jobs):
    rows = [
        SaleRow("A-1", scope.rep.pk, account.pk, "10", DAY),
        SaleRow("A-2", scope.rep.pk, 987654, "-1", DAY),
        SaleRow("A-1", scope.rep.pk, account.pk, "10", DAY),
        SaleRow("A-3", scope.outsider_rep.pk, account.pk, "10", DAY),
    ]
    with pytest.raises(SaleRowsInvalid) as refused:
        sales_upsert_many(tenant=scope.tenant, actor=scope.manager, rows=rows)
    assert refused.value.rows == {
        1: {
            "account": ["Choose an account of this organisation."],
            "amount": ["Enter an amount of 0 or more."],
        },
        2: {"external_id": ["Given twice: also at index 0."]},
        3: {"member": [f"{scope.outsider_rep.name} is not in your team."]},
    }
    assert not Sale.objects.exists() and jobs == []


def test_ten_thousand_sales_are_written_in_bulk_with_one_job_per_call(scope, jobs):
    accounts = [AccountFactory(tenant=scope.tenant) for _ in range(20)]
    existing = SaleFactory(
        member=scope.rep, account=accounts[0], external_id="S-000000", amount=Decimal("1")
    )
    rows = rows_for(scope, accounts, 10_000)

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = sales_upsert_many(tenant=scope.tenant, actor=scope.admin, rows=rows)
    elapsed = time.perf_counter() - started

    assert (result.created, result.updated, result.unchanged) == (9_999, 1, 0)
    assert Sale.objects.count() == 10_000
    assert Sale.objects.get(pk=existing.pk).amount == Decimal("0.50")
    # A few reads per 5,000 rows and the writes in bulk: on PostgreSQL one COPY, on SQLite
    # inserts of about 100 rows (its statements take at most 999 parameters).
    inserts = [sql for sql in statements(queries) if sql.startswith("INSERT")]
    others = [
        sql for sql in statements(queries) if not sql.startswith(("INSERT", "SAVEPOINT", "RELEASE"))
    ]
    assert len(others) <= 10, others
    assert len(inserts) <= (1 if connection.vendor == "postgresql" else 10_000 / 90), len(inserts)
    [(name, kwargs)] = jobs
    assert name == ATTAINMENT
    assert kwargs["member_ids"] == sorted([scope.rep.pk, scope.outsider_rep.pk])
    assert kwargs["months"] == [f"2026-0{month}" for month in range(1, 7)]
    assert elapsed < 30  # Generous: a few seconds on SQLite, about one on PostgreSQL.

    # The same rows again change nothing and schedule nothing.
    jobs.clear()
    again = sales_upsert_many(tenant=scope.tenant, actor=scope.admin, rows=rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10_000)
    assert jobs == []

    # Changing every one writes them in a few statements, each row its own values.
    changed = [replace(row, amount=f"{row.amount + 1}") for row in rows]
    with CaptureQueriesContext(connection) as queries:
        third = sales_upsert_many(tenant=scope.tenant, actor=scope.admin, rows=changed)
    assert (third.created, third.updated) == (0, 10_000)
    updates = [sql for sql in statements(queries) if "UPDATE" in sql]
    assert len(updates) <= 10_000 / 100
    stored = dict(Sale.objects.values_list("external_id", "amount"))
    assert stored["S-000000"] == Decimal("1.50") and stored["S-009999"] == Decimal("5000.50")
    assert set(Sale.objects.values_list("version", flat=True)) == {2, 3}


def test_a_bulk_write_of_a_member_who_left_the_organisation_is_refused(scope, account, jobs):
    gone = MembershipFactory(tenant=scope.tenant)
    Membership.objects.filter(pk=gone.pk).delete()
    with pytest.raises(SaleRowsInvalid) as refused:
        sales_upsert_many(
            tenant=scope.tenant,
            actor=scope.admin,
            rows=[SaleRow("A-1", gone.pk, account.pk, "1", DAY)],
        )
    assert refused.value.rows == {0: {"member": ["Choose a member of this organisation."]}}
