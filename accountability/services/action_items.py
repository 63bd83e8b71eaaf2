"""Action items: promises with a due date, about a member, owned by them or a manager.

Invariants:

- **About and owned by.** ``member`` is whose performance the item is about; ``owner``
  must do it. The owner is the member themselves or someone in the member's reporting
  line above them (their manager, that manager's manager…, up to the top). Nobody else
  owns an item about someone, admins outside the line included.
- **Who may.** Admins, and the managers above the member, create, change, drop and
  reopen items about the member. The member may create items they own themselves (and
  change, drop and reopen the ones they created so). The owner completes their own items
  (one click: ``completed_at`` is now) and may reopen one they completed. Anyone else is
  refused (``PermissionDenied``). Another organisation's member is "not found".
- **Dates.** A due date is never before today in the organisation's time zone, when an
  item is created or its due date changed.
- **Status.** ``open`` → ``done`` (complete) or ``dropped`` (drop); ``reopen`` brings a
  done or dropped item back to ``open`` (``completed_at`` cleared). Any other move is a
  ``ValidationError`` and changes nothing.
- **Versions.** Every write raises ``version``; a write naming an older version raises
  ``StaleVersion`` with the item as it is now (the API's 409). The row is locked first,
  so two writes at once run one after the other.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from spm.inputs import LATEST_DATE
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.selectors import report_ids
from spm.tenancy.versioning import check_version

from ..models import ActionItem, Review

TITLE_MAX = ActionItem._meta.get_field("title").max_length
NOT_ALLOWED = "You may not change action items about this member."
OWNER_ONLY = "Only the item's owner can mark it done."
CREATE_NOT_ALLOWED = (
    "You may add action items only about yourself (owned by you) or about your team."
)


# --- Who may ----------------------------------------------------------------------------------


def managers_above(*, tenant: Tenant, member: Membership) -> list[int]:
    """The ids of the member's reporting line above them, nearest first (one query)."""
    manager_of = dict(
        Membership.objects.filter(tenant=tenant, manager__isnull=False).values_list(
            "pk", "manager_id"
        )
    )
    line: list[int] = []
    current = manager_of.get(member.pk)
    while current is not None and current not in line and current != member.pk:
        line.append(current)
        current = manager_of.get(current)
    return line


def owner_choice_ids(*, tenant: Tenant, member: Membership) -> list[int]:
    """Who may own an item about ``member``: the member, then their line upwards."""
    return [member.pk, *managers_above(tenant=tenant, member=member)]


