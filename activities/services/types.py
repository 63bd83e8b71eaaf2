"""The organisation's activity types: its defaults, and the admin's additions and changes.

Invariants: names are unique in the organisation regardless of case; the category is
selling or non-selling; the default duration is 1–1,440 minutes. A type is never deleted
once used (its activities keep it); it is deactivated instead, and then can't be logged.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from spm.tenancy.models import Tenant
from spm.tenancy.services import audit

from ..models import DEFAULT_TYPES, Activity, ActivityType

TYPE_FIELDS = ("name", "category", "default_duration", "active", "position")
IN_USE = "“{name}” has activities, so it is kept: set it inactive to retire it instead."


def activity_types_create_defaults(*, tenant: Tenant) -> int:
    """Give ``tenant`` the default types it lacks (by name, regardless of case); returns
    how many were added. Run when an organisation is created; safe to run again."""
    taken = {
        name.lower()
        for name in ActivityType.objects.filter(tenant=tenant).values_list("name", flat=True)
    }
    added = ActivityType.objects.bulk_create(
        ActivityType(
            tenant=tenant,
            name=name,
            category=category,
            default_duration=minutes,
            position=position,
        )
        for position, (name, category, minutes) in enumerate(DEFAULT_TYPES)
        if name.lower() not in taken
    )
    return len(added)


def activity_type_check(*, tenant: Tenant, activity_type: ActivityType) -> None:
    """Raise the ``ValidationError`` (by field) that saving ``activity_type`` would raise;
    change nothing. Forms and serializers call it to show the service's verdict."""
    activity_type.tenant = tenant
    errors: dict[str, list[str]] = {}
    try:
        activity_type.full_clean(exclude=["tenant"], validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    name = (activity_type.name or "").strip()
    if name and "name" not in errors:
        clash = ActivityType.objects.filter(tenant=tenant, name__iexact=name)
        if activity_type.pk:
            clash = clash.exclude(pk=activity_type.pk)
        if clash.exists():
            errors["name"] = [f"There is already an activity type called “{name}”."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def activity_type_save(*, tenant: Tenant, actor, activity_type: ActivityType) -> ActivityType:
    """Create or change an activity type (admins; the caller checks the role)."""
    activity_type.name = (activity_type.name or "").strip()
    activity_type_check(tenant=tenant, activity_type=activity_type)
    created = activity_type.pk is None
    activity_type.save()
    audit(
        tenant=tenant,
        actor=getattr(actor, "user", actor),
        action="activity_type.created" if created else "activity_type.changed",
        obj=activity_type,
        data={name: str(getattr(activity_type, name)) for name in TYPE_FIELDS},
    )
    return activity_type


@transaction.atomic
def activity_type_delete(*, tenant: Tenant, actor, activity_type: ActivityType) -> None:
    """Delete a type nobody has logged (a mistake when it was added); a type with
    activities is refused with a ``ValidationError``: deactivate it instead."""
    if activity_type.tenant_id != tenant.pk:
        raise ActivityType.DoesNotExist("No such activity type.")
    if activity_type_in_use(tenant=tenant, activity_type=activity_type):
        raise ValidationError(IN_USE.format(name=activity_type.name))
    audit(
        tenant=tenant,
        actor=getattr(actor, "user", actor),
        action="activity_type.deleted",
        obj=activity_type,
        data={name: str(getattr(activity_type, name)) for name in TYPE_FIELDS},
    )
    activity_type.delete()


def activity_type_in_use(*, tenant: Tenant, activity_type: ActivityType) -> bool:
    """Whether any activity has this type (then it is never deleted)."""
    return Activity.objects.filter(tenant=tenant, type_id=activity_type.pk).exists()
