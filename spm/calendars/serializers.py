"""API shapes for ``holidays`` and ``time-off`` (DESIGN 5). Validation of rules is the services' job."""

from rest_framework import serializers

from spm.api.fields import ScopedPrimaryKeyRelatedField
from spm.tenancy.models import Membership
from spm.tenancy.selectors import visible_member_ids

from .models import Holiday, TimeOff


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "name"]


class VisibleMemberField(ScopedPrimaryKeyRelatedField):
    """A member id the caller may act for: anyone (admins), their reporting tree and
    themselves (managers), or themselves (reps). Others answer "does not exist"."""

    def get_queryset(self):
        members = super().get_queryset()
        viewer = self.context["membership"]
        ids = visible_member_ids(tenant=self.context["tenant"], viewer=viewer)
        return members if ids is None else members.filter(pk__in=ids)


class TimeOffSerializer(serializers.ModelSerializer):
    member_id = VisibleMemberField(
        model=Membership, source="member", help_text="The member who is off."
    )

    class Meta:
        model = TimeOff
        fields = ["id", "member_id", "start", "end", "reason"]
        extra_kwargs = {
            "start": {"help_text": "First day off."},
            "end": {"help_text": "Last day off (ranges include both ends)."},
        }

    def validate_member_id(self, member: Membership) -> Membership:
        if self.instance is not None and member.pk != self.instance.member_id:
            raise serializers.ValidationError(
                "Time off cannot move to another member; delete it and add it for them."
            )
        return member
