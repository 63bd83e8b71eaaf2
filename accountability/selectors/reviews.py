"""What the review pages read: the Reviews page (who is due, drafts, shared, acknowledged),
one review with its scores, a member's own reviews, the criteria in words, the home card and
the team's scores for a CSV export.

Who sees a review: its member once it is shared (never their own draft), its reviewer,
managers whose reporting tree holds its member, and admins. Anyone else, another
organisation's people included, finds no such review (``None``, a 404 for the pages).

Periods are named ``YYYY-Qn`` (quarterly templates) or ``YYYY-MM`` (monthly ones); either
form names the day it starts on, and the template's cadence then gives the whole period.
Every reader here runs a fixed number of queries, whatever the size of the team.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from spm.tenancy.models import Membership, Tenant
from spm.tenancy.selectors import report_ids

from ..models import SCORE_LABELS, Cadence, Criterion, Review, ReviewScore, ReviewTemplate

PERIOD = re.compile(r"^(?P<year>\d{4})-(?:Q(?P<quarter>[1-4])|(?P<month>\d{2}))$", re.IGNORECASE)
TENTH = Decimal("0.1")
# How a metric's thresholds and evidence read: "90–110% of quota", "250–350 selling activities".
UNITS = {
    Criterion.Metric.ATTAINMENT: ("%", "of quota"),
    Criterion.Metric.PACE: ("%", "of the expected pace"),
    Criterion.Metric.SELLING_RATIO: ("%", "of logged time selling"),
    Criterion.Metric.ACTIVITY_COUNT: ("", "selling activities"),
    Criterion.Metric.ACTION_ITEMS_ON_TIME: ("%", "of action items done on time"),
}


# --- Periods ---------------------------------------------------------------------------------


def parse_period(value: str) -> dt.date:
    """The first day a ``YYYY-Qn`` or ``YYYY-MM`` period names; ``ValueError`` with a
    message people can act on when it is malformed."""
    match = PERIOD.match(value.strip())
    year = int(match["year"]) if match else 0
    month = (3 * int(match["quarter"]) - 2) if match and match["quarter"] else 0
    if match and match["month"]:
        month = int(match["month"])
    if not match or not 1 <= month <= 12 or not 2000 <= year <= 2200:
        raise ValueError("Give the period as YYYY-Qn (a quarter, e.g. 2026-Q3) or YYYY-MM.")
    return dt.date(year, month, 1)


def period_key(cadence: str, start: dt.date) -> str:
    if cadence == Cadence.MONTHLY:
        return f"{start:%Y-%m}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def period_label(cadence: str, start: dt.date) -> str:
    if cadence == Cadence.MONTHLY:
        return f"{start:%B %Y}"
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


# --- Figures in words --------------------------------------------------------------------------


def number(value: Decimal | int | None) -> str:
    """A threshold or figure without trailing zeros: ``90``, ``92.5``."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(metric: str, value: Decimal | None) -> str:
    """Evidence as people read it: ``104.3%``, ``312 selling activities``; "No data"."""
    if value is None:
        return "No data"
    symbol, words = UNITS.get(metric, ("", ""))
    if symbol:
        return f"{number(value)}%"
    return f"{number(value)} {words}".strip()


def thresholds_in_words(criterion: Criterion) -> list[str]:
    """Each score a metric criterion's thresholds reach, in words: "Meets: 90–110% of
    quota". A manual criterion (no thresholds) has none: its guidance says what counts."""
    if criterion.metric not in UNITS:
        return []
    symbol, words = UNITS[criterion.metric]
    bounds = {score: getattr(criterion, f"min_for_{score}") for score in (2, 3, 4, 5)}
    defined = [score for score, value in bounds.items() if value is not None]
    if not defined:
        return []
    lines = []
    for score in (1, 2, 3, 4, 5):
        low = bounds.get(score)
        if score > 1 and low is None:
            continue  # No threshold reaches this score.
        higher = [bounds[s] for s in defined if s > score]
        high = higher[0] if higher else None
        if score == 1:
            span = f"under {number(high)}{symbol} {words}"
        elif high is None:
            span = f"{number(low)}{symbol} {words} or more"
        else:
            span = f"{number(low)}–{number(high)}{symbol} {words}"
        lines.append(f"{SCORE_LABELS[score]}: {span}")
    return lines


