"""Accountability's part of the demo organisation (a ``SeedStep`` registered in
``plugin.py``), run after quotas' and activities' steps, whose figures it reads:

- quota-club history: every month of the seeded quotas before this one is closed through
  ``quota_club_close``, as the month-close job would have done (the months' attainment
  is final already: quotas' step computed it). That history is written after the fact,
  so nobody is notified of it; last month's club is told, as it would be on the 1st;
- a few recognitions given this month by managers to people in their reporting tree
  (``recognition_give``, so their members are told).

Reviews and action items are seeded by their own steps (``demo_reviews``,
``demo_action_items``), registered before this one in ``plugin.py``. Idempotent: a closed
month adds nobody again, and a given recognition is keyed by its member and title.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quotas.models import Quota
from spm.tenancy.models import Membership

from .models import Recognition
from .selectors.recognition import add_months
from .services import may_give, quota_club_close, recognition_give

if TYPE_CHECKING:
    from spm.demo.seed import SeededOrg

# (giver's login, member's login, title, reason): each is given only when the giver may.
GIVEN = (
    ("manager1", "rep3", "Customer hero",
     "Stayed with Globex through a painful migration and saved the renewal."),
    ("manager2", "rep9", "Best demo of the month",
     "The product demo to Initech was the clearest the team has seen; it is our new template."),
    ("manager1", "rep5", "Team player",
     "Shared discovery questions with the two new joiners and sat in on their first calls."),
)  # fmt: skip


def seed_quota_club(*, org: SeededOrg) -> None:
    """Close every past month of the seeded quotas (see the module)."""
    tenant = org.tenant
    this_month = tenant.today().replace(day=1)
    last_month = add_months(this_month, -1)
    months = sorted(
        set(
            Quota.objects.filter(tenant=tenant, month__lt=this_month)
            .values_list("month", flat=True)
            .distinct()
        )
    )
    for month in months:
        quota_club_close(tenant=tenant, month=month, tell=month == last_month)


def seed_given_recognitions(*, org: SeededOrg) -> None:
    """A few recognitions given this month (see the module)."""
    tenant, people = org.tenant, org.people
    given = set(
        Recognition.objects.filter(tenant=tenant, automatic=False).values_list("member_id", "title")
    )
    for giver_login, member_login, title, reason in GIVEN:
        giver: Membership | None = people.get(giver_login)
        member: Membership | None = people.get(member_login)
        if giver is None or member is None or (member.pk, title) in given:
            continue
        if may_give(giver, member):
            recognition_give(tenant=tenant, actor=giver, member=member, title=title, reason=reason)


def seed_accountability(*, org: SeededOrg) -> None:
    """The demo's recognitions: the quota-club history, then the given ones."""
    seed_quota_club(org=org)
    seed_given_recognitions(org=org)
