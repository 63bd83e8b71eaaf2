"""Setting, publishing, acknowledging, copying and deleting quotas (quotas.services.quotas)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from quotas.models import Quota, QuotaChange
from quotas.services import (
    QuotaCell,
    QuotaCellsInvalid,
    quota_acknowledge,
    quota_delete,
    quota_save,
    quotas_copy_last_year,
    quotas_publish,
    quotas_save_many,
)
from spm.notifications.models import Notification
from spm.tenancy.context import across_tenants, tenant_context
from spm.tenancy.models import AuditEvent, Membership, Role
from spm.tenancy.versioning import StaleVersion

from ..conftest import build_org
from ..factories import MembershipFactory, UserFactory
from .factories import QuotaFactory, jobs_fixture, statements  # noqa: F401 (a fixture)

MARCH = dt.date(2026, 3, 1)
ROLLDOWN = "quotas.tasks.rolldown_quotas"


@pytest.fixture
def scope(org):
    with tenant_context(org.tenant):
        yield org


def save(org, actor, member=None, **values):
    values = {"month": MARCH, "metric": "revenue", "amount": Decimal("12000"), **values}
    return quota_save(tenant=org.tenant, actor=actor, member=member or org.rep, **values)


def fresh(quota: Quota) -> Quota:
    return Quota.all_tenants.get(pk=quota.pk)


# --- Creating and changing one quota --------------------------------------------------


def test_an_admin_creates_a_draft_quota_with_its_history_and_a_rolldown_job(scope, jobs):
    quota = save(scope, scope.admin, amount="12,500.50", ramp_pct=Decimal("50"))

    stored = fresh(quota)
    assert (stored.amount, stored.ramp_pct, stored.status, stored.version) == (
        Decimal("12500.50"), Decimal("50.00"), "draft", 1,
    )  # fmt: skip
    change = QuotaChange.objects.get(quota=quota)
    assert change.action == "created"
    assert change.changes == {"amount": [None, "12500.50"], "ramp_pct": [None, "50.00"]}
    assert change.changed_by == scope.admin.user
    assert jobs == [(ROLLDOWN, {"tenant_id": scope.tenant.pk, "quota_ids": [quota.pk]})]
    # The quota's own history, never the admins' recent activity.
    assert not AuditEvent.objects.filter(action__startswith="quota").exists()


def test_a_day_of_the_month_stands_for_its_month(scope, jobs):
    quota = save(scope, scope.admin, month=dt.date(2026, 3, 17))
    assert fresh(quota).month == MARCH


def test_a_new_quota_ramps_at_100_percent_by_default(scope, jobs):
    assert fresh(save(scope, scope.admin)).ramp_pct == Decimal("100.00")


def test_a_manager_sets_quotas_for_direct_and_indirect_reports(scope, jobs):
    team_lead = MembershipFactory(tenant=scope.tenant, role=Role.MANAGER, manager=scope.manager)
    indirect = MembershipFactory(tenant=scope.tenant, role=Role.REP, manager=team_lead)

    save(scope, scope.manager, member=team_lead)
    save(scope, scope.manager, member=indirect)

    assert Quota.objects.filter(member__in=[team_lead, indirect]).count() == 2


def test_a_manager_may_not_set_their_own_quota(scope, jobs):
    with pytest.raises(PermissionDenied, match="Your own quota is set by your manager"):
        save(scope, scope.manager, member=scope.manager)
    assert not Quota.objects.exists() and jobs == []


def test_a_manager_may_not_set_quotas_outside_their_reporting_tree(scope, jobs):
    with pytest.raises(PermissionDenied, match="not in your team"):
        save(scope, scope.manager, member=scope.outsider_rep)
    assert not Quota.objects.exists()


def test_a_rep_may_not_set_any_quota(scope, jobs):
    with pytest.raises(PermissionDenied):
        save(scope, scope.rep, member=scope.rep)
    assert not Quota.objects.exists()


def test_a_member_of_another_organisation_is_refused(other, scope, jobs):
    with pytest.raises(ValidationError) as refused:
        save(scope, scope.admin, member=other.rep)
    assert refused.value.message_dict == {"member": ["Choose a member of this organisation."]}


def test_the_platform_superuser_acts_as_an_admin(scope, jobs):
    root = UserFactory(email="root@platform.test", is_superuser=True)
    quota = save(scope, root)
    assert QuotaChange.objects.get(quota=quota).changed_by == root


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": Decimal("-1")}, "amount", "Enter an amount of 0 or more."),
        ({"amount": "twelve"}, "amount", "Enter a number, e.g. 12500.00."),
        ({"amount": Decimal("1e13")}, "amount", "That is too large"),
        ({"amount": Decimal("10.005")}, "amount", "Use at most 2 decimal places."),
        ({"amount": 10.5}, "amount", "Enter a number"),  # A float is not exact.
        ({"metric": "deals", "amount": Decimal("2.5")}, "amount", "whole numbers"),
        ({"ramp_pct": Decimal("101")}, "ramp_pct", "between 0 and 100"),
        ({"ramp_pct": Decimal("-1")}, "ramp_pct", "between 0 and 100"),
        ({"ramp_pct": Decimal("33.333")}, "ramp_pct", "2 decimal places"),
        ({"metric": "calls"}, "metric", "Choose one of revenue, deals, activities."),
        ({"month": dt.date(2101, 1, 1)}, "month", "Choose a date between 1970 and 2100."),
    ],
)
def test_bad_values_are_refused_by_field_and_nothing_is_saved(scope, jobs, values, field, message):
    with pytest.raises(ValidationError) as refused:
        save(scope, scope.admin, **values)
    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not Quota.objects.exists() and not QuotaChange.objects.exists() and jobs == []


def test_deals_and_activities_take_whole_numbers(scope, jobs):
    quota = save(scope, scope.admin, metric="deals", amount="12")
    assert fresh(quota).amount == Decimal("12.00")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2026, 4, 1), None, "starts on 01 April 2026, after March 2026"),
        (dt.date(2024, 1, 1), dt.date(2026, 2, 28), "left on 28 February 2026"),
    ],
)
def test_a_member_not_employed_in_the_month_gets_no_quota(scope, jobs, start, end, message):
    Membership.objects.filter(pk=scope.rep.pk).update(start_date=start, end_date=end)
    scope.rep.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        save(scope, scope.admin)
    assert message in refused.value.message_dict["month"][0]


def test_a_member_employed_for_part_of_the_month_gets_a_quota(scope, jobs):
    Membership.objects.filter(pk=scope.rep.pk).update(start_date=dt.date(2026, 3, 31))
    scope.rep.refresh_from_db()
    assert save(scope, scope.admin).pk


def test_a_change_raises_the_version_and_records_old_and_new(scope, jobs):
    quota = save(scope, scope.admin)
    jobs.clear()

    changed = save(scope, scope.manager, amount=Decimal("15000"), ramp_pct=Decimal("80"))

    assert changed.pk == quota.pk
    assert fresh(quota).version == 2
    change = QuotaChange.objects.get(quota=quota, action="updated")
    assert change.changes == {
        "amount": ["12000.00", "15000.00"],
        "ramp_pct": ["100.00", "80.00"],
    }
    assert change.changed_by == scope.manager.user
    assert jobs == [(ROLLDOWN, {"tenant_id": scope.tenant.pk, "quota_ids": [quota.pk]})]


def test_saving_the_same_figures_again_changes_nothing(scope, jobs):
    quota = save(scope, scope.admin, ramp_pct=Decimal("100"))
    jobs.clear()

    again = save(scope, scope.admin, amount="12000.00", version=1)

    assert again.version == 1 and fresh(quota).version == 1
    assert QuotaChange.objects.filter(quota=quota).count() == 1
    assert jobs == []


def test_a_stale_version_is_refused_with_the_quota_as_it_is_now(scope, jobs):
    quota = save(scope, scope.admin)
    save(scope, scope.admin, amount=Decimal("13000"), version=1)

    with pytest.raises(StaleVersion) as stale:
        save(scope, scope.manager, amount=Decimal("99"), version=1)

    assert stale.value.current.pk == quota.pk
    assert stale.value.current.amount == Decimal("13000.00")
    assert stale.value.current.version == 2
    assert fresh(quota).amount == Decimal("13000.00")


def test_version_zero_means_the_caller_saw_no_quota(scope, jobs):
    quota = save(scope, scope.admin, version=0)
    with pytest.raises(StaleVersion) as stale:
        save(scope, scope.manager, amount=Decimal("1"), version=0)
    assert stale.value.current.pk == quota.pk


def test_editing_an_acknowledged_quota_publishes_it_again_and_tells_the_rep(scope, jobs):
    quota = QuotaFactory(member=scope.rep, status="acknowledged", acknowledged_by=scope.rep.user)

    save(scope, scope.manager, amount=Decimal("11000"))

    stored = fresh(quota)
    assert stored.status == "published"
    assert stored.acknowledged_at is None and stored.acknowledged_by is None
    change = QuotaChange.objects.get(quota=quota)
    assert change.changes["status"] == ["acknowledged", "published"]
    notice = Notification.objects.get(recipient=scope.rep)
    assert notice.title == "Your March 2026 revenue quota changed"
    assert "11,000.00" in notice.body
    assert notice.url == "/quotas/mine/"


def test_editing_a_draft_tells_nobody(scope, jobs):
    QuotaFactory(member=scope.rep)
    save(scope, scope.manager, amount=Decimal("11000"))
    assert not Notification.objects.exists()


# --- Many cells at once ---------------------------------------------------------------


def test_many_cells_are_saved_all_or_nothing_with_errors_by_cell(scope, jobs):
    cells = [
        QuotaCell(scope.rep.pk, MARCH, "revenue", "1000"),
        QuotaCell(scope.rep.pk, dt.date(2026, 4, 1), "revenue", "-5"),
        QuotaCell(scope.manager.pk, MARCH, "revenue", "1000"),
        QuotaCell(scope.rep.pk, MARCH, "revenue", "2000"),
    ]
    with pytest.raises(QuotaCellsInvalid) as refused:
        quotas_save_many(tenant=scope.tenant, actor=scope.manager, cells=cells)

    assert refused.value.cells == {
        (scope.rep.pk, dt.date(2026, 4, 1), "revenue"): {
            "amount": ["Enter an amount of 0 or more."]
        },
        (scope.manager.pk, MARCH, "revenue"): {
            "member": ["Your own quota is set by your manager."]
        },
        (scope.rep.pk, MARCH, "revenue"): {"__all__": ["This cell is given twice."]},
    }
    assert f"{scope.rep.pk}/2026-04/revenue" in refused.value.message_dict
    assert not Quota.objects.exists() and jobs == []


def test_a_stale_cell_names_the_current_quota(scope, jobs):
    quota = QuotaFactory(member=scope.rep, version=3)
    cells = [
        QuotaCell(scope.rep.pk, MARCH, "revenue", "1", version=2),
        QuotaCell(scope.rep.pk, dt.date(2026, 4, 1), "revenue", "1", version=0),
    ]
    with pytest.raises(QuotaCellsInvalid) as refused:
        quotas_save_many(tenant=scope.tenant, actor=scope.admin, cells=cells)
    key = (scope.rep.pk, MARCH, "revenue")
    assert refused.value.stale == {key: quota}
    assert list(refused.value.cells) == [key]
    assert Quota.objects.count() == 1


def test_a_year_for_fifty_members_is_saved_in_a_few_queries_and_one_job(scope, jobs):
    members = [MembershipFactory(tenant=scope.tenant, manager=scope.manager) for _ in range(50)]
    months = [dt.date(2026, month, 1) for month in range(1, 13)]
    existing = QuotaFactory(member=members[0], month=months[0], amount=Decimal("1"))
    cells = [
        QuotaCell(member.pk, month, "revenue", Decimal(1000 + index))
        for index, member in enumerate(members)
        for month in months
    ]

    with CaptureQueriesContext(connection) as queries:
        saved = quotas_save_many(tenant=scope.tenant, actor=scope.manager, cells=cells)

    assert len(saved) == 600
    assert Quota.objects.count() == 600
    assert fresh(existing).amount == Decimal("1000.00") and fresh(existing).version == 2
    assert QuotaChange.objects.count() == 600
    # Reads: the reporting lines, the members, the stored quotas; writes: one update and the
    # inserts of quotas and history, in batches (one each on PostgreSQL; SQLite takes at
    # most 999 parameters a statement, about 60 quotas); never a query per cell.
    inserts = [sql for sql in statements(queries) if sql.startswith("INSERT")]
    others = [
        sql for sql in statements(queries) if not sql.startswith(("INSERT", "SAVEPOINT", "RELEASE"))
    ]
    assert len(others) <= 4, others
    assert len(inserts) <= 2 * 600 / 50, len(inserts)
    [(name, kwargs)] = jobs
    assert name == ROLLDOWN and sorted(kwargs["quota_ids"]) == sorted(q.pk for q in saved)


def test_saving_no_cells_does_nothing(scope, jobs):
    assert quotas_save_many(tenant=scope.tenant, actor=scope.admin, cells=[]) == []
    assert jobs == []


# --- Publishing and acknowledging -----------------------------------------------------


def test_publishing_drafts_notifies_each_member_once_with_a_link_to_their_quota(scope, jobs):
    march = QuotaFactory(member=scope.rep)
    april = QuotaFactory(member=scope.rep, month=dt.date(2026, 4, 1))
    published = QuotaFactory(member=scope.rep, month=dt.date(2026, 5, 1), status="published")

    count = quotas_publish(
        tenant=scope.tenant, actor=scope.manager, quota_ids=[march.pk, april.pk, published.pk]
    )

    assert count == 2
    for quota in (march, april):
        stored = fresh(quota)
        assert stored.status == "published"
        assert stored.published_by == scope.manager.user and stored.published_at
        assert stored.version == 1  # The figures did not change.
    assert QuotaChange.objects.filter(action="published").count() == 2
    [notice] = Notification.objects.filter(recipient=scope.rep)
    assert notice.title == "Your quotas for March 2026 to April 2026 are published"
    assert notice.url == "/quotas/mine/"
    assert jobs == []


def test_publishing_someone_elses_or_unknown_quotas_publishes_nothing(other, scope, jobs):
    mine = QuotaFactory(member=scope.rep)
    outsider = QuotaFactory(member=scope.outsider_rep)
    with across_tenants():  # Arranging another organisation's row.
        foreign = QuotaFactory(member=other.rep)
    with pytest.raises(ValidationError) as refused:
        quotas_publish(
            tenant=scope.tenant,
            actor=scope.manager,
            quota_ids=[mine.pk, outsider.pk, foreign.pk],
        )
    assert refused.value.message_dict == {
        "ids": [f"No such quota: {outsider.pk}, {foreign.pk}. Nothing was published."]
    }
    assert fresh(mine).status == "draft"


def test_a_manager_may_not_publish_their_own_quota(scope, jobs):
    own = QuotaFactory(member=scope.manager)
    with pytest.raises(PermissionDenied):
        quotas_publish(tenant=scope.tenant, actor=scope.manager, quota_ids=[own.pk])
    assert fresh(own).status == "draft"


def test_the_rep_acknowledges_their_published_quota(scope, jobs):
    quota = QuotaFactory(member=scope.rep, status="published")

    acknowledged = quota_acknowledge(tenant=scope.tenant, actor=scope.rep, quota=quota, version=1)

    assert acknowledged.status == "acknowledged"
    stored = fresh(quota)
    assert stored.acknowledged_by == scope.rep.user and stored.acknowledged_at
    assert QuotaChange.objects.get(quota=quota).action == "acknowledged"
    # Twice is once.
    quota_acknowledge(tenant=scope.tenant, actor=scope.rep, quota=quota)
    assert QuotaChange.objects.filter(quota=quota).count() == 1


def test_only_the_quotas_member_acknowledges_it(scope, jobs):
    quota = QuotaFactory(member=scope.rep, status="published")
    for someone in (scope.manager, scope.admin, scope.outsider_rep):
        with pytest.raises(PermissionDenied):
            quota_acknowledge(tenant=scope.tenant, actor=someone, quota=quota)
    assert fresh(quota).status == "published"


def test_a_draft_cannot_be_acknowledged(scope, jobs):
    quota = QuotaFactory(member=scope.rep)
    with pytest.raises(ValidationError) as refused:
        quota_acknowledge(tenant=scope.tenant, actor=scope.rep, quota=quota)
    assert "not published" in refused.value.message_dict["status"][0]


def test_acknowledging_a_figure_that_changed_meanwhile_is_stale(scope, jobs):
    quota = QuotaFactory(member=scope.rep, status="published", version=2)
    with pytest.raises(StaleVersion) as stale:
        quota_acknowledge(tenant=scope.tenant, actor=scope.rep, quota=quota, version=1)
    assert stale.value.current.version == 2
    assert fresh(quota).status == "published"


# --- Deleting -------------------------------------------------------------------------


def test_a_draft_is_deleted_and_the_audit_log_says_so(scope, jobs):
    quota = QuotaFactory(member=scope.rep)
    quota_delete(tenant=scope.tenant, actor=scope.manager, quota=quota)
    assert not Quota.objects.exists()
    assert AuditEvent.objects.get(action="quota.deleted").data["month"] == "2026-03"


@pytest.mark.parametrize("status", ["published", "acknowledged"])
def test_a_published_quota_is_never_deleted(scope, jobs, status):
    quota = QuotaFactory(member=scope.rep, status=status)
    with pytest.raises(ValidationError):
        quota_delete(tenant=scope.tenant, actor=scope.admin, quota=quota)
    assert Quota.objects.filter(pk=quota.pk).exists()


def test_a_manager_may_not_delete_a_quota_outside_their_team(scope, jobs):
    quota = QuotaFactory(member=scope.outsider_rep)
    with pytest.raises(PermissionDenied):
        quota_delete(tenant=scope.tenant, actor=scope.manager, quota=quota)


# --- Copy last year -------------------------------------------------------------------


def test_copying_last_year_applies_the_change_rounded_half_up_to_the_unit(scope, jobs):
    QuotaFactory(member=scope.rep, month=dt.date(2025, 3, 1), amount=Decimal("1000.05"))
    QuotaFactory(member=scope.rep, month=dt.date(2025, 4, 1), amount=Decimal("0.05"))
    QuotaFactory(member=scope.rep, month=dt.date(2025, 3, 1), metric="deals", amount=Decimal("5"))
    QuotaFactory(member=scope.rep, month=dt.date(2024, 3, 1), amount=Decimal("777"))

    copied = quotas_copy_last_year(
        tenant=scope.tenant,
        actor=scope.manager,
        member_ids=[scope.rep.pk],
        fiscal_year_start=dt.date(2026, 1, 1),
        metric="revenue",
        percent_change=Decimal("10"),
    )
    deals = quotas_copy_last_year(
        tenant=scope.tenant,
        actor=scope.manager,
        member_ids=[scope.rep.pk],
        fiscal_year_start=dt.date(2026, 1, 1),
        metric="deals",
        percent_change="-10",
    )

    assert {(q.month, q.amount) for q in copied} == {
        (dt.date(2026, 3, 1), Decimal("1100.06")),  # 1100.055 rounds up
        (dt.date(2026, 4, 1), Decimal("0.06")),  # 0.055 rounds up
    }
    assert [(q.month, q.amount) for q in deals] == [(dt.date(2026, 3, 1), Decimal("5.00"))]


def test_copying_with_an_impossible_change_is_refused(scope, jobs):
    with pytest.raises(ValidationError) as refused:
        quotas_copy_last_year(
            tenant=scope.tenant,
            actor=scope.admin,
            member_ids=[scope.rep.pk],
            fiscal_year_start=dt.date(2026, 1, 1),
            metric="revenue",
            percent_change="-150",
        )
    assert "percent_change" in refused.value.message_dict


# --- Two saves at once (PostgreSQL: SQLite has no row locks) ---------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Row locks need PostgreSQL; CI runs these."
)


def race(tenant, first, second) -> dict[str, str]:
    """Run ``first`` until it has written (holding its transaction open), start ``second``,
    check that it waits, then let ``first`` commit. Returns each one's outcome."""
    first_wrote, release_first = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def run(name, work, hold):
        try:
            with tenant_context(tenant), transaction.atomic():
                work()
                if hold:
                    first_wrote.set()
                    release_first.wait(timeout=10)
            outcomes[name] = "saved"
        except StaleVersion as stale:
            outcomes[name] = f"stale: now {stale.current.amount}"
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


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_edits_of_the_same_version_at_once_keep_the_first_and_refuse_the_second(jobs):
    org = build_org("race")
    quota = QuotaFactory(member=org.rep)

    def edit(amount):
        return lambda: save(org, org.admin, amount=Decimal(amount), version=1)

    outcomes = race(org.tenant, edit("111"), edit("222"))

    assert outcomes == {"first": "saved", "second": "stale: now 111.00", "second waited": "yes"}
    assert fresh(quota).amount == Decimal("111.00") and fresh(quota).version == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_creates_of_the_same_cell_at_once_keep_one_quota(jobs):
    org = build_org("race")

    def create(amount):
        return lambda: save(org, org.admin, amount=Decimal(amount), version=0)

    outcomes = race(org.tenant, create("111"), create("222"))

    assert outcomes["first"] == "saved"
    assert outcomes["second"] == "stale: now 111.00"
    assert Quota.all_tenants.get().amount == Decimal("111.00")
