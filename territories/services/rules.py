"""Saving assignment rules and applying them in bulk."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from spm.tenancy.models import Tenant
from spm.tenancy.services import audit

from .. import rules as engine
from ..models import (
    AccountAssignment,
    AssignmentRule,
    RuleOperator,
    Territory,
)
from ..selectors import account_rows, rule_specs
from ._common import _check_tenant
from .accounts import account_moves_apply, account_moves_notify


def assignment_rule_check(
    *,
    tenant: Tenant,
    territory: Territory | None,
    field: str,
    operator: str,
    value: str,
    value_to: str = "",
    priority: int = 100,
) -> None:
    """Raise ``ValidationError`` (by field) unless the rule can be saved: a territory of
    the organisation, and a value the engine can compare (``rules.rule_errors``). The
    admin form calls it to show the same messages."""
    errors: dict[str, str] = {}
    if territory is not None and territory.tenant_id != tenant.pk:
        errors["territory"] = "Choose a territory of the same organisation."
    between = operator == RuleOperator.BETWEEN
    if between and not value_to.strip():
        # Said first: the engine would compare the lower bound with an empty one.
        errors["value_to"] = "“Is between” needs an upper bound too."
    elif not between and value_to.strip():
        errors["value_to"] = "Only “is between” uses an upper bound; clear this field."
    spec = engine.RuleSpec(
        territory_id=territory.pk if territory else 0,
        field=field,
        operator=operator,
        value=value,
        value_to=value_to,
        priority=priority,
    )
    for name, message in engine.rule_errors(spec).items():
        errors.setdefault(name, message)
    if errors:
        raise ValidationError(errors)


def assignment_rule_save(
    *,
    tenant: Tenant,
    actor,
    rule: AssignmentRule | None = None,
    territory: Territory,
    field: str,
    operator: str,
    value: str,
    value_to: str = "",
    priority: int = 100,
    active: bool = True,
) -> AssignmentRule:
    _check_tenant(tenant, rule, territory)
    assignment_rule_check(
        tenant=tenant,
        territory=territory,
        field=field,
        operator=operator,
        value=value,
        value_to=value_to,
        priority=priority,
    )
    creating = rule is None
    rule = rule or AssignmentRule(tenant=tenant)
    rule.territory, rule.field, rule.operator = territory, field, operator
    rule.value, rule.value_to, rule.priority, rule.active = (
        value.strip(),
        value_to.strip(),
        priority,
        active,
    )
    rule.full_clean(exclude=["tenant"])
    with transaction.atomic():
        rule.save()
        audit(
            tenant=tenant,
            actor=actor,
            action="assignment_rule.created" if creating else "assignment_rule.changed",
            obj=rule,
            data={"rule": str(rule)},
        )
    return rule


def assignment_rules_preview(
    *, tenant: Tenant, only_unassigned: bool = False, account_ids=None
) -> engine.Plan:
    """What applying the rules would do now. Reads only; changes nothing.

    ``account_ids`` (ids or a queryset of ids) limits the plan to those accounts.
    """
    rows = account_rows(tenant=tenant, only_unassigned=only_unassigned, account_ids=account_ids)
    frame = engine.accounts_frame(list(rows))
    return engine.evaluate(frame, rule_specs(tenant=tenant))


@transaction.atomic
def assignment_rules_apply(
    *,
    tenant: Tenant,
    actor,
    only_unassigned: bool = False,
    effective_date: dt.date | None = None,
    account_ids=None,
) -> engine.Plan:
    """Apply the rules to all accounts (or only unassigned ones, or ``account_ids``) in bulk.

    Conflicting accounts stay where they are and are listed in the returned plan.
    Costs a constant number of queries plus one UPDATE per target territory and chunk.
    """
    effective_date = effective_date or tenant.today()
    plan = assignment_rules_preview(
        tenant=tenant, only_unassigned=only_unassigned, account_ids=account_ids
    )
    if plan.moves:
        if effective_date > tenant.today():
            raise ValidationError({"effective_date": "Rules apply from today or an earlier date."})
        account_moves_apply(
            tenant=tenant,
            actor=actor,
            moves=plan.moves,
            effective_date=effective_date,
            source=AccountAssignment.Source.RULES,
        )
        account_moves_notify(
            tenant=tenant, moves=plan.moves, effective_date=effective_date, scheduled=False
        )
    audit(
        tenant=tenant,
        actor=actor,
        action="assignment_rules.applied",
        obj=tenant,
        data={
            "moved": len(plan.moves),
            "conflicts": len(plan.conflicts),
            "only_unassigned": only_unassigned,
        },
    )
    return plan
