"""Review templates: the default every organisation starts with, new templates, and
changes that respect what was published.

Invariants: a template version's name, cadence and criteria are fixed once a period it
applies to has started (``template_is_locked``: its ``effective_from`` is on or before the
organisation's today); a change to a locked version makes the next version of the same
family, from the first day of the next period, and leaves the locked one as it is; an
unlocked version changes in place. Weights are relative, from 0 to 100, at least one
above 0; a measured criterion has four thresholds that rise from ``min_for_2`` to
``min_for_5``; a criterion scored by the reviewer has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from spm.inputs import EARLIEST_DATE
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import audit

from ..models import Cadence, Criterion, ReviewTemplate

DEFAULT_NAME = "Sales performance"
# (label, metric, weight, thresholds for scores 2–5, guidance)
DEFAULT_CRITERIA = (
    ("Quota attainment", Criterion.Metric.ATTAINMENT, "40", ("70", "90", "110", "130"),
     "Achieved ÷ quota over the quarter's months."),
    ("Pace", Criterion.Metric.PACE, "10", ("80", "95", "105", "120"),
     "Achieved ÷ what the daily targets expected by the period's end."),
    ("Selling time", Criterion.Metric.SELLING_RATIO, "20", ("70", "80", "90", "95"),
     "Selling minutes ÷ all logged minutes; the organisation's target is the bar to meet."),
    ("Selling activities", Criterion.Metric.ACTIVITY_COUNT, "10", ("150", "250", "350", "450"),
     "Calls, emails, meetings, demos and proposals logged in the quarter."),
    ("Action items done on time", Criterion.Metric.ACTION_ITEMS_ON_TIME, "10",
     ("50", "70", "85", "100"), "Share of the action items due in the period done by their date."),
    ("Account planning", Criterion.Metric.MANUAL, "10", (None, None, None, None),
     "The reviewer's judgement of account plans and pipeline hygiene, discussed in the review."),
)  # fmt: skip


def review_template_create_default(*, tenant: Tenant) -> ReviewTemplate | None:
    """Give ``tenant`` the default quarterly template unless it has a template already;
    returns it (``None`` when it had one). It applies to every period, past ones too, so a
    manager can review last quarter on the first day."""
    if ReviewTemplate.objects.filter(tenant=tenant).exists():
        return None
    template = ReviewTemplate.objects.create(
        tenant=tenant,
        name=DEFAULT_NAME,
        cadence=Cadence.QUARTERLY,
        effective_from=EARLIEST_DATE,
    )
    Criterion.objects.bulk_create(
        Criterion(
            tenant=tenant,
            template=template,
            label=label,
            metric=metric,
            weight=Decimal(weight),
            position=position,
            guidance=guidance,
            **{
                f"min_for_{score}": None if value is None else Decimal(value)
                for score, value in zip((2, 3, 4, 5), thresholds, strict=True)
            },
        )
        for position, (label, metric, weight, thresholds, guidance) in enumerate(DEFAULT_CRITERIA)
    )
    return template


def period_of(cadence: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month or quarter holding ``day``, as (first day, last day)."""
    if cadence == Cadence.MONTHLY:
        first = day.replace(day=1)
    else:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    months = 1 if cadence == Cadence.MONTHLY else 3
    index = first.year * 12 + first.month - 1 + months
    following = dt.date(index // 12, index % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


# --- Versions ---------------------------------------------------------------------------------

WEIGHT_MESSAGE = "Enter a weight from 0 to 100."
NO_WEIGHT_MESSAGE = "Give at least one criterion a weight above 0."
NO_CRITERIA_MESSAGE = "A template needs at least one criterion."
RISING_MESSAGE = "Thresholds must rise: score 2's below score 3's, below 4's, below 5's."
METRIC_THRESHOLDS_MESSAGE = "A measured criterion needs a threshold for each of scores 2 to 5."
MANUAL_THRESHOLDS_MESSAGE = "A criterion scored by the reviewer has no thresholds."
LATER_VERSION_MESSAGE = (
    "Version {version} of this template already applies from {day:%-d %b %Y}: change that one."
)
SCORES = (2, 3, 4, 5)
MAX_THRESHOLD = Decimal("9999999999.99")


@dataclass(frozen=True)
class CriterionInput:
    """A criterion as an editor gives it: ``id`` names one of the version's criteria
    (``None``: a new one); thresholds are the minimums for scores 2 to 5."""

    label: str
    metric: str
    weight: Any
    min_for_2: Any = None
    min_for_3: Any = None
    min_for_4: Any = None
    min_for_5: Any = None
    guidance: str = ""
    position: int | None = None
    id: int | None = None

    @classmethod
    def of(cls, criterion: Criterion) -> CriterionInput:
        return cls(
            label=criterion.label,
            metric=criterion.metric,
            weight=criterion.weight,
            guidance=criterion.guidance,
            position=criterion.position,
            id=criterion.pk,
            **{f"min_for_{score}": getattr(criterion, f"min_for_{score}") for score in SCORES},
        )


def _decimal(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidOperation
    number = Decimal(str(value).strip())
    if not number.is_finite():
        raise InvalidOperation
    return number


def criterion_problems(criterion: CriterionInput) -> dict[str, list[str]]:
    """What is wrong with one criterion, by field (empty when nothing is)."""
    problems: dict[str, list[str]] = {}
    label = (criterion.label or "").strip()
    if not label:
        problems["label"] = ["Give the criterion a label."]
    elif len(label) > Criterion._meta.get_field("label").max_length:
        problems["label"] = ["Keep the label under 100 characters."]
    if criterion.metric not in Criterion.Metric.values:
        problems["metric"] = ["Choose one of the listed metrics."]
    try:
        weight = _decimal(criterion.weight)
    except (InvalidOperation, ValueError, TypeError):
        weight = None
    if weight is None or not Decimal(0) <= weight <= Decimal(100):
        problems["weight"] = [WEIGHT_MESSAGE]
    thresholds: dict[int, Decimal | None] = {}
    for score in SCORES:
        try:
            value = _decimal(getattr(criterion, f"min_for_{score}"))
        except (InvalidOperation, ValueError, TypeError):
            problems[f"min_for_{score}"] = ["Enter a number."]
            continue
        if value is not None and abs(value) > MAX_THRESHOLD:
            problems[f"min_for_{score}"] = ["Enter a smaller number."]
            continue
        thresholds[score] = value
    if len(thresholds) < len(SCORES) or "metric" in problems:
        return problems
    given = [thresholds[score] for score in SCORES]
    if criterion.metric == Criterion.Metric.MANUAL:
        for score in SCORES:
            if thresholds[score] is not None:
                problems[f"min_for_{score}"] = [MANUAL_THRESHOLDS_MESSAGE]
    elif any(value is None for value in given):
        for score in SCORES:
            if thresholds[score] is None:
                problems[f"min_for_{score}"] = [METRIC_THRESHOLDS_MESSAGE]
    else:
        for low, high in pairwise(SCORES):
            if thresholds[high] <= thresholds[low]:
                problems[f"min_for_{high}"] = [RISING_MESSAGE]
    return problems


def criteria_problems(criteria: Sequence[CriterionInput]) -> list[str]:
    """What is wrong with a version's criteria as a whole, or with any of them, in words."""
    if not criteria:
        return [NO_CRITERIA_MESSAGE]
    messages = []
    for index, criterion in enumerate(criteria, start=1):
        for field, texts in criterion_problems(criterion).items():
            name = (criterion.label or "").strip() or f"Criterion {index}"
            messages.extend(f"{name} ({field.replace('_', ' ')}): {text}" for text in texts)
    if not messages and not any(_decimal(criterion.weight) > 0 for criterion in criteria):
        messages.append(NO_WEIGHT_MESSAGE)
    return messages


def template_is_locked(
    *, tenant: Tenant, template: ReviewTemplate, today: dt.date | None = None
) -> bool:
    """A version is locked once a period it applies to has started: its first period (the
    one starting ``effective_from``) has started by the organisation's today."""
    return template.effective_from <= (today or tenant.today())


def next_period_start(cadence: str, today: dt.date) -> dt.date:
    """The first day of the period after the one holding ``today``."""
    return period_of(cadence, today)[1] + dt.timedelta(days=1)


def _clean_fields(name, cadence) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the template a name."]
    elif len(name) > ReviewTemplate._meta.get_field("name").max_length:
        errors["name"] = ["Keep the name under 100 characters."]
    if cadence not in Cadence.values:
        errors["cadence"] = ["Choose monthly or quarterly."]
    return errors


def review_template_check(*, name: str, cadence: str, criteria: Sequence[CriterionInput]) -> None:
    """Raise a ``ValidationError`` by field (``name``, ``cadence``, ``criteria``) for a
    template that could not be saved."""
    errors = _clean_fields(name, cadence)
    problems = criteria_problems(criteria)
    if problems:
        errors["criteria"] = problems
    if errors:
        raise ValidationError(errors)


def _criterion_values(criterion: CriterionInput, position: int) -> dict:
    return {
        "label": criterion.label.strip(),
        "metric": criterion.metric,
        "weight": _decimal(criterion.weight),
        "guidance": (criterion.guidance or "").strip(),
        "position": position if criterion.position is None else criterion.position,
        **{
            f"min_for_{score}": _decimal(getattr(criterion, f"min_for_{score}")) for score in SCORES
        },
    }


def _create_criteria(tenant, template, criteria) -> None:
    Criterion.objects.bulk_create(
        Criterion(tenant=tenant, template=template, **_criterion_values(criterion, position))
        for position, criterion in enumerate(criteria)
    )


@transaction.atomic
def review_template_create(
    *,
    tenant: Tenant,
    actor,
    name: str,
    cadence: str,
    criteria: Sequence[CriterionInput],
    effective_from: dt.date | None = None,
    active: bool = True,
) -> ReviewTemplate:
    """A new template (version 1), published ahead: it applies from the first day of the
    next period unless ``effective_from`` names a later period's first day."""
    review_template_check(name=name, cadence=cadence, criteria=criteria)
    first = next_period_start(cadence, tenant.today())
    if effective_from is None:
        effective_from = first
    elif effective_from < first or period_of(cadence, effective_from)[0] != effective_from:
        raise ValidationError(
            {
                "effective_from": (
                    f"Choose the first day of a period from {first:%-d %b %Y} on: a template "
                    "is published before the period it applies to."
                )
            }
        )
    template = ReviewTemplate.objects.create(
        tenant=tenant,
        name=name.strip(),
        cadence=cadence,
        active=active,
        effective_from=effective_from,
    )
    _create_criteria(tenant, template, criteria)
    audit(tenant=tenant, actor=_actor_user(actor), action="review_template.created", obj=template)
    return template


def _same(template: ReviewTemplate, existing: list[Criterion], name, cadence, criteria) -> bool:
    if (template.name, template.cadence) != (name.strip(), cadence):
        return False
    if len(existing) != len(criteria):
        return False
    now = [
        _criterion_values(CriterionInput.of(row), row.position) | {"id": row.pk} for row in existing
    ]
    wanted = [
        _criterion_values(criterion, position) | {"id": criterion.id}
        for position, criterion in enumerate(criteria)
    ]
    return now == wanted


@transaction.atomic
def review_template_save(
    *,
    tenant: Tenant,
    actor,
    template: ReviewTemplate,
    name: str | None = None,
    cadence: str | None = None,
    active: bool | None = None,
    criteria: Sequence[CriterionInput] | None = None,
) -> ReviewTemplate:
    """Change a template version; returns the version that holds the changes.

    ``criteria`` is the whole new list (``id`` keeps an existing criterion, a missing one
    is removed); ``None`` keeps them. An unlocked version changes in place. A locked one
    (``template_is_locked``) stays as it is, and the changes make the next version of the
    family, from the first day of the next period; only the family's latest version can
    be changed so. ``active`` changes in place either way: a template switched off no
    longer applies to reviews started from then on, and its reviews keep it."""
    template = ReviewTemplate.objects.select_for_update().get(tenant=tenant, pk=template.pk)
    existing = list(Criterion.objects.filter(tenant=tenant, template=template))
    name = template.name if name is None else name
    cadence = template.cadence if cadence is None else cadence
    if criteria is None:
        criteria = [CriterionInput.of(row) for row in existing]
    review_template_check(name=name, cadence=cadence, criteria=criteria)
    known = {row.pk: row for row in existing}
    strangers = [
        criterion.id for criterion in criteria if criterion.id and criterion.id not in known
    ]
    if strangers:
        raise ValidationError({"criteria": ["A criterion of another template was given."]})
    if active is not None and active != template.active:
        template.active = active
        template.save(update_fields=["active"])
    if _same(template, existing, name, cadence, criteria):
        return template
    today = tenant.today()
    if not template_is_locked(tenant=tenant, template=template, today=today):
        template.name, template.cadence = name.strip(), cadence
        template.save(update_fields=["name", "cadence"])
        kept = set()
        for position, criterion in enumerate(criteria):
            values = _criterion_values(criterion, position)
            if criterion.id:
                Criterion.objects.filter(tenant=tenant, pk=criterion.id).update(**values)
                kept.add(criterion.id)
            else:
                Criterion.objects.create(tenant=tenant, template=template, **values)
        Criterion.objects.filter(
            tenant=tenant, pk__in=[pk for pk in known if pk not in kept]
        ).delete()
        audit(
            tenant=tenant, actor=_actor_user(actor), action="review_template.changed", obj=template
        )
        return template
    later = (
        ReviewTemplate.objects.filter(tenant=tenant, family=template.family)
        .filter(Q(version__gt=template.version) | Q(effective_from__gt=template.effective_from))
        .order_by("-version")
        .first()
    )
    if later is not None:
        raise ValidationError(
            LATER_VERSION_MESSAGE.format(version=later.version, day=later.effective_from)
        )
    successor = ReviewTemplate.objects.create(
        tenant=tenant,
        family=template.family,
        version=template.version + 1,
        effective_from=next_period_start(cadence, today),
        name=name.strip(),
        cadence=cadence,
        active=template.active,
    )
    _create_criteria(tenant, successor, criteria)
    audit(
        tenant=tenant,
        actor=_actor_user(actor),
        action="review_template.versioned",
        obj=successor,
        data={"from_version": template.version},
    )
    return successor


def _actor_user(actor):
    return actor.user if isinstance(actor, Membership) else actor