def manages(*, tenant: Tenant, actor: Membership, member: Membership) -> bool:
    """``actor`` is an admin, or a manager with ``member`` in their reporting tree."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER or actor.pk == member.pk:
        return False
    return member.pk in report_ids(tenant=tenant, manager=actor)


def can_create_about(*, tenant: Tenant, actor: Membership, member: Membership) -> bool:
    return actor.pk == member.pk or manages(tenant=tenant, actor=actor, member=member)


def can_edit(*, tenant: Tenant, actor: Membership, item: ActionItem) -> bool:
    """Change, drop or reopen: the member's managers and admins, or the member for an
    item they created and own themselves."""
    if (
        actor.pk == item.member_id
        and item.owner_id == actor.pk
        and item.created_by_id in (None, actor.pk)
    ):
        return True
    return manages(tenant=tenant, actor=actor, member=item.member)


def can_complete(*, actor: Membership, item: ActionItem) -> bool:
    return item.owner_id == actor.pk


# --- Checks -----------------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the action item a title."})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Keep the title to {TITLE_MAX} characters."})
    return title


def _check_due(tenant: Tenant, due_date) -> dt.date:
    if not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime):
        raise ValidationError({"due_date": "Give the due date as a date."})
    today = tenant.today()
    if due_date < today:
        raise ValidationError(
            {"due_date": f"The due date cannot be in the past (today is {today:%-d %b %Y})."}
        )
    if due_date > LATEST_DATE:
        raise ValidationError({"due_date": "That date is too far in the future."})
    return due_date


def _check_same_tenant(tenant: Tenant, *people: Membership | None) -> None:
    for person in people:
        if person is not None and person.tenant_id != tenant.pk:
            raise Membership.DoesNotExist("No such member.")


def _locked(tenant: Tenant, item: ActionItem) -> ActionItem:
    if item.tenant_id != tenant.pk:
        raise ActionItem.DoesNotExist("No such action item.")
    return (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("member", "owner")
        .get(tenant=tenant, pk=item.pk)
    )


def _save(item: ActionItem, fields: list[str]) -> ActionItem:
    item.version += 1
    item.save(update_fields=[*fields, "version"])
    return item


# --- Writes -----------------------------------------------------------------------------------


def action_item_create(
    *,
    tenant: Tenant,
    actor: Membership,
    member: Membership,
    owner: Membership,
    title: str,
    due_date: dt.date,
    review: Review | None = None,
) -> ActionItem:
    """Create an item about ``member`` owned by ``owner`` (the member or someone above them).

    ``PermissionDenied`` unless the actor manages the member (or is an admin), or is the
    member creating an item they own themselves."""
    _check_same_tenant(tenant, actor, member, owner)
    if not can_create_about(tenant=tenant, actor=actor, member=member):
        raise PermissionDenied(CREATE_NOT_ALLOWED)
    if (
        actor.pk == member.pk
        and owner.pk != actor.pk
        and not manages(tenant=tenant, actor=actor, member=member)
    ):
        raise PermissionDenied("An action item you add about yourself is yours to do.")
    errors: dict[str, list[str]] = {}
    try:
        title = _clean_title(title)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        due_date = _check_due(tenant, due_date)
    except ValidationError as error:
        errors.update(error.message_dict)
    if owner.pk not in owner_choice_ids(tenant=tenant, member=member):
        errors["owner"] = [
            f"The owner must be {member.name} or someone above them in their reporting line."
        ]
    if review is not None and (review.tenant_id != tenant.pk or review.member_id != member.pk):
        errors["review"] = ["That review is not about this member."]
    if errors:
        raise ValidationError(errors)
    return ActionItem.objects.create(
        tenant=tenant,
        review=review,
        member=member,
        owner=owner,
        created_by=actor,
        title=title,
        due_date=due_date,
    )


def action_item_update(
    *,
    tenant: Tenant,
    actor: Membership,
    item: ActionItem,
    version: int | None,
    title: str | None = None,
    due_date: dt.date | None = None,
) -> ActionItem:
    """Change an open item's title or due date (a due date changed is not in the past)."""
    with transaction.atomic():
        item = _locked(tenant, item)
        if not can_edit(tenant=tenant, actor=actor, item=item):
            raise PermissionDenied(NOT_ALLOWED)
        check_version(item, version)
        if item.status != ActionItem.Status.OPEN:
            raise ValidationError("Reopen the item to change it.")
        fields, errors = [], {}
        if title is not None:
            try:
                new_title = _clean_title(title)
            except ValidationError as error:
                errors.update(error.message_dict)
            else:
                if new_title != item.title:
                    item.title = new_title
                    fields.append("title")
        if due_date is not None and due_date != item.due_date:
            try:
                item.due_date = _check_due(tenant, due_date)
            except ValidationError as error:
                errors.update(error.message_dict)
            else:
                fields.append("due_date")
        if errors:
            raise ValidationError(errors)
        if not fields:
            return item
        return _save(item, fields)


def action_item_complete(
    *, tenant: Tenant, actor: Membership, item: ActionItem, version: int | None = None
) -> ActionItem:
    """The owner marks their open item done, now."""
    with transaction.atomic():
        item = _locked(tenant, item)
        if not can_complete(actor=actor, item=item):
            raise PermissionDenied(OWNER_ONLY)
        check_version(item, version)
        if item.status != ActionItem.Status.OPEN:
            raise ValidationError("This action item is not open.")
        item.status = ActionItem.Status.DONE
        item.completed_at = timezone.now()
        return _save(item, ["status", "completed_at"])


def action_item_drop(
    *, tenant: Tenant, actor: Membership, item: ActionItem, version: int | None = None
) -> ActionItem:
    """Drop an open item: it no longer needs doing."""
    with transaction.atomic():
        item = _locked(tenant, item)
        if not can_edit(tenant=tenant, actor=actor, item=item):
            raise PermissionDenied(NOT_ALLOWED)
        check_version(item, version)
        if item.status != ActionItem.Status.OPEN:
            raise ValidationError("Only an open action item can be dropped.")
        item.status = ActionItem.Status.DROPPED
        return _save(item, ["status"])


def action_item_reopen(
    *, tenant: Tenant, actor: Membership, item: ActionItem, version: int | None = None
) -> ActionItem:
    """Bring a done or dropped item back to open (the owner may reopen one they did)."""
    with transaction.atomic():
        item = _locked(tenant, item)
        allowed = can_edit(tenant=tenant, actor=actor, item=item) or (
            item.status == ActionItem.Status.DONE and can_complete(actor=actor, item=item)
        )
        if not allowed:
            raise PermissionDenied(NOT_ALLOWED)
        check_version(item, version)
        if item.status == ActionItem.Status.OPEN:
            raise ValidationError("This action item is open already.")
        item.status = ActionItem.Status.OPEN
        item.completed_at = None
        return _save(item, ["status", "completed_at"])
