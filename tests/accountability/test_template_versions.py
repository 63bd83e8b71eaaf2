"""Template versions: a version is locked once a period it applies to has started; a change
to a locked one makes the next version from the next period and leaves it as it was; an
unlocked one changes in place; weights and thresholds are checked and bad input changes
nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accountability.models import Cadence, Criterion, ReviewTemplate
from accountability.services import review_start, template_for
from accountability.services.templates import (
    CriterionInput,
    criterion_problems,
    review_template_create,
    review_template_save,
    template_is_locked,
)
from spm.tenancy.context import tenant_context

M = Criterion.Metric
# 20 May 2026 in the organisation (Los Angeles): the second quarter has started.
NOW = dt.datetime(2026, 5, 20, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def scope(org, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    org.tenant.timezone = "America/Los_Angeles"
    org.tenant.save(update_fields=["timezone"])
    with tenant_context(org.tenant):
        yield org


def default(org) -> ReviewTemplate:
    return ReviewTemplate.objects.get(tenant=org.tenant)


def inputs(template) -> list[CriterionInput]:
    return [CriterionInput.of(row) for row in template.criteria.order_by("position")]


def snapshot(template) -> list[tuple]:
    return list(
        template.criteria.order_by("position").values_list(
            "label", "metric", "weight", "min_for_2", "min_for_3", "min_for_4", "min_for_5"
        )
    )


def simple(**changes) -> list[CriterionInput]:
    values = dict(label="Quota", metric=M.ATTAINMENT, weight="60", min_for_2="70",
                  min_for_3="90", min_for_4="110", min_for_5="130")  # fmt: skip
    values.update(changes)
    return [CriterionInput(**values), CriterionInput("Coaching", M.MANUAL, "40")]


def test_a_version_is_locked_once_its_first_period_has_started(scope):
    template = default(scope)
    assert template_is_locked(tenant=scope.tenant, template=template)
    template.effective_from = dt.date(2026, 7, 1)
    assert not template_is_locked(tenant=scope.tenant, template=template)
    template.effective_from = dt.date(2026, 4, 1)
    assert template_is_locked(tenant=scope.tenant, template=template)


def test_the_organisations_today_decides(scope, monkeypatch):
    # 03:00 UTC on 1 July is still 30 June in Los Angeles.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 7, 1, 3, tzinfo=dt.UTC))
    template = default(scope)
    template.effective_from = dt.date(2026, 7, 1)
    assert not template_is_locked(tenant=scope.tenant, template=template)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 7, 1, 8, tzinfo=dt.UTC))
    assert template_is_locked(tenant=scope.tenant, template=template)


def test_changing_a_locked_version_makes_the_next_one_from_the_next_period(scope):
    locked = default(scope)
    before = snapshot(locked)
    criteria = inputs(locked)
    criteria[0] = CriterionInput(**{**criteria[0].__dict__, "weight": Decimal("50")})
    criteria = criteria[:-1]  # The manual criterion goes.
    successor = review_template_save(
        tenant=scope.tenant,
        actor=scope.admin,
        template=locked,
        name="Sales 2026",
        criteria=criteria,
    )
    assert successor.pk != locked.pk
    assert (successor.family, successor.version, successor.effective_from) == (
        locked.family,
        2,
        dt.date(2026, 7, 1),
    )
    assert successor.name == "Sales 2026"
    assert [row[2] for row in snapshot(successor)] == [Decimal("50"), *[r[2] for r in before[1:-1]]]
    locked.refresh_from_db()
    assert (locked.name, locked.version, snapshot(locked)) == ("Sales performance", 1, before)
    # The running quarter keeps its version; the next one uses the new one.
    assert template_for(tenant=scope.tenant, day=dt.date(2026, 6, 30)) == locked
    assert template_for(tenant=scope.tenant, day=dt.date(2026, 7, 1)) == successor


def test_changing_an_unlocked_version_changes_it_in_place(scope):
    successor = review_template_save(
        tenant=scope.tenant, actor=scope.admin, template=default(scope), criteria=simple()
    )
    rows = list(successor.criteria.order_by("position"))
    quota_id = rows[0].pk
    again = review_template_save(
        tenant=scope.tenant,
        actor=scope.admin,
        template=successor,
        name="Renamed",
        criteria=[
            CriterionInput(**{**CriterionInput.of(rows[0]).__dict__, "min_for_5": "150"}),
            CriterionInput("Pace", M.PACE, "40", "80", "95", "105", "120"),
        ],
    )
    assert again.pk == successor.pk
    assert ReviewTemplate.objects.filter(tenant=scope.tenant).count() == 2
    assert again.name == "Renamed"
    assert snapshot(again) == [
        ("Quota", M.ATTAINMENT, Decimal("60"), Decimal("70"), Decimal("90"), Decimal("110"),
         Decimal("150")),
        ("Pace", M.PACE, Decimal("40"), Decimal("80"), Decimal("95"), Decimal("105"),
         Decimal("120")),
    ]  # fmt: skip
    assert again.criteria.order_by("position").first().pk == quota_id  # Kept, not re-made.


def test_the_locked_version_gives_way_only_to_its_latest_successor(scope):
    locked = default(scope)
    review_template_save(tenant=scope.tenant, actor=scope.admin, template=locked, criteria=simple())
    with pytest.raises(ValidationError, match="Version 2 of this template already applies"):
        review_template_save(
            tenant=scope.tenant, actor=scope.admin, template=locked, criteria=simple(weight="10")
        )
    assert ReviewTemplate.objects.filter(tenant=scope.tenant).count() == 2


def test_saving_a_locked_version_unchanged_makes_no_version(scope):
    locked = default(scope)
    same = review_template_save(
        tenant=scope.tenant, actor=scope.admin, template=locked, criteria=inputs(locked)
    )
    assert same.pk == locked.pk
    assert ReviewTemplate.objects.filter(tenant=scope.tenant).count() == 1


def test_switching_a_locked_version_off_is_in_place(scope):
    locked = default(scope)
    saved = review_template_save(
        tenant=scope.tenant, actor=scope.admin, template=locked, active=False
    )
    assert (saved.pk, saved.active) == (locked.pk, False)
    assert ReviewTemplate.objects.filter(tenant=scope.tenant).count() == 1


def test_a_monthly_successor_starts_next_month(scope):
    successor = review_template_save(
        tenant=scope.tenant, actor=scope.admin, template=default(scope), cadence=Cadence.MONTHLY
    )
    assert (successor.cadence, successor.effective_from) == (Cadence.MONTHLY, dt.date(2026, 6, 1))


def test_reviews_use_the_version_in_force_when_their_period_began(scope, monkeypatch):
    locked = default(scope)
    successor = review_template_save(
        tenant=scope.tenant, actor=scope.admin, template=locked, criteria=simple()
    )
    now = review_start(tenant=scope.tenant, actor=scope.manager, member=scope.rep)
    assert (now.template, now.period_start) == (locked, dt.date(2026, 4, 1))
    assert now.scores.count() == 6
    with pytest.raises(ValidationError, match="not started"):
        review_start(
            tenant=scope.tenant,
            actor=scope.manager,
            member=scope.rep,
            period_start=dt.date(2026, 7, 1),
        )
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 7, 2, 18, tzinfo=dt.UTC))
    later = review_start(tenant=scope.tenant, actor=scope.manager, member=scope.rep)
    assert (later.template, later.scores.count()) == (successor, 2)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        (simple(weight="-1"), "weight from 0 to 100"),
        (simple(weight="101"), "weight from 0 to 100"),
        (simple(weight="lots"), "weight from 0 to 100"),
        ([CriterionInput("Quota", M.ATTAINMENT, "0", "1", "2", "3", "4")], "above 0"),
        (simple(min_for_4="90"), "Thresholds must rise"),
        (simple(min_for_3="120"), "Thresholds must rise"),
        (simple(min_for_5=None), "threshold for each of scores 2 to 5"),
        (simple(min_for_2="x"), "Enter a number"),
        ([CriterionInput("Coaching", M.MANUAL, "10", min_for_2="5")], "has no thresholds"),
        ([CriterionInput("", M.MANUAL, "10")], "label"),
        ([CriterionInput("Luck", "luck", "10")], "Choose one of the listed metrics"),
        ([], "at least one criterion"),
    ],
)
def test_bad_criteria_are_refused_and_change_nothing(scope, criteria, message):
    locked = default(scope)
    before = snapshot(locked)
    with pytest.raises(ValidationError, match=message) as error:
        review_template_save(
            tenant=scope.tenant, actor=scope.admin, template=locked, criteria=criteria
        )
    assert "criteria" in error.value.message_dict
    assert ReviewTemplate.objects.filter(tenant=scope.tenant).count() == 1
    assert snapshot(default(scope)) == before


def test_bad_name_or_cadence_is_refused(scope):
    locked = default(scope)
    with pytest.raises(ValidationError) as error:
        review_template_save(
            tenant=scope.tenant, actor=scope.admin, template=locked, name=" ", cadence="yearly"
        )
    assert set(error.value.message_dict) == {"name", "cadence"}


def test_criterion_problems_name_the_field():
    assert criterion_problems(CriterionInput("Pace", M.PACE, "10", "80", "95", "105", "120")) == {}
    assert set(
        criterion_problems(CriterionInput("Pace", M.PACE, "10", "80", "95", "95", "120"))
    ) == {"min_for_4"}


def test_a_new_template_is_published_ahead(scope):
    family = default(scope).family
    created = review_template_create(
        tenant=scope.tenant, actor=scope.admin, name="Ramp-up", cadence=Cadence.MONTHLY,
        criteria=simple(),
    )  # fmt: skip
    assert (created.version, created.effective_from) == (1, dt.date(2026, 6, 1))
    assert created.family != family
    for bad_day in (dt.date(2026, 5, 1), dt.date(2026, 6, 15)):
        with pytest.raises(ValidationError) as error:
            review_template_create(
                tenant=scope.tenant, actor=scope.admin, name="Other", cadence=Cadence.MONTHLY,
                criteria=simple(), effective_from=bad_day,
            )  # fmt: skip
        assert "effective_from" in error.value.message_dict
    assert ReviewTemplate.objects.filter(tenant=scope.tenant).count() == 2
