"""Putting reps on territories and taking them off, with notifications."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import audit

from ..models import (
    Territory,
    TerritoryMember,
    TerritoryRole,
)
from ._common import _check_tenant


def territory_member_check(
    *,
    tenant: Tenant,
    territory: Territory,
    member: Membership,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None,
    exclude: TerritoryMember | None = None,
) -> None:
    """Raise ``ValidationError`` unless this assignment can be recorded."""
    _check_tenant(tenant, territory, member)
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "The end date must be on or after the start date."})
    overlapping = TerritoryMember.objects.filter(tenant=tenant, territory=territory).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date)
    )
    if end_date is not None:
        overlapping = overlapping.filter(start_date__lte=end_date)
    if exclude is not None and exclude.pk:
        overlapping = overlapping.exclude(pk=exclude.pk)
    same_member = overlapping.filter(member=member).first()
    if same_member is not None:
        raise ValidationError(
            {
                "member": f"{member.name} is already on {territory.name} from {same_member.start_date:%d %b %Y}."
            }
        )
    if role == TerritoryRole.OWNER:
        owner = overlapping.filter(role=TerritoryRole.OWNER).select_related("member__user").first()
        if owner is not None:
            until = f" until {owner.end_date:%d %b %Y}" if owner.end_date else ""
            raise ValidationError(
                {
                    "role": f"{territory.name} already has an owner on those dates: "
                    f"{owner.member.name} from {owner.start_date:%d %b %Y}{until}. "
                    "End that assignment first, or add this person as an overlay."
                }
            )


@transaction.atomic
def territory_member_add(
    *,
    tenant: Tenant,
    actor,
    territory: Territory,
    member: Membership,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> TerritoryMember:
    """Put ``member`` on ``territory`` and tell them."""
    # Locking the territory serialises concurrent additions, so the owner check holds.
    Territory.objects.select_for_update().filter(tenant=tenant, pk=territory.pk).first()
    territory_member_check(
        tenant=tenant,
        territory=territory,
        member=member,
        role=role,
        start_date=start_date,
        end_date=end_date,
    )
    link = TerritoryMember(
        tenant=tenant,
        territory=territory,
        member=member,
        role=role,
        start_date=start_date,
        end_date=end_date,
    )
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:  # The PostgreSQL exclusion constraint.
        raise ValidationError(
            {"role": f"{territory.name} already has an owner on those dates."}
        ) from exc
    audit(
        tenant=tenant,
        actor=actor,
        action="territory_member.added",
        obj=link,
        data={
            "territory": territory.pk,
            "member": member.pk,
            "role": role,
            "start_date": start_date.isoformat(),
        },
    )
    notify(
        tenant=tenant,
        messages=[
            Message(
                recipient=member,
                kind="territory.added",
                title=f"You are now {link.get_role_display().lower()} of {territory.name}",
                body=f"From {start_date:%A %d %B %Y}"
                + (f" to {end_date:%A %d %B %Y}" if end_date else "")
                + f" you work {territory.name} as {link.get_role_display().lower()}.",
                url=reverse("territories:mine"),
            )
        ],
    )
    return link


@transaction.atomic
def territory_member_update(
    *,
    tenant: Tenant,
    actor,
    link: TerritoryMember,
    role: str,
    start_date: dt.date,
    end_date: dt.date | None,
) -> TerritoryMember:
    _check_tenant(tenant, link)
    Territory.objects.select_for_update().filter(tenant=tenant, pk=link.territory_id).first()
    territory_member_check(
        tenant=tenant,
        territory=link.territory,
        member=link.member,
        role=role,
        start_date=start_date,
        end_date=end_date,
        exclude=link,
    )
    ended = end_date is not None and link.end_date != end_date
    link.role, link.start_date, link.end_date = role, start_date, end_date
    link.save(update_fields=["role", "start_date", "end_date"])
    audit(
        tenant=tenant,
        actor=actor,
        action="territory_member.changed",
        obj=link,
        data={
            "role": role,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
        },
    )
    if ended:
        _notify_removed(tenant=tenant, link=link)
    return link


def _notify_removed(*, tenant: Tenant, link: TerritoryMember) -> None:
    notify(
        tenant=tenant,
        messages=[
            Message(
                recipient=link.member,
                kind="territory.removed",
                title=f"You leave {link.territory.name}",
                body=f"Your assignment to {link.territory.name} ends on {link.end_date:%A %d %B %Y}.",
                url=reverse("territories:mine"),
            )
        ],
    )


@transaction.atomic
def territory_member_end(
    *, tenant: Tenant, actor, link: TerritoryMember, end_date: dt.date
) -> TerritoryMember:
    """Take a member off a territory from ``end_date`` on. The row stays as history."""
    _check_tenant(tenant, link)
    if end_date < link.start_date:
        raise ValidationError(
            {
                "end_date": f"The assignment starts on {link.start_date:%d %b %Y}; end it on or after that day."
            }
        )
    link.end_date = end_date
    link.save(update_fields=["end_date"])
    audit(
        tenant=tenant,
        actor=actor,
        action="territory_member.ended",
        obj=link,
        data={"end_date": link.end_date.isoformat()},
    )
    _notify_removed(tenant=tenant, link=link)
    return link
