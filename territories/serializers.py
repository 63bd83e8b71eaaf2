"""API serializers for territories and accounts: separate input and output shapes.

Output serializers render what a caller may read (money as decimal strings, never
floats). Input serializers only parse and check types; the services decide whether a
write is allowed and answer with field messages when it is not. Every foreign-key
input is tenant-scoped, so another tenant's id reads as "does not exist".
"""

from decimal import Decimal

from rest_framework import serializers

from spm.api.base import ID_BOUNDS
from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.inputs import ApiDateField

from .models import Account, Territory

# Bounds one assign request; 50,000 ids cost about ten UPDATE statements per target.
MAX_ASSIGN_IDS = 50_000


def territory_id_field(**kwargs) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(model=Territory, allow_null=True, **kwargs)


# --- Territories ----------------------------------------------------------------


class TerritorySerializer(serializers.ModelSerializer):
    """A territory with its place in the tree and the accounts it holds today."""

    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    depth = serializers.SerializerMethodField(help_text="0 for a root, 1 for its children…")
    account_count = serializers.IntegerField(read_only=True)
    total_potential = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text="Sum of the annual potential of its accounts.",
    )

    class Meta:
        model = Territory
        fields = [
            "id", "name", "parent_id", "active", "description",
            "depth", "account_count", "total_potential",
        ]  # fmt: skip
        read_only_fields = fields

    def get_depth(self, territory: Territory) -> int:
        return self.context.get("depths", {}).get(territory.pk, 0)


class TerritoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    parent_id = territory_id_field(source="parent", required=False, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    active = serializers.BooleanField(required=False, default=True)


# --- Accounts ----------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    territory_id = serializers.IntegerField(read_only=True, allow_null=True)
    territory_name = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id", "name", "external_id", "industry", "country", "region", "postal_code",
            "annual_potential", "territory_id", "territory_name",
        ]  # fmt: skip
        read_only_fields = fields

    def get_territory_name(self, account: Account) -> str | None:
        return account.territory.name if account.territory_id else None


class AccountInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    external_id = serializers.CharField(
        max_length=64, help_text="The account's id in your CRM; unique in the organisation."
    )
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        default="",
        help_text="ISO 3166 two-letter code, e.g. US.",
    )
    region = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    annual_potential = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, default=Decimal("0.00")
    )
    territory_id = territory_id_field(
        source="territory",
        required=False,
        default=None,
        help_text="Changing it moves the account today and records the move in its history.",
    )


class AssignInputSerializer(serializers.Serializer):
    account_ids = serializers.ListField(
        child=serializers.IntegerField(**ID_BOUNDS),
        allow_empty=False,
        max_length=MAX_ASSIGN_IDS,
    )
    territory_id = territory_id_field(
        source="territory", help_text="The territory to move the accounts into; null unassigns."
    )
    effective_date = ApiDateField(
        required=False,
        help_text="Default: today in the organisation's time zone. A later date schedules the move.",
    )


class AssignResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField(help_text="Accounts moved now.")
    scheduled = serializers.IntegerField(help_text="Accounts that move on the effective date.")
    unchanged = serializers.IntegerField(help_text="Accounts already in that territory.")
