"""Activities, their types and the daily plan (DESIGN 4.5).

An ``Activity`` is what a member did on a day, for how long: a call, a demo, an hour of
reporting. Its ``ActivityType`` says whether that was selling time; the selling ratio is
selling minutes ÷ all minutes over a day, a week or a month, against the organisation's
``selling_target_pct``. A member's minutes on one day never exceed 24 hours (the services
check it under the member's row lock).

A ``PlanTask`` is one line of a member's ordered plan for a day: an account to contact
(suggested each morning from the accounts of the member's territories, ranked by potential
× days since the last contact), the gap to the day's quota target, or a task the member
added by hand. Completing one may log its activity in the same step (``activity``).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from spm.inputs import sane_date
from spm.tenancy.models import Membership, TenantOwnedModel
from territories.models import Account

MINUTES_PER_DAY = 24 * 60
DURATION_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MINUTES_PER_DAY)]


class Category(models.TextChoices):
    SELLING = "selling", "Selling"
    NON_SELLING = "non_selling", "Non-selling"


class ActivityType(TenantOwnedModel):
    """A kind of activity; the organisation's list starts with the defaults below."""

    name = models.CharField(max_length=60)
    category = models.CharField(max_length=12, choices=Category.choices)
    default_duration = models.PositiveSmallIntegerField(
        "default duration (minutes)", default=30, validators=DURATION_VALIDATORS
    )
    active = models.BooleanField(
        default=True, help_text="Inactive types keep their history but can't be logged."
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order of the type's button on the Day page."
    )

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="activitytype_unique_name_ci"),
            models.CheckConstraint(
                condition=Q(default_duration__gte=1, default_duration__lte=MINUTES_PER_DAY),
                name="activitytype_default_duration_in_a_day",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_selling(self) -> bool:
        return self.category == Category.SELLING


#: Every organisation's types when it is created: (name, category, default minutes).
DEFAULT_TYPES = (
    ("Call", Category.SELLING, 15),
    ("Email", Category.SELLING, 10),
    ("Meeting", Category.SELLING, 60),
    ("Demo", Category.SELLING, 45),
    ("Proposal", Category.SELLING, 60),
    ("Reporting", Category.NON_SELLING, 30),
    ("Admin", Category.NON_SELLING, 30),
    ("Internal meeting", Category.NON_SELLING, 30),
    ("Training", Category.NON_SELLING, 60),
    ("Travel", Category.NON_SELLING, 60),
)


class Activity(TenantOwnedModel):
    """What a member did on a day, and for how many minutes."""

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        IMPORT = "import", "CSV import"

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="activities")
    type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="activities")
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    date = models.DateField(validators=[sane_date])
    duration_minutes = models.PositiveSmallIntegerField(validators=DURATION_VALIDATORS)
    notes = models.TextField(max_length=2000, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=MINUTES_PER_DAY),
                name="activity_duration_in_a_day",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "member", "date"]),
            models.Index(fields=["tenant", "date"]),
            models.Index(fields=["tenant", "account", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({self.duration_minutes} min) on {self.date}"


class PlanTask(TenantOwnedModel):
    """One line of a member's plan for a day, in ``position`` order."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DISMISSED = "dismissed", "Dismissed"

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Contact an account"
        TARGET_GAP = "target_gap", "Close the gap to today's target"
        CUSTOM = "custom", "Own task"

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="plan_tasks")
    date = models.DateField(validators=[sane_date])
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CUSTOM)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="plan_tasks"
    )
    score = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Why a suggestion ranks where it does: potential × days since last contact.",
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    suggested = models.BooleanField(default=False, help_text="Suggested, not added by hand.")
    completed_at = models.DateTimeField(null=True, blank=True)
    activity = models.ForeignKey(
        Activity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_tasks",
        help_text="The activity logged when the task was completed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "position", "pk"]
        constraints = [
            # Suggesting again never adds a second line for the same account or gap.
            models.UniqueConstraint(
                fields=["tenant", "member", "date", "kind", "account"],
                condition=Q(suggested=True),
                name="plantask_one_suggestion_per_account",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "member", "date", "position"])]

    def __str__(self) -> str:
        return self.title


class Reminder(TenantOwnedModel):
    """A reminder sent to a member, recorded so that it is sent once: one row per member,
    kind and day, which the database enforces (a retried or repeated job finds the row
    and sends nothing)."""

    class Kind(models.TextChoices):
        NOTHING_LOGGED = "nothing_logged", "Nothing logged on a work day"
        WEEKLY_DIGEST = "weekly_digest", "The team's selling time last week"

    member = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="activity_reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    day = models.DateField(
        validators=[sane_date],
        help_text="The work day reminded about; for a digest, the Monday of its week.",
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member", "kind", "day"], name="reminder_once_per_member_and_day"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "kind", "day"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.day})"
