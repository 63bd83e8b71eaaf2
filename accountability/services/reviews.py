"""Reviews: starting one with the evidence, scoring, sharing, acknowledging, correcting.

Invariants:

- a review scores one member over one period of its template version (the version in
  force on the period's first day, ``template_for``); one review per member and period,
  besides corrections: starting it twice opens the same one;
- a period is reviewed once it has started (its first day is on or before the
  organisation's today), never ahead;
- it starts as a draft with one score per criterion of its template: the evidence from the
  data (``accountability.selectors.evidence``) and the score the criterion's thresholds
  suggest; the reviewer sets final scores (1–5) with notes;
- the overall score is the weighted mean of the final scores of the criteria that have one
  (``Decimal`` rounded half up to 2 places; pages show one decimal), ``None`` before any;
- draft → shared (every criterion has a final score; the member is notified in the app and
  by email) → acknowledged by the reviewed member alone, with an optional comment; it is
  read-only afterwards, and a correction is a new draft that ``corrects`` it, pre-filled;
- who reviews: a manager the members of their reporting tree (direct and indirect), an
  admin anyone; nobody themselves. A manager's own reviews are written by their manager or
  an admin, with the same machinery;
- ``version`` counts changes; a caller naming a stale one gets ``StaleVersion``; each
  write locks the review's row first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from spm.notifications.services import Message, notify
from spm.tenancy.models import Membership, Role, Tenant
from spm.tenancy.selectors import report_ids
from spm.tenancy.services import audit
from spm.tenancy.versioning import check_version

from ..models import Review, ReviewScore, ReviewTemplate
from ..selectors.evidence import evidence_for, suggested_score
from .templates import period_of

CENT = Decimal("0.01")
SHARED_KIND = "accountability.review_shared"
MAY_NOT_REVIEW = (
    "You can review the members of your reporting tree; an admin can review anyone. "
    "Nobody reviews themselves."
)
ACKNOWLEDGE_OWN_ONLY = "Only the reviewed member acknowledges their review."
READ_ONLY = "This review was acknowledged and can no longer change; correct it instead."
NO_TEMPLATE = "No active review template applies to that date."
NOT_STARTED = "That period has not started yet: review it once it has."


@dataclass(frozen=True)
class ScoreInput:
    """A criterion's final score (1–5, or ``None`` to clear it) and the reviewer's note."""

    final_score: int | None
    note: str = ""


# --- Who may ------------------------------------------------------------------------------


def may_review(*, tenant: Tenant, actor, member: Membership | int) -> bool:
    """Managers review their reporting tree, admins anyone; nobody themselves."""
    member_id = getattr(member, "pk", member)
    if not isinstance(actor, Membership) or actor.tenant_id != tenant.pk:
        return False
    if actor.pk == member_id:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MANAGER:
        return member_id in report_ids(tenant=tenant, manager=actor)
    return False


def _check_may_review(*, tenant: Tenant, actor, member) -> None:
    if not may_review(tenant=tenant, actor=actor, member=member):
        raise PermissionDenied(MAY_NOT_REVIEW)


def _actor_user(actor):
    return actor.user if isinstance(actor, Membership) else actor


# --- Reading ------------------------------------------------------------------------------


def template_for(*, tenant: Tenant, day: dt.date) -> ReviewTemplate:
    """The active template version in force on ``day`` (the greatest ``effective_from`` on
    or before it)."""
    template = (
        ReviewTemplate.objects.filter(tenant=tenant, active=True, effective_from__lte=day)
        .order_by("-effective_from", "-version", "pk")
        .first()
    )
    if template is None:
        raise ValidationError({"period_start": NO_TEMPLATE})
    return template


def overall_score(scores) -> Decimal | None:
    """The weighted mean of the final scores that are set, rounded half up to 2 places;
    ``None`` when none is set or their weights are all 0. ``scores`` are ``ReviewScore``\\ s
    with their criterion."""
    weighted = Decimal(0)
    weights = Decimal(0)
    for score in scores:
        if score.final_score is None:
            continue
        weight = Decimal(score.criterion.weight)
        weighted += weight * score.final_score
        weights += weight
    if not weights:
        return None
    return (weighted / weights).quantize(CENT, rounding=ROUND_HALF_UP)


def _locked(tenant: Tenant, review: Review) -> Review:
    return (
        Review.objects.select_for_update()
        .select_related("member__user", "reviewer__user", "template")
        .get(tenant=tenant, pk=review.pk)
    )


def _scores(tenant: Tenant, review: Review) -> list[ReviewScore]:
    return list(
        ReviewScore.objects.filter(tenant=tenant, review=review)
        .select_related("criterion")
        .order_by("criterion__position", "criterion_id")
    )


# --- Writing ------------------------------------------------------------------------------


def review_start(
    *, tenant: Tenant, actor, member: Membership, period_start: dt.date | None = None
) -> Review:
    """Start ``member``'s review for the period holding ``period_start`` (default: today's
    in the organisation's time zone), or return the one already started."""
    if member.tenant_id != tenant.pk:
        raise ValidationError({"member_id": "Choose a member of this organisation."})
    _check_may_review(tenant=tenant, actor=actor, member=member)
    day = period_start or tenant.today()
    template = template_for(tenant=tenant, day=day)
    start, end = period_of(template.cadence, day)
    if template.effective_from > start:
        # A version starts on a period's first day; one that starts later in the period
        # (made by hand) gives way to the version in force when the period began.
        template = template_for(tenant=tenant, day=start)
    if start > tenant.today():
        raise ValidationError({"period_start": NOT_STARTED})
    existing = Review.objects.filter(
        tenant=tenant, member=member, period_start=start, period_end=end, corrects__isnull=True
    ).first()
    if existing is not None:
        return existing
    criteria = list(template.criteria.all())
    evidence = evidence_for(
        tenant=tenant,
        member=member,
        template=template,
        period_start=start,
        period_end=end,
        criteria=criteria,
    )
    try:
        with transaction.atomic():
            review = Review.objects.create(
                tenant=tenant,
                member=member,
                reviewer=actor,
                template=template,
                period_start=start,
                period_end=end,
            )
            ReviewScore.objects.bulk_create(
                ReviewScore(
                    tenant=tenant,
                    review=review,
                    criterion=criterion,
                    evidence=evidence.get(criterion.pk),
                    suggested_score=suggested_score(criterion, evidence.get(criterion.pk)),
                )
                for criterion in criteria
            )
    except IntegrityError:
        # Started at the same moment by someone else: open theirs.
        return Review.objects.get(
            tenant=tenant,
            member=member,
            period_start=start,
            period_end=end,
            corrects__isnull=True,
        )
    audit(
        tenant=tenant,
        actor=_actor_user(actor),
        action="review.started",
        obj=review,
        data={"member": member.pk, "period_start": start.isoformat()},
    )
    return review


