"""The quotas admin: quotas (history inline, publish, drafts-only delete), sales and
seasonality profiles; writes through the services; isolation and roles."""

import datetime as dt
from decimal import Decimal

import pytest

from quotas.models import Quota, QuotaChange, Sale, SeasonalityProfile
from spm.notifications.models import Notification
from spm.tenancy.context import across_tenants

from ..admin_helpers import (
    Scoped,
    ScopedAdminChecks,
    messages_of,
    run_action,
    superuser_client_fixture,  # noqa: F401 (a fixture)
)
from ..territories.factories import AccountFactory
from .factories import (
    QuotaChangeFactory,
    QuotaFactory,
    SaleFactory,
    SeasonalityProfileFactory,
    jobs_fixture,  # noqa: F401 (a fixture)
)

QUOTAS = "/admin/quotas/quota/"
SALES = "/admin/quotas/sale/"
PROFILES = "/admin/quotas/seasonalityprofile/"
RETAIL = ["6", "6", "7", "7", "8", "8", "8", "8", "9", "10", "11", "12"]

pytestmark = pytest.mark.usefixtures("jobs")


def make_quota(org):
    with across_tenants():
        quota = QuotaFactory(member=org.rep)
        QuotaChangeFactory(quota=quota)
        return quota


def make_sale(org):
    with across_tenants():
        return SaleFactory(member=org.rep, account=AccountFactory(tenant=org.tenant))


def make_profile(org):
    with across_tenants():
        return SeasonalityProfileFactory(tenant=org.tenant)


class TestTheQuotasAdminStaysInsideTheOrganisation(ScopedAdminChecks):
    SCOPED = {
        "quota": Scoped(QUOTAS, make_quota),
        "sale": Scoped(SALES, make_sale),
        "seasonality profile": Scoped(PROFILES, make_profile),
    }


@pytest.mark.parametrize("url", [QUOTAS, SALES, PROFILES, SALES + "import/"])
@pytest.mark.parametrize("role", ["manager", "rep"])
def test_members_without_the_admin_role_are_refused(org, client_for, url, role):
    assert client_for(getattr(org, role)).get(url).status_code == 403


# --- Quotas -------------------------------------------------------------------------


def quota_form(**values) -> dict:
    return {
        "amount": "12000.00",
        "ramp_pct": "100",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "1000",
        **values,
    }


def test_the_quota_list_filters_by_month_metric_and_status(org, client_for):
    with across_tenants():
        march = QuotaFactory(member=org.rep, status="published")
        QuotaFactory(member=org.rep, month=dt.date(2026, 4, 1))
        QuotaFactory(member=org.rep, metric="deals", amount=Decimal("3"))
    client = client_for(org.admin)
    for query in ({"month": "2026-03", "metric": "revenue"}, {"status": "published"}):
        response = client.get(QUOTAS, query)
        assert [q.pk for q in response.context["cl"].result_list] == [march.pk]
    assert client.get(QUOTAS, {"month": "bad"}).context["cl"].result_count == 0


def test_the_quota_list_searches_by_member(org, client_for):
    with across_tenants():
        quota = QuotaFactory(member=org.rep)
        QuotaFactory(member=org.outsider_rep)
    response = client_for(org.admin).get(QUOTAS, {"q": org.rep.user.email})
    assert [q.pk for q in response.context["cl"].result_list] == [quota.pk]


