"""API shapes for activity types and activities (DESIGN 5).

Output serializers render what a caller may read. Input serializers only parse and check
types: the services decide who may write what and answer with field messages (a name
taken regardless of case, an inactive type, a day over 24 hours, a day after today).
Type and account ids are tenant-scoped: another organisation's id "does not exist".
"""

from rest_framework import serializers

from spm.api.base import ID_BOUNDS
from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.inputs import ApiDateField
from territories.models import Account

from .models import MINUTES_PER_DAY, Activity, ActivityType, Category

# One bulk request logs at most this many activities: a month of a whole team's calls,
# checked and written in about a tenth of a second. Bigger files go through the CSV import.
MAX_BULK_ACTIVITIES = 1_000
MAX_VERSION = 2**31 - 1
MAX_POSITION = 32_767  # A PositiveSmallIntegerField.
NOTES_MAX = Activity._meta.get_field("notes").max_length
NAME_MAX = ActivityType._meta.get_field("name").max_length
TYPE_MISSING = "Choose one of the organisation's activity types."
ACCOUNT_MISSING = "No such account in this organisation."


def minutes_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MINUTES_PER_DAY, **kwargs)


# --- Activity types -------------------------------------------------------------------


class ActivityTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityType
        fields = ["id", "name", "category", "default_duration", "active", "position"]
        read_only_fields = fields


class ActivityTypeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX, help_text="Unique regardless of case.")
    category = serializers.ChoiceField(choices=Category.choices)
    default_duration = minutes_field(
        required=False, help_text="Minutes offered when the type is logged (default 30)."
    )
    active = serializers.BooleanField(
        required=False,
        help_text="False retires the type: its activities keep it, nobody logs it any more.",
    )
    position = serializers.IntegerField(
        min_value=0,
        max_value=MAX_POSITION,
        required=False,
        help_text="Order of the type's button on the Day page.",
    )


class ActivityTypeQuerySerializer(serializers.Serializer):
    active = serializers.ChoiceField(
        choices=["true", "false", "all"],
        required=False,
        default="true",
        help_text="true (default): the types in use; false: the retired ones; all: both.",
    )


# --- Activities -----------------------------------------------------------------------


class ActivitySerializer(serializers.ModelSerializer):
    """An activity as the caller may read it; ``version`` is what a change sends back."""

    member_id = serializers.IntegerField(read_only=True)
    type_id = serializers.IntegerField(read_only=True)
    account_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "id", "member_id", "type_id", "account_id", "date", "duration_minutes", "notes",
            "source", "version",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "source": {"help_text": "How it was logged: web, api or import."},
        }


class ActivityConflictSerializer(serializers.Serializer):
    """A 409: someone changed the activity since the caller read it."""

    detail = serializers.CharField()
    current = ActivitySerializer(help_text="The activity as it is now.")


class ActivityInputSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(
        **ID_BOUNDS,
        required=False,
        help_text="Yours (the default): activities are logged by their own member; another "
        "member's id is a 403. A change cannot move an activity to someone else.",
    )
    type_id = ScopedPrimaryKeyRelatedField(
        model=ActivityType, source="type", error_messages={"does_not_exist": TYPE_MISSING}
    )
    account_id = ScopedPrimaryKeyRelatedField(
        model=Account,
        source="account",
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": ACCOUNT_MISSING},
    )
    date = ApiDateField(help_text="The day, today or earlier in the organisation's time zone.")
    duration_minutes = minutes_field(
        help_text="Whole minutes; a member's day holds at most 24 hours in all."
    )
    notes = serializers.CharField(
        max_length=NOTES_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    version = serializers.IntegerField(
        min_value=0,
        max_value=MAX_VERSION,
        required=False,
        help_text="The version you read; an activity changed since answers 409. Left out, "
        "the change is not checked.",
    )


class NewActivitySerializer(serializers.Serializer):
    """A new activity, alone or as an item of a bulk write. Ids are only parsed here: the
    service checks them against the organisation for the whole batch at once, in the
    queries it makes anyway (a query per item would not do for a thousand rows)."""

    member_id = serializers.IntegerField(
        **ID_BOUNDS, required=False, help_text="Yours (the default); anyone else's is a 403."
    )
    type_id = serializers.IntegerField(**ID_BOUNDS)
    account_id = serializers.IntegerField(**ID_BOUNDS, required=False, allow_null=True)
    date = ApiDateField()
    duration_minutes = minutes_field()
    notes = serializers.CharField(
        max_length=NOTES_MAX, required=False, allow_blank=True, trim_whitespace=False
    )


class ActivityBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    results = ActivitySerializer(many=True, help_text="The activities logged, in order.")
