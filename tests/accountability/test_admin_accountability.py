"""The accountability admin: templates with their criteria saved through the versioning
service (a version in use gets a successor, and the admin is told), bad criteria shown
beside their fields with nothing saved, reviews and scores read only; isolation and roles."""

import datetime as dt

import pytest
from django.utils import timezone

from accountability.models import Criterion, Review, ReviewTemplate
from accountability.services import ScoreInput, review_save, review_start
from accountability.services.templates import CriterionInput, review_template_save
from spm.tenancy.context import across_tenants, tenant_context

from ..admin_helpers import (
    Scoped,
    ScopedAdminChecks,
    messages_of,
    superuser_client_fixture,  # noqa: F401 (a fixture)
)

TEMPLATES = "/admin/accountability/reviewtemplate/"
REVIEWS = "/admin/accountability/review/"
NOW = dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC)


def make_template(org):
    with across_tenants():
        return ReviewTemplate.all_tenants.get(tenant=org.tenant)


def make_review(org):
    with tenant_context(org.tenant):
        review = review_start(
            tenant=org.tenant, actor=org.manager, member=org.rep, period_start=dt.date(2026, 1, 5)
        )
        scores = {row.criterion_id: ScoreInput(4, "Good") for row in review.scores.all()}
        return review_save(tenant=org.tenant, actor=org.manager, review=review, scores=scores)


class TestTheAccountabilityAdminStaysInsideTheOrganisation(ScopedAdminChecks):
    SCOPED = {
        "review template": Scoped(TEMPLATES, make_template, has_delete_page=False),
        "review": Scoped(REVIEWS, make_review, has_delete_page=False),
    }


@pytest.mark.parametrize("url", [TEMPLATES, REVIEWS, TEMPLATES + "add/"])
@pytest.mark.parametrize("role", ["manager", "rep"])
def test_members_without_the_admin_role_are_refused(org, client_for, url, role):
    assert client_for(getattr(org, role)).get(url).status_code == 403


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def criteria_form(template, rows=None, **main) -> dict:
    """The change form as the admin posts it: the template's fields and its criteria."""
    if rows is None:
        rows = [
        {
            "id": str(c.pk),
            "position": str(c.position),
            "label": c.label,
            "metric": c.metric,
            "weight": str(c.weight),
            "guidance": c.guidance,
            **{f"min_for_{s}": "" if getattr(c, f"min_for_{s}") is None else
               str(getattr(c, f"min_for_{s}")) for s in (2, 3, 4, 5)},
        }
        for c in Criterion.all_tenants.filter(template=template).order_by("position")
    ]  # fmt: skip
    data = {
        "name": template.name,
        "cadence": template.cadence,
        "active": "on" if template.active else "",
        "criteria-TOTAL_FORMS": str(len(rows)),
        "criteria-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        **main,
    }
    if not data["active"]:
        del data["active"]
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"criteria-{index}-{key}"] = value
        if row.get("id"):
            data[f"criteria-{index}-template"] = str(template.pk)
    return data


