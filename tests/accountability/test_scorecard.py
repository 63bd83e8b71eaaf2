"""A manager's scorecard: team at quota this month and last, own action items on time, the
team's reviews shared on time; who may see it; a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.models import ActionItem, Review, ReviewTemplate
from accountability.selectors.scorecard import manager_scorecard
from accountability.services.templates import period_of
from quotas.models import Attainment
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import MembershipFactory
from ..quotas.factories import QuotaFactory
from .factories import ActionItemFactory, ReviewFactory


def attained(member, month: dt.date, pct: str, metric: str = "revenue"):
    quota = QuotaFactory(member=member, month=month, metric=metric)
    Attainment.all_tenants.create(
        tenant=member.tenant,
        quota=quota,
        as_of=month,
        achieved=Decimal(pct) * 100,
        expected_to_date=Decimal("10000"),
        attainment_pct=Decimal(pct),
        computed_at=timezone.now(),
    )
    return quota


def at_local(org, day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=org.tenant.zone)


@pytest.fixture
def team(org):
    """The manager leads the rep, two more reps and a team lead with one rep of their own."""
    tenant = org.tenant
    org.rep2 = MembershipFactory(tenant=tenant, manager=org.manager)
    org.rep3 = MembershipFactory(tenant=tenant, manager=org.manager)
    org.lead = MembershipFactory(tenant=tenant, manager=org.manager, role=Role.MANAGER)
    org.rep4 = MembershipFactory(tenant=tenant, manager=org.lead)
    today = tenant.today()
    org.this_month = today.replace(day=1)
    org.last_month = (org.this_month - dt.timedelta(days=1)).replace(day=1)
    # This month: rep and rep4 at quota of four reps; the lead's team quota is left out.
    for member, pct in ((org.rep, "100"), (org.rep2, "80"), (org.rep3, "99.99"),
                        (org.rep4, "130"), (org.lead, "150")):  # fmt: skip
        attained(member, org.this_month, pct)
    attained(org.rep2, org.this_month, "200", metric="new_logos")  # Another metric: no.
    attained(org.outsider_rep, org.this_month, "200")  # Outside the tree.
    # Last month: one of two with a quota.
    attained(org.rep, org.last_month, "101")
    attained(org.rep2, org.last_month, "50")
    return org


def test_the_team_at_quota_this_month_and_last(team):
    with tenant_context(team.tenant):
        card = manager_scorecard(tenant=team.tenant, manager=team.manager)
    assert (card.this_month.at_quota, card.this_month.reps) == (2, 4)
    assert card.this_month.share == Decimal("50.00")
    assert (card.last_month.at_quota, card.last_month.reps) == (1, 2)
    assert card.last_month.month == team.last_month


def test_own_action_items_done_on_time_over_the_last_90_days(team):
    today = team.tenant.today()
    mine = {"member": team.rep, "owner": team.manager}
    on_time = ActionItemFactory(**mine, due_date=today - dt.timedelta(days=10),
                                status=ActionItem.Status.DONE)  # fmt: skip
    ActionItem.all_tenants.filter(pk=on_time.pk).update(
        completed_at=at_local(team, today - dt.timedelta(days=10), 23)
    )
    late = ActionItemFactory(**mine, due_date=today - dt.timedelta(days=20),
                             status=ActionItem.Status.DONE)  # fmt: skip
    ActionItem.all_tenants.filter(pk=late.pk).update(
        completed_at=at_local(team, today - dt.timedelta(days=19), 0)
    )
    ActionItemFactory(**mine, due_date=today - dt.timedelta(days=5))  # Open, overdue.
    ActionItemFactory(**mine, due_date=today - dt.timedelta(days=5),
                      status=ActionItem.Status.DROPPED)  # fmt: skip
    ActionItemFactory(**mine, due_date=today - dt.timedelta(days=120))  # Too old.
    ActionItemFactory(**mine, due_date=today)  # Not due yet.
    ActionItemFactory(member=team.rep, owner=team.rep, due_date=today - dt.timedelta(days=3))
    with tenant_context(team.tenant):
        card = manager_scorecard(tenant=team.tenant, manager=team.manager)
    assert (card.items_on_time, card.items_due) == (1, 3)
    assert card.items_share == Decimal("33.33")


def test_reviews_shared_on_time_for_the_last_closed_period(team):
    with tenant_context(team.tenant):
        template = ReviewTemplate.objects.get(tenant=team.tenant)
    today = team.tenant.today()
    current, _ = period_of(template.cadence, today)
    start, end = period_of(template.cadence, current - dt.timedelta(days=1))

    def review(member, shared_on):
        made = ReviewFactory(member=member, reviewer=team.manager, template=template,
                             period_start=start, period_end=end,
                             status=Review.Status.SHARED)  # fmt: skip
        Review.all_tenants.filter(pk=made.pk).update(shared_at=at_local(team, shared_on))

    review(team.rep, end + dt.timedelta(days=14))  # On the last day allowed.
    review(team.rep2, end + dt.timedelta(days=15))  # A day late.
    review(team.lead, end - dt.timedelta(days=1))
    ReviewFactory(member=team.rep4, reviewer=team.lead, template=template,
                  period_start=start, period_end=end)  # fmt: skip  # A draft: not shared.
    review(team.outsider_rep, end)  # Not the manager's team.
    with tenant_context(team.tenant):
        card = manager_scorecard(tenant=team.tenant, manager=team.manager)
    assert (card.period_start, card.period_end) == (start, end)
    assert card.review_deadline == end + dt.timedelta(days=14)
    # Due: rep, rep2, rep3, the lead and rep4 (employed at the period's end).
    assert (card.reviews_on_time, card.reviews_due) == (2, 5)
    assert {p.pk for p in card.late_or_missing} == {team.rep2.pk, team.rep3.pk, team.rep4.pk}


def test_the_query_count_does_not_grow_with_the_team(team):
    def count() -> int:
        with tenant_context(team.tenant), CaptureQueriesContext(connection) as queries:
            manager_scorecard(tenant=team.tenant, manager=team.manager)
        return len(queries)

    small = count()
    for _ in range(30):
        member = MembershipFactory(tenant=team.tenant, manager=team.manager)
        attained(member, team.this_month, "120")
        ActionItemFactory(member=member, owner=team.manager,
                          due_date=team.tenant.today() - dt.timedelta(days=2))  # fmt: skip
    assert count() == small


# --- The page ----------------------------------------------------------------------------------


def url(member) -> str:
    return f"/accountability/scorecard/{member.pk}/"


def test_the_manager_reads_their_own_and_their_leads(team, client_for):
    client = client_for(team.manager)
    own = client.get("/accountability/scorecard/")
    assert own.status_code == 200 and own.context["card"].manager == team.manager
    assert "My scorecard" in own.content.decode()
    assert "50%" in own.content.decode()
    assert client.get(url(team.manager)).status_code == 200
    lead = client.get(url(team.lead))
    assert lead.status_code == 200 and lead.context["card"].manager == team.lead
    assert client.get(f"/accountability/scorecard/?member={team.lead.pk}").status_code == 200


def test_admins_read_anyones_reps_are_refused(team, client_for):
    admin = client_for(team.admin)
    assert admin.get(url(team.manager)).status_code == 200
    assert admin.get(url(team.lead)).status_code == 200
    rep = client_for(team.rep)
    assert rep.get("/accountability/scorecard/").status_code == 403
    assert rep.get(url(team.manager)).status_code == 403


def test_anyone_else_gets_404(team, client_for, other):
    peer = MembershipFactory(tenant=team.tenant, manager=team.admin, role=Role.MANAGER)
    lead = client_for(team.lead)
    assert lead.get(url(team.manager)).status_code == 404  # Above them, not below.
    assert lead.get(url(peer)).status_code == 404
    manager = client_for(team.manager)
    assert manager.get(url(peer)).status_code == 404
    assert manager.get(url(team.admin)).status_code == 404
    assert manager.get(url(team.rep)).status_code == 404  # A rep has no scorecard.
    assert manager.get("/accountability/scorecard/?member=abc").status_code == 404
    assert client_for(team.admin).get(url(other.manager)).status_code == 404


def test_the_page_reads_in_a_fixed_number_of_queries(
    team, client_for, django_assert_max_num_queries
):
    client = client_for(team.admin)
    with django_assert_max_num_queries(40):
        assert client.get(url(team.manager)).status_code == 200
