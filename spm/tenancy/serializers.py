"""API shapes for ``me`` and ``members``: output serializers render, input ones validate.

Numbers that are decimals in the product (the selling target, weekday weights) are
rendered as decimal strings, never floats, the same way money is.
"""

from rest_framework import serializers

from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.inputs import ApiDateField

from .models import ISO_WEEKDAYS, Membership, Role


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(read_only=True)


class TenantOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True, help_text="An IANA time zone name.")
    currency = serializers.CharField(read_only=True, help_text="ISO 4217 code.")
    work_week = serializers.ListField(
        child=serializers.IntegerField(min_value=min(ISO_WEEKDAYS), max_value=max(ISO_WEEKDAYS)),
        read_only=True,
        help_text="The working days as ISO weekday numbers: 1 is Monday, 7 is Sunday.",
    )
    weekday_weights = serializers.ListField(
        # No fixed number of places: "1" stays "1" and "1.5" stays "1.5".
        child=serializers.DecimalField(max_digits=None, decimal_places=None),
        source="weights",
        read_only=True,
        min_length=7,
        max_length=7,
        help_text="Seven decimal strings, Monday first: how much of a period's target each "
        "weekday carries.",
    )
    prorate_time_off = serializers.BooleanField(read_only=True)
    selling_target_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        read_only=True,
        help_text="Share of logged time that should be spent selling, as a decimal string.",
    )
    fiscal_year_start_month = serializers.IntegerField(
        read_only=True, min_value=1, max_value=12, help_text="1 is January."
    )


class MeOutputSerializer(serializers.Serializer):
    """The caller: who they are, in which organisation, with which role."""

    user = UserOutputSerializer(read_only=True)
    member_id = serializers.IntegerField(source="pk", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    tenant = TenantOutputSerializer(read_only=True)


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(read_only=True, help_text="The person's name, or their email.")
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    manager_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Who this person reports to."
    )
    start_date = ApiDateField(read_only=True, help_text="First day of employment.")
    end_date = ApiDateField(
        read_only=True, allow_null=True, help_text="Last day of employment, if it has ended."
    )


class MemberUpdateInputSerializer(serializers.Serializer):
    """What an admin may change about a member. Every field is optional (PATCH)."""

    role = serializers.ChoiceField(choices=Role.choices, required=False)
    manager_id = ScopedPrimaryKeyRelatedField(
        model=Membership,
        source="manager",
        required=False,
        allow_null=True,
        help_text="A manager or admin of this organisation, or null for nobody.",
    )
    start_date = ApiDateField(required=False)
    end_date = ApiDateField(
        required=False, allow_null=True, help_text="Set it to end someone's employment."
    )
