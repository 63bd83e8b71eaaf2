"""The Day page (activities:day and its writes): a member's own day with its list, the
selling-time bar and the log form; changing and deleting in place; managers read their
tree's days, admins correct anyone's; bad input shows the services' messages and saves
nothing; the same number of queries for 3 activities as for 30."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from activities.models import Activity, ActivityType

from .day_helpers import TODAY, build_land, kind, land_fixture, logged, today_fixture  # noqa: F401

DAY = reverse("activities:day")
LOG = reverse("activities:log")
HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(activity) -> str:
    return reverse("activities:edit", args=[activity.pk])


def delete_url(activity) -> str:
    return reverse("activities:delete", args=[activity.pk])


def post_log(client, org, name="Call", minutes="30", htmx=False, **fields):
    data = {"type": kind(org, name).pk, "duration_minutes": minutes, "date": TODAY.isoformat()}
    data |= fields
    return client.post(LOG, data, **(HTMX if htmx else {}))


# --- Reading the day ------------------------------------------------------------------------


def test_a_rep_sees_their_day_with_the_type_buttons_in_position_order(org, client_for, today):
    ActivityType.all_tenants.filter(tenant=org.tenant).exclude(name="Demo").update(position=5)
    ActivityType.all_tenants.filter(tenant=org.tenant, name="Demo").update(position=1)
    ActivityType.all_tenants.filter(tenant=org.tenant, name="Travel").update(active=False)
    logged(org, org.rep, "Call", 30, notes="Talked pricing")

    response = client_for(org.rep).get(DAY)

    assert response.status_code == 200
    text = response.content.decode()
    assert "My day" in text and "Talked pricing" in text
    names = [t.name for t in response.context["types"]]
    assert names[0] == "Demo" and "Travel" not in names
    assert 'data-key="1"' in text and "Nothing logged for this day yet" not in text


def test_the_bar_is_selling_minutes_over_all_minutes_against_the_target(org, client_for, today):
    org.tenant.selling_target_pct = 80
    org.tenant.save(update_fields=["selling_target_pct"])
    logged(org, org.rep, "Call", 45)
    logged(org, org.rep, "Reporting", 15)

    response = client_for(org.rep).get(DAY)

    bar = response.context["the_day"].bar
    assert (bar.selling_minutes, bar.total_minutes, str(bar.selling_pct)) == (45, 60, "75.0")
    assert bar.below_target
    text = response.content.decode()
    assert "75.0%" in text and "1 h logged" in text and "left: 80%" in text


def test_another_day_is_chosen_and_a_bad_date_is_a_400(org, client_for, today):
    logged(org, org.rep, "Call", 30, day=TODAY - dt.timedelta(days=3), notes="Friday call")
    client = client_for(org.rep)

    response = client.get(DAY, {"date": "2026-03-13"})
    assert "Friday call" in response.content.decode()
    assert response.context["next_url"].endswith("date=2026-03-14")
    assert client.get(DAY).context["next_url"] == ""  # Nothing to log after today.
    assert client.get(DAY, {"date": "2026-13-01"}).status_code == 400
    assert client.get(DAY, {"date": "1200-01-01"}).status_code == 400


def test_only_the_days_activities_of_the_member_are_listed(org, other, client_for, today):
    logged(org, org.rep, "Call", 30, notes="mine today")
    logged(org, org.rep, "Call", 30, day=TODAY - dt.timedelta(days=1), notes="mine yesterday")
    logged(org, org.outsider_rep, "Call", 30, notes="a colleague's")
    logged(other, other.rep, "Call", 30, notes="globex's")

    text = client_for(org.rep).get(DAY).content.decode()

    assert "mine today" in text
    assert "mine yesterday" not in text and "a colleague's" not in text and "globex's" not in text


# --- Logging --------------------------------------------------------------------------------


def test_a_rep_logs_an_activity_with_a_plain_form_and_is_redirected(org, client_for, today, land):
    response = post_log(client_for(org.rep), org, account=land.home.pk, notes=" Intro ")

    assert response.status_code == 302 and response["Location"].startswith(DAY)
    activity = Activity.all_tenants.get(member=org.rep)
    assert (activity.type.name, activity.duration_minutes, activity.account) == (
        "Call",
        30,
        land.home,
    )
    assert activity.notes == "Intro" and activity.date == TODAY


def test_htmx_gets_a_blank_form_and_the_new_list_and_bar_out_of_band(org, client_for, today):
    client = client_for(org.rep)
    post_log(client, org, "Reporting", "30", htmx=True)

    response = post_log(client, org, "Call", "90", htmx=True)

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count('hx-swap-oob="true"') == 2  # The bar and the list.
    assert "75.0%" in text and "2 h logged" in text
    assert "Logged call, 90 min." in text
    assert response.context["form"].is_bound is False  # Ready for the next one.


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"duration_minutes": "0"}, "duration_minutes", "whole number of minutes from 1 to 1,440"),
        ({"duration_minutes": "abc"}, "duration_minutes", "whole number of minutes"),
        ({"duration_minutes": ""}, "duration_minutes", "whole number of minutes"),
        ({"type": ""}, "type", "Choose one of the organisation's activity types."),
        ({"type": "999999"}, "type", "Choose one of the organisation's activity types."),
        ({"account": "999999"}, "account", "No such account in this organisation."),
        ({"account": "x1"}, "account", "No such account in this organisation."),
        ({"date": "2026-03-17"}, "date", "up to today"),
        ({"date": "yesterday"}, "date", "YYYY-MM-DD"),
        ({"notes": "x" * 2001}, "notes", "Notes hold up to 2,000 characters."),
        ({"notes": "a\x00b"}, "notes", "Null characters are not allowed."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_shows_the_services_message_beside_its_field_and_saves_nothing(
    org, client_for, today, fields, field, message, htmx
):
    response = post_log(client_for(org.rep), org, htmx=htmx, **fields)

    assert response.status_code == (200 if htmx else 400)
    assert message in " ".join(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Activity.all_tenants.filter(tenant=org.tenant).exists()


def test_another_organisations_type_or_account_is_refused(org, other, client_for, today):
    foreign = build_land(other).home
    response = post_log(
        client_for(org.rep), org, type=kind(other, "Call").pk, account=foreign.pk, htmx=True
    )
    errors = response.context["form"].errors
    assert "Choose one of the organisation's activity types." in errors["type"]
    assert "No such account in this organisation." in errors["account"]
    assert not Activity.all_tenants.exists()


def test_the_24_hour_message_is_shown_on_the_page_and_nothing_is_saved(org, client_for, today):
    logged(org, org.rep, "Travel", 1400)

    response = post_log(client_for(org.rep), org, "Call", "60", htmx=True)

    text = response.content.decode()
    assert "That would make 24 h 20 min on" in text
    assert "a day holds 24 hours and 23 h 20 min is logged already." in text
    assert Activity.all_tenants.filter(member=org.rep).count() == 1


def test_nobody_logs_for_someone_else(org, client_for, today):
    # The form logs for its sender; a member field posted alongside is ignored.
    post_log(client_for(org.admin), org, member=org.rep.pk)
    assert [a.member for a in Activity.all_tenants.all()] == [org.admin]


def test_logging_takes_post_only(org, client_for, today):
    assert client_for(org.rep).get(LOG).status_code == 405


# --- Changing and deleting in place ---------------------------------------------------------


def test_a_rep_edits_their_activity_in_place_and_the_bar_follows(org, client_for, today, land):
    activity = logged(org, org.rep, "Call", 30)
    logged(org, org.rep, "Reporting", 30)
    client = client_for(org.rep)

    form = client.get(edit_url(activity), {"day": TODAY.isoformat()}, **HTMX)
    assert form.status_code == 200 and "<form" in form.content.decode()

    response = client.post(
        edit_url(activity),
        {
            "type": kind(org, "Demo").pk,
            "date": TODAY.isoformat(),
            "duration_minutes": "90",
            "account": land.home.pk,
            "notes": "Demo done",
            "version": activity.version,
            "day": TODAY.isoformat(),
        },
        **HTMX,
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert f'id="activity-{activity.pk}"' in text and "Demo done" in text
    assert 'id="day-bar"' in text and "75.0%" in text  # 90 selling of 120.
    activity.refresh_from_db()
    assert (activity.type.name, activity.duration_minutes, activity.version) == ("Demo", 90, 2)


def test_a_stale_edit_shows_the_current_values(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30, notes="first")
    Activity.all_tenants.filter(pk=activity.pk).update(version=2, notes="changed elsewhere")

    response = client_for(org.rep).post(
        edit_url(activity),
        {
            "type": kind(org, "Call").pk,
            "date": TODAY.isoformat(),
            "duration_minutes": "45",
            "notes": "mine",
            "version": "1",
            "day": TODAY.isoformat(),
        },
        **HTMX,
    )

    text = response.content.decode()
    assert "was changed since you opened it" in text
    assert "changed elsewhere" in text and 'name="version" value="2"' in text
    activity.refresh_from_db()
    assert (activity.notes, activity.duration_minutes) == ("changed elsewhere", 30)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"duration_minutes": "2000"}, "whole number of minutes from 1 to 1,440"),
        ({"notes": "\x00"}, "Null characters are not allowed."),
    ],
)
def test_an_edit_with_bad_input_shows_the_message_and_changes_nothing(
    org, client_for, today, fields, message
):
    activity = logged(org, org.rep, "Call", 30)
    values = {"type": kind(org, "Call").pk, "date": TODAY.isoformat(), "duration_minutes": "45"}
    response = client_for(org.rep).post(edit_url(activity), values | fields, **HTMX)
    assert message in response.content.decode()
    activity.refresh_from_db()
    assert (activity.duration_minutes, activity.version) == (30, 1)


def test_moving_an_activity_to_another_day_takes_it_off_this_one(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30)
    response = client_for(org.rep).post(
        edit_url(activity),
        {
            "type": kind(org, "Call").pk,
            "date": "2026-03-13",
            "duration_minutes": "30",
            "day": TODAY.isoformat(),
        },
        **HTMX,
    )
    text = response.content.decode()
    assert f'id="activity-{activity.pk}"' not in text and "Nothing logged" in text


def test_delete_asks_first_then_deletes_and_updates_the_bar(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30)
    client = client_for(org.rep)

    question = client.get(delete_url(activity), {"day": TODAY.isoformat()}, **HTMX)
    assert "Delete call, 30 min?" in question.content.decode()
    assert Activity.all_tenants.filter(pk=activity.pk).exists()

    response = client.post(
        delete_url(activity), {"version": activity.version, "day": TODAY.isoformat()}, **HTMX
    )

    assert response.status_code == 200
    assert 'id="day-bar"' in response.content.decode()
    assert not Activity.all_tenants.filter(pk=activity.pk).exists()


def test_without_javascript_edit_and_delete_are_pages_that_redirect(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30)
    client = client_for(org.rep)
    assert "Edit activity" in client.get(edit_url(activity)).content.decode()
    assert "This cannot be undone" in client.get(delete_url(activity)).content.decode()
    response = client.post(delete_url(activity), {"version": activity.version})
    assert response.status_code == 302 and response["Location"].startswith(DAY)
    assert not Activity.all_tenants.filter(pk=activity.pk).exists()


# --- Who sees whose day ---------------------------------------------------------------------


def test_a_manager_reads_a_reports_day_without_changing_it(org, client_for, today):
    logged(org, org.rep, "Call", 30, notes="Call with the buyer")
    response = client_for(org.manager).get(DAY, {"member": org.rep.pk})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Call with the buyer" in text and "Read only" in text
    assert 'id="log-form"' not in text and "/edit/" not in text


def test_a_manager_may_not_change_a_reports_activity(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30)
    client = client_for(org.manager)
    assert client.get(edit_url(activity)).status_code == 403
    assert client.post(delete_url(activity)).status_code == 403
    assert Activity.all_tenants.filter(pk=activity.pk).exists()


def test_someone_outside_what_one_sees_is_a_404(org, other, client_for, today):
    outside = logged(org, org.outsider_rep, "Call", 30)
    manager = client_for(org.manager)
    assert manager.get(DAY, {"member": org.outsider_rep.pk}).status_code == 404
    assert manager.get(DAY, {"member": other.rep.pk}).status_code == 404
    assert manager.get(edit_url(outside)).status_code == 404
    assert client_for(org.rep).get(DAY, {"member": org.manager.pk}).status_code == 404
    assert client_for(org.rep).get(DAY, {"member": "me"}).status_code == 400


def test_another_organisations_activity_is_a_404_even_for_an_admin(org, other, client_for, today):
    theirs = logged(other, other.rep, "Call", 30)
    admin = client_for(org.admin)
    assert admin.get(DAY, {"member": other.rep.pk}).status_code == 404
    assert admin.get(edit_url(theirs)).status_code == 404
    assert admin.post(delete_url(theirs)).status_code == 404
    assert Activity.all_tenants.filter(pk=theirs.pk).exists()


def test_an_admin_corrects_anyones_activity_but_logs_only_their_own(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30)
    client = client_for(org.admin)

    page = client.get(DAY, {"member": org.rep.pk}).content.decode()
    assert edit_url(activity) in page and 'id="log-form"' not in page

    response = client.post(
        edit_url(activity),
        {"type": kind(org, "Call").pk, "date": TODAY.isoformat(), "duration_minutes": "20"},
    )
    assert response.status_code == 302 and f"member={org.rep.pk}" in response["Location"]
    activity.refresh_from_db()
    assert activity.duration_minutes == 20


# --- Encroachment on the saved row ----------------------------------------------------------


def test_a_selling_activity_on_someone_elses_account_says_so_on_its_row(
    org, client_for, today, land
):
    logged(org, org.rep, "Call", 30, account=land.away)
    logged(org, org.rep, "Reporting", 30, account=land.away)  # Not selling: no warning.
    logged(org, org.rep, "Call", 30, account=land.home)

    text = client_for(org.rep).get(DAY).content.decode()

    assert text.count("data-encroachment>") == 1
    assert "Northeast — owned by Priya Raman: shows as encroachment" in text


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_the_day_page_costs_the_same_queries_for_3_or_30_activities(
    org, client_for, today, land, count, django_assert_max_num_queries
):
    accounts = [land.home, land.away, land.nowhere]
    for n in range(count):
        logged(org, org.rep, ["Call", "Demo", "Reporting"][n % 3], 10, account=accounts[n % 3])
    client = client_for(org.rep)
    client.get(DAY)  # Warm the session.

    # 12: the session, user and membership (3), the activities with their types and
    # accounts, their warnings (account history, territory memberships, the tree, the
    # owners), the form's types, the picker's own accounts (the tree, the accounts) and
    # the notifications badge; 1 to spare.
    with django_assert_max_num_queries(13):
        response = client.get(DAY)

    assert len(response.context["the_day"].activities) == count


# --- The home card --------------------------------------------------------------------------


def test_reps_and_managers_see_todays_time_and_ratio_on_their_home_page(org, client_for, today):
    logged(org, org.rep, "Call", 45)
    logged(org, org.rep, "Reporting", 15)
    logged(org, org.rep, "Call", 600, day=TODAY - dt.timedelta(days=1))  # Not today.

    text = client_for(org.rep).get(reverse("home")).content.decode()

    assert 'id="card-my-day"' in text
    assert "75.0%" in text and "1 h logged" in text and DAY in text
    assert 'id="card-my-day"' in client_for(org.manager).get(reverse("home")).content.decode()
    assert 'id="card-my-day"' not in client_for(org.admin).get(reverse("home")).content.decode()


def test_everyone_has_my_day_in_the_sidebar(org, client_for, today):
    for member in (org.rep, org.manager, org.admin):
        assert f'href="{DAY}"' in client_for(member).get(reverse("home")).content.decode()


def test_an_activity_deleted_meanwhile_leaves_the_day_without_an_error(org, client_for, today):
    activity = logged(org, org.rep, "Call", 30)
    read = Activity.all_tenants.select_related("type", "account", "member__user").get(
        pk=activity.pk
    )
    Activity.all_tenants.filter(pk=activity.pk).delete()  # Between the page's read and the write.
    client = client_for(org.rep)

    with mock.patch("activities.views.day.selectors.visible_activity", return_value=read):
        edited = client.post(
            edit_url(activity),
            {"type": kind(org, "Call").pk, "date": TODAY.isoformat(), "duration_minutes": "45"},
            **HTMX,
        )
        deleted = client.post(delete_url(activity), {"version": "1"})

    assert edited.status_code == 200
    assert f'id="activity-{activity.pk}"' not in edited.content.decode()
    assert 'id="day-bar"' in edited.content.decode()
    assert deleted.status_code == 302 and deleted["Location"].startswith(DAY)
