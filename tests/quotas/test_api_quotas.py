"""The quotas, targets and attainment API: roles, tenant isolation, validation, optimistic
locking (409 with the current quota), publish, acknowledge, filters and query budgets."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from quotas.models import Attainment, AttainmentSnapshot, Quota, QuotaChange, QuotaTarget
from spm.notifications.models import Notification
from spm.tenancy.context import across_tenants

from ..factories import MembershipFactory
from .factories import QuotaFactory, QuotaTargetFactory, jobs_fixture  # noqa: F401 (a fixture)

QUOTAS = "/api/v1/quotas/"
PUBLISH = QUOTAS + "publish/"
ATTAINMENT = "/api/v1/attainment/"
MARCH = dt.date(2026, 3, 1)
ROLES = ["admin", "manager", "rep"]
STALE = "Someone changed this since you read it: reload and try again."

pytestmark = pytest.mark.usefixtures("jobs")


def member(org, role: str):
    return getattr(org, role)


@pytest.fixture
def world(org, other):
    """March quotas: the rep's (published), the outsider rep's and the manager's (drafts);
    the rep's rolled down; another organisation's quota."""
    with across_tenants():  # Arranging both organisations' rows.
        rep_quota = QuotaFactory(
            member=org.rep, status="published", effective_amount=Decimal("9500.00")
        )
        outsider = QuotaFactory(member=org.outsider_rep, amount=Decimal("8000"))
        own = QuotaFactory(member=org.manager, amount=Decimal("50000"))
        foreign = QuotaFactory(member=other.rep)
        for day in (2, 3):
            QuotaTargetFactory(quota=rep_quota, start=dt.date(2026, 3, day))
        QuotaTargetFactory(
            quota=rep_quota,
            granularity="week",
            start=dt.date(2026, 3, 2),
            end=dt.date(2026, 3, 6),
            amount=Decimal("2500.00"),
        )
    return {"rep": rep_quota, "outsider": outsider, "own": own, "foreign": foreign}


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def fresh(quota) -> Quota:
    return Quota.all_tenants.get(pk=quota.pk)


# --- Reading ---------------------------------------------------------------------------


def test_a_quota_reads_with_money_as_strings_and_the_month_as_yyyy_mm(org, world, api_for):
    response = api_for(org.admin).get(f"{QUOTAS}{world['rep'].pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": world["rep"].pk,
        "member_id": org.rep.pk,
        "member_name": org.rep.name,
        "month": "2026-03",
        "metric": "revenue",
        "amount": "10000.00",
        "ramp_pct": "100.00",
        "status": "published",
        "version": 1,
        "effective_amount": "9500.00",
        "no_capacity": False,
        "targets_pending": True,
        "published_at": None,
        "acknowledged_at": None,
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", {"rep", "outsider", "own"}), ("manager", {"rep", "own"}), ("rep", {"rep"})],
)
def test_each_role_lists_the_quotas_it_may_see(org, world, api_for, role, expected):
    response = api_for(member(org, role)).get(QUOTAS)
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert ids(response) == {world[name].pk for name in expected}


@pytest.mark.parametrize("role", ROLES)
def test_another_organisations_quota_is_404_for_every_role(org, world, api_for, role):
    api = api_for(member(org, role))
    url = f"{QUOTAS}{world['foreign'].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"amount": "1"}, format="json").status_code in (403, 404)
    assert api.get(f"{url}targets/").status_code == 404
    assert fresh(world["foreign"]).amount == Decimal("10000.00")


def test_a_quota_outside_what_one_may_see_is_404(org, world, api_for):
    assert api_for(org.rep).get(f"{QUOTAS}{world['outsider'].pk}/").status_code == 404
    assert api_for(org.manager).get(f"{QUOTAS}{world['outsider'].pk}/").status_code == 404
    response = api_for(org.admin).patch(
        f"{QUOTAS}{world['foreign'].pk}/", {"amount": "1"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("month=2026-03", {"rep", "outsider", "own"}),
        ("month=2026-04", set()),
        ("metric=deals", set()),
        ("status=published", {"rep"}),
        ("member_id={outsider_rep}", {"outsider"}),
    ],
)
def test_quotas_can_be_filtered(org, world, api_for, query, expected):
    query = query.format(outsider_rep=org.outsider_rep.pk)
    assert ids(api_for(org.admin).get(f"{QUOTAS}?{query}")) == {world[n].pk for n in expected}


@pytest.mark.parametrize(
    "query", ["month=2026-13", "month=March", "month=0001-01", "member_id=1.5", "status=gone"]
)
def test_a_malformed_filter_is_a_400(org, world, api_for, query):
    response = api_for(org.admin).get(f"{QUOTAS}?{query}")
    assert response.status_code == 400


def test_the_quota_list_costs_the_same_queries_for_many_quotas(
    org, world, api_for, django_assert_max_num_queries
):
    api = api_for(org.manager)
    with django_assert_max_num_queries(12) as few:
        api.get(QUOTAS)
    with across_tenants():
        for month in range(1, 13):
            for _ in range(3):
                QuotaFactory(
                    member=MembershipFactory(tenant=org.tenant, manager=org.manager),
                    month=dt.date(2025, month, 1),
                )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(QUOTAS)
    assert response.json()["count"] == 38


# --- Creating and changing --------------------------------------------------------------


def test_a_manager_sets_a_quota_for_their_report(org, world, api_for):
    body = {"member_id": org.rep.pk, "month": "2026-04", "metric": "deals", "amount": "12"}
    response = api_for(org.manager).post(QUOTAS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["month"], data["amount"], data["status"], data["version"]) == (
        "2026-04", "12.00", "draft", 1,
    )  # fmt: skip
    assert QuotaChange.all_tenants.filter(quota_id=data["id"], action="created").exists()


def test_setting_a_quota_that_exists_is_a_409_with_it(org, world, api_for):
    body = {"member_id": org.rep.pk, "month": "2026-03", "metric": "revenue", "amount": "1"}
    response = api_for(org.manager).post(QUOTAS, body, format="json")
    assert response.status_code == 409
    assert "already has a quota" in response.json()["detail"]
    assert response.json()["current"]["id"] == world["rep"].pk
    assert fresh(world["rep"]).amount == Decimal("10000.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"metric": "deals", "amount": "2.5"}, "amount"),
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-04-01"}, "month"),
        ({"metric": "calls"}, "metric"),
        ({"ramp_pct": "120"}, "ramp_pct"),
        ({"member_id": 987654}, "member_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_created(
    org, world, api_for, body, field
):
    body = {"member_id": org.rep.pk, "month": "2026-05", "metric": "revenue", "amount": "1", **body}
    response = api_for(org.admin).post(QUOTAS, body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Quota.all_tenants.count() == 4


def test_a_member_of_another_organisation_does_not_exist_here(org, other, world, api_for):
    body = {"member_id": other.rep.pk, "month": "2026-05", "metric": "revenue", "amount": "1"}
    response = api_for(org.admin).post(QUOTAS, body, format="json")
    assert response.status_code == 400
    assert "member_id" in response.json()


def test_a_manager_may_not_set_their_own_quota_or_one_outside_their_tree(org, world, api_for):
    api = api_for(org.manager)
    own = {"member_id": org.manager.pk, "month": "2026-05", "metric": "revenue", "amount": "1"}
    assert api.post(QUOTAS, own, format="json").status_code == 403
    outside = {**own, "member_id": org.outsider_rep.pk}
    assert api.post(QUOTAS, outside, format="json").status_code == 400  # Not theirs to see.
    assert (
        api.patch(f"{QUOTAS}{world['own'].pk}/", {"amount": "1"}, format="json").status_code == 403
    )
    assert fresh(world["own"]).amount == Decimal("50000.00")


def test_a_rep_may_not_set_or_change_quotas(org, world, api_for):
    api = api_for(org.rep)
    body = {"member_id": org.rep.pk, "month": "2026-05", "metric": "revenue", "amount": "1"}
    assert api.post(QUOTAS, body, format="json").status_code == 403
    assert (
        api.patch(f"{QUOTAS}{world['rep'].pk}/", {"amount": "1"}, format="json").status_code == 403
    )
    assert api.delete(f"{QUOTAS}{world['rep'].pk}/").status_code == 403
    assert api.post(PUBLISH, {"ids": [world["rep"].pk]}, format="json").status_code == 403


def test_a_change_with_the_version_read_raises_it_and_tells_a_published_quotas_rep(
    org, world, api_for
):
    url = f"{QUOTAS}{world['rep'].pk}/"
    response = api_for(org.manager).patch(url, {"amount": "12000", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["amount"], response.json()["version"]) == ("12000.00", 2)
    assert response.json()["status"] == "published"
    assert Notification.all_tenants.filter(recipient=org.rep, kind="quota.changed").exists()


def test_a_stale_version_is_a_409_with_the_quota_as_it_is_now(org, world, api_for):
    url = f"{QUOTAS}{world['outsider'].pk}/"
    api = api_for(org.admin)
    assert api.patch(url, {"amount": "9000", "version": 1}, format="json").status_code == 200

    response = api.patch(url, {"amount": "1", "version": 1}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == STALE
    assert body["current"]["amount"] == "9000.00" and body["current"]["version"] == 2
    assert body["current"] == api.get(url).json()
    assert fresh(world["outsider"]).amount == Decimal("9000.00")


def test_a_change_without_a_version_is_not_checked(org, world, api_for):
    url = f"{QUOTAS}{world['outsider'].pk}/"
    response = api_for(org.admin).patch(url, {"ramp_pct": "50"}, format="json")
    assert response.status_code == 200
    assert fresh(world["outsider"]).ramp_pct == Decimal("50.00")


def test_a_quota_cannot_move_to_another_month(org, world, api_for):
    url = f"{QUOTAS}{world['outsider'].pk}/"
    response = api_for(org.admin).patch(url, {"month": "2026-04"}, format="json")
    assert response.status_code == 400
    assert "month" in response.json()


def test_a_draft_is_deleted_but_a_published_quota_is_not(org, world, api_for):
    api = api_for(org.manager)
    assert api.delete(f"{QUOTAS}{world['rep'].pk}/").status_code == 400
    with across_tenants():
        draft = QuotaFactory(member=org.rep, month=dt.date(2026, 6, 1))
    assert api.delete(f"{QUOTAS}{draft.pk}/").status_code == 204
    assert not Quota.all_tenants.filter(pk=draft.pk).exists()
    assert Quota.all_tenants.filter(pk=world["rep"].pk).exists()


# --- Publish and acknowledge -----------------------------------------------------------


def test_a_manager_publishes_their_teams_drafts(org, world, api_for):
    with across_tenants():
        draft = QuotaFactory(member=org.rep, month=dt.date(2026, 4, 1))
    response = api_for(org.manager).post(
        PUBLISH, {"ids": [draft.pk, world["rep"].pk]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"published": 1}
    assert fresh(draft).status == "published"
    notice = Notification.all_tenants.get(recipient=org.rep, kind="quota.published")
    assert notice.url == "/quotas/mine/"


def test_publishing_ids_one_may_not_see_publishes_nothing(org, world, api_for):
    response = api_for(org.manager).post(
        PUBLISH, {"ids": [world["outsider"].pk, world["foreign"].pk]}, format="json"
    )
    assert response.status_code == 400
    assert str(world["foreign"].pk) in response.json()["ids"][0]
    assert fresh(world["outsider"]).status == fresh(world["foreign"]).status == "draft"


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": ["x"]}, {"ids": [2**64]}])
def test_a_bad_publish_body_is_a_400(org, world, api_for, body):
    assert api_for(org.admin).post(PUBLISH, body, format="json").status_code == 400


def test_the_rep_acknowledges_their_published_quota(org, world, api_for):
    url = f"{QUOTAS}{world['rep'].pk}/acknowledge/"
    response = api_for(org.rep).post(url, {"version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_at"]


def test_only_the_quotas_member_acknowledges_it_through_the_api(org, world, api_for):
    url = f"{QUOTAS}{world['rep'].pk}/acknowledge/"
    assert api_for(org.manager).post(url, {}, format="json").status_code == 403
    assert api_for(org.admin).post(url, {}, format="json").status_code == 403
    outsider_url = f"{QUOTAS}{world['outsider'].pk}/acknowledge/"
    assert api_for(org.rep).post(outsider_url, {}, format="json").status_code == 404
    assert fresh(world["rep"]).status == "published"


def test_acknowledging_a_draft_is_a_400_and_a_changed_figure_a_409(org, world, api_for):
    with across_tenants():
        draft = QuotaFactory(member=org.rep, month=dt.date(2026, 4, 1))
    api = api_for(org.rep)
    assert api.post(f"{QUOTAS}{draft.pk}/acknowledge/", {}, format="json").status_code == 400
    Quota.all_tenants.filter(pk=world["rep"].pk).update(version=2, amount=Decimal("11000"))
    response = api.post(f"{QUOTAS}{world['rep'].pk}/acknowledge/", {"version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["current"]["amount"] == "11000.00"


# --- Targets --------------------------------------------------------------------------


def test_a_quotas_daily_and_weekly_targets_are_listed_in_pages(org, world, api_for):
    api = api_for(org.rep)
    days = api.get(f"{QUOTAS}{world['rep'].pk}/targets/")
    weeks = api.get(f"{QUOTAS}{world['rep'].pk}/targets/?granularity=week")
    assert days.status_code == weeks.status_code == 200
    assert days.json()["count"] == 2
    assert days.json()["results"][0] == {
        "start": "2026-03-02",
        "end": "2026-03-02",
        "amount": "500.00",
        "granularity": "day",
    }
    assert weeks.json()["results"] == [
        {"start": "2026-03-02", "end": "2026-03-06", "amount": "2500.00", "granularity": "week"}
    ]


def test_a_bad_granularity_is_a_400(org, world, api_for):
    response = api_for(org.rep).get(f"{QUOTAS}{world['rep'].pk}/targets/?granularity=month")
    assert response.status_code == 400
    assert "granularity" in response.json()


def test_targets_cost_the_same_queries_for_a_long_month(
    org, world, api_for, django_assert_max_num_queries
):
    api = api_for(org.rep)
    with django_assert_max_num_queries(10) as few:
        api.get(f"{QUOTAS}{world['rep'].pk}/targets/")
    with across_tenants():
        for day in range(9, 31):
            QuotaTargetFactory(quota=world["rep"], start=dt.date(2026, 3, day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(f"{QUOTAS}{world['rep'].pk}/targets/").json()["count"] == 24
    assert QuotaTarget.all_tenants.count() == 25


# --- Attainment -----------------------------------------------------------------------


@pytest.fixture
def computed(org, world):
    """Stored attainment of the rep's and the outsider's March quotas as of 20 March, and
    the rep's snapshot of 10 March."""
    with across_tenants():
        rows = {}
        for name in ("rep", "outsider"):
            rows[name] = Attainment.objects.create(
                tenant=org.tenant,
                quota=world[name],
                as_of=dt.date(2026, 3, 20),
                achieved=Decimal("6000.00"),
                expected_to_date=Decimal("6000.00"),
                attainment_pct=Decimal("63.16"),
                pace_pct=Decimal("100.00"),
                projected=Decimal("9500.00"),
                computed_at=timezone.now(),
            )
        AttainmentSnapshot.objects.create(
            tenant=org.tenant,
            quota=world["rep"],
            day=dt.date(2026, 3, 10),
            achieved=Decimal("1000.00"),
            expected_to_date=Decimal("3000.00"),
            attainment_pct=Decimal("10.53"),
            pace_pct=Decimal("33.33"),
            projected=Decimal("3166.67"),
        )
    return rows


