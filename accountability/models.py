"""Reviews against published criteria, action items and recognition (DESIGN 4.6).

A ``ReviewTemplate`` is a versioned set of weighted ``Criterion`` rows. Each version
applies from ``effective_from`` (a period's first day) until a later version of the same
``family`` takes over; once a period using a version has started, the version is locked
and an edit creates the next version for the later periods, so the basis of a review is
always what the member could read before the period began.

A ``Review`` scores one member over one period with one template version: evidence from
the data and a suggested score per criterion (``ReviewScore``), final scores set by the
reviewer, an overall weighted mean; it is shared, then acknowledged by the member, and
read-only after that (a correction is a new review that ``corrects`` the old one).

An ``ActionItem`` is something the member or their manager (``owner``) promised to do by
a date, from a review or on its own. A ``Recognition`` is granted automatically (the
month's quota club at ≥ 100% attainment) or by a manager, with a reason.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from spm.inputs import sane_date
from spm.tenancy.models import Membership, TenantOwnedModel

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
#: What each score means, for the thresholds written in words.
SCORE_LABELS = {1: "Far below", 2: "Below", 3: "Meets", 4: "Exceeds", 5: "Outstanding"}


class Cadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class ReviewTemplate(TenantOwnedModel):
    """One version of a review template."""

    family = models.UUIDField(
        default=uuid.uuid4, editable=False, help_text="Shared by every version of a template."
    )
    version = models.PositiveIntegerField(default=1)
    effective_from = models.DateField(
        validators=[sane_date], help_text="The first day of the first period it applies to."
    )
    name = models.CharField(max_length=100)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.QUARTERLY)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "version"], name="reviewtemplate_unique_version"
            ),
            models.UniqueConstraint(
                fields=["tenant", "family", "effective_from"],
                name="reviewtemplate_one_version_per_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Criterion(TenantOwnedModel):
    """A weighted criterion of a template version, bound to a metric or scored by hand.

    A metric criterion's score is 1 below ``min_for_2``, 2 from ``min_for_2``, … 5 from
    ``min_for_5`` (the thresholds rise); a manual one has no thresholds, only guidance.
    """

    class Metric(models.TextChoices):
        ATTAINMENT = "attainment", "Attainment (% of quota)"
        PACE = "pace", "Pace (% of expected to date)"
        SELLING_RATIO = "selling_ratio", "Selling time (% of logged time)"
        ACTIVITY_COUNT = "activity_count", "Selling activities (count)"
        ACTION_ITEMS_ON_TIME = "action_items_on_time", "Action items done on time (%)"
        MANUAL = "manual", "Scored by the reviewer"

    template = models.ForeignKey(ReviewTemplate, on_delete=models.CASCADE, related_name="criteria")
    label = models.CharField(max_length=100)
    metric = models.CharField(max_length=24, choices=Metric.choices)
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Relative weight in the overall score.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    guidance = models.TextField(
        blank=True, max_length=2000, help_text="What the reviewer looks at, in words."
    )
    min_for_2 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    min_for_3 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    min_for_4 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    min_for_5 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name_plural = "criteria"
        ordering = ["template", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_not_negative")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def thresholds(self) -> list:
        """``[min_for_2, min_for_3, min_for_4, min_for_5]``."""
        return [self.min_for_2, self.min_for_3, self.min_for_4, self.min_for_5]


class Review(TenantOwnedModel):
    """One member's review for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="reviews_given")
    template = models.ForeignKey(ReviewTemplate, on_delete=models.PROTECT, related_name="reviews")
    period_start = models.DateField(validators=[sane_date])
    period_end = models.DateField(validators=[sane_date])
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    overall_score = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    summary = models.TextField(blank=True, max_length=5000)
    member_comment = models.TextField(blank=True, max_length=5000)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The acknowledged review this one corrects.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member", "period_start", "period_end"],
                condition=Q(corrects__isnull=True),
                name="review_one_per_member_and_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="review_period_in_order",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "period_start", "status"])]

    def __str__(self) -> str:
        return f"Review of {self.member} for {self.period_start:%b %Y}"


class ReviewScore(TenantOwnedModel):
    """A criterion's evidence, suggested score and final score in one review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    evidence = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    suggested_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SCORE_VALIDATORS
    )
    final_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SCORE_VALIDATORS
    )
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["review", "criterion__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "review", "criterion"], name="reviewscore_one_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.final_score or '–'}"


class ActionItem(TenantOwnedModel):
    """A promise with a due date, owned by the member or their manager."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    member = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="action_items_about",
        help_text="Whose performance the item is about.",
    )
    owner = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="action_items",
        help_text="Who must do it: the member or their manager.",
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    due_date = models.DateField(validators=[sane_date])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(
        validators=[sane_date],
        null=True,
        blank=True,
        help_text="The last day the owner was reminded it is overdue.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["tenant", "owner", "status", "due_date"]),
            models.Index(fields=["tenant", "member", "status"]),
        ]

    def __str__(self) -> str:
        return self.title


class Recognition(TenantOwnedModel):
    """A recognition of a member for a period: automatic (the quota club) or given."""

    class Kind(models.TextChoices):
        QUOTA_CLUB = "quota_club", "Quota club"
        KUDOS = "kudos", "Recognition"

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="recognitions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=100)
    period_start = models.DateField(validators=[sane_date])
    period_end = models.DateField(validators=[sane_date])
    reason = models.TextField(blank=True, max_length=2000)
    granted_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recognitions_given",
        help_text="Empty when granted automatically.",
    )
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member", "kind", "period_start"],
                condition=Q(automatic=True),
                name="recognition_one_automatic_per_period",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "kind", "period_start"])]

    def __str__(self) -> str:
        return f"{self.title}: {self.member} ({self.period_start:%b %Y})"