def _final_score_problem(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        return "Choose a score from 1 to 5."
    return ""


@transaction.atomic
def review_save(
    *,
    tenant: Tenant,
    actor,
    review: Review,
    scores: Mapping[int, ScoreInput],
    summary: str | None = None,
    version: int | None = None,
) -> Review:
    """Save final scores and notes (keyed by criterion id) and the summary of a draft or
    shared review; recomputes the overall score."""
    review = _locked(tenant, review)
    _check_may_review(tenant=tenant, actor=actor, member=review.member_id)
    check_version(review, version)
    if review.status == Review.Status.ACKNOWLEDGED:
        raise ValidationError(READ_ONLY)
    rows = _scores(tenant, review)
    by_criterion = {row.criterion_id: row for row in rows}
    errors: dict[str, list[str]] = {}
    for criterion_id, given in scores.items():
        row = by_criterion.get(criterion_id)
        if row is None:
            errors.setdefault("scores", []).append(
                f"Criterion {criterion_id} is not part of this review's template."
            )
            continue
        problem = _final_score_problem(given.final_score)
        if problem:
            errors.setdefault("scores", []).append(f"{row.criterion.label}: {problem}")
        note_max = ReviewScore._meta.get_field("note").max_length
        if len(given.note or "") > note_max:
            errors.setdefault("scores", []).append(
                f"{row.criterion.label}: keep the note under {note_max:,} characters."
            )
    summary_max = Review._meta.get_field("summary").max_length
    if summary is not None and len(summary) > summary_max:
        errors["summary"] = [f"Keep the summary under {summary_max:,} characters."]
    if errors:
        raise ValidationError(errors)
    changed = []
    for criterion_id, given in scores.items():
        row = by_criterion[criterion_id]
        row.final_score = given.final_score
        row.note = (given.note or "").strip()
        changed.append(row)
    if changed:
        ReviewScore.objects.bulk_update(changed, ["final_score", "note"])
    if summary is not None:
        review.summary = summary.strip()
    review.overall_score = overall_score(rows)
    review.version += 1
    review.save(update_fields=["summary", "overall_score", "version"])
    return review


def _review_url(review: Review) -> str:
    try:
        return reverse("accountability:review", args=[review.pk])
    except NoReverseMatch:
        return "/accountability/"


@transaction.atomic
def review_share(*, tenant: Tenant, actor, review: Review, version: int | None = None) -> Review:
    """Share a draft with its member, who is notified; every criterion needs a final score."""
    review = _locked(tenant, review)
    _check_may_review(tenant=tenant, actor=actor, member=review.member_id)
    check_version(review, version)
    if review.status != Review.Status.DRAFT:
        raise ValidationError({"status": "Only a draft can be shared."})
    rows = _scores(tenant, review)
    missing = [row.criterion.label for row in rows if row.final_score is None]
    if missing:
        raise ValidationError({"scores": [f"Give a final score to: {', '.join(missing)}."]})
    review.status = Review.Status.SHARED
    review.shared_at = timezone.now()
    review.overall_score = overall_score(rows)
    review.version += 1
    review.save(update_fields=["status", "shared_at", "overall_score", "version"])
    period = f"{review.period_start:%-d %b %Y} – {review.period_end:%-d %b %Y}"
    notify(
        tenant=tenant,
        messages=[
            Message(
                recipient=review.member,
                kind=SHARED_KIND,
                title=f"Your review for {period} is ready",
                body=(
                    f"{review.reviewer.user} shared your review for {period}. Read it, "
                    "and acknowledge it with a comment if you wish."
                ),
                url=_review_url(review),
            )
        ],
    )
    audit(tenant=tenant, actor=_actor_user(actor), action="review.shared", obj=review)
    return review


@transaction.atomic
def review_acknowledge(
    *, tenant: Tenant, actor, review: Review, comment: str = "", version: int | None = None
) -> Review:
    """The reviewed member acknowledges a shared review, with an optional comment."""
    review = _locked(tenant, review)
    if not isinstance(actor, Membership) or actor.pk != review.member_id:
        raise PermissionDenied(ACKNOWLEDGE_OWN_ONLY)
    check_version(review, version)
    if review.status != Review.Status.SHARED:
        raise ValidationError({"status": "Only a shared review can be acknowledged."})
    comment_max = Review._meta.get_field("member_comment").max_length
    comment = (comment or "").strip()
    if len(comment) > comment_max:
        raise ValidationError({"comment": f"Keep the comment under {comment_max:,} characters."})
    review.status = Review.Status.ACKNOWLEDGED
    review.member_comment = comment
    review.acknowledged_at = timezone.now()
    review.version += 1
    review.save(update_fields=["status", "member_comment", "acknowledged_at", "version"])
    audit(tenant=tenant, actor=_actor_user(actor), action="review.acknowledged", obj=review)
    return review


@transaction.atomic
def review_correct(*, tenant: Tenant, actor, review: Review) -> Review:
    """A new draft correcting an acknowledged review, pre-filled with its scores; a
    correction already in progress is returned instead of a second one."""
    review = _locked(tenant, review)
    _check_may_review(tenant=tenant, actor=actor, member=review.member_id)
    if review.status != Review.Status.ACKNOWLEDGED:
        raise ValidationError({"status": "Only an acknowledged review is corrected."})
    pending = (
        Review.objects.filter(tenant=tenant, corrects=review)
        .exclude(status=Review.Status.ACKNOWLEDGED)
        .first()
    )
    if pending is not None:
        return pending
    correction = Review.objects.create(
        tenant=tenant,
        member_id=review.member_id,
        reviewer=actor,
        template_id=review.template_id,
        period_start=review.period_start,
        period_end=review.period_end,
        summary=review.summary,
        overall_score=review.overall_score,
        corrects=review,
    )
    ReviewScore.objects.bulk_create(
        ReviewScore(
            tenant=tenant,
            review=correction,
            criterion_id=row.criterion_id,
            evidence=row.evidence,
            suggested_score=row.suggested_score,
            final_score=row.final_score,
            note=row.note,
        )
        for row in _scores(tenant, review)
    )
    audit(
        tenant=tenant,
        actor=_actor_user(actor),
        action="review.corrected",
        obj=correction,
        data={"corrects": review.pk},
    )
    return correction