def test_attainment_lists_the_stored_figures_of_the_month(org, world, computed, api_for):
    response = api_for(org.rep).get(f"{ATTAINMENT}?month=2026-03")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "member_id": org.rep.pk,
            "quota_id": world["rep"].pk,
            "metric": "revenue",
            "month": "2026-03",
            "as_of": "2026-03-20",
            "effective_amount": "9500.00",
            "achieved": "6000.00",
            "expected_to_date": "6000.00",
            "attainment_pct": "63.16",
            "pace_pct": "100.00",
            "projected": "9500.00",
        }
    ]


@pytest.mark.parametrize(("role", "count"), [("admin", 2), ("manager", 1), ("rep", 1)])
def test_each_role_reads_the_attainment_it_may_see(org, world, computed, api_for, role, count):
    response = api_for(member(org, role)).get(f"{ATTAINMENT}?month=2026-03")
    assert response.json()["count"] == count


def test_attainment_as_of_a_past_day_reads_that_days_snapshot(org, world, computed, api_for):
    response = api_for(org.admin).get(
        f"{ATTAINMENT}?month=2026-03&as_of=2026-03-10&member_id={org.rep.pk}"
    )
    [row] = response.json()["results"]
    assert (row["as_of"], row["achieved"], row["pace_pct"]) == ("2026-03-10", "1000.00", "33.33")
    # A day without a snapshot says so with nulls rather than guessing.
    response = api_for(org.admin).get(f"{ATTAINMENT}?month=2026-03&as_of=2026-03-11")
    assert {row["achieved"] for row in response.json()["results"]} == {None}
    # A later day than the stored figures reads them.
    response = api_for(org.admin).get(f"{ATTAINMENT}?month=2026-03&as_of=2026-04-30")
    assert {row["as_of"] for row in response.json()["results"]} == {"2026-03-20"}


