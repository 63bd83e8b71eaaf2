"""Forms for signup, members, invitations and organisation settings.

Forms only parse input; the rules live in ``services``. A view passes the
``ValidationError`` a service raises back to its form with ``add_service_errors`` so
the message appears next to the field it is about.
"""

import calendar
import zoneinfo
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet

from spm.inputs import DateField
from spm.web.widgets import DateInput

from .models import Membership, Role, Tenant
from .services import tenant_create, tenant_settings_check

WEEKDAYS = [(number, calendar.day_name[number - 1]) for number in range(1, 8)]
MONTHS = [(number, calendar.month_name[number]) for number in range(1, 13)]


# Aliases the tz database keeps for old software: valid values, but they only clutter a
# list people choose from, so the list offers the canonical Area/City names and UTC.
LEGACY_TIMEZONE_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(LEGACY_TIMEZONE_PREFIXES)
    )
    return [("UTC", "UTC")] + [(name, name.replace("_", " ")) for name in names]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on ``form``: per field where the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields else None
        if field != NON_FIELD_ERRORS and target is None:
            # A field this form does not show: say which one, so the message still reads.
            errors = [f"{field.replace('_', ' ').capitalize()}: {e.message}" for e in errors]
        form.add_error(target, errors)


def manager_choices(*, tenant: Tenant, exclude: Membership | None = None) -> QuerySet[Membership]:
    """The people someone can report to: this organisation's managers and admins."""
    choices = Membership.objects.filter(
        tenant=tenant, role__in=[Role.MANAGER, Role.ADMIN]
    ).select_related("user")
    if exclude is not None:
        choices = choices.exclude(pk=exclude.pk)
    return choices


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.name} ({obj.get_role_display()})"


class OrganisationSignupForm(forms.Form):
    """Extra signup fields: signing up creates a new organisation with you as its admin."""

    name = forms.CharField(label="Your name", max_length=150)
    organisation = forms.CharField(
        label="Organisation name",
        max_length=200,
        help_text="A new organisation is created with you as its admin.",
    )
    timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices, initial="UTC")

    def signup(self, request, user) -> None:
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])
        tenant_create(
            name=self.cleaned_data["organisation"],
            owner=user,
            timezone_name=self.cleaned_data["timezone"],
        )


class MemberForm(forms.Form):
    """An admin's edit of a member's role, manager and employment dates."""

    role = forms.ChoiceField(choices=Role.choices)
    manager = ManagerChoiceField(
        queryset=Membership.all_tenants.none(),  # Set per organisation in __init__.
        required=False,
        empty_label="Nobody (top of the tree)",
        help_text="Only managers and admins can have people reporting to them.",
    )
    start_date = DateField(label="First day", widget=DateInput)
    end_date = DateField(
        label="Last day",
        required=False,
        widget=DateInput,
        help_text="Leave empty while they work here.",
    )

    def __init__(self, *args, tenant: Tenant, member: Membership, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "role": member.role,
                "manager": member.manager_id,
                "start_date": member.start_date,
                "end_date": member.end_date,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = manager_choices(tenant=tenant, exclude=member)


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REP)
    manager = ManagerChoiceField(
        queryset=Membership.all_tenants.none(),  # Set per organisation in __init__.
        required=False,
        empty_label="Nobody (top of the tree)",
        help_text="Who they will report to.",
    )
    start_date = DateField(
        label="First day",
        required=False,
        widget=DateInput,
        help_text="Leave empty for today.",
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = manager_choices(tenant=tenant)


class AcceptInvitationSignupForm(forms.Form):
    """A new person's account, created from the invitation (the email comes from it)."""

    name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1:
            # Validate against a user that looks like the one about to be created, so the
            # similarity check compares the password with the email and name.
            candidate = get_user_model()(email=self.email, name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class OrganisationSettingsForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=200)
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        help_text="Days, targets and deadlines follow this time zone.",
    )
    currency = forms.CharField(
        max_length=3, help_text="Three-letter ISO code used for money, e.g. EUR or USD."
    )
    work_week = forms.TypedMultipleChoiceField(
        label="Work week",
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Quotas are spread over these days only.",
    )
    selling_target_pct = forms.DecimalField(
        label="Selling time target (%)",
        max_digits=5,
        decimal_places=2,
        help_text="Share of logged time that should be spent selling.",
    )
    fiscal_year_start_month = forms.TypedChoiceField(
        label="Fiscal year starts in", choices=MONTHS, coerce=int
    )
    prorate_time_off = forms.BooleanField(
        label="Reduce quotas for time off",
        required=False,
        help_text="Otherwise quotas are reduced only for partial employment.",
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        self.tenant = tenant
        weights = tenant.weights
        initial = {
            "name": tenant.name,
            "timezone": tenant.timezone,
            "currency": tenant.currency,
            "work_week": tenant.work_week,
            "selling_target_pct": tenant.selling_target_pct,
            "fiscal_year_start_month": tenant.fiscal_year_start_month,
            "prorate_time_off": tenant.prorate_time_off,
        }
        initial.update({f"weight_{number}": weights[number - 1] for number in range(1, 8)})
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        choices = timezone_choices()
        if tenant.timezone not in dict(choices):  # Keep an organisation's legacy zone choosable.
            choices.insert(0, (tenant.timezone, tenant.timezone))
        self.fields["timezone"].choices = choices
        # One weight per weekday, Monday first, so the form reads like the work week.
        for number, day in WEEKDAYS:
            self.fields[f"weight_{number}"] = forms.DecimalField(
                label=day, max_digits=5, decimal_places=2, min_value=0
            )

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{number}"] for number, _ in WEEKDAYS]

    @property
    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("weight_")]

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            # The service holds the rules (a valid currency, a work week with at least one
            # weighted day…); its verdict shows here, before anything is saved.
            try:
                tenant_settings_check(tenant=self.tenant, **self.settings())
            except ValidationError as error:
                add_service_errors(self, error)
        return cleaned

    def settings(self) -> dict:
        """The cleaned values in the shape ``tenant_update_settings`` stores them."""
        data = self.cleaned_data
        weights = [data[f"weight_{number}"] for number, _ in WEEKDAYS]
        return {
            "name": data["name"].strip(),
            "timezone": data["timezone"],
            "currency": data["currency"],
            "work_week": sorted(data["work_week"]),
            "weekday_weights": [_weight_text(weight) for weight in weights],
            "selling_target_pct": data["selling_target_pct"],
            "fiscal_year_start_month": data["fiscal_year_start_month"],
            "prorate_time_off": data["prorate_time_off"],
        }


def _weight_text(weight: Decimal) -> str:
    """``1.50`` → ``"1.5"``, ``2`` → ``"2"``: the short form the tenant stores."""
    return format(weight.normalize(), "f")
