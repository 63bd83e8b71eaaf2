"""Creating and changing territories."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from spm.tenancy.models import Tenant
from spm.tenancy.services import audit

from ..models import (
    Territory,
)
from ..selectors import descendant_ids
from ._common import _check_tenant


def territory_name_taken(*, tenant: Tenant, name: str, territory: Territory | None) -> str:
    """The message refusing ``name`` when another territory of the organisation has it,
    regardless of case (CSV imports find territories by name, ignoring case); else ""."""
    clash = Territory.objects.filter(tenant=tenant, name__iexact=name.strip())
    if territory is not None and territory.pk:
        clash = clash.exclude(pk=territory.pk)
    existing = clash.only("name").first()
    return f"A territory named “{existing.name}” already exists." if existing else ""


def territory_check(
    *, tenant: Tenant, territory: Territory | None, name: str, parent: Territory | None
) -> None:
    """Raise ``ValidationError`` (by field) unless ``territory`` (``None``: a new one) can
    take this name and parent. The admin form calls it to show the same messages."""
    _check_tenant(tenant, territory)
    errors: dict[str, str] = {}
    if parent is not None and parent.tenant_id != tenant.pk:
        errors["parent"] = "Choose a territory of the same organisation."
    elif (
        parent is not None
        and territory is not None
        and territory.pk
        and (
            parent.pk == territory.pk
            or parent.pk in descendant_ids(tenant=tenant, territory=territory)
        )
    ):
        errors["parent"] = "A territory cannot sit inside itself or its own sub-territories."
    if name.strip():
        taken = territory_name_taken(tenant=tenant, name=name, territory=territory)
        if taken:
            errors["name"] = taken
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def territory_save(
    *,
    tenant: Tenant,
    actor,
    territory: Territory | None = None,
    name: str,
    parent: Territory | None = None,
    description: str = "",
    active: bool = True,
) -> Territory:
    """Create a territory, or change one, keeping the tree a tree.

    Names are unique in the organisation regardless of case (also a database constraint
    on ``Lower(name)``, for two requests at once).
    """
    _check_tenant(tenant, territory, parent)
    if territory is not None and parent is not None and parent.pk != territory.parent_id:
        # Moving a territory under another serialises on the organisation's row, so two
        # moves at once (A under B, B under A) cannot both pass the check and make a loop.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    territory_check(tenant=tenant, territory=territory, name=name, parent=parent)
    creating = territory is None
    territory = territory or Territory(tenant=tenant)
    territory.name = name.strip()
    territory.parent = parent
    territory.description = description
    territory.active = active
    territory.full_clean(exclude=["tenant"], validate_constraints=False)
    with transaction.atomic():
        try:
            with transaction.atomic():
                territory.save()
        except IntegrityError as exc:  # Another request took the name meanwhile.
            raise ValidationError(
                {
                    "name": territory_name_taken(tenant=tenant, name=name, territory=territory)
                    or "A territory with this name already exists."
                }
            ) from exc
        audit(
            tenant=tenant,
            actor=actor,
            action="territory.created" if creating else "territory.changed",
            obj=territory,
            data={"name": territory.name, "parent": parent.pk if parent else None},
        )
    return territory
