import zoneinfo

from django import forms

from .services import tenant_create


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class OrganisationSignupForm(forms.Form):
    """Extra signup fields: signing up creates a new organisation with you as its admin."""

    name = forms.CharField(label="Your name", max_length=150)
    organisation = forms.CharField(label="Organisation name", max_length=200)
    timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices, initial="UTC")

    def signup(self, request, user) -> None:
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])
        tenant_create(
            name=self.cleaned_data["organisation"],
            owner=user,
            timezone_name=self.cleaned_data["timezone"],
        )
