"""API for reviews and review templates (DESIGN 4.6 and 5).

``/reviews/``: who sees what: admins every review but their own drafts; managers the
reviews of their reporting tree (direct and indirect), those they wrote, and their own once
shared; reps their own once shared (a draft is the reviewer's until it is shared). Anything
else, another organisation's reviews included, is a 404 whatever the method. Writes go
through ``accountability.services``: ``POST`` starts a review (managers and admins; a rep
is a 403), ``PATCH`` saves final scores, notes and the summary, ``share/`` shares it,
``acknowledge/`` is the reviewed member's (anyone else a 403), ``correct/`` starts a
correction of an acknowledged review. A stale ``version`` is a 409 with the review as it is
now. A review is never deleted (``DELETE`` and ``PUT`` are 405).

``/review-templates/``: every member reads every template version, with its criteria and
their thresholds in words ("Meets: 90–110% of quota"), so the basis of a review is known
before the period; templates are changed in the admin (versioned: a locked version's
changes make the next one).

Decisions where the contract is silent:

- ``POST /reviews/`` answers 201 with a new review, 200 with the one already started for
  the member and period (starting twice opens the same one);
- ``period`` in the list's filters is ``YYYY-MM`` or ``YYYY-Qn`` and keeps the reviews whose
  period holds that month's or quarter's first day.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from spm.api.base import HasRole, ManagersWrite, TenantViewSet
from spm.inputs import ApiDateField, IdFilter
from spm.tenancy.models import Membership, Role
from spm.tenancy.selectors import report_ids

from . import services
from .models import Criterion, Review, ReviewScore, ReviewTemplate
from .selectors.reviews import parse_period, thresholds_in_words
from .services.templates import template_is_locked

MAX_VERSION = 2**31 - 1
NOTE_MAX = ReviewScore._meta.get_field("note").max_length
SUMMARY_MAX = Review._meta.get_field("summary").max_length
COMMENT_MAX = Review._meta.get_field("member_comment").max_length
MEMBER_MISSING = "No such member in this organisation."
# Metrics are named in words rather than as an enum: quotas' ``metric`` holds another set.
METRIC_HELP = "What the criterion measures: " + "; ".join(
    f"``{value}`` ({label})" for value, label in Criterion.Metric.choices
)
VERSION_HELP = (
    "The version you read; a review changed since answers 409 with the review as it is now. "
    "Left out, the change is not checked."
)


# --- Serializers --------------------------------------------------------------------------------


class ReviewScoreSerializer(serializers.ModelSerializer):
    criterion_id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(source="criterion.label", read_only=True)
    metric = serializers.CharField(source="criterion.metric", read_only=True, help_text=METRIC_HELP)
    weight = serializers.DecimalField(
        source="criterion.weight", max_digits=5, decimal_places=2, read_only=True
    )
    evidence = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The criterion's figure from the data for the period; empty: no data.",
    )

    class Meta:
        model = ReviewScore
        fields = [
            "criterion_id",
            "label",
            "metric",
            "weight",
            "evidence",
            "suggested_score",
            "final_score",
            "note",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(read_only=True)
    reviewer_id = serializers.IntegerField(read_only=True)
    template_id = serializers.IntegerField(read_only=True)
    corrects_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The acknowledged review this one corrects."
    )
    overall_score = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The weighted mean of the final scores set (shown to one decimal).",
    )
    scores = ReviewScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "member_id",
            "reviewer_id",
            "template_id",
            "period_start",
            "period_end",
            "status",
            "overall_score",
            "summary",
            "member_comment",
            "corrects_id",
            "version",
            "scores",
        ]
        read_only_fields = fields


class ReviewStartSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(min_value=1, help_text="Whom to review.")
    period_start = ApiDateField(
        required=False,
        help_text="A day of the period to review (default: today's period where the "
        "organisation is).",
    )


class ScoreInputSerializer(serializers.Serializer):
    criterion_id = serializers.IntegerField(min_value=1)
    final_score = serializers.IntegerField(
        min_value=1, max_value=5, allow_null=True, help_text="1 to 5; null clears it."
    )
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class ReviewSaveSerializer(serializers.Serializer):
    scores = ScoreInputSerializer(many=True, required=False)
    summary = serializers.CharField(max_length=SUMMARY_MAX, required=False, allow_blank=True)
    version = serializers.IntegerField(
        min_value=0, max_value=MAX_VERSION, required=False, help_text=VERSION_HELP
    )

    def validate_scores(self, scores):
        ids = [score["criterion_id"] for score in scores]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Give each criterion once.")
        return scores


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=0, max_value=MAX_VERSION, required=False, help_text=VERSION_HELP
    )


class AcknowledgeSerializer(VersionSerializer):
    comment = serializers.CharField(
        max_length=COMMENT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your comment on the review (optional).",
    )


class ReviewConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ReviewSerializer()


class CriterionSerializer(serializers.ModelSerializer):
    metric = serializers.CharField(read_only=True, help_text=METRIC_HELP)
    thresholds_in_words = serializers.SerializerMethodField(
        help_text='Each score the thresholds reach, e.g. "Meets: 90–110% of quota"; empty '
        "for a criterion scored by the reviewer."
    )

    class Meta:
        model = Criterion
        fields = [
            "id",
            "label",
            "metric",
            "weight",
            "position",
            "guidance",
            "min_for_2",
            "min_for_3",
            "min_for_4",
            "min_for_5",
            "thresholds_in_words",
        ]
        read_only_fields = fields

    def get_thresholds_in_words(self, criterion: Criterion) -> list[str]:
        return thresholds_in_words(criterion)


class ReviewTemplateSerializer(serializers.ModelSerializer):
    locked = serializers.SerializerMethodField(
        help_text="A period it applies to has started: changes make the next version."
    )
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewTemplate
        fields = [
            "id",
            "family",
            "version",
            "name",
            "cadence",
            "active",
            "effective_from",
            "locked",
            "criteria",
        ]
        read_only_fields = fields

    def get_locked(self, template: ReviewTemplate) -> bool:
        tenant = self.context["tenant"]
        return template_is_locked(tenant=tenant, template=template, today=self.context["today"])


# --- Reviews ------------------------------------------------------------------------------------


class PeriodField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_period(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(Q[1-4]|\d{2})$", "example": "2026-Q3"})
class PeriodFilter(django_filters.Filter):
    """``YYYY-MM`` or ``YYYY-Qn``: reviews whose period holds that period's first day."""

    field_class = PeriodField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(period_start__lte=value, period_end__gte=value)


