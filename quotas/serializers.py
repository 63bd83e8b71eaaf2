"""API shapes for quotas, their targets, sales and attainment (DESIGN 5).

Output serializers render what a caller may read: money and counts as decimal strings,
months as ``YYYY-MM``, dates ISO. Input serializers only parse and check types; the
services decide who may write what and answer with field messages. Member and account
ids are tenant-scoped (another organisation's id "does not exist"), and a member id is
limited to the people the caller may see.
"""

import datetime as dt
import re

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from spm.api.base import ID_BOUNDS
from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.inputs import DATE_WINDOW_MESSAGE, ApiDateField, sane_date
from spm.tenancy.models import Membership
from spm.tenancy.selectors import visible_member_ids
from territories.models import Account

from .models import AMOUNT, Metric, Quota, QuotaTarget, Sale

# Bounds one publish request and one bulk write of sales. 10,000 sales take about a
# second to check and write (COPY on PostgreSQL); bigger files go through the CSV import.
MAX_PUBLISH_IDS = 10_000
MAX_BULK_SALES = 10_000
MAX_VERSION = 2**31 - 1

MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")
MONTH_MESSAGE = "Enter a month as YYYY-MM, e.g. 2026-03."
MONTH_SCHEMA = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03"}


def parse_month(value) -> dt.date:
    """``"2026-03"`` as the month's first day; ``ValueError`` with the message to show."""
    match = MONTH.match(value.strip()) if isinstance(value, str) else None
    if match is None or not 1 <= int(match["month"]) <= 12:
        raise ValueError(MONTH_MESSAGE)
    month = dt.date(int(match["year"]), int(match["month"]), 1)
    try:
        sane_date(month)
    except forms.ValidationError:
        raise ValueError(DATE_WINDOW_MESSAGE) from None
    return month


@extend_schema_field(MONTH_SCHEMA)
class MonthField(serializers.Field):
    """A month as ``YYYY-MM`` (its first day inside), within the accepted dates."""

    default_error_messages = {"invalid": MONTH_MESSAGE}

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"

    def to_internal_value(self, data) -> dt.date:
        try:
            return parse_month(data)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class MonthFormField(forms.CharField):
    """The form (query filter) twin of ``MonthField``."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


@extend_schema_field(OpenApiTypes.INT)
class VisibleMemberField(ScopedPrimaryKeyRelatedField):
    """A member id the caller may see: anyone (admins), their reporting tree and themselves
    (managers), themselves (reps). Others answer "does not exist", like a missing id."""

    def get_queryset(self):
        members = super().get_queryset().select_related("user")
        ids = visible_member_ids(tenant=self.context["tenant"], viewer=self.context["membership"])
        return members if ids is None else members.filter(pk__in=ids)


def amount_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**AMOUNT, **kwargs)


def version_field(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0, max_value=MAX_VERSION, required=False, help_text=help_text
    )


# --- Quotas -------------------------------------------------------------------------


class QuotaSerializer(serializers.ModelSerializer):
    """A quota as the caller may read it; ``version`` is what a change sends back."""

    member_id = serializers.IntegerField(read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)
    month = MonthField(read_only=True)
    targets_pending = serializers.BooleanField(
        read_only=True,
        help_text="True while the targets of the latest figures are being computed.",
    )

    class Meta:
        model = Quota
        fields = [
            "id", "member_id", "member_name", "month", "metric", "amount", "ramp_pct",
            "status", "version", "effective_amount", "no_capacity", "targets_pending",
            "published_at", "acknowledged_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "effective_amount": {
                "help_text": "Amount × ramp × the share of the month's work days the member is "
                "employed, in the metric's unit (written by the rolldown)."
            },
            "no_capacity": {"help_text": "The member has no capacity day in the month."},
        }


class QuotaInputSerializer(serializers.Serializer):
    member_id = VisibleMemberField(model=Membership, source="member")
    month = MonthField()
    metric = serializers.ChoiceField(choices=Metric.choices)
    amount = amount_field(
        min_value=0,
        help_text="In the metric's unit: money with up to two decimals, deals and "
        "activities in whole numbers.",
    )
    ramp_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text="Share of the amount expected while the member ramps up (default 100).",
    )
    version = version_field(
        "The version you read. A create may leave it out (or send 0): it expects no quota for "
        "this member, month and metric yet. A change without it overwrites whatever is there."
    )


class PublishInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(**ID_BOUNDS),
        allow_empty=False,
        max_length=MAX_PUBLISH_IDS,
        help_text="Quotas to publish; published and acknowledged ones are left as they are.",
    )


class PublishResultSerializer(serializers.Serializer):
    published = serializers.IntegerField(help_text="Drafts published now.")


class AcknowledgeInputSerializer(serializers.Serializer):
    version = version_field("The version you read: a figure changed since answers 409.")


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuotaTarget
        fields = ["start", "end", "amount", "granularity"]
        read_only_fields = fields


class TargetQuerySerializer(serializers.Serializer):
    granularity = serializers.ChoiceField(
        choices=QuotaTarget.Granularity.choices,
        required=False,
        default=QuotaTarget.Granularity.DAY,
        help_text="day (one row per capacity day) or week (per ISO week, within the month).",
    )


# --- Sales --------------------------------------------------------------------------


class SaleSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(read_only=True)
    account_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sale
        fields = [
            "id", "member_id", "account_id", "amount", "closed_on", "external_id", "source",
            "version",
        ]  # fmt: skip
        read_only_fields = fields


class SaleInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=64, help_text="The sale's id in your CRM: a known one updates that sale."
    )
    member_id = VisibleMemberField(model=Membership, source="member")
    account_id = ScopedPrimaryKeyRelatedField(model=Account, source="account")
    amount = amount_field(min_value=0)
    closed_on = ApiDateField(help_text="The day the sale closed, today or earlier.")
    version = version_field("The version you read; a sale changed since answers 409.")


class SaleBulkItemSerializer(serializers.Serializer):
    """One sale of a bulk write. Ids are checked by the service for the whole batch at
    once (a query per item would not do for 10,000 sales)."""

    external_id = serializers.CharField(max_length=64)
    member_id = serializers.IntegerField(**ID_BOUNDS)
    account_id = serializers.IntegerField(**ID_BOUNDS)
    amount = amount_field(min_value=0)
    closed_on = ApiDateField()
    version = version_field("The version you read (optional).")


class SaleBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


# --- Attainment ---------------------------------------------------------------------


class AttainmentQuerySerializer(serializers.Serializer):
    month = MonthField(
        required=False, help_text="YYYY-MM; default: this month in the organisation's time zone."
    )
    member_id = serializers.IntegerField(**ID_BOUNDS, required=False)
    as_of = ApiDateField(
        required=False,
        help_text="The figures at the end of this day (today or earlier, not before the "
        "month). Default and any day at or after the latest computation: the latest figures.",
    )


class AttainmentSerializer(serializers.Serializer):
    """Where a quota stands (DESIGN 4.3). Figures are null where unknown: a percentage of
    a zero amount, a pace with nothing expected yet, or a past day with no snapshot."""

    member_id = serializers.IntegerField()
    quota_id = serializers.IntegerField()
    metric = serializers.ChoiceField(choices=Metric.choices)
    month = MonthField()
    as_of = ApiDateField(read_only=True, help_text="The day these figures are for.")
    effective_amount = amount_field()
    achieved = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    expected_to_date = amount_field(allow_null=True)
    attainment_pct = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    pace_pct = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    projected = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
