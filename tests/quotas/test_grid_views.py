"""The manager's quota grid: who may open and change it, saving cells (all or nothing,
stale versions), bulk actions, and its query budget with 50 reps."""

import datetime as dt
import itertools
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from quotas.models import Quota, QuotaChange, Sale, SeasonalityProfile
from quotas.selectors.grid import fiscal_months, quota_grid
from quotas.selectors.progress import achievability_for
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import MembershipFactory, UserFactory
from ..territories.factories import AccountFactory

GRID = reverse("quotas:grid")
SAVE = reverse("quotas:grid_save")
PUBLISH = reverse("quotas:grid_publish")
COPY = reverse("quotas:grid_copy_last_year")
SPREAD = reverse("quotas:grid_spread")
YEAR = 2026
JSON = {"HTTP_ACCEPT": "application/json"}
_sales = itertools.count(1)


def make_sale(member, amount: Decimal, closed_on: dt.date) -> Sale:
    """A sale of ``member`` on an account of their organisation."""
    return Sale.all_tenants.create(
        tenant=member.tenant,
        member=member,
        account=AccountFactory(tenant=member.tenant),
        amount=amount,
        closed_on=closed_on,
        external_id=f"S-{next(_sales)}",
    )


def make_quota(member, month: dt.date, amount: str, **fields) -> Quota:
    return Quota.all_tenants.create(
        tenant=member.tenant,
        member=member,
        month=month,
        metric=fields.pop("metric", "revenue"),
        amount=Decimal(amount),
        **fields,
    )


def cells(**values) -> dict:
    """Form data for cells given as ``c_<member>_<YYYY_MM>="amount"``."""
    data = {"year": YEAR, "metric": "revenue"}
    for name, value in values.items():
        _, member, year, month = name.split("_")
        data[f"c-{member}-{year}-{month}"] = value
    return data


def field(member, month: dt.date, version: int | None = None) -> str:
    """The name of a cell's input: the version it read travels in it."""
    name = f"c-{member.pk}-{month:%Y-%m}"
    return name if version is None else f"{name}-v{version}"


def stored(tenant) -> dict:
    return {
        (q.member_id, q.month): (q.amount, q.version)
        for q in Quota.all_tenants.filter(tenant=tenant)
    }


MARCH = dt.date(YEAR, 3, 1)
APRIL = dt.date(YEAR, 4, 1)


# --- Who may --------------------------------------------------------------------------


def test_a_manager_sees_their_team_and_their_own_row_read_only(org, client_for):
    response = client_for(org.manager).get(GRID, {"year": YEAR})
    assert response.status_code == 200
    grid = response.context["grid"]
    rows = {row.member_id: row for row in grid.rows}
    assert set(rows) == {org.manager.pk, org.rep.pk}
    assert not rows[org.manager.pk].editable and rows[org.manager.pk].is_team
    assert rows[org.rep.pk].editable
    html = response.content.decode()
    assert f'name="{field(org.rep, MARCH, 0)}"' in html
    assert f'name="{field(org.manager, MARCH, 0)}"' not in html
    assert org.outsider_rep.user.email not in html


def test_an_admin_sees_the_whole_organisation(org, other, client_for):
    grid = client_for(org.admin).get(GRID, {"year": YEAR}).context["grid"]
    ids = [row.member_id for row in grid.rows]
    assert set(ids) == {org.admin.pk, org.manager.pk, org.rep.pk, org.outsider_rep.pk}
    assert all(row.editable for row in grid.rows)
    assert other.rep.pk not in ids


def test_a_rep_may_not_open_or_post_to_the_grid(org, client_for):
    client = client_for(org.rep)
    assert client.get(GRID).status_code == 403
    response = client.post(SAVE, cells(**{f"c_{org.rep.pk}_2026_03": "100"}), **JSON)
    assert response.status_code == 403
    assert not Quota.all_tenants.exists()


def test_visitors_are_sent_to_log_in(client):
    assert client.get(GRID).status_code == 302