def score_label(score: int | None) -> str:
    """``4 · Exceeds``; "" without a score."""
    return f"{score} · {SCORE_LABELS[score]}" if score in SCORE_LABELS else ""


def one_decimal(value: Decimal | None) -> str:
    """The overall score as shown: one decimal, rounded half up; "–" before any score."""
    if value is None:
        return "–"
    return str(Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP))


# --- Who may see and write --------------------------------------------------------------------


def visible_review(*, tenant: Tenant, viewer: Membership, review_id: int) -> Review | None:
    """The review if ``viewer`` may read it, else ``None`` (as for a missing one)."""
    review = (
        Review.objects.filter(tenant=tenant, pk=review_id)
        .select_related("member__user", "reviewer__user", "template", "corrects")
        .first()
    )
    if review is None:
        return None
    if review.member_id == viewer.pk:
        return None if review.status == Review.Status.DRAFT else review
    if viewer.is_admin or review.reviewer_id == viewer.pk:
        return review
    if viewer.is_manager and review.member_id in report_ids(tenant=tenant, manager=viewer):
        return review
    return None


# --- The Reviews page --------------------------------------------------------------------------


def reviewable_members(
    *, tenant: Tenant, viewer: Membership, start: dt.date, end: dt.date
) -> list[Membership]:
    """Whom ``viewer`` reviews for the period: everyone else employed in it for an admin,
    the reporting tree's members for a manager, by name."""
    members = Membership.objects.filter(tenant=tenant, start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if not viewer.is_admin:
        members = members.filter(pk__in=report_ids(tenant=tenant, manager=viewer))
    members = members.exclude(pk=viewer.pk).select_related("user", "manager__user")
    return sorted(members, key=lambda member: member.name.lower())


@dataclass
class ReviewsPage:
    template: ReviewTemplate
    start: dt.date
    end: dt.date
    due: list[Membership] = field(default_factory=list)
    drafts: list[Review] = field(default_factory=list)
    shared: list[Review] = field(default_factory=list)
    acknowledged: list[Review] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.due) + len({review.member_id for review in self.reviews})

    @property
    def reviews(self) -> list[Review]:
        return [*self.drafts, *self.shared, *self.acknowledged]


def reviews_page(
    *, tenant: Tenant, viewer: Membership, template: ReviewTemplate, start: dt.date, end: dt.date
) -> ReviewsPage:
    """The period's reviews of the members ``viewer`` reviews, by status, and those still
    due (no review yet for the period). Four queries, whatever the team's size."""
    members = reviewable_members(tenant=tenant, viewer=viewer, start=start, end=end)
    by_id = {member.pk: member for member in members}
    reviews = (
        Review.objects.filter(
            tenant=tenant, period_start=start, period_end=end, member_id__in=list(by_id)
        )
        .select_related("reviewer__user")
        .order_by("pk")
    )
    page = ReviewsPage(template=template, start=start, end=end)
    reviewed = set()
    for review in reviews:
        review.member = by_id[review.member_id]  # Read once already, with its user.
        reviewed.add(review.member_id)
        {
            Review.Status.DRAFT: page.drafts,
            Review.Status.SHARED: page.shared,
            Review.Status.ACKNOWLEDGED: page.acknowledged,
        }[review.status].append(review)
    page.due = [member for member in members if member.pk not in reviewed]
    for group in (page.drafts, page.shared, page.acknowledged):
        group.sort(key=lambda review: review.member.name.lower())
    return page


# --- One review ---------------------------------------------------------------------------------