@pytest.mark.parametrize(
    "query",
    ["as_of=2999-01-01", "month=2026-03&as_of=2026-02-28", "month=26-3", "as_of=x", "member_id=0"],
)
def test_bad_attainment_queries_are_a_400(org, world, computed, api_for, query):
    response = api_for(org.admin).get(f"{ATTAINMENT}?{query}")
    assert response.status_code == 400


def test_attainment_defaults_to_this_month(org, world, computed, api_for):
    response = api_for(org.admin).get(ATTAINMENT)
    assert response.status_code == 200
    this_month = org.tenant.today().replace(day=1)
    expected = 2 if this_month == MARCH else 0
    assert response.json()["count"] == expected


def test_another_organisations_attainment_is_never_listed(org, other, world, computed, api_for):
    with across_tenants():
        Attainment.objects.create(
            tenant=other.tenant,
            quota=world["foreign"],
            as_of=dt.date(2026, 3, 20),
            computed_at=timezone.now(),
        )
    quota_ids = {
        row["quota_id"]
        for row in api_for(org.admin).get(f"{ATTAINMENT}?month=2026-03").json()["results"]
    }
    assert world["foreign"].pk not in quota_ids


def test_the_attainment_list_costs_the_same_queries_for_many_rows(
    org, world, computed, api_for, django_assert_max_num_queries
):
    api = api_for(org.manager)
    url = f"{ATTAINMENT}?month=2026-03&as_of=2026-03-10"
    with django_assert_max_num_queries(12) as few:
        api.get(url)
    with across_tenants():
        for _ in range(20):
            quota = QuotaFactory(member=MembershipFactory(tenant=org.tenant, manager=org.manager))
            Attainment.objects.create(
                tenant=org.tenant,
                quota=quota,
                as_of=dt.date(2026, 3, 20),
                computed_at=timezone.now(),
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(url).json()["count"] == 21


def test_the_schema_documents_the_409_with_the_current_quota():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    conflict = schema["paths"]["/api/v1/quotas/{id}/"]["patch"]["responses"]["409"]
    body = conflict["content"]["application/json"]["schema"]
    assert body["required"] == ["detail", "current"]
    assert body["properties"]["current"]["allOf"] == [{"$ref": "#/components/schemas/Quota"}]