def test_a_director_sees_each_managers_team_as_one_row_that_opens(org, client_for):
    team_lead = MembershipFactory(
        tenant=org.tenant, role=Role.MANAGER, manager=org.manager, user=UserFactory(name="Lee")
    )
    report = MembershipFactory(tenant=org.tenant, manager=team_lead, user=UserFactory(name="Ray"))
    make_quota(report, MARCH, "700")
    make_quota(team_lead, MARCH, "1000")
    grid = client_for(org.manager).get(GRID, {"year": YEAR}).context["grid"]
    rows = {row.member_id: row for row in grid.rows}
    assert rows[team_lead.pk].is_team and rows[team_lead.pk].collapsed
    assert rows[report.pk].hidden and rows[report.pk].editable
    assert rows[team_lead.pk].cells[2].allocated == Decimal("700.00")
    # The director's own team quota sums their direct reports: the team lead's number.
    assert rows[org.manager.pk].cells[2].allocated == Decimal("1000.00")
    assert grid.column_totals[2] == Decimal("700.00")  # Individual quotas only.
    opened = client_for(org.manager).get(GRID, {"year": YEAR, "expand": "all"}).context["grid"]
    assert not any(row.hidden for row in opened.rows)


def test_people_employed_at_no_time_in_the_year_are_left_out(org, client_for):
    gone = MembershipFactory(
        tenant=org.tenant,
        manager=org.manager,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(YEAR - 1, 12, 31),
    )
    joiner = MembershipFactory(tenant=org.tenant, manager=org.manager, start_date=APRIL)
    grid = client_for(org.manager).get(GRID, {"year": YEAR}).context["grid"]
    ids = {row.member_id for row in grid.rows}
    assert joiner.pk in ids and gone.pk not in ids
    # Before their first day a joiner has no capacity, and the service refuses a quota.
    row = next(row for row in grid.rows if row.member_id == joiner.pk)
    assert row.cells[2].capacity_days == 0 and row.cells[3].capacity_days > 0
    response = client_for(org.manager).post(
        SAVE, {**cells(), field(joiner, MARCH, 0): "100"}, **JSON
    )
    assert response.status_code == 400
    assert "starts on" in response.json()["errors"][f"{joiner.pk}:2026-03"]


def test_the_fiscal_year_starts_in_the_organisations_month(org, client_for):
    org.tenant.fiscal_year_start_month = 4
    org.tenant.save()
    grid = client_for(org.manager).get(GRID, {"year": YEAR}).context["grid"]
    assert grid.months[0] == dt.date(2026, 4, 1) and grid.months[-1] == dt.date(2027, 3, 1)
    assert grid.year_label == "FY 2026/27"


def test_a_bad_year_or_metric_is_a_400(org, client_for):
    client = client_for(org.manager)
    assert client.get(GRID, {"year": "20x6"}).status_code == 400
    assert client.get(GRID, {"metric": "smiles"}).status_code == 400
    assert client.get(GRID, {"year": "9999"}).status_code == 400


# --- Saving cells ---------------------------------------------------------------------


