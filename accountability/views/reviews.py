"""The review pages: Reviews (who is due this period, drafts, shared, acknowledged), the
review editor, My reviews, How I'm reviewed, the printable review and the team's CSV.

Views parse and authorise, call one selector or service, and render. Who sees what:

- Reviews and its CSV: managers (their reporting tree, direct and indirect) and admins
  (everyone but themselves); reps get a 403;
- a review: its member once shared, its reviewer, managers above its member and admins;
  anyone else finds no such review (404, as for a missing one or another organisation's).
  Those who review its member edit it while it is a draft or shared; everyone else reads
  it. After acknowledgement it is read-only for all, with "Correct" for a reviewer;
- My reviews and How I'm reviewed: every member, for themselves.

Writes go through ``accountability.services``; their messages are shown as they are. A
stale save (``version``) answers 409 with the review as it is now; bad input answers 400
and changes nothing. Periods are ``?period=YYYY-Qn`` or ``YYYY-MM`` (a malformed one: 400).
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from spm.tenancy.models import Membership, Role
from spm.tenancy.versioning import StaleVersion
from spm.tenancy.views import role_required
from spm.web.exports import csv_download

from ..models import SCORE_LABELS, Review, ReviewTemplate
from ..selectors import reviews as selectors
from ..services import (
    ScoreInput,
    action_item_create,
    may_review,
    period_of,
    review_acknowledge,
    review_correct,
    review_save,
    review_share,
    review_start,
    template_for,
)

EVERYONE = (Role.ADMIN, Role.MANAGER, Role.REP)
MANAGERS = (Role.ADMIN, Role.MANAGER)
PERIODS_BACK = 5  # Periods offered before the current one (the next one is offered too).
SCORES = [(score, SCORE_LABELS[score]) for score in (1, 2, 3, 4, 5)]
STALE = (
    "Someone changed this review since you opened it, so nothing was saved. It is shown "
    "below as it is now: make your changes again, then save."
)
CSV_HEADER = [
    "member",
    "email",
    "period_start",
    "period_end",
    "status",
    "reviewer",
    "overall_score",
]


# --- Bad input ------------------------------------------------------------------------------


def shows_bad_input(view):
    """A malformed parameter (``BadRequest``) answers 400 with its message and a way back,
    instead of the generic error page: people can act on it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadRequest as error:
            return render(
                request, "accountability/bad_input.html", {"problem": str(error)}, status=400
            )

    return wrapped


# --- Periods ------------------------------------------------------------------------------


def _template(tenant, day: dt.date) -> ReviewTemplate:
    try:
        return template_for(tenant=tenant, day=day)
    except ValidationError as error:
        raise BadRequest(" ".join(error.messages)) from None


def chosen_period(request: HttpRequest, raw: str | None = None):
    """``(template, first day, last day)`` of the period asked for (``?period=``), this
    period in the organisation's time zone by default."""
    tenant = request.tenant
    raw = (request.GET.get("period", "") if raw is None else raw).strip()
    try:
        day = selectors.parse_period(raw) if raw else tenant.today()
    except ValueError as error:
        raise BadRequest(str(error)) from None
    template = _template(tenant, day)
    start, end = period_of(template.cadence, day)
    if template.effective_from > start:
        template = _template(tenant, start)
    return template, start, end


def period_options(cadence: str, today: dt.date, chosen: dt.date) -> list[dict]:
    """The periods offered, newest first: the next one, this one and a few before."""
    start, _ = period_of(cadence, today)
    _, end = period_of(cadence, start)
    starts = [period_of(cadence, end + dt.timedelta(days=1))[0], start]
    for _ in range(PERIODS_BACK):
        start = period_of(cadence, start - dt.timedelta(days=1))[0]
        starts.append(start)
    return [
        {
            "key": selectors.period_key(cadence, day),
            "label": selectors.period_label(cadence, day),
            "chosen": day == chosen,
        }
        for day in sorted({*starts, chosen}, reverse=True)
    ]


# --- Reviews ------------------------------------------------------------------------------


