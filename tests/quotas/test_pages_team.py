"""Team attainment: a manager's reporting tree (an admin's choice of team, or the whole
organisation), the headline shares, the sortable per-person table, the distribution and
pace charts, month and metric selectors, the CSV and XLSX exports with the page's role
rules, and a query budget that holds for 50 reps."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from quotas.models import Metric
from spm.tenancy.models import Role

from ..factories import MembershipFactory
from .compute_factories import LONG_AGO
from .page_factories import compute_march, quota, sale, today_fixture  # noqa: F401

TEAM = reverse("quotas:team")
TEAM_CSV = reverse("quotas:team_csv")
TEAM_XLSX = reverse("quotas:team_xlsx")


def download(response) -> str:
    return b"".join(response.streaming_content).decode()


def build(org, size: int = 9):
    """``size`` reps under the manager besides acme's rep, with 2,200 quotas: every tenth
    sold 2,640 (120%), the others 1,100 (50%, on pace half way); a team lead with a team
    quota and one rep who met theirs; the outsider rep (the admin's) at 25%."""
    reps = [org.rep]
    for _ in range(size):
        reps.append(MembershipFactory(tenant=org.tenant, manager=org.manager, start_date=LONG_AGO))
    for n, rep in enumerate(reps):
        quota(rep, "2200.00")
        sale(rep, "2640.00" if n % 10 == 0 else "1100.00", dt.date(2026, 3, 2))
    lead = MembershipFactory(
        tenant=org.tenant, role=Role.MANAGER, manager=org.manager, start_date=LONG_AGO
    )
    lead_rep = MembershipFactory(tenant=org.tenant, manager=lead, start_date=LONG_AGO)
    quota(lead, "4400.00")
    quota(lead_rep, "2200.00")
    sale(lead_rep, "2200.00", dt.date(2026, 3, 2))
    quota(org.outsider_rep, "2200.00")
    sale(org.outsider_rep, "550.00", dt.date(2026, 3, 3))
    quota(org.rep, "11", metric=Metric.DEALS)
    compute_march(org.tenant)
    return reps, lead, lead_rep


@pytest.fixture
def world(org, today):
    return build(org)


def members_of(response) -> list[int]:
    return [row.member.pk for row in response.context["rows"]]


def test_a_manager_sees_their_tree_with_the_headline_share(org, client_for, world):
    reps, lead, lead_rep = world

    response = client_for(org.manager).get(TEAM)

    assert response.status_code == 200
    assert set(members_of(response)) == {r.pk for r in reps} | {lead.pk, lead_rep.pk}
    team = response.context["team"]
    assert (team.reps, team.at_or_above_100) == (11, 2)  # acme's rep and lead_rep.
    text = response.content.decode()
    assert "data-headline>18.2%<" in text
    assert "2 of 11 reps with figures have reached their quota" in text
    assert "Team quota" in text  # The lead's row.
    assert org.outsider_rep.name not in text


def test_an_admin_sees_the_whole_organisation_or_chooses_a_team(org, client_for, world):
    _reps, lead, lead_rep = world
    client = client_for(org.admin)

    everyone = client.get(TEAM)
    assert org.outsider_rep.pk in members_of(everyone)
    assert org.manager.pk not in members_of(everyone)  # No quota of their own this month.
    assert everyone.context["team"].manager is None
    assert "The whole organisation" in everyone.content.decode()

    leads = client.get(TEAM, {"manager": lead.pk})
    assert members_of(leads) == [lead_rep.pk]
    assert f"{lead.name}'s team" in leads.content.decode()


def test_a_manager_may_look_at_a_team_below_them_only(org, other, client_for, world):
    _, lead, lead_rep = world
    client = client_for(org.manager)

    assert members_of(client.get(TEAM, {"manager": lead.pk})) == [lead_rep.pk]
    # The admin leads the outsider: not the manager's to see. Another organisation's: 404.
    assert client.get(TEAM, {"manager": org.admin.pk}).status_code == 404
    assert client.get(TEAM, {"manager": other.manager.pk}).status_code == 404
    assert client.get(TEAM_CSV, {"manager": org.admin.pk}).status_code == 404
    assert client_for(org.admin).get(TEAM, {"manager": other.manager.pk}).status_code == 404


def test_reps_may_not_open_the_team_page_or_its_exports(org, client_for, world):
    client = client_for(org.rep)
    for url in (TEAM, TEAM_CSV, TEAM_XLSX):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "params",
    [{"month": "2026-00"}, {"metric": "profit"}, {"manager": "me"}, {"month": "March"}],
)
def test_bad_parameters_are_a_400(org, client_for, today, params):
    assert client_for(org.manager).get(TEAM, params).status_code == 400


def test_the_table_sorts_by_any_figure_with_unknowns_last(org, client_for, world):
    _reps, _lead, lead_rep = world

    response = client_for(org.manager).get(TEAM, {"sort": "-attainment"})

    rows = response.context["rows"]
    figures = [row.attainment_pct for row in rows]
    assert figures == sorted(figures, reverse=True)
    assert rows[0].member.pk in {org.rep.pk, lead_rep.pk}
    text = response.content.decode()
    assert 'aria-sort="descending"' in text
    assert "sort=attainment" in text  # Clicking again reverses it.

    ascending = client_for(org.manager).get(TEAM, {"sort": "name"}).context["rows"]
    names = [row.member.name.lower() for row in ascending]
    assert names == sorted(names)


