"""API shapes for the daily plan's tasks (DESIGN 5: ``tasks``).

Output serializers render what a caller may read. Input serializers only parse and check
types: ``activities.services.plan`` decides who may write what and answers with field
messages. Account and type ids are tenant-scoped: another organisation's id "does not
exist".
"""

from rest_framework import serializers

from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.inputs import ApiDateField
from territories.models import Account

from .models import MINUTES_PER_DAY, ActivityType, PlanTask

TITLE_MAX = PlanTask._meta.get_field("title").max_length
MAX_POSITION = 2**31 - 1


class PlanTaskSerializer(serializers.ModelSerializer):
    """A task of a member's plan for a day, in ``position`` order."""

    member_id = serializers.IntegerField(read_only=True)
    account_id = serializers.IntegerField(read_only=True, allow_null=True)
    activity_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The activity logged when the task was completed, if one was.",
    )

    class Meta:
        model = PlanTask
        fields = [
            "id",
            "member_id",
            "date",
            "title",
            "kind",
            "account_id",
            "score",
            "position",
            "status",
            "suggested",
            "completed_at",
            "activity_id",
        ]
        read_only_fields = fields


class PlanTaskCreateSerializer(serializers.Serializer):
    """A task added by hand to one's own plan (at its end)."""

    date = ApiDateField(help_text="The plan's day.")
    title = serializers.CharField(max_length=TITLE_MAX)
    account_id = ScopedPrimaryKeyRelatedField(
        model=Account,
        source="account",
        required=False,
        allow_null=True,
        help_text="An account of the organisation, if the task is about one.",
    )


class PlanTaskUpdateSerializer(serializers.Serializer):
    """What a change may touch: the title, the status (open, done without logging, or
    dismissed) and the place in the day's order (0 is first; an open task only)."""

    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    # A plain string, checked by the service: the schema then names one status enum,
    # the output's, instead of two with the same values.
    status = serializers.CharField(
        max_length=10, required=False, help_text="open, done (without logging) or dismissed."
    )
    position = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False)


class PlanTaskCompleteSerializer(serializers.Serializer):
    """Completing a task; with ``type_id`` (and ``duration_minutes``, the type's default
    when left out), its activity is logged in the same step on the task's day and
    account."""

    type_id = ScopedPrimaryKeyRelatedField(
        model=ActivityType,
        source="type",
        required=False,
        allow_null=True,
        help_text="Log the task's activity as this type.",
    )
    duration_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MINUTES_PER_DAY,
        required=False,
        help_text="The activity's minutes (the type's default when left out).",
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="The task's title if empty."
    )

    def validate(self, attrs):
        if "duration_minutes" in attrs and attrs.get("type") is None:
            raise serializers.ValidationError(
                {"type_id": ["Choose the activity's type to log its minutes."]}
            )
        return attrs
