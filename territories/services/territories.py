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
    """Create a territory, or change one, keeping the tree a tree."""
    _check_tenant(tenant, territory, parent)
    creating = territory is None
    territory = territory or Territory(tenant=tenant)
    if (
        parent is not None
        and not creating
        and (
            parent.pk == territory.pk
            or parent.pk in descendant_ids(tenant=tenant, territory=territory)
        )
    ):
        raise ValidationError(
            {"parent": "A territory cannot sit inside itself or its own sub-territories."}
        )
    territory.name = name.strip()
    territory.parent = parent
    territory.description = description
    territory.active = active
    territory.full_clean(exclude=["tenant"])
    with transaction.atomic():
        try:
            territory.save()
        except IntegrityError as exc:
            raise ValidationError({"name": "A territory with this name already exists."}) from exc
        audit(
            tenant=tenant,
            actor=actor,
            action="territory.created" if creating else "territory.changed",
            obj=territory,
            data={"name": territory.name, "parent": parent.pk if parent else None},
        )
    return territory
