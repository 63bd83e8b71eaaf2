"""Forms of the activity pages: they parse what was posted and carry the services' messages
back to their fields. They hold no rule of their own: every check (the type, the minutes,
the 24-hour day, the date, the account) is the service's, so the page, the API and the CSV
import say the same thing about the same mistake.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from spm.tenancy.models import Tenant
from territories.models import Account

from .models import ActivityType

#: An account id that names no account of the organisation. Passed on to the services as
#: an account of no organisation, so that they answer it ("No such account…") as they do
#: for the API.
UNKNOWN_ACCOUNT = Account(name="")


class ActivityForm(forms.Form):
    """Logging or changing one activity. Field names are the services' (``type``,
    ``date``, ``duration_minutes``, ``account``, ``notes``), so their messages land on the
    field they are about."""

    type = forms.CharField(required=False)
    date = forms.CharField(required=False)
    duration_minutes = forms.CharField(required=False, label="Minutes")
    account = forms.CharField(required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea)
    version = forms.CharField(required=False)

    def __init__(self, *args, tenant: Tenant, types: list[ActivityType], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.types = {str(kind.pk): kind for kind in types}

    def values(self) -> dict:
        """What to hand to ``activity_create`` / ``activity_update``: the type and account
        looked up in the organisation (an unknown id is passed on for the service to
        refuse), the rest as typed."""
        data = self.cleaned_data
        type_id = (data.get("type") or "").strip()
        kind = self.types.get(type_id)
        if kind is None and type_id.isdigit():
            kind = ActivityType.objects.filter(tenant=self.tenant, pk=int(type_id)).first()
        account = None
        account_id = (data.get("account") or "").strip()
        if account_id:
            account = (
                Account.objects.filter(tenant=self.tenant, pk=int(account_id)).first()
                if account_id.isdigit() and len(account_id) < 19
                else None
            ) or UNKNOWN_ACCOUNT
        return {
            "type": kind,
            "date": (data.get("date") or "").strip(),
            "duration_minutes": (data.get("duration_minutes") or "").strip(),
            "account": account,
            "notes": data.get("notes") or "",
        }

    def version_seen(self) -> int | None:
        raw = (self.cleaned_data.get("version") or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None

    def show(self, error: ValidationError) -> None:
        """Put a service's messages next to their fields (the rest above the form)."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                messages = [message for item in errors for message in item.messages]
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    @property
    def chosen_type(self) -> ActivityType | None:
        raw = self.data.get("type") if self.is_bound else self.initial.get("type")
        return self.types.get(str(raw)) if raw else None