def test_a_cell_saves_and_answers_with_its_version_and_the_totals(org, client_for):
    make_quota(org.rep, APRIL, "500")
    response = client_for(org.manager).post(
        SAVE, {**cells(), field(org.rep, MARCH, 0): "1,200"}, **JSON
    )
    assert response.status_code == 200, response.content
    body = response.json()
    key = f"{org.rep.pk}:2026-03"
    assert body["cells"][key]["amount"] == "1200.00"
    assert body["cells"][key]["version"] == 1
    assert body["cells"][key]["status"] == "draft"
    assert body["rows"][str(org.rep.pk)] == "1700.00"
    assert body["teams"][str(org.manager.pk)]["allocated_total"] == "1700.00"
    assert body["columns"][2] == "1200.00" and body["grand_total"] == "1700.00"
    assert body["message"] == "Saved 1 cell."
    assert stored(org.tenant)[(org.rep.pk, MARCH)] == (Decimal("1200.00"), 1)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "Enter an amount of 0 or more."),
        ("twelve", "Enter a number, e.g. 12500.00."),
        ("1000000000000", "That is too large"),
        ("10.555", "Use at most 2 decimal places."),
    ],
)
def test_bad_input_is_refused_by_cell_and_changes_nothing(org, client_for, typed, message):
    make_quota(org.rep, APRIL, "500")
    before = stored(org.tenant)
    response = client_for(org.manager).post(
        SAVE,
        {**cells(), field(org.rep, MARCH): "100", field(org.rep, APRIL): typed},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json()["errors"][f"{org.rep.pk}:2026-04"].startswith(message)
    assert stored(org.tenant) == before


def test_deals_are_whole_numbers(org, client_for):
    data = {"year": YEAR, "metric": "deals", field(org.rep, MARCH): "2.5"}
    response = client_for(org.manager).post(SAVE, data, **JSON)
    assert response.status_code == 400
    assert (
        response.json()["errors"][f"{org.rep.pk}:2026-03"] == "Deals are counted in whole numbers."
    )


def test_a_stale_cell_shows_the_current_value_and_overwrites_nothing(org, client_for):
    quota = make_quota(org.rep, MARCH, "500", version=4)
    response = client_for(org.manager).post(
        SAVE,
        {
            **cells(),
            field(org.rep, MARCH, 3): "900",
            field(org.rep, APRIL, 0): "100",
        },
        **JSON,
    )
    assert response.status_code == 409
    body = response.json()
    key = f"{org.rep.pk}:2026-03"
    assert body["stale"][key] == {"amount": "500.00", "version": 4}
    assert "changed this since you read it" in body["errors"][key]
    quota.refresh_from_db()
    assert (quota.amount, quota.version) == (Decimal("500.00"), 4)
    assert (org.rep.pk, APRIL) not in stored(org.tenant)  # All or nothing.


def test_a_cell_someone_created_meanwhile_is_stale_too(org, client_for):
    make_quota(org.rep, MARCH, "500")
    response = client_for(org.manager).post(
        SAVE, {**cells(), field(org.rep, MARCH, 0): "900"}, **JSON
    )
    assert response.status_code == 409
    assert response.json()["stale"][f"{org.rep.pk}:2026-03"]["amount"] == "500.00"


def test_a_manager_may_not_set_their_own_quota(org, client_for):
    response = client_for(org.manager).post(
        SAVE, {**cells(), field(org.manager, MARCH): "100"}, **JSON
    )
    assert response.status_code == 400
    assert response.json()["errors"][f"{org.manager.pk}:2026-03"] == (
        "Your own quota is set by your manager."
    )
    assert not Quota.all_tenants.exists()


def test_another_organisations_member_or_one_outside_the_team_is_a_404(org, other, client_for):
    client = client_for(org.manager)
    for stranger in (other.rep, org.outsider_rep):
        response = client.post(
            SAVE, {**cells(), field(org.rep, MARCH): "100", field(stranger, MARCH): "1"}, **JSON
        )
        assert response.status_code == 404
    assert not Quota.all_tenants.exists()


def test_malformed_cells_are_a_400(org, client_for):
    client = client_for(org.manager)
    for data in (
        {**cells(), "c-1-2025-03": "1"},  # Not a month of this grid.
        {**cells(), "c-1-2026-13": "1"},
        {**cells(), field(org.rep, MARCH): "1", field(org.rep, MARCH, 0): "2"},  # Twice.
    ):
        assert client.post(SAVE, data, **JSON).status_code == 400
    assert not Quota.all_tenants.exists()


def test_the_plain_form_saves_only_what_changed_and_redirects(org, client_for):
    quota = make_quota(org.rep, MARCH, "500", version=2)
    months = fiscal_months(org.tenant, YEAR)
    data = {"year": YEAR, "metric": "revenue"}
    for month in months:
        data[field(org.rep, month, 0)] = ""
    del data[field(org.rep, MARCH, 0)]
    data[field(org.rep, MARCH, 2)] = "500.00"
    data[field(org.rep, APRIL, 0)] = "750"
    response = client_for(org.manager).post(SAVE, data)
    assert response.status_code == 302
    assert response["Location"].startswith(GRID)
    quota.refresh_from_db()
    assert quota.version == 2  # Unchanged, untouched.
    assert stored(org.tenant)[(org.rep.pk, APRIL)] == (Decimal("750.00"), 1)


def test_the_plain_form_shows_its_errors_and_keeps_what_was_typed(org, client_for):
    make_quota(org.rep, MARCH, "500")
    data = {**cells(), field(org.rep, MARCH): "", field(org.rep, APRIL): "abc"}
    response = client_for(org.manager).post(SAVE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter 0 to set no quota for this month." in html
    assert 'value="abc"' in html or "Enter a number" in html
    assert stored(org.tenant)[(org.rep.pk, MARCH)][0] == Decimal("500.00")


# --- Achievability ------------------------------------------------------------------------


def test_each_cell_is_judged_against_the_trailing_90_day_rate(org, client_for):
    today = org.tenant.today()
    make_sale(org.rep, Decimal("6300.00"), today - dt.timedelta(days=5))
    year = today.year
    months = fiscal_months(org.tenant, year)
    make_quota(org.rep, months[0], "100")
    make_quota(org.rep, months[1], "999999")
    with tenant_context(org.tenant):
        grid = quota_grid(tenant=org.tenant, viewer=org.manager, year=year, metric="revenue")
    row = next(row for row in grid.rows if row.member_id == org.rep.pk)
    assert row.trailing_achieved == Decimal("6300.00")
    assert row.trailing_capacity_days > 0
    assert not row.cells[0].flagged and row.cells[1].flagged
    assert row.cells[1].ratio > Decimal("1.5")
    assert grid.reps_counted == 1 and grid.reps_achievable == 0
    html = client_for(org.manager).get(GRID, {"year": year}).content.decode()
    assert f'data-trailing="6300.00" data-trailing-days="{row.trailing_capacity_days}"' in html
    assert "0 of 1" in html


def test_a_metric_without_a_data_source_says_so(org, client_for):
    make_quota(org.rep, MARCH, "3", metric="activities")
    response = client_for(org.manager).get(GRID, {"year": YEAR, "metric": "activities"})
    assert "No data source for activities yet" in response.content.decode()
    assert not response.context["grid"].has_source


# --- Bulk actions ---------------------------------------------------------------------


def test_publishing_ticked_rows_notifies_their_people_once(org, client_for):
    second = MembershipFactory(tenant=org.tenant, manager=org.manager)
    for month in (MARCH, APRIL):
        make_quota(org.rep, month, "100")
        make_quota(second, month, "100")
    response = client_for(org.manager).post(
        PUBLISH, {"year": YEAR, "metric": "revenue", "member": [org.rep.pk]}
    )
    assert response.status_code == 302
    statuses = {
        (q.member_id, q.month): q.status for q in Quota.all_tenants.filter(tenant=org.tenant)
    }
    assert statuses[(org.rep.pk, MARCH)] == statuses[(org.rep.pk, APRIL)] == "published"
    assert statuses[(second.pk, MARCH)] == "draft"
    notes = Notification.all_tenants.filter(recipient=org.rep)
    assert notes.count() == 1 and "published" in notes.get().title
    assert not Notification.all_tenants.filter(recipient=second).exists()


def test_publish_every_draft_of_the_view(org, client_for):
    make_quota(org.rep, MARCH, "100")
    make_quota(org.rep, dt.date(YEAR + 1, 1, 1), "100")  # Another year: not in view.
    client_for(org.manager).post(PUBLISH, {"year": YEAR, "metric": "revenue", "all": "1"})
    assert dict(Quota.all_tenants.filter(tenant=org.tenant).values_list("month", "status")) == {
        MARCH: "published",
        dt.date(YEAR + 1, 1, 1): "draft",
    }


def test_publishing_another_organisations_quota_is_a_404(org, other, client_for):
    foreign = make_quota(other.rep, MARCH, "100")
    response = client_for(org.manager).post(
        PUBLISH, {"year": YEAR, "metric": "revenue", "quota": [foreign.pk]}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "draft"


def test_copy_last_year_with_a_percentage(org, client_for):
    make_quota(org.rep, dt.date(YEAR - 1, 3, 1), "1000")
    make_quota(org.rep, dt.date(YEAR - 1, 4, 1), "333.33")
    response = client_for(org.manager).post(
        COPY, {"year": YEAR, "metric": "revenue", "percent_change": "5"}
    )
    assert response.status_code == 302
    now = stored(org.tenant)
    assert now[(org.rep.pk, MARCH)][0] == Decimal("1050.00")
    assert now[(org.rep.pk, APRIL)][0] == Decimal("350.00")


def test_copy_last_year_refuses_rows_outside_the_team(org, client_for):
    make_quota(org.outsider_rep, dt.date(YEAR - 1, 3, 1), "1000")
    response = client_for(org.manager).post(
        COPY,
        {"year": YEAR, "metric": "revenue", "percent_change": "5", "member": org.outsider_rep.pk},
    )
    assert response.status_code == 404
    assert (org.outsider_rep.pk, MARCH) not in stored(org.tenant)


def test_spreading_an_annual_figure_by_a_profile_is_exact(org, client_for):
    shares = ["5.00", "5.00", "10.00", "10.00", "10.00", "10.00"] * 2
    profile = SeasonalityProfile.all_tenants.create(tenant=org.tenant, name="Retail", shares=shares)
    response = client_for(org.manager).post(
        SPREAD,
        {
            "year": YEAR,
            "metric": "revenue",
            "member": org.rep.pk,
            "annual": "100000.01",
            "profile": profile.pk,
        },
    )
    assert response.status_code == 302
    assert "Spread" in str(list(response.wsgi_request._messages))
    amounts = [
        amount
        for (member, _), (amount, _) in sorted(stored(org.tenant).items())
        if member == org.rep.pk
    ]
    assert len(amounts) == 12 and sum(amounts) == Decimal("100000.01")
    assert amounts[2] == Decimal("10000.00")


def test_spreading_with_another_organisations_profile_is_a_404(org, other, client_for):
    foreign = SeasonalityProfile.all_tenants.create(tenant=other.tenant, name="Theirs")
    response = client_for(org.manager).post(
        SPREAD,
        {"year": YEAR, "metric": "revenue", "member": org.rep.pk, "annual": "1200",
         "profile": foreign.pk},
    )  # fmt: skip
    assert response.status_code == 404
    assert not Quota.all_tenants.exists()


def test_every_change_is_in_the_quotas_history(org, client_for):
    client = client_for(org.manager)
    client.post(SAVE, {**cells(), field(org.rep, MARCH): "100"}, **JSON)
    client.post(SAVE, {**cells(), field(org.rep, MARCH, 1): "150"}, **JSON)
    changes = QuotaChange.all_tenants.filter(quota__member=org.rep).order_by("changed_at", "pk")
    assert [c.action for c in changes] == ["created", "updated"]
    assert changes.last().changes["amount"] == ["100.00", "150.00"]


# --- Speed ----------------------------------------------------------------------------


@pytest.fixture
def fifty_reps(org):
    """Two managers under the org manager, 50 reps under them, a year of quotas and
    sales, holidays and time off: every part of the grid has rows to read."""
    leads = [
        MembershipFactory(tenant=org.tenant, role=Role.MANAGER, manager=org.manager)
        for _ in range(2)
    ]
    reps = [MembershipFactory(tenant=org.tenant, manager=leads[n % 2]) for n in range(50)]
    months = fiscal_months(org.tenant, YEAR)
    Quota.all_tenants.bulk_create(
        Quota(tenant=org.tenant, member=rep, month=month, metric="revenue", amount=Decimal("1000"))
        for rep in reps
        for month in months
    )
    today = org.tenant.today()
    account = AccountFactory(tenant=org.tenant)
    Sale.all_tenants.bulk_create(
        Sale(
            tenant=org.tenant,
            member=rep,
            account=account,
            amount=Decimal("500"),
            closed_on=today - dt.timedelta(days=n % 80 + 1),
            external_id=f"B-{n}",
        )
        for n, rep in enumerate(reps * 3)
    )
    from ..factories import HolidayFactory, TimeOffFactory

    HolidayFactory(tenant=org.tenant, date=dt.date(YEAR, 5, 1))
    for rep in reps[:10]:
        TimeOffFactory(member=rep, start=dt.date(YEAR, 3, 2), end=dt.date(YEAR, 3, 6))
    return reps


# Measured: 10 for the page (4 of them the session, user and memberships), 27 to save a
# pasted block of 600 cells and answer with the new totals.
GRID_QUERY_BUDGET = 10
SAVE_QUERY_BUDGET = 27


def test_the_grid_for_50_reps_reads_a_fixed_number_of_queries(
    org, client_for, fifty_reps, django_assert_max_num_queries
):
    client = client_for(org.manager)
    with django_assert_max_num_queries(GRID_QUERY_BUDGET) as fifty:
        response = client.get(GRID, {"year": YEAR, "expand": "all"})
    queries = len(fifty.captured_queries)
    assert queries > 4, "The budget only holds if the queries are counted"
    assert response.status_code == 200
    assert len(response.context["grid"].rows) == 54  # Manager, 2 team leads, 50 reps.
    assert response.content.decode().count('class="grid-input"') == 53 * 12
    # The same number for a single rep: nothing is read per row.
    Quota.all_tenants.exclude(member__in=fifty_reps[:1]).delete()
    client = client_for(fifty_reps[0].manager)  # A team lead with 25 reps.
    client.get(GRID)
    with django_assert_max_num_queries(queries):
        client.get(GRID, {"year": YEAR})


def test_saving_a_pasted_block_for_50_reps_is_one_bounded_write(
    org, client_for, fifty_reps, django_assert_max_num_queries
):
    data = cells()
    months = fiscal_months(org.tenant, YEAR)
    for rep in fifty_reps:
        for month in months:
            data[field(rep, month, 1)] = "1200"
    client = client_for(org.manager)
    with django_assert_max_num_queries(SAVE_QUERY_BUDGET):
        response = client.post(SAVE, data, **JSON)
    assert response.status_code == 200, json.dumps(response.json())[:500]
    assert response.json()["message"] == "Saved 600 cells."


def test_the_grid_judges_each_quota_as_the_quota_pages_do(org, client_for):
    """The grid's flags (and so the script's, which the browser test holds to them) are
    those of ``selectors.progress.achievability_for``, team quotas included."""
    today = org.tenant.today()
    year = today.year
    months = fiscal_months(org.tenant, year)
    make_sale(org.rep, Decimal("4000.00"), today - dt.timedelta(days=3))
    make_sale(org.manager, Decimal("1000.00"), today - dt.timedelta(days=4))
    quotas = [
        make_quota(member, month, amount, ramp_pct=Decimal(ramp))
        for member, month, amount, ramp in [
            (org.rep, months[0], "500", "100"),
            (org.rep, months[1], "9000", "100"),
            (org.rep, months[2], "9000", "33.33"),
            (org.manager, months[0], "9000", "100"),
            (org.manager, months[1], "30000", "100"),
            (org.outsider_rep, months[0], "100", "100"),
        ]
    ]
    with tenant_context(org.tenant):
        grid = quota_grid(tenant=org.tenant, viewer=org.admin, year=year, metric="revenue")
        expected = achievability_for(tenant=org.tenant, quotas=quotas, today=today)
    by_key = {(row.member_id, cell.month): cell for row in grid.rows for cell in row.cells}
    flags = set()
    for quota in quotas:
        cell = by_key[(quota.member_id, quota.month)]
        judged = expected[(quota.member_id, quota.month, quota.metric)]
        assert (cell.effective_amount, cell.flagged, cell.ratio) == (
            judged.effective_amount,
            judged.flagged,
            judged.ratio,
        ), quota
        flags.add(cell.flagged)
    assert flags == {True, False}