@dataclass
class ScoreRow:
    score: ReviewScore
    criterion: Criterion
    weight_share: Decimal | None  # Its share of the total weight, in %.
    thresholds: list[str]
    evidence: str
    is_manual: bool

    @property
    def suggested_label(self) -> str:
        return score_label(self.score.suggested_score)

    @property
    def final_label(self) -> str:
        return score_label(self.score.final_score)


def score_rows(*, tenant: Tenant, review: Review) -> list[ScoreRow]:
    """The review's criteria in order, each with its score, weight, thresholds in words and
    evidence. One query."""
    scores = list(
        ReviewScore.objects.filter(tenant=tenant, review=review)
        .select_related("criterion")
        .order_by("criterion__position", "criterion_id")
    )
    total = sum((score.criterion.weight for score in scores), Decimal(0))
    rows = []
    for score in scores:
        criterion = score.criterion
        rows.append(
            ScoreRow(
                score=score,
                criterion=criterion,
                weight_share=(criterion.weight * 100 / total).quantize(
                    TENTH, rounding=ROUND_HALF_UP
                )
                if total
                else None,
                thresholds=thresholds_in_words(criterion),
                evidence=with_unit(criterion.metric, score.evidence),
                is_manual=criterion.metric == Criterion.Metric.MANUAL,
            )
        )
    return rows


# --- A member's own ----------------------------------------------------------------------------


def my_reviews(*, tenant: Tenant, member: Membership) -> list[Review]:
    """The member's shared and acknowledged reviews, newest period first."""
    return list(
        Review.objects.filter(tenant=tenant, member=member)
        .exclude(status=Review.Status.DRAFT)
        .select_related("reviewer__user", "template")
        .order_by("-period_start", "-pk")
    )


def review_card(*, tenant: Tenant, viewer: Membership) -> list[Review] | None:
    """The home card: the member's shared reviews awaiting their acknowledgement, or
    ``None`` (no card) when there is none."""
    waiting = list(
        Review.objects.filter(tenant=tenant, member=viewer, status=Review.Status.SHARED)
        .select_related("reviewer__user", "template")
        .order_by("-period_start")
    )
    return waiting or None


@dataclass
class CriterionInWords:
    criterion: Criterion
    weight_share: Decimal | None
    thresholds: list[str]


def criteria_in_words(*, tenant: Tenant, template: ReviewTemplate) -> list[CriterionInWords]:
    """A template version's criteria, in order, with their weights and thresholds."""
    criteria = list(Criterion.objects.filter(tenant=tenant, template=template))
    total = sum((criterion.weight for criterion in criteria), Decimal(0))
    return [
        CriterionInWords(
            criterion=criterion,
            weight_share=(criterion.weight * 100 / total).quantize(TENTH, rounding=ROUND_HALF_UP)
            if total
            else None,
            thresholds=thresholds_in_words(criterion),
        )
        for criterion in criteria
    ]


# --- The CSV export ------------------------------------------------------------------------------


def team_scores(
    *, tenant: Tenant, viewer: Membership, template: ReviewTemplate, start: dt.date, end: dt.date
) -> tuple[list[Criterion], list[tuple[Membership, Review | None, dict[int, ReviewScore]]]]:
    """Everyone ``viewer`` reviews for the period, with their review (the latest correction
    when there is one) and its scores by criterion id. Five queries."""
    members = reviewable_members(tenant=tenant, viewer=viewer, start=start, end=end)
    criteria = list(Criterion.objects.filter(tenant=tenant, template=template))
    reviews = (
        Review.objects.filter(
            tenant=tenant,
            period_start=start,
            period_end=end,
            member_id__in=[member.pk for member in members],
        )
        .select_related("reviewer__user")
        .prefetch_related("scores")
        .order_by("pk")
    )
    latest: dict[int, Review] = {}
    for review in reviews:
        latest[review.member_id] = review  # A correction comes after what it corrects.
    rows = []
    for member in members:
        review = latest.get(member.pk)
        scores = {score.criterion_id: score for score in review.scores.all()} if review else {}
        rows.append((member, review, scores))
    return criteria, rows
