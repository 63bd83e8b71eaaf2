"""The admin site, for holidays and time off: an organisation's admin sees and chooses only
their organisation's members and days, the platform superuser works in any organisation, and
every write goes through the calendar services.

Organisations, people and tokens are in ``test_admin_tenancy.py``; what both share is in
``admin_helpers.py``."""

import datetime as dt

import pytest

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import AuditEvent

from .admin_helpers import (
    Scoped,
    ScopedAdminChecks,
    autocomplete,
    make_holiday,
    superuser_client_fixture,  # noqa: F401 (a fixture)
)
from .conftest import Org
from .factories import TimeOffFactory


def make_time_off(org: Org):
    return TimeOffFactory(member=org.rep)


class TestTheCalendarAdminIsScopedToTheOrganisation(ScopedAdminChecks):
    SCOPED = {
        "holiday": Scoped("/admin/calendars/holiday/", make_holiday),
        "timeoff": Scoped("/admin/calendars/timeoff/", make_time_off),
    }


# --- Change pages -----------------------------------------------------------------------


def test_the_platform_superuser_opens_any_organisations_object(org, other, superuser_client):
    holiday = make_holiday(other)
    response = superuser_client.get(f"/admin/calendars/holiday/{holiday.pk}/change/")
    assert response.status_code == 200
    assert response.context["original"] == holiday


# --- Autocomplete -----------------------------------------------------------------------


def test_time_off_member_autocomplete_offers_only_own_members(org, other, client_for):
    found = autocomplete(client_for(org.admin), "calendars", "timeoff", "member")
    assert found == {org.admin.pk, org.manager.pk, org.rep.pk, org.outsider_rep.pk}


def test_autocomplete_search_never_reaches_another_organisation(org, other, client_for):
    assert autocomplete(client_for(org.admin), "calendars", "timeoff", "member", "globex") == set()
    assert autocomplete(client_for(org.admin), "calendars", "timeoff", "member", "acme") == {
        org.admin.pk,
        org.manager.pk,
        org.rep.pk,
        org.outsider_rep.pk,
    }


def test_the_platform_superuser_autocompletes_across_organisations(org, other, superuser_client):
    found = autocomplete(superuser_client, "calendars", "timeoff", "member", "rep@")
    assert found == {org.rep.pk, other.rep.pk}


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_autocomplete_is_refused_to_managers_and_reps(org, client_for, persona):
    response = client_for(getattr(org, persona)).get(
        "/admin/autocomplete/",
        {"app_label": "calendars", "model_name": "timeoff", "field_name": "member"},
    )
    assert response.status_code == 403


# --- Form choices -----------------------------------------------------------------------


def test_time_off_add_form_offers_only_own_members(org, other, client_for):
    response = client_for(org.admin).get("/admin/calendars/timeoff/add/")
    choices = response.context["adminform"].form.fields["member"].queryset
    assert set(choices.values_list("pk", flat=True)) == {
        org.admin.pk,
        org.manager.pk,
        org.rep.pk,
        org.outsider_rep.pk,
    }


def test_a_time_off_for_another_organisations_member_is_refused(org, other, client_for):
    response = client_for(org.admin).post(
        "/admin/calendars/timeoff/add/",
        {"member": other.rep.pk, "start": "2026-05-04", "end": "2026-05-05", "reason": ""},
    )
    assert response.status_code == 200
    assert "member" in response.context["adminform"].form.errors
    assert not TimeOff.all_tenants.exists()


# --- Holidays and time off --------------------------------------------------------------


def test_adding_a_holiday_goes_through_the_service(org, client_for):
    response = client_for(org.admin).post(
        "/admin/calendars/holiday/add/", {"date": "2026-05-01", "name": "Labour Day"}
    )

    assert response.status_code == 302
    holiday = Holiday.all_tenants.get()
    assert (holiday.tenant, holiday.date, holiday.name) == (
        org.tenant,
        dt.date(2026, 5, 1),
        "Labour Day",
    )
    assert AuditEvent.all_tenants.filter(tenant=org.tenant, action="holiday.created").exists()


