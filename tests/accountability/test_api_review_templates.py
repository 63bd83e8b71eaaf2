"""The review-templates API: every member reads every version with its criteria and their
thresholds in words; nothing is written through it; another organisation's is a 404."""

import datetime as dt

import pytest
from django.utils import timezone

from accountability.models import ReviewTemplate
from accountability.services.templates import CriterionInput, review_template_save
from spm.inputs import EARLIEST_DATE
from spm.tenancy.context import tenant_context

TEMPLATES = "/api/v1/review-templates/"
ROLES = ["admin", "manager", "rep"]


def default(org) -> ReviewTemplate:
    return ReviewTemplate.all_tenants.get(tenant=org.tenant)


@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads_the_templates_with_thresholds_in_words(org, other, api_for, role):
    response = api_for(getattr(org, role)).get(TEMPLATES)
    assert response.status_code == 200
    [template] = response.json()["results"]
    assert template["id"] == default(org).pk
    assert (template["name"], template["cadence"], template["version"], template["locked"]) == (
        "Sales performance",
        "quarterly",
        1,
        True,
    )
    attainment, *_, manual = template["criteria"]
    assert attainment["label"] == "Quota attainment"
    assert attainment["min_for_3"] == "90.00"
    # The words are the pages' (accountability.selectors.reviews.thresholds_in_words).
    words = attainment["thresholds_in_words"]
    assert len(words) == 5
    assert words[1:4] == [
        "Below: 70–90% of quota",
        "Meets: 90–110% of quota",
        "Exceeds: 110–130% of quota",
    ]
    assert words[0].startswith("Far below:") and "70%" in words[0]
    assert words[4].startswith("Outstanding:") and "130%" in words[4]
    assert manual["metric"] == "manual"
    assert manual["thresholds_in_words"] == []


def test_another_organisations_template_is_a_404(org, other, api_for):
    api = api_for(org.rep)
    assert api.get(f"{TEMPLATES}{default(other).pk}/").status_code == 404
    assert api.get(f"{TEMPLATES}{default(org).pk}/").status_code == 200


def test_a_new_version_is_listed_unlocked_until_its_period_starts(org, api_for, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC))
    default_id = default(org).pk
    with tenant_context(org.tenant):
        successor = review_template_save(
            tenant=org.tenant,
            actor=org.admin,
            template=default(org),
            criteria=[CriterionInput("Deals", "activity_count", "1", "10", "20", "30", "40")],
        )
    rows = api_for(org.rep).get(TEMPLATES).json()["results"]
    assert [(row["id"], row["version"], row["locked"], row["effective_from"]) for row in rows] == [
        (successor.pk, 2, False, "2026-07-01"),
        (default_id, 1, True, EARLIEST_DATE.isoformat()),
    ]
    assert rows[0]["criteria"][0]["thresholds_in_words"][2] == "Meets: 20–30 selling activities"


@pytest.mark.parametrize("role", ROLES)
def test_nothing_is_written_through_the_api(org, api_for, role):
    api = api_for(getattr(org, role))
    url = f"{TEMPLATES}{default(org).pk}/"
    assert api.post(TEMPLATES, {"name": "New"}, format="json").status_code in (403, 405)
    assert api.patch(url, {"name": "Renamed"}, format="json").status_code in (403, 405)
    assert api.delete(url).status_code in (403, 405)
    assert default(org).name == "Sales performance"


def test_the_list_reads_in_a_fixed_number_of_queries(org, api_for, django_assert_max_num_queries):
    api = api_for(org.rep)
    with django_assert_max_num_queries(10) as few:
        api.get(TEMPLATES)
    with tenant_context(org.tenant):
        for n in range(5):
            ReviewTemplate.objects.create(
                tenant=org.tenant, name=f"T{n}", effective_from=dt.date(2027, 1, 1)
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(TEMPLATES).json()["results"]) == 6
