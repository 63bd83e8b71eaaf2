"""Forms of the territory admin: the territory, account, rule and member forms, and
the intermediate pages (assign accounts, apply rules, import a CSV file).

Forms validate what the person typed and name the field at fault; the writes happen
in ``services`` (and ``csv_io``), which validate again as the last word.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from spm.inputs import DateField
from spm.tenancy.admin_base import TenantScopedModelForm, add_service_errors
from spm.tenancy.models import Tenant
from spm.web.widgets import DateInput

from .csv_io import MAX_BYTES
from .models import Account, AssignmentRule, Territory, TerritoryMember, TerritoryRole
from .selectors import territory_tree
from .services import account_check, assignment_rule_check, territory_check, territory_member_check

INDENT = "\u00a0" * 4  # Browsers collapse ordinary spaces inside <option>.
REMOVE = "none"


def indented(name: str, depth: int) -> str:
    return f"{INDENT * depth}{name}"


def territory_choices(tenant: Tenant) -> list[tuple[str, str]]:
    """The tenant's active territories in tree order, indented by depth."""
    return [
        (str(territory.pk), indented(territory.name, depth))
        for territory, depth in territory_tree(tenant=tenant)
        if territory.active
    ]


def _tenant_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Tenant.objects.order_by("name"),
        label="Organisation",
        help_text="You are the platform administrator: choose the organisation to work on.",
    )


# --- Territories --------------------------------------------------------------------


