"""Quotas, their daily and weekly targets, sales and attainment (DESIGN 4.2, 4.3).

A ``Quota`` is what a member must reach in a month on one metric. Rolldown (a Celery job
after every change that moves targets) stores its ``effective_amount``, ``no_capacity``
and its ``QuotaTarget`` rows; attainment (after a sale changes, and nightly) stores one
``Attainment`` row per quota and one ``AttainmentSnapshot`` per quota and day, so pace
can be charted. A manager's quota is their team's number: its achieved figure counts
everyone in their reporting tree. ``QuotaChange`` keeps who changed what, and when.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from spm.inputs import sane_date
from spm.tenancy.models import Membership, TenantOwnedModel
from territories.models import Account

# Up to a trillion in money; counts fit as well.
AMOUNT = {"max_digits": 15, "decimal_places": 2}
MAX_AMOUNT = Decimal("999999999999.99")
PERCENT = {"max_digits": 9, "decimal_places": 2}


class Metric(models.TextChoices):
    REVENUE = "revenue", "Revenue"
    DEALS = "deals", "Deals"
    ACTIVITIES = "activities", "Activities"


#: The smallest step of each metric's figures: money to the cent, counts to one.
UNIT = {
    Metric.REVENUE: Decimal("0.01"),
    Metric.DEALS: Decimal("1"),
    Metric.ACTIVITIES: Decimal("1"),
}


class Quota(TenantOwnedModel):
    """A member's target for one month and one metric."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="quotas")
    month = models.DateField(help_text="The month's first day.", validators=[sane_date])
    metric = models.CharField(max_length=20, choices=Metric.choices, default=Metric.REVENUE)
    amount = models.DecimalField(
        **AMOUNT,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)],
    )
    ramp_pct = models.DecimalField(
        "ramp %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Share of the amount expected while the member ramps up (0–100).",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Raised by every change.")
    # Written by rolldown (DESIGN 4.2).
    effective_amount = models.DecimalField(**AMOUNT, default=Decimal("0"))
    no_capacity = models.BooleanField(default=False)
    rolled_down_version = models.PositiveIntegerField(
        default=0,
        help_text="The version whose targets are stored; behind ``version`` while pending.",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month", "member__user__name", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member", "month", "metric"],
                name="quota_one_per_member_month_metric",
                violation_error_message="This person already has a quota for that month and metric.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(ramp_pct__gte=0) & Q(ramp_pct__lte=100), name="quota_ramp_0_to_100"
            ),
            models.CheckConstraint(
                condition=Q(effective_amount__gte=0), name="quota_effective_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "month", "metric"]),
            models.Index(fields=["tenant", "member", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_metric_display()} {self.month:%Y-%m}"

    @property
    def unit(self) -> Decimal:
        return UNIT[self.metric]

    @property
    def targets_pending(self) -> bool:
        """True while the stored targets are of an older version (rolldown is queued)."""
        return self.rolled_down_version < self.version


class QuotaTarget(TenantOwnedModel):
    """A quota rolled down to one day, or to the month's part of one ISO week."""

    class Granularity(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "Week"

    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="targets")
    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    start = models.DateField(validators=[sane_date])
    end = models.DateField(validators=[sane_date])
    amount = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["quota", "granularity", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "quota", "granularity", "start"], name="quotatarget_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="quotatarget_end_after_start"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quotatarget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quota}: {self.start}–{self.end} {self.amount}"


class Sale(TenantOwnedModel):
    """A closed sale credited to a member (DESIGN 4.3); ``external_id`` is the CRM's id."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        API = "api", "API"
        IMPORT = "import", "CSV import"

    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="sales")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="sales")
    amount = models.DecimalField(
        **AMOUNT, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)]
    )
    closed_on = models.DateField(validators=[sane_date])
    external_id = models.CharField(
        "external ID", max_length=64, help_text="The sale's id in your CRM; unique."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-closed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], name="sale_unique_external_id"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sale_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["tenant", "member", "closed_on"]),
            models.Index(fields=["tenant", "closed_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.amount} on {self.closed_on}"


class Attainment(TenantOwnedModel):
    """Where a quota stands as of a date (DESIGN 4.3); one row per quota, kept current
    (``quota.attainments`` holds at most one)."""

    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="attainments")
    as_of = models.DateField(validators=[sane_date])
    achieved = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    expected_to_date = models.DecimalField(**AMOUNT, default=Decimal("0"))
    attainment_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    pace_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    projected = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "quota"], name="attainment_one_per_quota")
        ]
        indexes = [models.Index(fields=["tenant", "as_of"])]

    def __str__(self) -> str:
        return f"{self.quota}: {self.attainment_pct}% as of {self.as_of}"


class AttainmentSnapshot(TenantOwnedModel):
    """A quota's attainment at the end of one day, kept to chart pace over the month."""

    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField(validators=[sane_date])
    achieved = models.DecimalField(max_digits=18, decimal_places=2)
    expected_to_date = models.DecimalField(**AMOUNT)
    attainment_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    pace_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    projected = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["quota", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "quota", "day"], name="attainmentsnapshot_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quota} on {self.day}"


class QuotaChange(TenantOwnedModel):
    """One change to a quota: who, when, what (``changes``: field → [old, new] as text).

    Its own table rather than the audit log, so a season of grid edits does not flood
    the admins' recent activity.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Changed"
        PUBLISHED = "published", "Published"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=12, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "quota", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.quota}: {self.get_action_display()} at {self.changed_at:%Y-%m-%d %H:%M}"


def default_shares() -> list[str]:
    return ["8.33"] * 11 + ["8.37"]


class SeasonalityProfile(TenantOwnedModel):
    """How an annual figure spreads over the months: 12 shares in %, January first,
    totalling exactly 100 (e.g. a retail year heavier in Q4)."""

    name = models.CharField(max_length=80)
    shares = models.JSONField(default=default_shares)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                F("tenant"),
                Lower("name"),
                name="seasonality_unique_name_any_case",
                violation_error_message="A profile with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name