@role_required(*MANAGERS)
@shows_bad_input
def reviews(request: HttpRequest) -> HttpResponse:
    """The period's reviews of the members the caller reviews: who is due (start in one
    click), drafts, shared and acknowledged."""
    tenant, viewer = request.tenant, request.membership
    template, start, end = chosen_period(request)
    page = selectors.reviews_page(
        tenant=tenant, viewer=viewer, template=template, start=start, end=end
    )
    key = selectors.period_key(template.cadence, start)
    return render(
        request,
        "accountability/reviews.html",
        {
            "page": page,
            "period_key": key,
            "period_label": selectors.period_label(template.cadence, start),
            "periods": period_options(template.cadence, tenant.today(), start),
            "query": urlencode({"period": key}),
            "is_current": start <= tenant.today() <= end,
            # A period is reviewed once it has started (the services refuse earlier).
            "has_started": start <= tenant.today(),
        },
    )


@role_required(*MANAGERS)
@shows_bad_input
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Start (or open, if started) a member's review for the posted period, then edit it."""
    tenant, viewer = request.tenant, request.membership
    raw = request.POST.get("member", "").strip()
    if not raw.isdigit():
        raise BadRequest("Choose whom to review.")
    member = Membership.objects.filter(tenant=tenant, pk=int(raw)).select_related("user").first()
    if member is None or not may_review(tenant=tenant, actor=viewer, member=member):
        raise Http404("No such member among those you review.")
    _, first, _ = chosen_period(request, raw=request.POST.get("period", ""))
    try:
        review = review_start(tenant=tenant, actor=viewer, member=member, period_start=first)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(
            f"{reverse('accountability:reviews')}?{urlencode({'period': request.POST.get('period', '')})}"
        )
    return redirect("accountability:review", pk=review.pk)


def _csv_period(template: ReviewTemplate, start: dt.date) -> str:
    return selectors.period_key(template.cadence, start)


@role_required(*MANAGERS)
@shows_bad_input
def reviews_csv(request: HttpRequest) -> HttpResponse:
    """The team's review scores for the period: one row per member (empty when not
    reviewed yet), the overall score and each criterion's final score."""
    tenant, viewer = request.tenant, request.membership
    template, first, last = chosen_period(request)
    criteria, rows = selectors.team_scores(
        tenant=tenant, viewer=viewer, template=template, start=first, end=last
    )
    header = [*CSV_HEADER, *(criterion.label for criterion in criteria)]

    def lines():
        for member, review, scores in rows:
            yield [
                member.name,
                member.user.email,
                first.isoformat(),
                last.isoformat(),
                review.status if review else "not started",
                review.reviewer.name if review else "",
                "" if review is None or review.overall_score is None else review.overall_score,
                *(
                    getattr(scores.get(criterion.pk), "final_score", None) or ""
                    for criterion in criteria
                ),
            ]

    return csv_download(f"reviews-{_csv_period(template, first)}.csv", header, lines())


# --- One review ---------------------------------------------------------------------------


def _visible(request: HttpRequest, pk: int) -> Review:
    review = selectors.visible_review(
        tenant=request.tenant, viewer=request.membership, review_id=pk
    )
    if review is None:
        raise Http404("No such review.")
    return review


def _context(request: HttpRequest, review: Review, rows=None, **extra) -> dict:
    tenant, viewer = request.tenant, request.membership
    reviews_member = may_review(tenant=tenant, actor=viewer, member=review.member)
    rows = selectors.score_rows(tenant=tenant, review=review) if rows is None else rows
    context = {
        "review": review,
        "rows": rows,
        "scores": SCORES,
        "overall": selectors.one_decimal(review.overall_score),
        "period_label": selectors.period_label(review.template.cadence, review.period_start),
        "period_key": selectors.period_key(review.template.cadence, review.period_start),
        "editable": reviews_member and review.status != Review.Status.ACKNOWLEDGED,
        "may_correct": reviews_member and review.status == Review.Status.ACKNOWLEDGED,
        "is_member": review.member_id == viewer.pk,
        "may_acknowledge": review.member_id == viewer.pk and review.status == Review.Status.SHARED,
        "corrections": list(Review.objects.filter(tenant=tenant, corrects=review).order_by("pk"))
        if review.status == Review.Status.ACKNOWLEDGED
        else [],
        "has_suggestions": any(row.score.suggested_score for row in rows),
        "action_items": list(
            review.action_items.select_related("owner__user").order_by("due_date", "pk")
        ),
        "may_add_items": reviews_member,
        "default_due": (tenant.today() + dt.timedelta(days=14)).isoformat(),
        "min_due": tenant.today().isoformat(),
    }
    context.update(extra)
    return context


