"""Reviews: evidence from known data and the scores it suggests, in a fixed number of
queries; starting a review (idempotent), scoring, sharing (the member is notified),
acknowledging (the member alone; read-only afterwards), correcting; who may."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accountability.models import ActionItem, Criterion, Review, ReviewScore, ReviewTemplate
from accountability.selectors.evidence import evidence_for, evidence_for_many, suggested_score
from accountability.services import (
    ScoreInput,
    review_acknowledge,
    review_correct,
    review_save,
    review_share,
    review_start,
    template_for,
)
from activities.models import ActivityType
from quotas.models import Attainment, Metric
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role
from spm.tenancy.versioning import StaleVersion

from ..activities.factories import ActivityFactory
from ..factories import MembershipFactory
from ..quotas.factories import QuotaFactory
from .factories import ActionItemFactory, CriterionFactory, ReviewTemplateFactory

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
M = Criterion.Metric


@pytest.fixture
def scope(org):
    org.tenant.timezone = "America/Los_Angeles"
    org.tenant.save(update_fields=["timezone"])
    with tenant_context(org.tenant):
        yield org


def template_of(org) -> ReviewTemplate:
    return ReviewTemplate.objects.get(tenant=org.tenant)


def by_metric(template) -> dict[str, Criterion]:
    return {criterion.metric: criterion for criterion in template.criteria.all()}


def quota(member, month, effective, achieved, expected, metric=Metric.REVENUE):
    row = QuotaFactory(member=member, month=month, metric=metric, effective_amount=effective)
    Attainment.all_tenants.create(
        tenant=member.tenant,
        quota=row,
        as_of=month,
        achieved=Decimal(achieved),
        expected_to_date=Decimal(expected),
        computed_at=timezone.now(),
    )
    return row


def known_data(org):
    """Q1 2026 for ``org.rep``: 90% of quota, 108% pace, 90.0% selling, 3 selling
    activities, 2 of 4 action items done on time (a dropped one left out)."""
    rep, tenant = org.rep, org.tenant
    quota(rep, dt.date(2026, 1, 1), "10000", "9000", "10000")
    quota(rep, dt.date(2026, 2, 1), "10000", "12000", "10000")
    quota(rep, dt.date(2026, 3, 1), "10000", "6000", "5000")
    quota(rep, dt.date(2026, 4, 1), "10000", "50000", "100")  # Another quarter.
    quota(rep, dt.date(2026, 2, 1), "10", "1", "10", metric=Metric.DEALS)  # Not revenue.
    call = ActivityType.all_tenants.get(tenant=tenant, name="Call")
    admin_work = ActivityType.all_tenants.get(tenant=tenant, name="Reporting")
    ActivityFactory(member=rep, type=call, date=dt.date(2026, 1, 5), duration_minutes=90)
    ActivityFactory(member=rep, type=call, date=dt.date(2026, 2, 5), duration_minutes=90)
    ActivityFactory(member=rep, type=call, date=dt.date(2026, 3, 31), duration_minutes=90)
    ActivityFactory(member=rep, type=admin_work, date=dt.date(2026, 3, 2), duration_minutes=30)
    ActivityFactory(member=rep, type=call, date=dt.date(2026, 4, 1), duration_minutes=300)
    done = ActionItem.Status.DONE
    utc = dt.UTC
    due = dt.date(2026, 3, 15)
    # Done at 22:00 on the due date in Los Angeles (the next day in UTC): on time.
    ActionItemFactory(
        member=rep, due_date=due, status=done, completed_at=dt.datetime(2026, 3, 16, 5, tzinfo=utc)
    )
    ActionItemFactory(
        member=rep, due_date=due, status=done, completed_at=dt.datetime(2026, 3, 1, 9, tzinfo=utc)
    )
    # Done the day after (in Los Angeles): late.
    ActionItemFactory(
        member=rep, due_date=due, status=done, completed_at=dt.datetime(2026, 3, 17, 5, tzinfo=utc)
    )
    ActionItemFactory(member=rep, due_date=due)  # Still open.
    ActionItemFactory(member=rep, due_date=due, status=ActionItem.Status.DROPPED)
    ActionItemFactory(member=rep, due_date=dt.date(2026, 4, 2))  # Another quarter.
    ActionItemFactory(member=rep, owner=org.manager, due_date=due)  # The manager owes it.


# --- Evidence and suggested scores ------------------------------------------------------------


def test_evidence_and_suggested_scores_from_known_data(scope):
    known_data(scope)
    template = template_of(scope)
    criteria = by_metric(template)
    evidence = evidence_for(
        tenant=scope.tenant,
        member=scope.rep,
        template=template,
        period_start=Q1[0],
        period_end=Q1[1],
    )
    values = {metric: evidence[criterion.pk] for metric, criterion in criteria.items()}
    assert values == {
        M.ATTAINMENT: Decimal("90.00"),
        M.PACE: Decimal("108.00"),
        M.SELLING_RATIO: Decimal("90.0"),
        M.ACTIVITY_COUNT: Decimal("3"),
        M.ACTION_ITEMS_ON_TIME: Decimal("50.00"),
        M.MANUAL: None,
    }
    scores = {metric: suggested_score(criteria[metric], values[metric]) for metric in criteria}
    # Thresholds of the default template: attainment 70/90/110/130, pace 80/95/105/120,
    # selling 70/80/90/95, activities 150/250/350/450, action items 50/70/85/100.
    assert scores == {
        M.ATTAINMENT: 3,
        M.PACE: 4,
        M.SELLING_RATIO: 4,
        M.ACTIVITY_COUNT: 1,
        M.ACTION_ITEMS_ON_TIME: 2,
        M.MANUAL: None,
    }


def test_no_data_is_no_evidence_but_no_activity_is_zero(scope):
    template = template_of(scope)
    criteria = by_metric(template)
    evidence = evidence_for(
        tenant=scope.tenant,
        member=scope.outsider_rep,
        template=template,
        period_start=Q1[0],
        period_end=Q1[1],
    )
    assert {metric: evidence[c.pk] for metric, c in criteria.items()} == {
        M.ATTAINMENT: None,
        M.PACE: None,
        M.SELLING_RATIO: None,
        M.ACTIVITY_COUNT: Decimal("0"),
        M.ACTION_ITEMS_ON_TIME: None,
        M.MANUAL: None,
    }


def test_a_zero_quota_gives_no_attainment(scope):
    quota(scope.rep, dt.date(2026, 1, 1), "0", "500", "0")
    template = template_of(scope)
    attainment = by_metric(template)[M.ATTAINMENT]
    evidence = evidence_for(
        tenant=scope.tenant,
        member=scope.rep,
        template=template,
        period_start=Q1[0],
        period_end=Q1[1],
    )
    assert evidence[attainment.pk] is None


@pytest.mark.parametrize(
    ("evidence", "score"),
    [
        (Decimal("0"), 1),
        (Decimal("69.99"), 1),
        (Decimal("70"), 2),
        (Decimal("89.99"), 2),
        (Decimal("90"), 3),
        (Decimal("110"), 4),
        (Decimal("129.99"), 4),
        (Decimal("130"), 5),
        (Decimal("500"), 5),
        (None, None),
    ],
)
def test_suggested_score_from_the_thresholds(evidence, score):
    criterion = Criterion(
        metric=M.ATTAINMENT,
        weight=Decimal("1"),
        min_for_2=Decimal("70"),
        min_for_3=Decimal("90"),
        min_for_4=Decimal("110"),
        min_for_5=Decimal("130"),
    )
    assert suggested_score(criterion, evidence) == score


def test_a_manual_criterion_suggests_nothing():
    assert suggested_score(Criterion(metric=M.MANUAL, weight=Decimal(1)), Decimal("99")) is None


def test_evidence_for_many_reads_in_a_fixed_number_of_queries(scope, django_assert_num_queries):
    known_data(scope)
    template = template_of(scope)
    criteria = list(template.criteria.all())
    few = [scope.rep, scope.outsider_rep]
    many = few + [
        MembershipFactory(tenant=scope.tenant, role=Role.REP, manager=scope.manager)
        for _ in range(48)
    ]
    for member in many[2:12]:
        quota(member, dt.date(2026, 2, 1), "1000", "1000", "1000")
    # The criteria, then one query per metric: quotas (attainment and pace), selling time,
    # activity count, action items.
    with django_assert_num_queries(5):
        small = evidence_for_many(scope.tenant, few, template, *Q1)
    with django_assert_num_queries(5):
        large = evidence_for_many(scope.tenant, many, template, *Q1)
    with django_assert_num_queries(4):
        evidence_for_many(scope.tenant, many, template, *Q1, criteria=criteria)
    assert small[scope.rep.pk] == large[scope.rep.pk]
    attainment = by_metric(template)[M.ATTAINMENT]
    assert large[many[5].pk][attainment.pk] == Decimal("100.00")
    assert len(large) == 50


# --- Templates in force -----------------------------------------------------------------------


def test_template_for_takes_the_latest_version_in_force(scope):
    first = template_of(scope)
    later = ReviewTemplateFactory(
        tenant=scope.tenant, family=first.family, version=2, effective_from=dt.date(2026, 4, 1)
    )
    assert template_for(tenant=scope.tenant, day=dt.date(2026, 3, 31)) == first
    assert template_for(tenant=scope.tenant, day=dt.date(2026, 4, 1)) == later
    later.active = False
    later.save()
    assert template_for(tenant=scope.tenant, day=dt.date(2026, 5, 1)) == first


# --- Starting -------------------------------------------------------------------------------


def test_starting_a_review_fills_evidence_and_suggestions_once(scope):
    known_data(scope)
    review = review_start(
        tenant=scope.tenant, actor=scope.manager, member=scope.rep, period_start=dt.date(2026, 2, 9)
    )
    assert (review.period_start, review.period_end) == Q1
    assert (review.status, review.reviewer, review.template) == (
        Review.Status.DRAFT,
        scope.manager,
        template_of(scope),
    )
    scores = {row.criterion.metric: row for row in review.scores.select_related("criterion")}
    assert scores[M.ATTAINMENT].evidence == Decimal("90.00")
    assert scores[M.ATTAINMENT].suggested_score == 3
    assert scores[M.PACE].suggested_score == 4
    assert scores[M.MANUAL].evidence is None
    assert all(row.final_score is None for row in scores.values())
    again = review_start(
        tenant=scope.tenant,
        actor=scope.manager,
        member=scope.rep,
        period_start=dt.date(2026, 3, 30),
    )
    assert again.pk == review.pk
    assert Review.objects.filter(tenant=scope.tenant).count() == 1


def test_the_default_period_is_todays_in_the_organisations_time_zone(scope, monkeypatch):
    # 03:00 UTC on 1 April is still 31 March in Los Angeles: the first quarter.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC))
    review = review_start(tenant=scope.tenant, actor=scope.admin, member=scope.rep)
    assert (review.period_start, review.period_end) == Q1


@pytest.mark.parametrize(
    ("actor", "member", "allowed"),
    [
        ("manager", "rep", True),
        ("admin", "rep", True),
        ("admin", "manager", True),
        ("admin", "outsider_rep", True),
        ("manager", "outsider_rep", False),
        ("manager", "manager", False),
        ("admin", "admin", False),
        ("rep", "rep", False),
        ("rep", "outsider_rep", False),
        ("manager", "admin", False),
    ],
)
def test_who_may_start_a_review(scope, actor, member, allowed):
    start = dict(
        tenant=scope.tenant,
        actor=getattr(scope, actor),
        member=getattr(scope, member),
        period_start=Q1[0],
    )
    if allowed:
        assert review_start(**start).reviewer == getattr(scope, actor)
    else:
        with pytest.raises(PermissionDenied):
            review_start(**start)
        assert not Review.objects.filter(tenant=scope.tenant).exists()


def test_an_indirect_report_is_reviewed_by_the_higher_manager(scope):
    deep = MembershipFactory(tenant=scope.tenant, role=Role.REP, manager=scope.rep)
    review = review_start(tenant=scope.tenant, actor=scope.manager, member=deep, period_start=Q1[0])
    assert review.member == deep


def test_another_organisations_member_is_refused(other, scope):
    with pytest.raises(ValidationError):
        review_start(tenant=scope.tenant, actor=scope.admin, member=other.rep, period_start=Q1[0])


# --- Scoring, sharing, acknowledging --------------------------------------------------------------


@pytest.fixture
def draft(scope):
    return review_start(
        tenant=scope.tenant, actor=scope.manager, member=scope.rep, period_start=Q1[0]
    )


def all_scores(review, value=3) -> dict[int, ScoreInput]:
    return {row.criterion_id: ScoreInput(value, "") for row in review.scores.all()}


def test_saving_scores_recomputes_the_weighted_mean(scope, draft):
    criteria = by_metric(draft.template)
    # Weights 40 and 20: (40 × 4 + 20 × 3) ÷ 60 = 3.666… → 3.67.
    saved = review_save(
        tenant=scope.tenant,
        actor=scope.manager,
        review=draft,
        scores={
            criteria[M.ATTAINMENT].pk: ScoreInput(4, " Strong February "),
            criteria[M.SELLING_RATIO].pk: ScoreInput(3),
        },
        summary="A good quarter.",
        version=1,
    )
    assert (saved.overall_score, saved.summary, saved.version) == (
        Decimal("3.67"),
        "A good quarter.",
        2,
    )
    note = ReviewScore.objects.get(review=draft, criterion=criteria[M.ATTAINMENT]).note
    assert note == "Strong February"
    # Clearing a score leaves the others' mean.
    saved = review_save(
        tenant=scope.tenant,
        actor=scope.manager,
        review=saved,
        scores={criteria[M.ATTAINMENT].pk: ScoreInput(None)},
        version=2,
    )
    assert saved.overall_score == Decimal("3.00")
    assert saved.summary == "A good quarter."


def test_the_overall_score_rounds_half_up(scope, draft):
    criteria = by_metric(draft.template)
    # Weights 40, 10 and 10 scored 5, 4 and 4: (200 + 40 + 40) ÷ 60 = 4.666… → 4.67.
    saved = review_save(
        tenant=scope.tenant,
        actor=scope.manager,
        review=draft,
        scores={
            criteria[M.ATTAINMENT].pk: ScoreInput(5),
            criteria[M.PACE].pk: ScoreInput(4),
            criteria[M.MANUAL].pk: ScoreInput(4),
        },
    )
    assert saved.overall_score == Decimal("4.67")


def test_a_stale_version_is_refused_and_changes_nothing(scope, draft):
    scores = all_scores(draft)
    review_save(tenant=scope.tenant, actor=scope.manager, review=draft, scores={}, version=1)
    with pytest.raises(StaleVersion) as stale:
        review_save(
            tenant=scope.tenant, actor=scope.manager, review=draft, scores=scores, version=1
        )
    assert stale.value.current.version == 2
    assert not ReviewScore.objects.filter(review=draft, final_score__isnull=False).exists()


@pytest.mark.parametrize("bad", [0, 6, "4", 3.5, True])
def test_a_score_outside_1_to_5_is_refused_and_changes_nothing(scope, draft, bad):
    criteria = by_metric(draft.template)
    with pytest.raises(ValidationError) as error:
        review_save(
            tenant=scope.tenant,
            actor=scope.manager,
            review=draft,
            scores={criteria[M.PACE].pk: ScoreInput(3), criteria[M.ATTAINMENT].pk: ScoreInput(bad)},
            summary="Changed",
        )
    assert "scores" in error.value.message_dict
    draft.refresh_from_db()
    assert (draft.version, draft.summary, draft.overall_score) == (1, "", None)
    assert not ReviewScore.objects.filter(review=draft, final_score__isnull=False).exists()


def test_a_criterion_of_another_template_is_refused(scope, draft):
    stranger = CriterionFactory(
        template=ReviewTemplateFactory(tenant=scope.tenant, effective_from=dt.date(2027, 1, 1))
    )
    with pytest.raises(ValidationError):
        review_save(
            tenant=scope.tenant,
            actor=scope.manager,
            review=draft,
            scores={stranger.pk: ScoreInput(3)},
        )


def test_sharing_needs_every_final_score(scope, draft):
    with pytest.raises(ValidationError) as error:
        review_share(tenant=scope.tenant, actor=scope.manager, review=draft)
    assert "Quota attainment" in str(error.value.message_dict["scores"])
    draft.refresh_from_db()
    assert draft.status == Review.Status.DRAFT


def test_sharing_notifies_the_member(scope, draft, django_capture_on_commit_callbacks):
    review_save(tenant=scope.tenant, actor=scope.manager, review=draft, scores=all_scores(draft))
    with django_capture_on_commit_callbacks(execute=True):
        shared = review_share(tenant=scope.tenant, actor=scope.manager, review=draft, version=2)
    assert (shared.status, shared.version, shared.overall_score) == (
        Review.Status.SHARED,
        3,
        Decimal("3.00"),
    )
    assert shared.shared_at is not None
    [note] = Notification.all_tenants.filter(recipient=scope.rep)
    assert note.title == "Your review for 1 Jan 2026 – 31 Mar 2026 is ready"
    assert [message.to for message in mail.outbox] == [[scope.rep.user.email]]


def test_the_member_alone_acknowledges_then_it_is_read_only(scope, draft):
    review_save(tenant=scope.tenant, actor=scope.manager, review=draft, scores=all_scores(draft))
    shared = review_share(tenant=scope.tenant, actor=scope.manager, review=draft)
    for someone in (scope.manager, scope.admin, scope.outsider_rep):
        with pytest.raises(PermissionDenied):
            review_acknowledge(tenant=scope.tenant, actor=someone, review=shared)
    done = review_acknowledge(
        tenant=scope.tenant, actor=scope.rep, review=shared, comment=" Fair. ", version=3
    )
    assert (done.status, done.member_comment, done.version) == (
        Review.Status.ACKNOWLEDGED,
        "Fair.",
        4,
    )
    with pytest.raises(ValidationError):
        review_save(
            tenant=scope.tenant, actor=scope.manager, review=done, scores=all_scores(done, 5)
        )
    with pytest.raises(ValidationError):
        review_acknowledge(tenant=scope.tenant, actor=scope.rep, review=done)
    with pytest.raises(ValidationError):
        review_share(tenant=scope.tenant, actor=scope.manager, review=done)
    assert set(ReviewScore.objects.filter(review=done).values_list("final_score", flat=True)) == {3}


def test_a_draft_cannot_be_acknowledged(scope, draft):
    with pytest.raises(ValidationError):
        review_acknowledge(tenant=scope.tenant, actor=scope.rep, review=draft)


def test_a_rep_cannot_score_their_own_review(scope, draft):
    with pytest.raises(PermissionDenied):
        review_save(tenant=scope.tenant, actor=scope.rep, review=draft, scores=all_scores(draft, 5))


def test_a_correction_is_a_new_draft_prefilled_from_the_acknowledged_one(scope, draft):
    with pytest.raises(ValidationError):
        review_correct(tenant=scope.tenant, actor=scope.manager, review=draft)
    review_save(
        tenant=scope.tenant,
        actor=scope.manager,
        review=draft,
        scores=all_scores(draft),
        summary="S",
    )
    review_share(tenant=scope.tenant, actor=scope.manager, review=draft)
    done = review_acknowledge(tenant=scope.tenant, actor=scope.rep, review=draft)
    correction = review_correct(tenant=scope.tenant, actor=scope.admin, review=done)
    assert correction.pk != done.pk
    assert (correction.corrects, correction.status, correction.summary) == (
        done,
        Review.Status.DRAFT,
        "S",
    )
    assert (correction.period_start, correction.template) == (done.period_start, done.template)
    assert correction.reviewer == scope.admin
    assert sorted(correction.scores.values_list("criterion_id", "final_score")) == sorted(
        done.scores.values_list("criterion_id", "final_score")
    )
    # Asking again opens the same correction; starting the period opens the original.
    assert review_correct(tenant=scope.tenant, actor=scope.manager, review=done) == correction
    assert (
        review_start(tenant=scope.tenant, actor=scope.manager, member=scope.rep, period_start=Q1[0])
        == done
    )
    with pytest.raises(PermissionDenied):
        review_correct(tenant=scope.tenant, actor=scope.rep, review=done)
