"""Selling activities in the manager's encroachment list (quotas' encroachment sources,
filled from activities/plugin.py): a selling activity on an account of a territory its
member did not work that day is listed beside the sales, with a column saying which;
a non-selling one, one on the member's own account and one without an account are not."""

import datetime as dt

import factory
from django.urls import reverse

from activities.selectors.encroachment import SELLING_ACTIVITIES
from quotas.selectors.encroachment import (
    encroachment_sources,
    encroachments,
    team_encroachments,
)
from spm.tenancy.context import tenant_context

from ..quotas.factories import SaleFactory
from .day_helpers import build_land, land_fixture, logged, today_fixture  # noqa: F401
from .factories import ActivityFactory

ENCROACHMENT = reverse("quotas:encroachment")
MARCH = dt.date(2026, 3, 1)
END = dt.date(2026, 3, 31)
DAY = dt.date(2026, 3, 10)


def listed(found) -> list:
    return [item.obj for item in found]


def test_activities_are_a_registered_encroachment_source():
    assert SELLING_ACTIVITIES in list(encroachment_sources)


def test_only_selling_activities_on_another_territorys_account_are_listed(org, today, land):
    away = logged(org, org.rep, "Call", 30, day=DAY, account=land.away)
    nowhere = logged(org, org.rep, "Demo", 45, day=DAY, account=land.nowhere)
    logged(org, org.rep, "Reporting", 30, day=DAY, account=land.away)  # Not selling.
    logged(org, org.rep, "Call", 30, day=DAY, account=land.home)  # Their own territory.
    logged(org, org.rep, "Call", 30, day=DAY)  # No account.

    with tenant_context(org.tenant):
        found = encroachments(tenant=org.tenant, member_ids={org.rep.pk}, start=MARCH, end=END)

    assert sorted(listed(found), key=lambda a: a.pk) == [away, nowhere]
    by_obj = {item.obj: item for item in found}
    assert by_obj[away].kind == "Activity" and not by_obj[away].is_sale
    assert by_obj[away].territory == land.east and by_obj[away].seller_territories == ("West",)
    assert by_obj[away].detail == "Call, 30 min" and by_obj[away].amount is None
    assert by_obj[nowhere].territory is None


def test_the_territory_is_the_one_the_member_worked_on_the_activitys_day(org, today, land):
    # Before the rep joined West, its accounts were not theirs.
    early = logged(org, org.rep, "Call", 30, day=dt.date(2025, 12, 30), account=land.home)
    with tenant_context(org.tenant):
        found = encroachments(
            tenant=org.tenant,
            member_ids=None,
            start=dt.date(2025, 12, 1),
            end=dt.date(2025, 12, 31),
        )
    assert listed(found) == [early]


def test_sales_and_activities_are_listed_together_newest_first(org, today, land):
    activity = logged(org, org.rep, "Call", 30, day=DAY, account=land.away)
    same_day = SaleFactory(member=org.rep, account=land.away, closed_on=DAY)
    earlier = SaleFactory(member=org.rep, account=land.away, closed_on=DAY - dt.timedelta(days=2))

    with tenant_context(org.tenant):
        found = team_encroachments(tenant=org.tenant, viewer=org.manager, start=MARCH, end=END)

    assert listed(found) == [same_day, activity, earlier]
    assert [item.is_sale for item in found] == [True, False, True]


def test_a_manager_sees_their_trees_activities_and_an_admin_everyones(org, other, today, land):
    mine = logged(org, org.rep, "Call", 30, day=DAY, account=land.away)
    outside_tree = logged(org, org.outsider_rep, "Call", 30, day=DAY, account=land.away)
    foreign_land = build_land(other)
    theirs = logged(other, other.rep, "Call", 30, day=DAY, account=foreign_land.away)

    with tenant_context(org.tenant):
        for_manager = team_encroachments(
            tenant=org.tenant, viewer=org.manager, start=MARCH, end=END
        )
        for_admin = team_encroachments(tenant=org.tenant, viewer=org.admin, start=MARCH, end=END)

    assert listed(for_manager) == [mine]
    assert set(listed(for_admin)) == {mine, outside_tree}
    assert theirs not in listed(for_admin)


def test_the_page_lists_activities_beside_sales_with_a_column_saying_which(
    org, client_for, today, land
):
    logged(org, org.rep, "Demo", 45, day=DAY, account=land.away)
    SaleFactory(member=org.rep, account=land.away, closed_on=DAY, external_id="S-77")

    response = client_for(org.manager).get(ENCROACHMENT, {"month": "2026-03"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "Sale or activity" in text
    assert "Demo, 45 min" in text and "S-77" in text
    assert "Activities outside territory" in text
    assert response.context["total"] == 2
    assert response.context["others"] == 1 and response.context["sales"] == 1


def test_a_rep_still_may_not_open_the_list(org, client_for, today, land):
    logged(org, org.rep, "Call", 30, day=DAY, account=land.away)
    assert client_for(org.rep).get(ENCROACHMENT).status_code == 403


def test_many_sales_and_activities_cost_the_same_handful_of_queries(
    org, today, land, django_assert_max_num_queries
):
    accounts = [land.home, land.away, land.nowhere]
    SaleFactory.create_batch(
        300,
        member=org.rep,
        account=factory.Iterator(accounts),
        closed_on=factory.Iterator([MARCH + dt.timedelta(days=n % 28) for n in range(28)]),
    )
    for name in ("Call", "Reporting"):
        ActivityFactory.create_batch(
            150,
            member=org.rep,
            type=logged(org, org.rep, name, 10, day=DAY).type,
            account=factory.Iterator(accounts),
            date=factory.Iterator([MARCH + dt.timedelta(days=n % 16) for n in range(16)]),
            duration_minutes=5,
        )

    # Quotas' budget of 6 holds: the reporting lines, the sales, the activities, the
    # accounts' history, the members' territories and the tree (the accounts' current
    # territories come with the rows).
    with tenant_context(org.tenant), django_assert_max_num_queries(6):
        found = team_encroachments(tenant=org.tenant, viewer=org.manager, start=MARCH, end=END)

    assert {item.kind for item in found} == {"Sale", "Activity"}
    assert all(item.account != land.home for item in found)
