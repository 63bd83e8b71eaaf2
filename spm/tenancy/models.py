"""The tenancy core: organisations, memberships, and the tenant-owned base model.

Every table that holds an organisation's data inherits ``TenantOwnedModel``. Its
default manager fails closed: a query with no active tenant raises
``django_scopes.ScopeError`` instead of silently returning every tenant's rows.
System work that must cross tenants says so by using ``all_tenants``.
"""

import datetime as dt
import secrets
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager

from spm.inputs import sane_date

ISO_WEEKDAYS = range(1, 8)  # Monday = 1 … Sunday = 7, as datetime.isoweekday().


def default_work_week() -> list[int]:
    return [1, 2, 3, 4, 5]


def default_weekday_weights() -> list[str]:
    return ["1", "1", "1", "1", "1", "1", "1"]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Berlin).")


def validate_work_week(value) -> None:
    if (
        not isinstance(value, list)
        or not value
        or any(not isinstance(day, int) or day not in ISO_WEEKDAYS for day in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError(
            "The work week is a list of distinct ISO weekdays, 1 (Mon) to 7 (Sun)."
        )


def validate_weekday_weights(value) -> None:
    try:
        weights = [Decimal(str(weight)) for weight in value]
    except Exception as exc:
        raise ValidationError("Weekday weights must be 7 numbers, Monday first.") from exc
    if len(weights) != 7 or any(weight < 0 for weight in weights):
        raise ValidationError("Weekday weights must be 7 numbers ≥ 0, Monday first.")


class Tenant(models.Model):
    """An organisation using SPM. Everything else belongs to exactly one tenant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")],
    )
    work_week = models.JSONField(default=default_work_week, validators=[validate_work_week])
    weekday_weights = models.JSONField(
        default=default_weekday_weights, validators=[validate_weekday_weights]
    )
    selling_target_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("90.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of logged time that should be spent selling.",
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    achievability_multiple = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
        help_text="Flag a quota that needs more than this multiple of the person's "
        "trailing 90-day daily rate.",
    )
    prorate_time_off = models.BooleanField(
        default=False,
        help_text="Reduce quotas for time off, not only for partial employment.",
    )
    # Kept by quotas, read with the tenant (every request loads it): logging activities
    # asks nothing about quotas in an organisation that never set one on that metric.
    quota_metrics = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The metrics some quota has been set on: each is added with the first "
        "such quota and never removed.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self) -> dt.date:
        """Today's date where the organisation is."""
        return timezone.now().astimezone(self.zone).date()

    @property
    def weights(self) -> list[Decimal]:
        return [Decimal(str(weight)) for weight in self.weekday_weights]


class TenantOwnedModel(models.Model):
    """Base of every model holding one organisation's data."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    # Fails closed: with no active tenant scope, every query raises ScopeError.
    objects = ScopedManager(tenant="tenant")
    # Cross-tenant system work only (beat fan-out, the platform superuser, lookups by
    # an unguessable key before the tenant is known). The name makes the choice visible.
    all_tenants = models.Manager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    REP = "rep", "Rep"


class Membership(TenantOwnedModel):
    """A person's place in one organisation: their role and their reporting line."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REP)
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
        help_text="Who this person reports to.",
    )
    start_date = models.DateField(help_text="First day of employment.", validators=[sane_date])
    end_date = models.DateField(
        null=True, blank=True, help_text="Last day of employment.", validators=[sane_date]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "manager"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @property
    def name(self) -> str:
        return self.user.name or self.user.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP

    def is_employed_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


def new_invitation_key() -> str:
    return secrets.token_urlsafe(32)


class Invitation(TenantOwnedModel):
    """An admin's invitation for an email address to join with a role and a manager."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REP)
    manager = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField(validators=[sane_date])
    key = models.CharField(max_length=64, default=new_invitation_key, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="invitation_unique_key"),
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.PENDING and self.expires_at <= timezone.now()
        )


class ApiToken(TenantOwnedModel):
    """An API credential bound to one membership. Only a digest of the key is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a key.")
    digest = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Django would derive "api token" from the class name; API is an acronym.
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "digest"], name="apitoken_unique_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.membership_id})"


class AuditEvent(TenantOwnedModel):
    """An append-only record of who changed what. Written by services, never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class OutboxJob(TenantOwnedModel):
    """A background job, written in the transaction of the change that needs it.

    The row exists exactly when the change committed (a transactional outbox): right after
    the commit the job is sent to the broker and stamped ``sent_at``; if the broker is down,
    the write still succeeds and the sweep (``spm.tenancy.tasks.sweep_outbox``) sends the
    job once the broker is back. Jobs are idempotent, so sending one twice is harmless.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_unsent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({'sent' if self.sent_at else 'waiting'})"
