"""The rep's "My quota" page and home card, and acknowledging a published quota in one
click: today's target, the month's figures, what is left and needed per day, the
progress chart, a month to look back at; only one's own published quota, with the
version one saw."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from quotas.models import Metric, Quota, QuotaChange
from spm.tenancy.context import tenant_context

from ..factories import MembershipFactory
from .compute_factories import LONG_AGO
from .page_factories import TODAY, compute_march, quota, sale, today_fixture  # noqa: F401

MINE = reverse("quotas:mine")
HOME = reverse("home")


def acknowledge_url(quota: Quota) -> str:
    return reverse("quotas:acknowledge", args=[quota.pk])


@pytest.fixture
def march(org, today):
    """The rep's published March quota of 22,000 (1,000 a weekday), 1,500 sold by the
    16th, and a deals quota; figures computed on the 13th and the 16th."""
    revenue = quota(org.rep)
    quota(org.rep, "11", metric=Metric.DEALS)
    sale(org.rep, "1000.00", dt.date(2026, 3, 2))
    sale(org.rep, "500.00", TODAY)
    compute_march(org.tenant)
    return revenue


def test_my_quota_shows_todays_target_and_where_the_month_stands(org, client_for, march):
    response = client_for(org.rep).get(MINE)

    assert response.status_code == 200
    text = response.content.decode()
    assert "data-today-target>1,000.00<" in text
    for figure in ("22,000.00", "1,500.00", "11,000.00", "13.6%", "3,000.00", "20,500.00"):
        assert figure in text
    assert "1,708.33 per day over 12 capacity days left" in text
    # Both quotas of the month, revenue first, each with its chart and its table.
    summary = response.context["summary"]
    assert [p.quota.metric for p in summary.quotas] == [Metric.REVENUE, Metric.DEALS]
    assert text.count('<svg class="chart-svg"') == 2
    assert "Progress over the month" in text
    assert reverse("quotas:detail", args=[march.pk]) in text


def test_the_progress_chart_draws_the_target_and_what_was_achieved(org, client_for, march):
    response = client_for(org.rep).get(MINE)

    [(progress, chart), _] = response.context["quotas"]
    assert progress.quota == march
    # The target climbs over all 31 days; achieved stops at the last snapshot (today).
    assert len(chart.lines["target"].split()) == 32
    assert len(chart.lines["achieved"].split()) == 3  # The start, the 13th, the 16th.
    assert chart.marker is not None
    assert "Mon 16 Mar" in response.content.decode()  # The table alternative.


def test_a_past_month_can_be_looked_back_at(org, client_for, march):
    quota(org.rep, "10000.00", month=dt.date(2026, 2, 1), status=Quota.Status.ACKNOWLEDGED)
    sale(org.rep, "12000.00", dt.date(2026, 2, 10))
    compute_march(org.tenant, days=[dt.date(2026, 2, 28)])

    response = client_for(org.rep).get(MINE, {"month": "2026-02"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Today&#x27;s target" not in text and "Today's target" not in text
    assert "12,000.00" in text and "120.0%" in text
    assert "the month is over" in text
    months = [month.strftime("%Y-%m") for month in response.context["months"]]
    assert months == ["2026-03", "2026-02"]


def test_a_month_without_a_quota_says_so(org, client_for, today):
    response = client_for(org.rep).get(MINE)

    assert response.status_code == 200
    assert "No quota for March 2026" in response.content.decode()


@pytest.mark.parametrize("month", ["2026-13", "march", "26-03", "2026-3-1"])
def test_a_malformed_month_is_a_400(org, client_for, today, month):
    assert client_for(org.rep).get(MINE, {"month": month}).status_code == 400


def test_a_manager_sees_their_team_quota_counting_their_whole_tree(org, client_for, today):
    quota(org.manager, "50000.00")  # Set by the admin: the team's number.
    sale(org.rep, "4000.00", dt.date(2026, 3, 3))
    compute_march(org.tenant)

    response = client_for(org.manager).get(MINE)

    text = response.content.decode()
    assert "Your team&#x27;s number" in text or "Your team's number" in text
    assert response.context["summary"].primary.achieved == Decimal("4000.00")
    assert "50,000.00" in text


def test_someone_elses_quota_never_shows(org, other, client_for, march):
    quota(other.rep, "99999.00")

    response = client_for(org.outsider_rep).get(MINE)

    assert response.context["summary"].quotas == []
    assert "22,000.00" not in response.content.decode()


def test_visitors_are_sent_to_log_in(client):
    response = client.get(MINE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_sidebar_links_reps_and_managers_to_my_quota(org, client_for, today):
    for member in (org.rep, org.manager):
        assert f'href="{MINE}"' in client_for(member).get(HOME).content.decode()
    assert f'href="{MINE}"' not in client_for(org.admin).get(HOME).content.decode()


# --- The home card --------------------------------------------------------------------------


def test_the_reps_home_card_shows_todays_target_and_the_button(org, client_for, march):
    text = client_for(org.rep).get(HOME).content.decode()

    assert "data-card-today-target>1,000.00<" in text
    assert acknowledge_url(march) in text


def test_a_rep_without_a_quota_is_told_on_the_home_card(org, client_for, today):
    assert "No quota this month yet" in client_for(org.rep).get(HOME).content.decode()


def test_a_manager_without_a_quota_gets_no_my_quota_card(org, client_for, today):
    text = client_for(org.manager).get(HOME).content.decode()
    assert "card-my-quota" not in text


# --- Acknowledging ------------------------------------------------------------------------------


def test_a_rep_acknowledges_their_published_quota_in_one_click(org, client_for, march):
    response = client_for(org.rep).post(
        acknowledge_url(march), {"version": march.version, "next": MINE}
    )

    assert response.status_code == 302 and response["Location"] == MINE
    march.refresh_from_db()
    assert march.status == Quota.Status.ACKNOWLEDGED
    assert march.acknowledged_by == org.rep.user
    assert QuotaChange.all_tenants.filter(quota=march, action="acknowledged").count() == 1
    page = client_for(org.rep).get(MINE).content.decode()
    assert "You acknowledged your March 2026 revenue quota." in page
    assert acknowledge_url(march) not in page  # No button any more.


def test_htmx_gets_the_acknowledgement_block_back(org, client_for, march):
    response = client_for(org.rep).post(
        acknowledge_url(march), {"version": march.version}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert text.strip().startswith(f'<div class="quota-ack" id="ack-{march.pk}">')
    assert "You acknowledged your March 2026 revenue quota." in text
    assert "<form" not in text


def test_a_plain_post_without_next_returns_to_the_quotas_month(org, client_for, march):
    response = client_for(org.rep).post(acknowledge_url(march), {"version": march.version})
    assert response["Location"] == f"{MINE}?month=2026-03"


def test_a_next_elsewhere_is_ignored(org, client_for, march):
    response = client_for(org.rep).post(
        acknowledge_url(march), {"version": march.version, "next": "https://evil.example/"}
    )
    assert response["Location"] == f"{MINE}?month=2026-03"


def test_a_stale_version_shows_the_new_figure_and_acknowledges_nothing(org, client_for, march):
    Quota.all_tenants.filter(pk=march.pk).update(amount=Decimal("24000.00"), version=2)

    response = client_for(org.rep).post(
        acknowledge_url(march), {"version": 1}, HTTP_HX_REQUEST="true"
    )

    text = response.content.decode()
    assert "changed since you opened the page: it is now 24,000.00" in text
    assert response["X-Quota-Status"] == "409"
    assert 'name="version" value="2"' in text  # The button now agrees to the new figure.
    march.refresh_from_db()
    assert march.status == Quota.Status.PUBLISHED


def test_a_draft_cannot_be_acknowledged(org, client_for, today):
    draft = quota(org.rep, status=Quota.Status.DRAFT)

    response = client_for(org.rep).post(acknowledge_url(draft), {"version": 1}, follow=True)

    assert "not published yet" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Quota.Status.DRAFT


def test_the_page_offers_no_button_for_a_draft(org, client_for, today):
    draft = quota(org.rep, status=Quota.Status.DRAFT)
    text = client_for(org.rep).get(MINE).content.decode()
    assert acknowledge_url(draft) not in text
    assert "A draft: it is not published yet" in text


def test_only_the_quotas_own_member_acknowledges_it(org, client_for, march):
    # The manager sees the rep's quota but may not agree to it for them.
    assert client_for(org.manager).post(acknowledge_url(march)).status_code == 403
    # Anyone who may not see it at all, and another organisation's people: 404.
    assert client_for(org.outsider_rep).post(acknowledge_url(march)).status_code == 404
    march.refresh_from_db()
    assert march.status == Quota.Status.PUBLISHED


def test_another_organisations_quota_is_a_404(org, other, client_for, today):
    theirs = quota(other.rep)
    for member in (org.rep, org.admin):
        assert client_for(member).post(acknowledge_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Quota.Status.PUBLISHED


def test_acknowledging_takes_post_only(org, client_for, march):
    assert client_for(org.rep).get(acknowledge_url(march)).status_code == 405


def test_a_malformed_version_is_a_400(org, client_for, march):
    response = client_for(org.rep).post(acknowledge_url(march), {"version": "two"})
    assert response.status_code == 400


# --- Query budget -------------------------------------------------------------------------------


def team_of(org, size: int) -> None:
    for _ in range(size):
        rep = MembershipFactory(tenant=org.tenant, manager=org.manager, start_date=LONG_AGO)
        quota(rep, "2200.00")
        sale(rep, "1100.00", dt.date(2026, 3, 2))


def my_quota_queries(org, client_for, django_assert_max_num_queries, budget: int) -> None:
    client = client_for(org.manager)
    client.get(MINE)  # Warm the session.
    with django_assert_max_num_queries(budget):
        assert client.get(MINE).status_code == 200


MY_QUOTA_BUDGET = 10


def test_my_quota_reads_a_fixed_number_of_queries_whatever_the_team(
    org, client_for, today, django_assert_max_num_queries
):
    quota(org.manager, "50000.00")
    team_of(org, 5)
    compute_march(org.tenant)
    my_quota_queries(org, client_for, django_assert_max_num_queries, MY_QUOTA_BUDGET)

    team_of(org, 45)
    compute_march(org.tenant)
    my_quota_queries(org, client_for, django_assert_max_num_queries, MY_QUOTA_BUDGET)
    with tenant_context(org.tenant):
        assert Quota.objects.filter(tenant=org.tenant).count() == 51