def test_an_unknown_sort_falls_back_to_names(org, client_for, world):
    response = client_for(org.manager).get(TEAM, {"sort": "salary"})
    assert response.status_code == 200 and response.context["sort"]["key"] == "name"


def test_the_charts_are_drawn_with_their_figures_as_tables(org, client_for, world):
    text = client_for(org.manager).get(TEAM).content.decode()

    assert 'aria-labelledby="distribution-title distribution-desc"' in text
    assert "50–75%: 9 reps." in text and "100–125%: 2 reps." in text
    assert 'aria-labelledby="pace-title pace-desc"' in text
    assert "Fri 13 Mar" in text and "Mon 16 Mar" in text  # The pace table, one row a day.
    assert "<script" not in text.split('<main id="main"')[1]  # Drawn by the server.


def test_the_month_and_metric_are_chosen(org, client_for, world):
    client = client_for(org.manager)

    deals = client.get(TEAM, {"metric": "deals"})
    assert members_of(deals) == [org.rep.pk]

    activities = client.get(TEAM, {"metric": "activities"})
    assert "No activities quotas for March 2026" in activities.content.decode()

    quota(org.rep, "3000.00", month=dt.date(2026, 2, 1))
    february = client.get(TEAM, {"month": "2026-02"})
    assert members_of(february) == [org.rep.pk]
    assert february.context["team"].month == dt.date(2026, 2, 1)


def test_a_metric_without_a_data_source_says_so(org, client_for, today):
    quota(org.rep, "40", metric=Metric.ACTIVITIES)

    text = client_for(org.manager).get(TEAM, {"metric": "activities"}).content.decode()

    assert "No data source." in text


def test_the_managers_home_card_shows_the_headline(org, client_for, world):
    text = client_for(org.manager).get(reverse("home")).content.decode()

    assert "data-card-headline>18.2%<" in text
    assert f'href="{TEAM}"' in text


# --- Exports ----------------------------------------------------------------------------------


def test_the_csv_export_has_a_header_and_figures_as_numbers(org, client_for, world):
    reps, lead, _lead_rep = world

    response = client_for(org.manager).get(TEAM_CSV, {"sort": "-pace"})

    assert response["Content-Type"].startswith("text/csv")
    assert "team-attainment-acme-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download(response))))
    assert len(rows) == len(reps) + 2
    mine = next(row for row in rows if row["email"] == org.rep.user.email)
    assert mine["effective_amount"] == "2200.00"
    assert mine["achieved"] == "2640.00"
    assert mine["attainment_pct"] == "120.00"
    assert mine["team_quota"] == "no" and mine["month"] == "2026-03"
    assert next(row for row in rows if row["email"] == lead.user.email)["team_quota"] == "yes"


def test_the_xlsx_export_holds_the_same_rows_with_numbers(org, client_for, world):
    reps, _, _ = world

    response = client_for(org.admin).get(TEAM_XLSX)

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("member", "email", "team_quota")
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert len(records) == len(reps) + 3  # The whole organisation: the outsider too.
    mine = next(record for record in records if record["email"] == org.rep.user.email)
    assert mine["achieved"] == 2640 and isinstance(mine["achieved"], float | int)
    assert mine["attainment_pct"] == 120
    outsider = next(r for r in records if r["email"] == org.outsider_rep.user.email)
    assert outsider["pace_pct"] == pytest.approx(50.0)


def test_a_text_cell_that_looks_like_a_formula_is_defused(org, client_for, today):
    org.rep.user.name = "=HYPERLINK(1)"
    org.rep.user.save()
    quota(org.rep)

    text = download(client_for(org.manager).get(TEAM_CSV))

    assert "'=HYPERLINK(1)" in text


# --- Query budget -------------------------------------------------------------------------------


TEAM_PAGE_BUDGET = 16  # Session and membership, reporting lines (twice), quotas, figures…


@pytest.mark.parametrize("size", [5, 50])
@pytest.mark.parametrize("who", ["manager", "admin"])
def test_the_team_page_reads_a_fixed_number_of_queries(
    org, client_for, today, size, who, django_assert_max_num_queries
):
    build(org, size)
    client = client_for(getattr(org, who))
    client.get(TEAM)  # Warm the session.
    with django_assert_max_num_queries(TEAM_PAGE_BUDGET):
        response = client.get(TEAM)
    assert len(response.context["rows"]) >= size + 3
    assert response.context["team"].share_at_or_above_100 is not None
    assert Decimal(response.context["team"].share_on_pace) > 0


# The page and every app's cards for a manager (tests/test_web.py counts them), with both
# quota cards showing figures: the same for 5 reps or 50.
HOME_BUDGET = 31


@pytest.mark.parametrize("size", [5, 50])
def test_the_managers_home_with_both_quota_cards_reads_a_fixed_number_of_queries(
    org, client_for, today, size, django_assert_max_num_queries
):
    build(org, size)
    quota(org.manager, "50000.00")
    compute_march(org.tenant)
    client = client_for(org.manager)
    client.get(reverse("home"))
    with django_assert_max_num_queries(HOME_BUDGET):
        text = client.get(reverse("home")).content.decode()
    assert "card-my-quota" in text and "card-team-attainment" in text
