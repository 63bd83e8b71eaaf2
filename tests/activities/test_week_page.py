"""The week view (activities:week): an ISO week, Monday first, each day's minutes and
selling ratio with its bar and a link to its Day page, the week's totals, the weeks
around it; managers read their tree's weeks, admins anyone's; one aggregate query."""

import datetime as dt

import pytest
from django.urls import reverse

from .day_helpers import TODAY, logged, today_fixture  # noqa: F401

WEEK = reverse("activities:week")
MONDAY = TODAY  # 16 March 2026.


def test_each_day_of_the_week_has_its_minutes_and_selling_ratio(org, client_for, today):
    logged(org, org.rep, "Call", 45, day=MONDAY)
    logged(org, org.rep, "Reporting", 15, day=MONDAY)
    logged(org, org.rep, "Demo", 60, day=MONDAY - dt.timedelta(days=4))  # Thursday before.
    logged(org, org.rep, "Call", 30, day=MONDAY - dt.timedelta(days=1))  # Sunday before.

    response = client_for(org.rep).get(WEEK, {"date": "2026-03-12"})  # Thursday.

    week = response.context["week"]
    assert (week.start, week.end) == (dt.date(2026, 3, 9), dt.date(2026, 3, 15))
    by_day = {bar.start: bar for bar in week.days}
    assert len(by_day) == 7
    assert by_day[dt.date(2026, 3, 12)].total_minutes == 60
    assert str(by_day[dt.date(2026, 3, 12)].selling_pct) == "100.0"
    assert by_day[dt.date(2026, 3, 10)].selling_pct is None
    assert (week.total.total_minutes, week.total.selling_minutes) == (90, 90)
    text = response.content.decode()
    assert "Monday" in text and "Sunday" in text
    assert f"{reverse('activities:day')}?date=2026-03-12" in text
    assert "1 h 30 min" in text  # The week's total.


def test_this_weeks_totals_and_the_weeks_around_it(org, client_for, today):
    logged(org, org.rep, "Call", 45, day=MONDAY)
    logged(org, org.rep, "Reporting", 15, day=MONDAY)

    response = client_for(org.rep).get(WEEK)

    assert str(response.context["week"].total.selling_pct) == "75.0"
    assert "75.0%" in response.content.decode()
    assert response.context["previous_url"].endswith("date=2026-03-09")
    assert response.context["next_url"] == ""  # Next week has not started.
    older = client_for(org.rep).get(WEEK, {"date": "2026-03-01"})
    assert older.context["next_url"].endswith("date=2026-03-02")


def test_a_bad_date_is_a_400(org, client_for, today):
    assert client_for(org.rep).get(WEEK, {"date": "16/03/2026"}).status_code == 400


def test_a_manager_reads_a_reports_week_and_nobody_elses(org, other, client_for, today):
    logged(org, org.rep, "Call", 50, day=MONDAY)
    client = client_for(org.manager)

    response = client.get(WEEK, {"member": org.rep.pk})
    assert response.status_code == 200
    assert response.context["week"].total.total_minutes == 50
    assert f"member={org.rep.pk}" in response.content.decode()  # The days open theirs.
    assert "Read only" in response.content.decode()
    assert client.get(WEEK, {"member": org.outsider_rep.pk}).status_code == 404
    assert client.get(WEEK, {"member": other.rep.pk}).status_code == 404
    assert client_for(org.rep).get(WEEK, {"member": org.manager.pk}).status_code == 404


def test_an_admin_reads_anyones_week_in_the_organisation_only(org, other, client_for, today):
    logged(org, org.outsider_rep, "Call", 20, day=MONDAY)
    client = client_for(org.admin)
    response = client.get(WEEK, {"member": org.outsider_rep.pk})
    assert response.context["week"].total.total_minutes == 20
    assert client.get(WEEK, {"member": other.rep.pk}).status_code == 404


def test_another_organisations_minutes_never_count(org, other, client_for, today):
    logged(other, other.rep, "Call", 600, day=MONDAY)
    assert client_for(org.rep).get(WEEK).context["week"].total.total_minutes == 0


@pytest.mark.parametrize("count", [3, 30])
def test_the_week_costs_the_same_queries_whatever_was_logged(
    org, client_for, today, count, django_assert_max_num_queries
):
    for n in range(count):
        logged(org, org.rep, ["Call", "Reporting"][n % 2], 10, day=MONDAY - dt.timedelta(n % 7))
    client = client_for(org.rep)
    client.get(WEEK, {"date": "2026-03-12"})

    # The session, user and membership (3), the week's minutes by day and category, the
    # notifications badge; 1 to spare.
    with django_assert_max_num_queries(6):
        response = client.get(WEEK, {"date": "2026-03-12"})

    assert response.context["week"].total.total_minutes > 0
