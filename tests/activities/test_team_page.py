"""The team's selling time page (activities:team) and its CSV export: managers see their
tree, admins the organisation, reps get a 403; nothing of another organisation; the
headline, the weekly trend with its table, sorting, the month selector, the sidebar link,
the manager's home card, and a query count that does not grow with the team."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from activities.models import ActivityType
from spm.tenancy.models import Role, Tenant

from ..factories import MembershipFactory
from .factories import ActivityFactory

TEAM = reverse("activities:team")
TEAM_CSV = reverse("activities:team_csv")
TODAY = dt.date(2026, 3, 18)  # A Wednesday.
MONDAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(Tenant, "today", lambda self: TODAY)
    return TODAY


def log(member, day, *, selling=0, other=0):
    def kind(name):
        return ActivityType.all_tenants.get(tenant=member.tenant, name=name)

    if selling:
        ActivityFactory(member=member, type=kind("Demo"), date=day, duration_minutes=selling)
    if other:
        ActivityFactory(member=member, type=kind("Travel"), date=day, duration_minutes=other)


@pytest.fixture
def world(org, other):
    log(org.rep, MONDAY, selling=240, other=60)  # 80 %: below the 90 % target.
    log(org.rep, MONDAY + dt.timedelta(days=1), selling=120)
    log(org.outsider_rep, MONDAY, selling=60)  # The admin's report: 100 %.
    log(other.rep, MONDAY, selling=600)
    return org


def shown(response) -> set[int]:
    return {row.member.pk for row in response.context["rows"]}


def download(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_manager_sees_their_tree(world, client_for):
    response = client_for(world.manager).get(TEAM)
    assert response.status_code == 200
    assert shown(response) == {world.rep.pk}  # The manager logged nothing: not listed.
    team = response.context["team"]
    assert team.total.selling_minutes == 360 and team.total.total_minutes == 420
    html = response.content.decode()
    assert "85.7%" in html  # 360 ÷ 420.
    assert "below the target of 90%" in html and "headline-value" not in html
    assert world.outsider_rep.name not in html


def test_the_row_shows_hours_ratio_days_and_the_flag(world, client_for):
    response = client_for(world.manager).get(TEAM)
    (row,) = response.context["rows"]
    assert str(row.hours) == "7.0"
    assert row.figures.days_logged == 2
    html = response.content.decode()
    assert "Below target" in html  # 360 ÷ 420 = 85.7 % < 90 %.


def test_an_admin_sees_the_whole_organisation(world, client_for):
    response = client_for(world.admin).get(TEAM)
    assert shown(response) == {world.rep.pk, world.outsider_rep.pk, world.manager.pk}
    assert len(response.context["team"].below) == 1


def test_reps_get_a_403_and_visitors_log_in(world, client, client_for):
    assert client.get(TEAM).status_code == 302
    assert client_for(world.rep).get(TEAM).status_code == 403
    assert client_for(world.rep).get(TEAM_CSV).status_code == 403


def test_another_organisation_sees_nothing_of_this_one(world, other, client_for):
    response = client_for(other.admin).get(TEAM)
    assert shown(response) == {other.rep.pk, other.manager.pk, other.outsider_rep.pk}
    html = response.content.decode()
    assert world.rep.name not in html


def test_a_month_is_chosen_and_a_bad_one_is_a_400(world, client_for):
    log(world.rep, dt.date(2026, 2, 10), other=60)
    client = client_for(world.manager)
    response = client.get(TEAM, {"month": "2026-02"})
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert row.figures.selling_pct == 0
    for bad in ("2026-13", "March", "1900-01"):
        assert client.get(TEAM, {"month": bad}).status_code == 400


def test_the_table_sorts_with_nothing_logged_last(world, client_for):
    idle = MembershipFactory(tenant=world.tenant, manager=world.manager)
    busy = MembershipFactory(tenant=world.tenant, manager=world.manager)
    log(busy, MONDAY, selling=60)
    client = client_for(world.manager)
    rows = client.get(TEAM, {"sort": "selling"}).context["rows"]
    assert [row.member.pk for row in rows] == [world.rep.pk, busy.pk, idle.pk]
    rows = client.get(TEAM, {"sort": "-selling"}).context["rows"]
    assert [row.member.pk for row in rows] == [busy.pk, world.rep.pk, idle.pk]
    rows = client.get(TEAM, {"sort": "-hours"}).context["rows"]
    assert [row.member.pk for row in rows] == [world.rep.pk, busy.pk, idle.pk]


def test_the_trend_chart_has_the_target_line_and_a_table(world, client_for):
    response = client_for(world.manager).get(TEAM)
    chart = response.context["chart"]
    assert chart is not None and chart["target"] > 0
    assert len(response.context["team"].trend) == 12
    html = response.content.decode()
    assert "<svg" in html and 'class="chart-reference"' in html
    assert "data-trend-table" in html and "Mon 2 Mar 2026" in html


def test_the_csv_holds_the_tables_rows_as_numbers(world, client_for):
    response = client_for(world.admin).get(TEAM_CSV, {"month": "2026-03"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="selling-time-2026-03.csv"'
    lines = download(response)
    assert lines[0][:4] == ["member", "email", "month", "hours"]
    by_email = {line[1]: line for line in lines[1:]}
    assert set(by_email) == {"rep@acme.test", "rep2@acme.test", "manager@acme.test"}
    rep = by_email["rep@acme.test"]
    assert rep[2:] == ["2026-03", "7.0", "420", "360", "60", "85.7", "90.00", "yes", "2"]
    assert by_email["manager@acme.test"][7] == ""  # Nothing logged: no ratio.


def test_the_csv_defuses_formulas_in_names(world, client_for):
    world.rep.user.name = "=HYPERLINK(1)"
    world.rep.user.save(update_fields=["name"])
    lines = download(client_for(world.manager).get(TEAM_CSV))
    assert lines[1][0] == "'=HYPERLINK(1)"


def test_the_sidebar_links_managers_and_admins_only(world, client_for):
    link = f'href="{TEAM}"'
    assert link in client_for(world.manager).get("/").content.decode()
    assert link in client_for(world.admin).get("/").content.decode()
    assert link not in client_for(world.rep).get("/").content.decode()


def test_the_managers_home_card_shows_this_week(world, client_for):
    log(world.rep, TODAY - dt.timedelta(days=2), selling=30, other=30)  # Monday the 16th.
    html = client_for(world.manager).get("/").content.decode()
    assert 'id="card-selling-time"' in html
    assert "50.0%" in html and world.rep.name in html
    assert 'id="card-selling-time"' not in client_for(world.rep).get("/").content.decode()


@pytest.mark.parametrize("size", [5, 50])
def test_the_page_reads_in_a_fixed_number_of_queries(
    world, client_for, size, django_assert_max_num_queries
):
    lead = MembershipFactory(tenant=world.tenant, role=Role.MANAGER, manager=world.manager)
    for n in range(size):
        rep = MembershipFactory(tenant=world.tenant, manager=lead if n % 2 else world.manager)
        log(rep, MONDAY + dt.timedelta(days=n % 10), selling=30 + n, other=20)
    client = client_for(world.manager)
    # Session, user and membership (with its organisation), the unread count, and three for
    # the team: reporting lines, people and one aggregate of minutes; one to spare.
    with django_assert_max_num_queries(8) as page:
        response = client.get(TEAM)
    assert len(response.context["rows"]) == size + 2
    with django_assert_max_num_queries(len(page.captured_queries)):
        response = client.get(TEAM_CSV)
        assert len(download(response)) == size + 3