@role_required(*EVERYONE)
@shows_bad_input
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review editor for those who review its member; read-only for everyone else."""
    review = _visible(request, pk)
    return render(request, "accountability/review.html", _context(request, review))


def _posted_scores(request: HttpRequest, rows) -> tuple[dict[int, ScoreInput], list[str]]:
    """Each criterion's posted score and note, and what is wrong with them."""
    scores, problems = {}, []
    for row in rows:
        raw = request.POST.get(f"score-{row.criterion.pk}", "").strip()
        note = request.POST.get(f"note-{row.criterion.pk}", "")
        if raw and raw not in {"1", "2", "3", "4", "5"}:
            problems.append(f"{row.criterion.label}: choose a score from 1 to 5.")
            continue
        scores[row.criterion.pk] = ScoreInput(final_score=int(raw) if raw else None, note=note)
    return scores, problems


def _with_posted(rows, scores: dict[int, ScoreInput]):
    """The rows as the reviewer posted them, to show again with a problem (not saved)."""
    for row in rows:
        given = scores.get(row.criterion.pk)
        if given is not None:
            row.score.final_score = given.final_score
            row.score.note = given.note
    return rows


@role_required(*MANAGERS)
@shows_bad_input
@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the scores, notes and summary; with ``action=share``, save and share in one
    step (both or neither). A stale version: 409 with the review as it is now."""
    tenant, viewer = request.tenant, request.membership
    review = _visible(request, pk)
    if not may_review(tenant=tenant, actor=viewer, member=review.member):
        raise PermissionDenied("Only those who review this member can change the review.")
    rows = selectors.score_rows(tenant=tenant, review=review)
    version = request.POST.get("version", "").strip()
    if version and not version.isdigit():
        raise BadRequest("The version is a whole number.")
    scores, problems = _posted_scores(request, rows)
    summary = request.POST.get("summary", "")
    sharing = request.POST.get("action") == "share"

    def again(problem: str, status: int) -> HttpResponse:
        review.summary = summary
        context = _context(request, review, rows=_with_posted(rows, scores), problem=problem)
        return render(request, "accountability/review.html", context, status=status)

    if problems:
        return again(" ".join(problems), 400)
    try:
        with transaction.atomic():
            saved = review_save(
                tenant=tenant,
                actor=viewer,
                review=review,
                scores=scores,
                summary=summary,
                version=int(version) if version else None,
            )
            if sharing:
                saved = review_share(
                    tenant=tenant, actor=viewer, review=saved, version=saved.version
                )
    except StaleVersion:
        current = _visible(request, pk)
        context = _context(request, current, problem=STALE)
        return render(request, "accountability/review.html", context, status=409)
    except ValidationError as error:
        return again(" ".join(error.messages), 400)
    if sharing:
        messages.success(request, f"Shared with {saved.member.name}, who has been notified.")
    else:
        messages.success(request, "Review saved.")
    return redirect("accountability:review", pk=saved.pk)


@role_required(*MANAGERS)
@shows_bad_input
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft correcting an acknowledged review, pre-filled with its scores."""
    tenant, viewer = request.tenant, request.membership
    review = _visible(request, pk)
    try:
        correction = review_correct(tenant=tenant, actor=viewer, review=review)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accountability:review", pk=review.pk)
    messages.success(request, "A correction was started: it replaces the review once shared.")
    return redirect("accountability:review", pk=correction.pk)


