"""Action item services: who may create, change, complete, drop and reopen; dates; versions."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accountability.models import ActionItem
from accountability.services.action_items import (
    action_item_complete,
    action_item_create,
    action_item_drop,
    action_item_reopen,
    action_item_update,
    owner_choice_ids,
)
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role
from spm.tenancy.versioning import StaleVersion

from ..factories import MembershipFactory
from .factories import ActionItemFactory


def days(n: int, org) -> dt.date:
    return org.tenant.today() + dt.timedelta(days=n)


def create(org, actor, member, owner, title="Call the top ten accounts", due=7):
    return action_item_create(
        tenant=org.tenant,
        actor=actor,
        member=member,
        owner=owner,
        title=title,
        due_date=days(due, org) if isinstance(due, int) else due,
    )


def test_a_manager_creates_an_item_about_their_rep_owned_by_either(org):
    with tenant_context(org.tenant):
        by_rep = create(org, org.manager, org.rep, org.rep)
        by_manager = create(org, org.manager, org.rep, org.manager)
    assert (by_rep.owner, by_rep.member, by_rep.created_by) == (org.rep, org.rep, org.manager)
    assert by_rep.status == ActionItem.Status.OPEN and by_rep.version == 1
    assert by_manager.owner == org.manager


def test_the_owner_is_the_member_or_their_line_above_them(org):
    with tenant_context(org.tenant):
        # The rep's line: the manager, then the admin above the manager.
        assert owner_choice_ids(tenant=org.tenant, member=org.rep) == [
            org.rep.pk,
            org.manager.pk,
            org.admin.pk,
        ]
        create(org, org.admin, org.rep, org.admin)  # The admin is in the rep's line.
        with pytest.raises(ValidationError) as error:
            create(org, org.admin, org.rep, org.outsider_rep)
        assert "owner" in error.value.message_dict
    assert ActionItem.all_tenants.count() == 1


def test_an_admin_outside_the_line_may_create_but_not_own(org):
    other_admin = MembershipFactory(tenant=org.tenant, role=Role.ADMIN)
    with tenant_context(org.tenant):
        item = create(org, other_admin, org.rep, org.manager)
        assert item.created_by == other_admin
        with pytest.raises(ValidationError):
            create(org, other_admin, org.rep, other_admin)


def test_a_rep_creates_items_they_own_about_themselves_only(org):
    with tenant_context(org.tenant):
        mine = create(org, org.rep, org.rep, org.rep)
        assert mine.owner == org.rep
        with pytest.raises(PermissionDenied):
            create(org, org.rep, org.rep, org.manager)
        with pytest.raises(PermissionDenied):
            create(org, org.rep, org.outsider_rep, org.outsider_rep)
    assert ActionItem.all_tenants.count() == 1


def test_a_manager_may_not_create_items_outside_their_tree(org):
    with tenant_context(org.tenant), pytest.raises(PermissionDenied):
        create(org, org.manager, org.outsider_rep, org.outsider_rep)
    assert not ActionItem.all_tenants.exists()


def test_bad_input_says_why_and_creates_nothing(org):
    with tenant_context(org.tenant):
        with pytest.raises(ValidationError) as error:
            create(org, org.manager, org.rep, org.rep, title="   ", due=-1)
        assert set(error.value.message_dict) == {"title", "due_date"}
        assert "past" in error.value.message_dict["due_date"][0]
        with pytest.raises(ValidationError):
            create(org, org.manager, org.rep, org.rep, title="x" * 201)
        create(org, org.manager, org.rep, org.rep, due=0)  # Today is fine.
    assert ActionItem.all_tenants.count() == 1


def test_the_due_date_is_checked_in_the_organisations_time_zone(org, monkeypatch):
    org.tenant.timezone = "Pacific/Kiritimati"  # UTC+14: a day ahead of UTC most hours.
    org.tenant.save(update_fields=["timezone"])
    # 12:00 UTC on 2 March is 02:00 on 3 March in Kiritimati.
    noon = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: noon)
    with tenant_context(org.tenant):
        with pytest.raises(ValidationError):
            create(org, org.manager, org.rep, org.rep, due=dt.date(2026, 3, 2))
        create(org, org.manager, org.rep, org.rep, due=dt.date(2026, 3, 3))


def test_another_organisations_member_is_not_found(org, other):
    with tenant_context(org.tenant), pytest.raises(Exception) as error:
        create(org, org.admin, other.rep, other.rep)
    assert "No such member" in str(error.value)
    assert not ActionItem.all_tenants.exists()


def test_the_owner_completes_in_one_step_and_nobody_else_may(org):
    item = ActionItemFactory(member=org.rep, owner=org.rep, due_date=days(3, org))
    with tenant_context(org.tenant):
        for someone in (org.manager, org.admin):
            with pytest.raises(PermissionDenied):
                action_item_complete(tenant=org.tenant, actor=someone, item=item)
        done = action_item_complete(tenant=org.tenant, actor=org.rep, item=item)
        assert done.status == ActionItem.Status.DONE and done.completed_at is not None
        assert done.version == 2
        with pytest.raises(ValidationError):
            action_item_complete(tenant=org.tenant, actor=org.rep, item=item)


def test_managers_and_admins_drop_and_reopen_the_rep_may_not_drop_theirs(org):
    item = ActionItemFactory(
        member=org.rep, owner=org.rep, created_by=org.manager, due_date=days(3, org)
    )
    with tenant_context(org.tenant):
        with pytest.raises(PermissionDenied):
            action_item_drop(tenant=org.tenant, actor=org.rep, item=item)
        with pytest.raises(PermissionDenied):
            action_item_drop(tenant=org.tenant, actor=org.outsider_rep, item=item)
        dropped = action_item_drop(tenant=org.tenant, actor=org.manager, item=item)
        assert dropped.status == ActionItem.Status.DROPPED
        with pytest.raises(PermissionDenied):  # Not theirs to bring back.
            action_item_reopen(tenant=org.tenant, actor=org.rep, item=item)
        reopened = action_item_reopen(tenant=org.tenant, actor=org.admin, item=item)
        assert reopened.status == ActionItem.Status.OPEN and reopened.version == 3
        with pytest.raises(ValidationError):
            action_item_reopen(tenant=org.tenant, actor=org.admin, item=item)


def test_the_owner_reopens_what_they_completed(org):
    item = ActionItemFactory(member=org.rep, owner=org.rep, due_date=days(3, org))
    with tenant_context(org.tenant):
        action_item_complete(tenant=org.tenant, actor=org.rep, item=item)
        reopened = action_item_reopen(tenant=org.tenant, actor=org.rep, item=item)
    assert reopened.status == ActionItem.Status.OPEN and reopened.completed_at is None


def test_a_rep_changes_and_drops_the_items_they_made_for_themselves(org):
    with tenant_context(org.tenant):
        item = create(org, org.rep, org.rep, org.rep)
        changed = action_item_update(
            tenant=org.tenant, actor=org.rep, item=item, version=1, title="New title"
        )
        assert changed.title == "New title" and changed.version == 2
        action_item_drop(tenant=org.tenant, actor=org.rep, item=item)


def test_a_stale_update_is_refused_with_the_current_item(org):
    item = ActionItemFactory(member=org.rep, owner=org.rep, due_date=days(3, org))
    with tenant_context(org.tenant):
        action_item_update(
            tenant=org.tenant, actor=org.manager, item=item, version=1, due_date=days(10, org)
        )
        with pytest.raises(StaleVersion) as stale:
            action_item_update(
                tenant=org.tenant, actor=org.manager, item=item, version=1, title="Mine"
            )
    assert stale.value.current.due_date == days(10, org)
    item.refresh_from_db()
    assert (item.title, item.version) != ("Mine", 3)


def test_an_update_into_the_past_changes_nothing(org):
    item = ActionItemFactory(member=org.rep, owner=org.rep, due_date=days(3, org))
    with tenant_context(org.tenant), pytest.raises(ValidationError) as error:
        action_item_update(
            tenant=org.tenant,
            actor=org.manager,
            item=item,
            version=1,
            title="Changed",
            due_date=days(-2, org),
        )
    assert "due_date" in error.value.message_dict
    item.refresh_from_db()
    assert (item.title, item.due_date, item.version) != ("Changed", days(-2, org), 2)
    assert item.version == 1


def test_a_manager_may_not_change_an_item_outside_their_tree(org):
    item = ActionItemFactory(member=org.outsider_rep, due_date=days(3, org))
    with tenant_context(org.tenant), pytest.raises(PermissionDenied):
        action_item_update(tenant=org.tenant, actor=org.manager, item=item, version=1, title="Mine")


def test_the_demo_gets_open_overdue_and_done_items_once(org):
    from accountability.demo_action_items import seed_action_items
    from spm.demo.seed import SeededOrg

    seeded = SeededOrg(
        tenant=org.tenant, admin=org.admin, managers=[org.manager], reps=[org.rep, org.outsider_rep]
    )
    with tenant_context(org.tenant):
        seed_action_items(org=seeded)
        first = ActionItem.objects.count()
        seed_action_items(org=seeded)
        assert ActionItem.objects.count() == first
        today = org.tenant.today()
        rep_items = ActionItem.objects.filter(owner=org.rep)
        assert rep_items.filter(status="open", due_date__lt=today).exists()
        assert rep_items.filter(status="open", due_date__gte=today).exists()
        assert rep_items.filter(status="done", completed_at__isnull=False).exists()
        manager_items = ActionItem.objects.filter(owner=org.manager, member=org.rep)
        assert manager_items.filter(status="open", due_date__lt=today).exists()
        # The outsider's manager is the admin: they owe the outsider items too.
        assert ActionItem.objects.filter(owner=org.admin, member=org.outsider_rep).exists()
