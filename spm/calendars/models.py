"""Tenant holidays and member time off. Ranges include both ends (DESIGN 4.1)."""

from django.db import models
from django.db.models import F, Q

from spm.inputs import sane_date
from spm.tenancy.models import Membership, TenantOwnedModel


class Holiday(TenantOwnedModel):
    """A day the whole organisation does not work."""

    date = models.DateField(validators=[sane_date])
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date"], name="holiday_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date.isoformat()})"


class TimeOff(TenantOwnedModel):
    """A member's absence, from ``start`` to ``end`` inclusive. Never overlaps another."""

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateField(validators=[sane_date])
    end = models.DateField(validators=[sane_date])
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="timeoff_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "member", "start"])]

    def __str__(self) -> str:
        return f"{self.member} off {self.start.isoformat()}–{self.end.isoformat()}"