class ReviewFilter(django_filters.FilterSet):
    member_id = IdFilter(field_name="member_id", help_text="Reviews of this member.")
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)
    period = PeriodFilter(
        help_text="YYYY-MM or YYYY-Qn: reviews whose period holds that period's first day."
    )

    class Meta:
        model = Review
        fields = ["member_id", "status", "period"]


class ReviewersWrite(ManagersWrite):
    """Reviews are written by managers and admins; every member acknowledges (the service
    lets the reviewed member alone)."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) == "acknowledge":
            return getattr(request, "membership", None) is not None
        return super().has_permission(request, view)


def visible_reviews(*, tenant, viewer: Membership) -> QuerySet[Review]:
    """The reviews ``viewer`` may read (see the module docstring)."""
    own = Q(member_id=viewer.pk) & ~Q(status=Review.Status.DRAFT)
    reviews = Review.objects.filter(tenant=tenant)
    if viewer.role == Role.ADMIN:
        return reviews.filter(~Q(member_id=viewer.pk) | own)
    if viewer.role == Role.MANAGER:
        tree = report_ids(tenant=tenant, manager=viewer)
        return reviews.filter(Q(member_id__in=tree) | Q(reviewer_id=viewer.pk) | own)
    return reviews.filter(own)


CONFLICT = OpenApiResponse(
    ReviewConflictSerializer,
    description="Someone changed the review since you read it: nothing was saved; "
    "``current`` is the review as it is now.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List reviews",
        description="Admins see everyone's, managers their reporting tree's, those they "
        "wrote and their own, reps their own; a draft is seen by its member once shared. "
        "Newest period first.",
    ),
    retrieve=extend_schema(summary="Get a review with its scores"),
    create=extend_schema(
        summary="Start a review (managers and admins)",
        description="A draft for the member and the period holding ``period_start``, with "
        "the evidence from the data and a suggested score per criterion. If the member's "
        "review for that period exists, it is returned (200).",
        request=ReviewStartSerializer,
        responses={201: ReviewSerializer, 200: ReviewSerializer},
    ),
    partial_update=extend_schema(
        summary="Save final scores, notes and the summary (the reviewer's side)",
        description="Drafts and shared reviews only; the overall score is recomputed.",
        request=ReviewSaveSerializer,
        responses={200: ReviewSerializer, 409: CONFLICT},
    ),
)
class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    model = Review
    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticated, ReviewersWrite]
    filterset_class = ReviewFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    error_field_names = {"member": "member_id"}

    def scoped_queryset(self) -> QuerySet[Review]:
        scores = ReviewScore.objects.filter(tenant=self.tenant).select_related("criterion")
        return (
            visible_reviews(tenant=self.tenant, viewer=self.membership)
            .prefetch_related(
                Prefetch("scores", queryset=scores.order_by("criterion__position", "criterion_id"))
            )
            .order_by("-period_start", "member_id", "pk")
        )

    def render(self, review: Review) -> dict:
        review = self.scoped_queryset().filter(pk=review.pk).first() or review
        return ReviewSerializer(review, context=self.get_serializer_context()).data

    def render_current(self, current) -> dict:
        return self.render(current)

    def create(self, request, *args, **kwargs):
        data = ReviewStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        member = Membership.objects.filter(tenant=self.tenant, pk=values["member_id"]).first()
        if member is None:
            raise exceptions.ValidationError({"member_id": [MEMBER_MISSING]})
        before = set(
            Review.objects.filter(
                tenant=self.tenant, member=member, corrects__isnull=True
            ).values_list("pk", flat=True)
        )
        review = services.review_start(
            tenant=self.tenant,
            actor=self.membership,
            member=member,
            period_start=values.get("period_start"),
        )
        code = status.HTTP_200_OK if review.pk in before else status.HTTP_201_CREATED
        return Response(self.render(review), status=code)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        review = self.get_object()
        data = ReviewSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        saved = services.review_save(
            tenant=self.tenant,
            actor=self.membership,
            review=review,
            scores={
                score["criterion_id"]: services.ScoreInput(score["final_score"], score["note"])
                for score in values.get("scores", [])
            },
            summary=values.get("summary"),
            version=values.get("version"),
        )
        return Response(self.render(saved))

    @extend_schema(
        summary="Share a draft with its member (the reviewer's side)",
        description="Every criterion needs a final score; the member is notified in the app "
        "and by email.",
        request=VersionSerializer,
        responses={200: ReviewSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None, **kwargs):
        review = self.get_object()
        data = VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.review_share(
            tenant=self.tenant,
            actor=self.membership,
            review=review,
            version=data.validated_data.get("version"),
        )
        return Response(self.render(saved))

    @extend_schema(
        summary="Acknowledge your shared review, with an optional comment",
        description="The reviewed member alone; the review is read-only afterwards.",
        request=AcknowledgeSerializer,
        responses={200: ReviewSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, **kwargs):
        review = self.get_object()
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.review_acknowledge(
            tenant=self.tenant,
            actor=self.membership,
            review=review,
            comment=data.validated_data["comment"],
            version=data.validated_data.get("version"),
        )
        return Response(self.render(saved))

    @extend_schema(
        summary="Correct an acknowledged review (the reviewer's side)",
        description="A new draft for the same member, period and template that ``corrects`` "
        "it, pre-filled with its scores (an open correction is returned instead of a second).",
        request=None,
        responses={201: ReviewSerializer},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None, **kwargs):
        review = self.get_object()
        correction = services.review_correct(
            tenant=self.tenant, actor=self.membership, review=review
        )
        return Response(self.render(correction), status=status.HTTP_201_CREATED)


# --- Review templates ----------------------------------------------------------------------------


class TemplateFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(help_text="Only versions switched on (or off).")

    class Meta:
        model = ReviewTemplate
        fields = ["active"]


@extend_schema_view(
    list=extend_schema(
        summary="List review templates",
        description="Every version of every template, with its criteria and their "
        "thresholds in words. A version applies from ``effective_from`` until a later "
        "version of the same ``family`` does.",
    ),
    retrieve=extend_schema(summary="Get a review template version"),
)
class ReviewTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = ReviewTemplate
    serializer_class = ReviewTemplateSerializer
    permission_classes = [permissions.IsAuthenticated, HasRole]
    filterset_class = TemplateFilter

    def scoped_queryset(self) -> QuerySet[ReviewTemplate]:
        criteria = Criterion.objects.filter(tenant=self.tenant).order_by("position", "pk")
        return (
            ReviewTemplate.objects.filter(tenant=self.tenant)
            .prefetch_related(Prefetch("criteria", queryset=criteria))
            .order_by("name", "-effective_from", "pk")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        tenant = context.get("tenant")
        context["today"] = tenant.today() if tenant is not None else None
        return context


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("review-templates", ReviewTemplateViewSet, basename="review-template")