def test_an_admin_adds_a_quota_through_the_service(org, client_for):
    response = client_for(org.admin).post(
        QUOTAS + "add/",
        quota_form(member=org.rep.pk, month="2026-05-17", metric="revenue", seen_version=""),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    quota = Quota.all_tenants.get(member=org.rep)
    assert (quota.month, quota.amount, quota.version) == (
        dt.date(2026, 5, 1),
        Decimal("12000.00"),
        1,
    )
    assert QuotaChange.all_tenants.get(quota=quota).changed_by == org.admin.user


def test_a_bad_amount_is_a_form_error_and_nothing_is_saved(org, client_for):
    response = client_for(org.admin).post(
        QUOTAS + "add/",
        quota_form(member=org.rep.pk, month="2026-05-01", metric="deals", amount="2.5"),
    )
    assert response.status_code == 200
    assert "whole numbers" in str(response.context["adminform"].form.errors["amount"])
    assert not Quota.all_tenants.exists()


def test_a_second_quota_for_the_same_month_is_a_form_error(org, client_for):
    with across_tenants():
        QuotaFactory(member=org.rep)
    response = client_for(org.admin).post(
        QUOTAS + "add/", quota_form(member=org.rep.pk, month="2026-03-01", metric="revenue")
    )
    assert response.status_code == 200
    assert "already has a quota" in str(response.context["adminform"].form.errors)
    assert Quota.all_tenants.count() == 1


def test_changing_a_quota_records_it_and_shows_the_history(org, client_for):
    quota = make_quota(org)
    client = client_for(org.admin)
    response = client.post(
        f"{QUOTAS}{quota.pk}/change/", quota_form(amount="15000", seen_version="1")
    )
    assert response.status_code == 302
    stored = Quota.all_tenants.get(pk=quota.pk)
    assert (stored.amount, stored.version) == (Decimal("15000.00"), 2)
    page = client.get(f"{QUOTAS}{quota.pk}/change/").content.decode()
    assert "amount: 10000.00 → 15000.00" in page


def test_a_change_made_meanwhile_is_not_overwritten(org, client_for):
    quota = make_quota(org)
    Quota.all_tenants.filter(pk=quota.pk).update(version=2, amount=Decimal("11000"))
    response = client_for(org.admin).post(
        f"{QUOTAS}{quota.pk}/change/", quota_form(amount="15000", seen_version="1")
    )
    assert response.status_code == 200
    assert "Someone changed this quota" in str(response.context["adminform"].form.errors)
    assert Quota.all_tenants.get(pk=quota.pk).amount == Decimal("11000.00")


def test_only_drafts_may_be_deleted(org, client_for):
    draft = make_quota(org)
    with across_tenants():
        published = QuotaFactory(member=org.rep, month=dt.date(2026, 4, 1), status="published")
    client = client_for(org.admin)
    assert client.get(f"{QUOTAS}{published.pk}/delete/").status_code == 403
    assert client.post(f"{QUOTAS}{draft.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(Quota.all_tenants.values_list("pk", flat=True)) == [published.pk]


def test_the_publish_action_publishes_drafts_and_tells_the_reps(org, client_for):
    draft = make_quota(org)
    response = run_action(client_for(org.admin), QUOTAS, "publish_selected", [draft.pk])
    assert "1 quota published" in " ".join(messages_of(response))
    assert Quota.all_tenants.get(pk=draft.pk).status == "published"
    assert Notification.all_tenants.filter(recipient=org.rep, url="/quotas/mine/").exists()


def test_the_quota_list_costs_the_same_queries_for_many_quotas(
    org, client_for, django_assert_max_num_queries
):
    client = client_for(org.admin)
    make_quota(org)
    with django_assert_max_num_queries(14) as few:
        client.get(QUOTAS)
    with across_tenants():
        for month in range(1, 13):
            QuotaFactory(member=org.outsider_rep, month=dt.date(2025, month, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(QUOTAS).context["cl"].result_count == 13


# --- Sales ----------------------------------------------------------------------------


def sale_form(org, account, **values) -> dict:
    return {
        "external_id": "CRM-77",
        "member": org.rep.pk,
        "account": account.pk,
        "amount": "900.00",
        "closed_on": "2026-03-04",
        **values,
    }


def test_an_admin_adds_and_changes_a_sale_through_the_service(org, client_for, jobs):
    with across_tenants():
        account = AccountFactory(tenant=org.tenant)
    client = client_for(org.admin)
    assert client.post(SALES + "add/", sale_form(org, account)).status_code == 302
    sale = Sale.all_tenants.get(external_id="CRM-77")
    assert sale.source == "manual"
    response = client.post(
        f"{SALES}{sale.pk}/change/", sale_form(org, account, amount="950", seen_version="1")
    )
    assert response.status_code == 302
    assert Sale.all_tenants.get(pk=sale.pk).amount == Decimal("950.00")
    # (The form also runs the service in a savepoint it rolls back, which schedules nothing.)
    assert {name for name, _ in jobs} == {"quotas.tasks.attainment_for_members"}


def test_a_sale_in_the_future_or_a_taken_external_id_is_a_form_error(org, client_for):
    existing = make_sale(org)
    account = existing.account
    client = client_for(org.admin)
    future = client.post(SALES + "add/", sale_form(org, account, closed_on="2099-01-01"))
    assert "or earlier" in str(future.context["adminform"].form.errors)
    taken = client.post(SALES + "add/", sale_form(org, account, external_id=existing.external_id))
    assert "external ID" in str(taken.context["adminform"].form.errors["external_id"])
    assert Sale.all_tenants.count() == 1


def test_the_sale_list_searches_by_external_id_and_links_to_the_import(org, client_for):
    sale = make_sale(org)
    make_sale(org)
    response = client_for(org.admin).get(SALES, {"q": sale.external_id})
    assert [s.pk for s in response.context["cl"].result_list] == [sale.pk]
    assert 'href="/admin/quotas/sale/import/"' in response.content.decode()


def test_deleting_sales_goes_through_the_service(org, client_for, jobs):
    sales = [make_sale(org), make_sale(org)]
    response = client_for(org.admin).post(
        SALES,
        {"action": "delete_selected", "_selected_action": [s.pk for s in sales], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Sale.all_tenants.exists()
    assert jobs[-1][0] == "quotas.tasks.attainment_for_members"


# --- Seasonality profiles -------------------------------------------------------------


def profile_form(name="Retail", shares=RETAIL) -> dict:
    return {"name": name, **{f"share_{month}": share for month, share in enumerate(shares, 1)}}


def test_an_admin_saves_a_profile_whose_shares_total_100(org, client_for):
    response = client_for(org.admin).post(PROFILES + "add/", profile_form())
    assert response.status_code == 302
    profile = SeasonalityProfile.all_tenants.get()
    assert profile.shares[-1] == "12.00"
    page = client_for(org.admin).get(f"{PROFILES}{profile.pk}/change/").content.decode()
    assert 'value="12.00"' in page


def test_shares_that_do_not_total_100_are_a_form_error(org, client_for):
    response = client_for(org.admin).post(PROFILES + "add/", profile_form(shares=["8"] * 12))
    assert response.status_code == 200
    assert "total 96.00%" in str(response.context["adminform"].form.errors)
    assert not SeasonalityProfile.all_tenants.exists()


def test_a_profile_name_taken_in_another_case_is_a_form_error(org, client_for):
    make_profile(org)
    name = SeasonalityProfile.all_tenants.get().name.upper()
    response = client_for(org.admin).post(PROFILES + "add/", profile_form(name=name))
    assert "already exists" in str(response.context["adminform"].form.errors["name"])