class TerritoryAdminForm(TenantScopedModelForm):
    class Meta:
        model = Territory
        fields = ()  # See TenantScopedModelForm.
        help_texts = {
            "name": "Unique in your organisation; CSV imports refer to territories by name.",
            "parent": "The larger territory or region this one belongs to. "
            "Leave empty for a top-level region.",
            "description": "What the territory covers, in words reps understand.",
            "active": "Inactive territories keep their history but cannot receive accounts, "
            "and their assignment rules are skipped.",
        }

    def clean(self):
        data = super().clean()
        tenant = self.operating_tenant()
        if tenant is None or "name" not in data:
            return data
        try:
            territory_check(
                tenant=tenant,
                territory=self.instance if self.instance.pk else None,
                name=data["name"],
                parent=data.get("parent"),
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return data


class TerritoryMemberForm(forms.ModelForm):
    """One row of the members inline, checked with the same rule as the services."""

    class Meta:
        model = TerritoryMember
        fields = ()  # See TenantScopedModelForm.
        help_texts = {
            "role": "One owner at a time; overlays work the territory alongside the owner.",
            "end_date": "Last day on the territory. To take someone off, set this date: "
            "the assignment stays as history.",
        }

    def __init__(self, *args, formset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.formset = formset

    def clean(self):
        data = super().clean()
        member, role = data.get("member"), data.get("role")
        start, end = data.get("start_date"), data.get("end_date")
        territory = self.formset.instance if self.formset is not None else None
        if self.instance.pk and "member" in self.changed_data:
            self.add_error(
                "member",
                "To hand the territory to someone else, set an end date on this row "
                "and add a new row for them.",
            )
            return data
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date.")
            return data
        if member is None or role is None or start is None:
            return data
        if territory is None or territory.pk is None:
            return data  # A new territory has no members yet; the formset checks the rows.
        if member.tenant_id != territory.tenant_id:
            self.add_error("member", "Choose a member of this organisation.")
            return data
        try:
            territory_member_check(
                tenant=territory.tenant,
                territory=territory,
                member=member,
                role=role,
                start_date=start,
                end_date=end,
                exclude=self.instance if self.instance.pk else None,
            )
        except ValidationError as error:
            # The check compares with the rows as they are stored. When other rows of
            # this territory change in the same save (end the old owner, add the new
            # one), the formset checks the rows as they will be instead.
            if not self.formset.other_rows_change(self):
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return data


def _overlap(a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


class TerritoryMemberFormSet(BaseInlineFormSet):
    """Checks the territory's rows as they will be after the save: one owner at a time,
    and nobody twice on overlapping dates. Every member row of the territory is in the
    formset, so this sees the whole picture."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "formset": self}

    def _kept_forms(self):
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            yield form

    def other_rows_change(self, form) -> bool:
        return any(
            other is not form and other.instance.pk and other.has_changed() for other in self.forms
        )

    def clean(self):
        super().clean()
        rows = []
        for form in self._kept_forms():
            data = form.cleaned_data
            if not all(data.get(key) for key in ("member", "role", "start_date")):
                continue
            rows.append(
                (form, data["member"], data["role"], (data["start_date"], data.get("end_date")))
            )
        for index, (form, member, role, period) in enumerate(rows):
            for _, other_member, other_role, other_period in rows[:index]:
                if not _overlap(period, other_period):
                    continue
                if member == other_member:
                    form.add_error(
                        "member", f"{member.name} is on this territory twice on overlapping dates."
                    )
                    break
                if role == other_role == TerritoryRole.OWNER:
                    form.add_error(
                        "role",
                        f"{other_member.name} is already owner on those dates. One owner at a "
                        "time: end that assignment first, or make this row an overlay.",
                    )
                    break


# --- Accounts -----------------------------------------------------------------------


class AccountAdminForm(TenantScopedModelForm):
    effective_date = DateField(
        required=False,
        widget=DateInput(),
        label="Territory change effective",
        help_text="Only used when you change the territory. Empty means today; a later "
        "date schedules the move, and the account moves on that day.",
    )

    class Meta:
        model = Account
        fields = ()  # See TenantScopedModelForm.
        help_texts = {
            "territory": "Changing it records the move in the assignment history and tells "
            "the reps of both territories.",
        }

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def clean(self):
        data = super().clean()
        tenant = self.operating_tenant()
        if tenant is None or "external_id" not in data:
            return data
        try:
            account_check(
                tenant=tenant,
                account=self.instance if self.instance.pk else None,
                external_id=data["external_id"],
                country=data.get("country", ""),
                territory=data.get("territory"),
                territory_changes="territory" in self.changed_data,
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return data


class AccountsAssignForm(forms.Form):
    """The “Assign to territory…” page: where to, and from when."""

    territory = forms.CharField(
        label="Move to",
        widget=forms.Select(),
        error_messages={"required": "Choose a territory, or “remove from territory”."},
    )
    effective_date = DateField(
        label="Effective date",
        widget=DateInput(),
        help_text="Today or earlier moves the accounts now. A later date schedules the move: "
        "the accounts move on that day, and the reps are told now.",
        error_messages={
            "invalid": "Enter a date, e.g. 2026-12-01.",
            "required": "Enter the date the move takes effect.",
        },
    )

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["territory"].widget.choices = [
            ("", "Choose a territory…"),
            *territory_choices(tenant),
            (REMOVE, "— remove from territory —"),
        ]
        self.fields["effective_date"].initial = tenant.today()

    def clean_territory(self) -> Territory | None:
        value = self.cleaned_data["territory"]
        if value == REMOVE:
            return None
        territory = None
        if value.isdigit():
            territory = Territory.objects.filter(tenant=self.tenant, pk=int(value)).first()
        if territory is None:
            raise ValidationError("Choose a territory from the list.")
        if not territory.active:
            raise ValidationError(
                f"{territory.name} is inactive; activate it first or choose another territory."
            )
        return territory


class RulesApplyForm(forms.Form):
    """The “Apply rules to all accounts…” page."""

    only_unassigned = forms.BooleanField(
        required=False,
        label="Only unassigned accounts",
        help_text="Leave accounts that already have a territory where they are.",
    )

    def __init__(self, *args, platform: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if platform:
            self.fields = {"tenant": _tenant_field(), **self.fields}


class AccountsImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 text, comma, semicolon or tab separated, at most 20 MB.",
        error_messages={"required": "Choose a CSV file to import."},
    )

    def __init__(self, *args, platform: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if platform:
            self.fields = {"tenant": _tenant_field(), **self.fields}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError("The file is larger than 20 MB; split it into smaller files.")
        return upload


# --- Assignment rules ---------------------------------------------------------------


class AssignmentRuleForm(TenantScopedModelForm):
    class Meta:
        model = AssignmentRule
        fields = ()  # See TenantScopedModelForm.
        labels = {"value": "Value(s)", "value_to": "Up to"}
        help_texts = {
            "territory": "Accounts this rule matches are placed here.",
            "field": "The account field the rule looks at.",
            "operator": "“Is one of” and “starts with” take a comma-separated list "
            "(e.g. CA, OR, WA or 94, 95). “is between” takes the lower bound here and "
            "the upper bound in “Up to”; both ends are included. Text compares "
            "ignoring case.",
            "value": "One value, or a comma-separated list (see Operator). For annual "
            "potential, an amount, e.g. 250000.",
            "value_to": "Only for “is between”.",
            "priority": "Lower numbers win. When rules of two territories match an account "
            "at the same winning priority, that is a conflict: the account stays where it "
            "is and is listed for you when you apply the rules.",
            "active": "Inactive rules are skipped when rules are applied.",
        }

    def clean(self):
        data = super().clean()
        tenant = self.operating_tenant()
        if tenant is None or not all(data.get(key) for key in ("field", "operator")):
            return data
        try:
            assignment_rule_check(
                tenant=tenant,
                territory=data.get("territory"),
                field=data["field"],
                operator=data["operator"],
                value=data.get("value") or "",
                value_to=data.get("value_to") or "",
                priority=data.get("priority") or 0,
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return data