def test_a_second_holiday_on_the_same_date_is_a_form_error(org, other, client_for):
    make_holiday(org)
    make_holiday(other)  # The same date in another organisation is no clash.
    client = client_for(org.admin)

    clash = client.post("/admin/calendars/holiday/add/", {"date": "2026-12-25", "name": "Again"})
    assert clash.status_code == 200
    assert clash.context["adminform"].form.errors
    assert Holiday.all_tenants.filter(tenant=org.tenant).count() == 1

    free = client.post("/admin/calendars/holiday/add/", {"date": "2026-12-26", "name": "Boxing"})
    assert free.status_code == 302


def test_renaming_and_deleting_a_holiday_go_through_the_service(org, client_for):
    holiday = make_holiday(org)
    client = client_for(org.admin)

    client.post(
        f"/admin/calendars/holiday/{holiday.pk}/change/",
        {"date": "2026-12-24", "name": "Christmas Eve"},
    )
    client.post(f"/admin/calendars/holiday/{holiday.pk}/delete/", {"post": "yes"})

    assert not Holiday.all_tenants.exists()
    actions = list(
        AuditEvent.all_tenants.filter(tenant=org.tenant)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["holiday.changed", "holiday.deleted"]


def test_overlapping_time_off_is_a_form_error_and_nothing_is_added(org, client_for):
    make_time_off(org)  # 2–6 March 2026.

    response = client_for(org.admin).post(
        "/admin/calendars/timeoff/add/",
        {"member": org.rep.pk, "start": "2026-03-06", "end": "2026-03-10", "reason": "More"},
    )

    assert response.status_code == 200
    assert "already has time off" in str(response.context["adminform"].form.non_field_errors())
    assert TimeOff.all_tenants.count() == 1


def test_adding_changing_and_deleting_time_off_go_through_the_service(org, client_for):
    client = client_for(org.admin)

    added = client.post(
        "/admin/calendars/timeoff/add/",
        {"member": org.rep.pk, "start": "2026-04-06", "end": "2026-04-10", "reason": "Easter"},
    )
    assert added.status_code == 302
    time_off = TimeOff.all_tenants.get()
    assert time_off.tenant == org.tenant
    changed = client.post(
        f"/admin/calendars/timeoff/{time_off.pk}/change/",
        {"start": "2026-04-07", "end": "2026-04-10", "reason": "Easter"},
    )
    assert changed.status_code == 302
    assert TimeOff.all_tenants.get().start == dt.date(2026, 4, 7)
    client.post(f"/admin/calendars/timeoff/{time_off.pk}/delete/", {"post": "yes"})

    assert not TimeOff.all_tenants.exists()
    actions = list(
        AuditEvent.all_tenants.filter(tenant=org.tenant)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["time_off.created", "time_off.changed", "time_off.deleted"]


def test_moving_time_off_onto_another_range_is_a_form_error(org, client_for):
    first = make_time_off(org)
    second = TimeOffFactory(member=org.rep, start=dt.date(2026, 4, 6), end=dt.date(2026, 4, 10))

    response = client_for(org.admin).post(
        f"/admin/calendars/timeoff/{second.pk}/change/",
        {"start": "2026-03-05", "end": "2026-04-10", "reason": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert TimeOff.all_tenants.get(pk=second.pk).start == dt.date(2026, 4, 6)
    assert TimeOff.all_tenants.get(pk=first.pk).end == dt.date(2026, 3, 6)


def test_the_platform_superuser_adds_time_off_in_the_members_organisation(
    org, other, superuser_client
):
    response = superuser_client.post(
        "/admin/calendars/timeoff/add/",
        {"member": other.rep.pk, "start": "2026-04-06", "end": "2026-04-07", "reason": ""},
    )
    assert response.status_code == 302
    assert TimeOff.all_tenants.get().tenant == other.tenant