def test_a_template_change_page_shows_its_criteria_and_that_it_is_in_use(org, client_for, now):
    template = make_template(org)
    response = client_for(org.admin).get(f"{TEMPLATES}{template.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Quota attainment" in text
    assert "makes version 2, which applies from 1 Jul 2026" in text


def test_editing_a_version_in_use_saves_a_new_version_and_says_so(org, client_for, now):
    template = make_template(org)
    data = criteria_form(template, name="Sales performance 2026")
    data["criteria-0-weight"] = "45"
    response = client_for(org.admin).post(f"{TEMPLATES}{template.pk}/change/", data, follow=True)
    assert response.status_code == 200
    shown = " ".join(messages_of(response))
    assert "Version 1 is in use" in shown
    assert "saved as version 2, which applies from 1 Jul 2026" in shown
    with across_tenants():
        versions = list(ReviewTemplate.all_tenants.filter(tenant=org.tenant).order_by("version"))
        assert [(t.version, t.name) for t in versions] == [
            (1, "Sales performance"),
            (2, "Sales performance 2026"),
        ]
        first_weights = [c.weight for c in versions[0].criteria.order_by("position")]
        second_weights = [c.weight for c in versions[1].criteria.order_by("position")]
    assert str(first_weights[0]) == "40.00" and str(second_weights[0]) == "45.00"
    assert first_weights[1:] == second_weights[1:]


def test_editing_an_upcoming_version_changes_it_in_place(org, client_for, now):
    with tenant_context(org.tenant):
        upcoming = review_template_save(
            tenant=org.tenant,
            actor=org.admin,
            template=make_template(org),
            criteria=[CriterionInput("Pace", "pace", "10", "80", "95", "105", "120")],
        )
    data = criteria_form(upcoming)
    data["criteria-0-label"] = "Pace to date"
    response = client_for(org.admin).post(f"{TEMPLATES}{upcoming.pk}/change/", data, follow=True)
    assert response.status_code == 200
    assert not any("in use" in message for message in messages_of(response))
    with across_tenants():
        assert ReviewTemplate.all_tenants.filter(tenant=org.tenant).count() == 2
        assert list(upcoming.criteria.values_list("label", flat=True)) == ["Pace to date"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight", "-5", "Enter a weight from 0 to 100"),
        ("min_for_4", "80", "Thresholds must rise"),
        ("min_for_5", "", "threshold for each of scores 2 to 5"),
    ],
)
def test_bad_criteria_show_beside_their_field_and_save_nothing(
    org, client_for, now, field, value, message
):
    template = make_template(org)
    data = criteria_form(template)
    data[f"criteria-0-{field}"] = value
    response = client_for(org.admin).post(f"{TEMPLATES}{template.pk}/change/", data)
    assert response.status_code == 200  # The form again, with the error.
    assert message in response.content.decode()
    with across_tenants():
        assert ReviewTemplate.all_tenants.filter(tenant=org.tenant).count() == 1


def test_a_manual_criterion_with_thresholds_and_all_weights_zero_are_refused(org, client_for, now):
    template = make_template(org)
    data = criteria_form(template)
    data["criteria-5-min_for_2"] = "3"  # The manual criterion.
    response = client_for(org.admin).post(f"{TEMPLATES}{template.pk}/change/", data)
    assert "has no thresholds" in response.content.decode()
    data = criteria_form(template)
    for index in range(6):
        data[f"criteria-{index}-weight"] = "0"
    response = client_for(org.admin).post(f"{TEMPLATES}{template.pk}/change/", data)
    assert "at least one criterion a weight above 0" in response.content.decode()
    with across_tenants():
        assert ReviewTemplate.all_tenants.filter(tenant=org.tenant).count() == 1


def test_adding_a_template_publishes_it_from_the_next_period(org, client_for, now):
    rows = [
        {"position": "0", "label": "Coaching", "metric": "manual", "weight": "1", "guidance": "",
         "min_for_2": "", "min_for_3": "", "min_for_4": "", "min_for_5": ""},
    ]  # fmt: skip
    data = criteria_form(ReviewTemplate(name="Ramp-up", cadence="monthly"), rows)
    response = client_for(org.admin).post(f"{TEMPLATES}add/", data, follow=True)
    assert response.status_code == 200
    assert any("applies from 1 Jun 2026" in message for message in messages_of(response))
    with across_tenants():
        created = ReviewTemplate.all_tenants.get(tenant=org.tenant, name="Ramp-up")
        assert (created.effective_from, created.version) == (dt.date(2026, 6, 1), 1)
        assert list(created.criteria.values_list("label", flat=True)) == ["Coaching"]


def test_templates_are_never_deleted(org, client_for):
    template = make_template(org)
    response = client_for(org.admin).post(f"{TEMPLATES}{template.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    with across_tenants():
        assert ReviewTemplate.all_tenants.filter(pk=template.pk).exists()


def test_reviews_and_their_scores_are_read_only(org, client_for):
    review = make_review(org)
    client = client_for(org.admin)
    page = client.get(f"{REVIEWS}{review.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Quota attainment" in text and "Good" in text
    assert 'name="_save"' not in text
    posted = client.post(f"{REVIEWS}{review.pk}/change/", {"summary": "Changed"})
    assert posted.status_code == 403
    assert client.get(f"{REVIEWS}add/").status_code == 403
    assert client.post(f"{REVIEWS}{review.pk}/delete/", {"post": "yes"}).status_code == 403
    with across_tenants():
        assert Review.all_tenants.get(pk=review.pk).summary == ""
