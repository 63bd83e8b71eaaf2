"""Territories, the accounts in them and the reps who work them (DESIGN 4.4).

An account's territory is one nullable column, so the database itself guarantees an
account is in at most one territory at a time. Every change of that column is
recorded as an ``AccountAssignment`` in the same transaction (see services).
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from spm.inputs import sane_date
from spm.tenancy.models import Membership, TenantOwnedModel


class Territory(TenantOwnedModel):
    """A node of the organisation's territory tree (e.g. region → territory)."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"
        constraints = [
            # Regardless of case: imports find territories by name, ignoring case.
            models.UniqueConstraint(
                F("tenant"),
                Lower("name"),
                name="territory_unique_name_any_case",
                violation_error_message="A territory with this name already exists.",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="territory_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Account(TenantOwnedModel):
    """A potential client that reps work, placed in at most one territory."""

    name = models.CharField(max_length=200)
    external_id = models.CharField(
        "external ID", max_length=64, help_text="The account's id in your CRM; unique."
    )
    industry = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. US.")
    region = models.CharField(max_length=80, blank=True, help_text="State, province or region.")
    postal_code = models.CharField(max_length=20, blank=True)
    annual_potential = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Estimated yearly revenue this account could bring.",
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], name="account_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(annual_potential__gte=0), name="account_potential_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "territory"]),
            models.Index(fields=["tenant", "name"]),
        ]

    def __str__(self) -> str:
        return self.name


class TerritoryRole(models.TextChoices):
    OWNER = "owner", "Owner"
    OVERLAY = "overlay", "Overlay"


class TerritoryMember(TenantOwnedModel):
    """A rep working a territory from ``start_date`` to ``end_date`` (inclusive).

    At most one owner per territory on any date: the services check it under a lock,
    and on PostgreSQL an exclusion constraint (migration 0002) guarantees it.
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="territory_memberships"
    )
    role = models.CharField(
        max_length=10, choices=TerritoryRole.choices, default=TerritoryRole.OWNER
    )
    start_date = models.DateField(validators=[sane_date])
    end_date = models.DateField(null=True, blank=True, validators=[sane_date])

    class Meta:
        ordering = ["territory__name", "role", "start_date"]
        verbose_name = "territory member"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="territorymember_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "member"])]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_role_display()} of {self.territory}"


class RuleField(models.TextChoices):
    COUNTRY = "country", "Country"
    REGION = "region", "Region"
    POSTAL_CODE = "postal_code", "Postal code"
    INDUSTRY = "industry", "Industry"
    ANNUAL_POTENTIAL = "annual_potential", "Annual potential"


class RuleOperator(models.TextChoices):
    EQUALS = "equals", "equals"
    IN = "in", "is one of"
    STARTS_WITH = "starts_with", "starts with"
    BETWEEN = "between", "is between"
    GTE = "gte", "is at least"
    LTE = "lte", "is at most"


class AssignmentRule(TenantOwnedModel):
    """Places accounts whose ``field`` matches into ``territory``.

    Lower ``priority`` numbers win. Two territories matching one account at the same
    (winning) priority are a conflict: the account stays where it is.
    ``value`` holds one value, a comma-separated list for ``in``, and the lower bound
    for ``between`` (``value_to`` holds the upper bound; both inclusive).
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="rules")
    field = models.CharField(max_length=20, choices=RuleField.choices)
    operator = models.CharField(max_length=12, choices=RuleOperator.choices)
    # Long lists (hundreds of postal-code prefixes) are normal, hence text.
    value = models.TextField()
    value_to = models.CharField(max_length=100, blank=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower numbers win.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "territory__name"]
        indexes = [models.Index(fields=["tenant", "priority"])]

    def __str__(self) -> str:
        value = (
            f"{self.value}…{self.value_to}" if self.operator == RuleOperator.BETWEEN else self.value
        )
        return (
            f"{self.get_field_display()} {self.get_operator_display()} {value} → {self.territory}"
        )


class AccountAssignment(TenantOwnedModel):
    """History: an account moved from one territory to another on an effective date.

    Rows with ``applied_at`` empty are scheduled moves with a future effective date;
    a daily job applies them. Rows are appended, never edited (except being applied).
    """

    class Source(models.TextChoices):
        MANUAL = "manual", "Assigned by hand"
        RULES = "rules", "Assignment rules"
        IMPORT = "import", "CSV import"
        API = "api", "API"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assignments")
    from_territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_territory = models.ForeignKey(
        Territory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    effective_date = models.DateField(validators=[sane_date])
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-effective_date", "-created_at"]
        verbose_name = "assignment history"
        verbose_name_plural = "assignment history"
        indexes = [
            models.Index(fields=["tenant", "account", "effective_date"]),
            models.Index(fields=["tenant", "applied_at", "effective_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.to_territory or 'unassigned'} on {self.effective_date}"


# An import task is stopped after this long (its Celery time limit, ``tasks.py``)…
IMPORT_TIME_LIMIT = dt.timedelta(minutes=15)
# …so a running import that has reported nothing for longer is no longer running: its
# worker died (killed, out of memory, restarted) and it is shown, then marked, as stopped.
IMPORT_STALE_AFTER = dt.timedelta(minutes=20)


class AccountImport(TenantOwnedModel):
    """A CSV file of accounts uploaded by an admin, and the background job importing it.

    The file itself is kept in the database, so a worker on any machine can read it; the
    hourly tidy-up clears it ``KEEP_UPLOADS`` after the upload (``file_cleared_at``).
    The import is all or nothing: ``done`` is written in the same transaction as the
    accounts, so a job is never done without its accounts, nor the other way round.
    While it runs, ``step`` with ``step_done`` of ``step_total`` says how far it got and
    ``heartbeat_at`` when it last said so (see ``services.imports``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        REJECTED = "rejected", "Not imported: the file has errors"
        FAILED = "failed", "Not imported: the import stopped"

    class Step(models.TextChoices):
        CHECK = "check", "Checking every row"
        READ = "read", "Reading the accounts the file names"
        WRITE = "write", "Writing the accounts"
        RECORD = "record", "Recording the moves and telling the reps"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveIntegerField(help_text="Bytes.")
    content = models.BinaryField(editable=False)
    file_cleared_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=10, choices=Step.choices, blank=True)
    step_done = models.PositiveIntegerField(default=0)
    step_total = models.PositiveIntegerField(default=0)
    accounts_created = models.PositiveIntegerField(null=True, blank=True)
    accounts_updated = models.PositiveIntegerField(null=True, blank=True)
    accounts_unchanged = models.PositiveIntegerField(null=True, blank=True)
    accounts_moved = models.PositiveIntegerField(null=True, blank=True)
    # The first ``MAX_KEPT_ERRORS`` row errors as {"row", "column", "message"}; all counted.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True, help_text="Why the import stopped.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "account import"
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)

    def is_stale(self, now: dt.datetime) -> bool:
        """Running, but silent for longer than any run may last: its worker is gone."""
        return (
            self.status == self.Status.RUNNING
            and self.heartbeat_at is not None
            and self.heartbeat_at < now - IMPORT_STALE_AFTER
        )