@role_required(*MANAGERS)
@shows_bad_input
@require_POST
def add_action_item(request: HttpRequest, pk: int) -> HttpResponse:
    """An action item agreed in the review: about its member, owned by the member or by the
    reviewer, due by a date; the reviewer adds it from the review's page."""
    tenant, viewer = request.tenant, request.membership
    review = _visible(request, pk)
    if not may_review(tenant=tenant, actor=viewer, member=review.member):
        raise PermissionDenied("Only those who review this member add its action items.")
    owner = viewer if request.POST.get("owner") == "reviewer" else review.member
    title = request.POST.get("title", "")
    try:
        due_date = dt.date.fromisoformat(request.POST.get("due_date", "").strip())
    except ValueError:
        messages.error(request, "Give the action item's due date as YYYY-MM-DD.")
        return redirect("accountability:review", pk=review.pk)
    try:
        item = action_item_create(
            tenant=tenant,
            actor=viewer,
            member=review.member,
            owner=owner,
            title=title,
            due_date=due_date,
            review=review,
        )
    except (ValidationError, PermissionDenied) as refusal:
        problems = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
        messages.error(request, " ".join(problems))
        return redirect("accountability:review", pk=review.pk)
    messages.success(request, f"Action item “{item.title}” added, owned by {owner.name}.")
    return redirect("accountability:review", pk=review.pk)


def _back(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


@role_required(*EVERYONE)
@shows_bad_input
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The member acknowledges their shared review, as they read it, with a comment."""
    tenant, viewer = request.tenant, request.membership
    review = _visible(request, pk)
    version = request.POST.get("version", "").strip()
    if version and not version.isdigit():
        raise BadRequest("The version is a whole number.")
    comment = request.POST.get("comment", "")
    try:
        review = review_acknowledge(
            tenant=tenant,
            actor=viewer,
            review=review,
            comment=comment,
            version=int(version) if version else None,
        )
    except StaleVersion:
        current = _visible(request, pk)
        problem = (
            "Your reviewer changed this review since you opened it: read it again as it is "
            "now, then acknowledge it."
        )
        context = _context(request, current, problem=problem, comment=comment)
        return render(request, "accountability/review.html", context, status=409)
    except ValidationError as error:
        context = _context(request, review, problem=" ".join(error.messages), comment=comment)
        return render(request, "accountability/review.html", context, status=400)
    messages.success(request, "You acknowledged your review.")
    return redirect(_back(request, reverse("accountability:mine")))


@role_required(*EVERYONE)
@shows_bad_input
def review_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The review on one printed page: no navigation, a print stylesheet."""
    review = _visible(request, pk)
    return render(request, "accountability/review_print.html", _context(request, review))


# --- A member's own ------------------------------------------------------------------------


@role_required(*EVERYONE)
@shows_bad_input
def mine(request: HttpRequest) -> HttpResponse:
    """The member's shared and acknowledged reviews; acknowledge a shared one here."""
    tenant, viewer = request.tenant, request.membership
    found = selectors.my_reviews(tenant=tenant, member=viewer)
    for item in found:
        item.period_label = selectors.period_label(item.template.cadence, item.period_start)
        item.overall = selectors.one_decimal(item.overall_score)
    return render(
        request,
        "accountability/my_reviews.html",
        {
            "reviews": found,
            "waiting": [item for item in found if item.status == Review.Status.SHARED],
        },
    )


@role_required(*EVERYONE)
@shows_bad_input
def criteria(request: HttpRequest) -> HttpResponse:
    """The template that applies now, and the next period's if a newer version takes
    over, with every criterion's weight and thresholds in words."""
    tenant = request.tenant
    today = tenant.today()
    versions = []
    try:
        current = template_for(tenant=tenant, day=today)
    except ValidationError:
        current = None
    if current is not None:
        start, end = period_of(current.cadence, today)
        versions.append((current, start, end, "This period"))
        following = end + dt.timedelta(days=1)
        try:
            upcoming = template_for(tenant=tenant, day=following)
        except ValidationError:
            upcoming = None
        if upcoming is not None and upcoming.pk != current.pk:
            first, last = period_of(upcoming.cadence, following)
            versions.append((upcoming, first, last, "From the next period"))
    shown = [
        {
            "template": template,
            "when": when,
            "start": first,
            "end": last,
            "label": selectors.period_label(template.cadence, first),
            "criteria": selectors.criteria_in_words(tenant=tenant, template=template),
        }
        for template, first, last, when in versions
    ]
    return render(request, "accountability/criteria.html", {"versions": shown, "today": today})
