"""The Calendar pages: holidays and time off by role, tenant isolation, htmx and no-JS paths."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import AuditEvent

from .factories import HolidayFactory, MembershipFactory, TimeOffFactory

D = dt.date
INDEX = reverse("calendars:index")
HOLIDAY_ADD = reverse("calendars:holiday_create")
TIME_OFF_ADD = reverse("calendars:time_off_create")
HTMX = {"HTTP_HX_REQUEST": "true"}


def holiday_edit(holiday) -> str:
    return reverse("calendars:holiday_edit", args=[holiday.pk])


def holiday_delete(holiday) -> str:
    return reverse("calendars:holiday_delete", args=[holiday.pk])


def time_off_edit(time_off) -> str:
    return reverse("calendars:time_off_edit", args=[time_off.pk])


def time_off_delete(time_off) -> str:
    return reverse("calendars:time_off_delete", args=[time_off.pk])


@pytest.fixture
def frozen_today():
    """Noon on Wednesday 11 March 2026 in every timezone the tests use."""
    now = dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC)
    with mock.patch.object(timezone, "now", return_value=now):
        yield D(2026, 3, 11)


def page_text(response) -> str:
    return response.content.decode()


# --- The Calendar page -------------------------------------------------------------------


def test_the_calendar_page_needs_a_login(org, client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_admins_see_an_empty_state_and_the_add_form_when_there_are_no_holidays(
    org, client_for, frozen_today
):
    response = client_for(org.admin).get(INDEX)
    assert response.status_code == 200
    text = page_text(response)
    assert "Holidays in 2026" in text
    assert "No holidays yet — add your organisation's public holidays so targets skip them." in text
    assert f'action="{HOLIDAY_ADD}"' in text
    assert "Today is Wednesday, 11 March 2026" in text


def test_the_page_lists_this_years_holidays_with_readable_dates_and_today_marked(
    org, other, client_for, frozen_today
):
    HolidayFactory(tenant=org.tenant, date=D(2026, 5, 1), name="Labour Day")
    HolidayFactory(tenant=org.tenant, date=D(2026, 3, 11), name="Founders' Day")
    HolidayFactory(tenant=org.tenant, date=D(2027, 1, 1), name="New Year 2027")
    HolidayFactory(tenant=other.tenant, date=D(2026, 6, 1), name="Globex Day")
    text = page_text(client_for(org.rep).get(INDEX))
    assert "Fri 1 May 2026" in text and "Labour Day" in text
    assert "Wed 11 Mar 2026" in text and "Today" in text
    assert "New Year 2027" not in text
    assert "Globex Day" not in text


def test_another_year_is_one_query_parameter_away(org, client_for, frozen_today):
    HolidayFactory(tenant=org.tenant, date=D(2027, 1, 1), name="New Year 2027")
    text = page_text(client_for(org.rep).get(INDEX, {"year": 2027}))
    assert "Holidays in 2027" in text and "New Year 2027" in text
    assert "This year" in text


@pytest.mark.parametrize("year", ["soon", "99999", ""])
def test_a_nonsense_year_shows_this_year(org, client_for, frozen_today, year):
    response = client_for(org.rep).get(INDEX, {"year": year})
    assert response.status_code == 200
    assert "Holidays in 2026" in page_text(response)


def test_reps_read_holidays_but_get_no_way_to_change_them(org, client_for, frozen_today):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 5, 1), name="Labour Day")
    text = page_text(client_for(org.rep).get(INDEX))
    assert "Labour Day" in text
    assert HOLIDAY_ADD not in text
    assert holiday_edit(holiday) not in text
    assert holiday_delete(holiday) not in text


def test_reps_see_only_their_own_time_off_and_cannot_add_any(org, client_for, frozen_today):
    own = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6), reason="Ski")
    TimeOffFactory(member=org.outsider_rep, start=D(2026, 4, 6), end=D(2026, 4, 7), reason="Hike")
    text = page_text(client_for(org.rep).get(INDEX))
    assert "Your time off in 2026" in text
    assert "2–6 Mar 2026" in text and "Ski" in text
    assert "Hike" not in text
    assert TIME_OFF_ADD not in text
    assert time_off_edit(own) not in text


def test_a_rep_without_time_off_gets_a_friendly_empty_state(org, client_for, frozen_today):
    text = page_text(client_for(org.rep).get(INDEX))
    assert "You have no time off in 2026" in text


def test_managers_see_the_time_off_of_their_tree_and_themselves_only(org, client_for, frozen_today):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6), reason="Rep trip")
    TimeOffFactory(member=org.manager, start=D(2026, 4, 1), end=D(2026, 4, 1), reason="Own day")
    TimeOffFactory(member=org.outsider_rep, start=D(2026, 5, 4), end=D(2026, 5, 4), reason="Hike")
    TimeOffFactory(member=org.admin, start=D(2026, 6, 1), end=D(2026, 6, 2), reason="Boss away")
    text = page_text(client_for(org.manager).get(INDEX))
    assert "Rep trip" in text and "Own day" in text
    assert "Hike" not in text and "Boss away" not in text
    assert TIME_OFF_ADD in text


def test_admins_see_everyones_time_off_and_can_filter_by_person(org, client_for, frozen_today):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6), reason="Rep trip")
    TimeOffFactory(member=org.outsider_rep, start=D(2026, 5, 4), end=D(2026, 5, 4), reason="Hike")
    client = client_for(org.admin)
    text = page_text(client.get(INDEX))
    assert "Rep trip" in text and "Hike" in text
    filtered = page_text(client.get(INDEX, {"member": org.outsider_rep.pk}))
    assert "Hike" in filtered and "Rep trip" not in filtered
    assert f"{TIME_OFF_ADD}?member={org.outsider_rep.pk}" in filtered


def test_time_off_rows_count_work_days_without_weekends_and_holidays(org, client_for, frozen_today):
    HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3), name="Good Friday")
    TimeOffFactory(member=org.rep, start=D(2026, 3, 30), end=D(2026, 4, 6))
    response = client_for(org.rep).get(INDEX)
    [row] = response.context["time_off_rows"]
    assert row["work_days"] == 5  # 30, 31 Mar, 1, 2 Apr and 6 Apr; 3 Apr is a holiday.
    assert row["status"] == "upcoming"
    assert "30 Mar – 6 Apr 2026" in page_text(response)


def test_time_off_under_way_today_is_marked_off_now(org, client_for, frozen_today):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 9), end=D(2026, 3, 13))
    assert "Off now" in page_text(client_for(org.rep).get(INDEX))


@pytest.mark.parametrize("who", ["outsider_rep", "other_tenant", "nonsense"])
def test_filtering_on_someone_a_manager_may_not_see_is_404(org, other, client_for, who):
    member = {"outsider_rep": org.outsider_rep.pk, "other_tenant": other.rep.pk, "nonsense": "x"}
    response = client_for(org.manager).get(INDEX, {"member": member[who]})
    assert response.status_code == 404


def test_the_admins_calendar_page_stays_within_its_query_budget(
    org, client_for, frozen_today, django_assert_max_num_queries
):
    team = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(20)]
    for day in range(1, 16):
        HolidayFactory(tenant=org.tenant, date=D(2026, 1, 1) + dt.timedelta(days=day * 20))
    for member in team:
        for month in (2, 6, 10):
            TimeOffFactory(member=member, start=D(2026, month, 2), end=D(2026, month, 6))
    client = client_for(org.admin)
    with django_assert_max_num_queries(9):
        response = client.get(INDEX)
    assert len(response.context["time_off_rows"]) == 50  # One full page out of 60.
    assert response.context["time_off_page"].paginator.count == 60
    assert "Page 1 of 2" in page_text(response)


def test_the_managers_calendar_page_stays_within_its_query_budget(
    org, client_for, frozen_today, django_assert_max_num_queries
):
    team = [MembershipFactory(tenant=org.tenant, manager=org.manager) for _ in range(20)]
    for member in team:
        TimeOffFactory(member=member, start=D(2026, 2, 2), end=D(2026, 2, 6))
    client = client_for(org.manager)
    with django_assert_max_num_queries(10):
        response = client.get(INDEX)
    assert len(response.context["time_off_rows"]) == 20


def test_the_reps_calendar_page_stays_within_its_query_budget(
    org, client_for, frozen_today, django_assert_max_num_queries
):
    for month in range(1, 13):
        HolidayFactory(tenant=org.tenant, date=D(2026, month, 15))
        TimeOffFactory(member=org.rep, start=D(2026, month, 2), end=D(2026, month, 4))
        TimeOffFactory(member=org.outsider_rep, start=D(2026, month, 2), end=D(2026, month, 4))
    client = client_for(org.rep)
    with django_assert_max_num_queries(8):
        response = client.get(INDEX)
    assert len(response.context["time_off_rows"]) == 12


# --- Holidays ---------------------------------------------------------------------------


def test_an_admin_adds_a_holiday_without_javascript(org, client_for, frozen_today):
    client = client_for(org.admin)
    response = client.post(HOLIDAY_ADD, {"date": "2026-05-01", "name": "Labour Day", "year": 2026})
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}?year=2026"
    holiday = Holiday.all_tenants.get(tenant=org.tenant)
    assert (holiday.date, holiday.name) == (D(2026, 5, 1), "Labour Day")
    assert AuditEvent.all_tenants.filter(action="holiday.created", actor=org.admin.user).exists()
    assert "Added Labour Day on 1 May 2026." in page_text(client.get(response["Location"]))


def test_the_add_holiday_page_works_on_its_own(org, client_for):
    response = client_for(org.admin).get(HOLIDAY_ADD)
    assert response.status_code == 200
    assert "Add a holiday" in page_text(response)


def test_an_admin_adds_a_holiday_inline_with_htmx(org, client_for, frozen_today):
    response = client_for(org.admin).post(
        HOLIDAY_ADD, {"date": "2027-01-01", "name": "New Year's Day", "year": 2026}, **HTMX
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "<html" not in text  # Only the holidays section, swapped in place.
    assert 'id="holidays"' in text
    assert "Holidays in 2027" in text and "Fri 1 Jan 2027" in text
    assert "Added New Year&#x27;s Day on 1 Jan 2027." in text
    assert response["HX-Push-Url"] == f"{INDEX}?year=2027"
    assert Holiday.all_tenants.filter(tenant=org.tenant, date=D(2027, 1, 1)).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["no-js", "htmx"])
def test_a_second_holiday_on_a_date_shows_the_services_message_and_changes_nothing(
    org, client_for, frozen_today, headers
):
    HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25), name="Christmas Day")
    response = client_for(org.admin).post(
        HOLIDAY_ADD, {"date": "2026-12-25", "name": "Xmas", "year": 2026}, **headers
    )
    assert response.status_code == 200
    assert "25 Dec 2026 is already a holiday: Christmas Day." in page_text(response)
    assert list(Holiday.all_tenants.values_list("name", flat=True)) == ["Christmas Day"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2026-05-01", "name": ""}, "This field is required."),
        ({"date": "someday", "name": "Party"}, "Enter a valid date."),
        ({"date": "2026-05-01", "name": "   "}, "This field is required."),
    ],
)
def test_bad_holiday_input_shows_a_message_and_saves_nothing(
    org, client_for, frozen_today, data, message
):
    response = client_for(org.admin).post(HOLIDAY_ADD, data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert not Holiday.all_tenants.exists()


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_may_not_add_change_or_delete_holidays(org, client_for, role):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 5, 1), name="Labour Day")
    client = client_for(getattr(org, role))
    assert client.get(HOLIDAY_ADD).status_code == 403
    assert client.post(HOLIDAY_ADD, {"date": "2026-06-01", "name": "Mine"}).status_code == 403
    assert client.get(holiday_edit(holiday)).status_code == 403
    assert (
        client.post(holiday_edit(holiday), {"date": "2026-06-01", "name": "X"}).status_code == 403
    )
    assert client.post(holiday_delete(holiday)).status_code == 403
    assert list(Holiday.all_tenants.values_list("date", "name")) == [(D(2026, 5, 1), "Labour Day")]


def test_another_tenants_holiday_is_404_to_edit_or_delete(org, other, client_for):
    holiday = HolidayFactory(tenant=other.tenant, date=D(2026, 5, 1), name="Theirs")
    client = client_for(org.admin)
    assert client.get(holiday_edit(holiday)).status_code == 404
    assert (
        client.post(holiday_edit(holiday), {"date": "2026-06-01", "name": "X"}).status_code == 404
    )
    assert client.get(holiday_delete(holiday)).status_code == 404
    assert client.post(holiday_delete(holiday)).status_code == 404
    holiday.refresh_from_db()
    assert (holiday.date, holiday.name) == (D(2026, 5, 1), "Theirs")


def test_an_admin_edits_a_holiday(org, client_for):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 4, 3), name="Good Fri")
    client = client_for(org.admin)
    form_page = page_text(client.get(holiday_edit(holiday)))
    assert 'value="2026-04-03"' in form_page and 'value="Good Fri"' in form_page
    response = client.post(holiday_edit(holiday), {"date": "2026-04-06", "name": "Easter Monday"})
    assert response.status_code == 302
    holiday.refresh_from_db()
    assert (holiday.date, holiday.name) == (D(2026, 4, 6), "Easter Monday")


def test_moving_a_holiday_onto_another_shows_why_and_changes_nothing(org, client_for):
    HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25), name="Christmas Day")
    boxing = HolidayFactory(tenant=org.tenant, date=D(2026, 12, 26), name="Boxing Day")
    response = client_for(org.admin).post(
        holiday_edit(boxing), {"date": "2026-12-25", "name": "Boxing Day"}
    )
    assert response.status_code == 200
    assert "already a holiday: Christmas Day" in page_text(response)
    boxing.refresh_from_db()
    assert boxing.date == D(2026, 12, 26)


def test_deleting_a_holiday_without_javascript_asks_first(org, client_for):
    holiday = HolidayFactory(tenant=org.tenant, date=D(2026, 5, 1), name="Labour Day")
    client = client_for(org.admin)
    confirm = client.get(holiday_delete(holiday))
    assert confirm.status_code == 200
    assert "Delete Labour Day?" in page_text(confirm)
    assert "Friday, 1 May 2026 becomes a work day again" in page_text(confirm)
    assert Holiday.all_tenants.filter(pk=holiday.pk).exists()
    response = client.post(holiday_delete(holiday))
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}?year=2026"
    assert not Holiday.all_tenants.filter(pk=holiday.pk).exists()


def test_deleting_a_holiday_with_htmx_returns_the_updated_list(org, client_for, frozen_today):
    labour = HolidayFactory(tenant=org.tenant, date=D(2026, 5, 1), name="Labour Day")
    HolidayFactory(tenant=org.tenant, date=D(2026, 12, 25), name="Christmas Day")
    response = client_for(org.admin).post(holiday_delete(labour), **HTMX)
    assert response.status_code == 200
    text = page_text(response)
    assert "<html" not in text
    assert "Deleted Labour Day (1 May 2026)." in text
    assert "Christmas Day" in text
    assert holiday_delete(labour) not in text
    assert not Holiday.all_tenants.filter(pk=labour.pk).exists()


# --- Time off ---------------------------------------------------------------------------


def test_an_admin_books_time_off_for_anyone(org, client_for):
    client = client_for(org.admin)
    form_page = page_text(client.get(TIME_OFF_ADD, {"member": org.outsider_rep.pk}))
    assert f'<option value="{org.outsider_rep.pk}" selected>' in form_page
    response = client.post(
        TIME_OFF_ADD,
        {
            "member": org.outsider_rep.pk,
            "start": "2026-03-02",
            "end": "2026-03-06",
            "reason": "Ski",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}?year=2026&member={org.outsider_rep.pk}"
    time_off = TimeOff.all_tenants.get(member=org.outsider_rep)
    assert (time_off.start, time_off.end, time_off.reason) == (D(2026, 3, 2), D(2026, 3, 6), "Ski")
    assert f"Booked time off for {org.outsider_rep.name}" in page_text(
        client.get(response["Location"])
    )


def test_a_manager_books_time_off_for_their_reports_but_not_for_others(org, client_for):
    client = client_for(org.manager)
    form_page = page_text(client.get(TIME_OFF_ADD))
    assert f'value="{org.rep.pk}"' in form_page
    assert f'value="{org.outsider_rep.pk}"' not in form_page
    response = client.post(
        TIME_OFF_ADD, {"member": org.rep.pk, "start": "2026-03-02", "end": "2026-03-06"}
    )
    assert response.status_code == 302
    assert TimeOff.all_tenants.filter(member=org.rep).exists()
    refused = client.post(
        TIME_OFF_ADD, {"member": org.outsider_rep.pk, "start": "2026-03-02", "end": "2026-03-06"}
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in page_text(refused)
    assert not TimeOff.all_tenants.filter(member=org.outsider_rep).exists()


def test_a_member_of_another_tenant_cannot_be_chosen(org, other, client_for):
    response = client_for(org.admin).post(
        TIME_OFF_ADD, {"member": other.rep.pk, "start": "2026-03-02", "end": "2026-03-06"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    assert not TimeOff.all_tenants.exists()


def test_overlapping_time_off_shows_the_booked_dates_and_saves_nothing(org, client_for):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    response = client_for(org.manager).post(
        TIME_OFF_ADD, {"member": org.rep.pk, "start": "2026-03-06", "end": "2026-03-10"}
    )
    assert response.status_code == 200
    assert "already has time off from 2 Mar 2026 to 6 Mar 2026" in page_text(response)
    assert TimeOff.all_tenants.count() == 1


def test_time_off_ending_before_it_starts_shows_the_message_on_the_end_date(org, client_for):
    response = client_for(org.admin).post(
        TIME_OFF_ADD, {"member": org.rep.pk, "start": "2026-03-06", "end": "2026-03-02"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "end": ["The end date must be on or after the start date."]
    }
    assert not TimeOff.all_tenants.exists()


def test_reps_may_not_add_change_or_delete_time_off_even_their_own(org, client_for):
    own = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    client = client_for(org.rep)
    assert client.get(TIME_OFF_ADD).status_code == 403
    body = {"member": org.rep.pk, "start": "2026-04-01", "end": "2026-04-02"}
    assert client.post(TIME_OFF_ADD, body).status_code == 403
    assert client.get(time_off_edit(own)).status_code == 403
    assert (
        client.post(time_off_edit(own), {"start": "2026-03-02", "end": "2026-03-20"}).status_code
        == 403
    )
    assert client.post(time_off_delete(own)).status_code == 403
    own.refresh_from_db()
    assert own.end == D(2026, 3, 6)
    assert TimeOff.all_tenants.count() == 1


def test_time_off_outside_a_managers_tree_is_404(org, client_for):
    theirs = TimeOffFactory(member=org.outsider_rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    client = client_for(org.manager)
    assert client.get(time_off_edit(theirs)).status_code == 404
    assert (
        client.post(time_off_edit(theirs), {"start": "2026-03-02", "end": "2026-03-20"}).status_code
        == 404
    )
    assert client.get(time_off_delete(theirs)).status_code == 404
    assert client.post(time_off_delete(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.end == D(2026, 3, 6)


def test_another_tenants_time_off_is_404(org, other, client_for):
    theirs = TimeOffFactory(member=other.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    client = client_for(org.admin)
    assert client.get(time_off_edit(theirs)).status_code == 404
    assert (
        client.post(time_off_edit(theirs), {"start": "2026-03-02", "end": "2026-03-20"}).status_code
        == 404
    )
    assert client.post(time_off_delete(theirs)).status_code == 404
    assert TimeOff.all_tenants.filter(pk=theirs.pk, end=D(2026, 3, 6)).exists()


def test_a_manager_edits_time_off_in_their_tree(org, client_for):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    client = client_for(org.manager)
    form_page = page_text(client.get(time_off_edit(time_off)))
    assert f"Edit time off for {org.rep.name}" in form_page
    assert 'name="member"' not in form_page  # Time off stays with its member.
    response = client.post(
        time_off_edit(time_off), {"start": "2026-03-02", "end": "2026-03-09", "reason": "Longer"}
    )
    assert response.status_code == 302
    time_off.refresh_from_db()
    assert (time_off.end, time_off.reason) == (D(2026, 3, 9), "Longer")


def test_editing_time_off_into_an_overlap_shows_why_and_changes_nothing(org, client_for):
    TimeOffFactory(member=org.rep, start=D(2026, 3, 9), end=D(2026, 3, 13))
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    response = client_for(org.admin).post(
        time_off_edit(time_off), {"start": "2026-03-02", "end": "2026-03-10", "reason": ""}
    )
    assert response.status_code == 200
    assert "from 9 Mar 2026 to 13 Mar 2026" in page_text(response)
    time_off.refresh_from_db()
    assert (time_off.end, time_off.reason) == (D(2026, 3, 6), "Vacation")


def test_deleting_time_off_without_javascript_asks_first(org, client_for):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    client = client_for(org.manager)
    confirm = client.get(time_off_delete(time_off))
    assert confirm.status_code == 200
    assert f"Delete time off for {org.rep.name}?" in page_text(confirm)
    assert TimeOff.all_tenants.filter(pk=time_off.pk).exists()
    response = client.post(time_off_delete(time_off))
    assert response.status_code == 302
    assert not TimeOff.all_tenants.filter(pk=time_off.pk).exists()


def test_deleting_time_off_with_htmx_removes_its_row(org, client_for):
    time_off = TimeOffFactory(member=org.rep, start=D(2026, 3, 2), end=D(2026, 3, 6))
    response = client_for(org.admin).post(time_off_delete(time_off), **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert not TimeOff.all_tenants.filter(pk=time_off.pk).exists()
