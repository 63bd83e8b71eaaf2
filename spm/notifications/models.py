"""In-app notifications, one row per recipient, optionally mirrored by email."""

from django.db import models

from spm.tenancy.models import Membership, TenantOwnedModel


class Notification(TenantOwnedModel):
    recipient = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64, help_text="What happened, e.g. territory.added.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True, help_text="Where to look, in the app.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # A message that can never be sent (a malformed address or header) fails alone: it is
    # marked here and skipped from then on, while the others go out.
    email_failed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title
