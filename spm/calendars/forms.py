"""Forms for the calendar pages. They parse input; the services decide what is allowed."""

from django import forms

from spm.inputs import DateField
from spm.tenancy.models import Membership
from spm.web.widgets import DateInput

from .models import Holiday, TimeOff


class HolidayForm(forms.Form):
    date = DateField(widget=DateInput)
    name = forms.CharField(
        max_length=Holiday._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"placeholder": "e.g. New Year's Day"}),
    )


class TimeOffForm(forms.Form):
    """Dates and reason of a time-off range; ``member`` only when booking a new one."""

    member = forms.ModelChoiceField(
        label="Person", queryset=Membership.objects.none(), empty_label=None
    )
    start = DateField(label="First day off", widget=DateInput)
    end = DateField(label="Last day off", widget=DateInput, help_text="Both days are included.")
    reason = forms.CharField(
        max_length=TimeOff._meta.get_field("reason").max_length,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Vacation, training, parental leave"}),
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is None:
            del self.fields["member"]
        else:
            self.fields["member"].queryset = members
            self.fields["member"].label_from_instance = lambda member: member.name
