"""Action items for the demo organisation (a ``SeedStep`` registered in ``plugin.py``).

Each rep with a manager owes an overdue item, an open one due in a fortnight and one done
on time; each of those managers owes the rep an item (every third one overdue) and did
one late. The history is written as it stands (due dates in the past cannot be created
through ``action_item_create``, which refuses them); idempotent: an item is keyed by its
owner, member and title.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from .models import ActionItem

if TYPE_CHECKING:
    from spm.demo.seed import SeededOrg

REP_ITEMS = (
    # (title, days from today, status, completed days after the due date)
    ("Update the pipeline's close dates", -4, ActionItem.Status.OPEN, None),
    ("Prepare the account plan for the top three accounts", 14, ActionItem.Status.OPEN, None),
    ("Book two discovery calls with new logos", -20, ActionItem.Status.DONE, -2),
)
MANAGER_ITEMS = (
    ("Ride along on a customer demo", 6, ActionItem.Status.OPEN, None),
    ("Share the pricing playbook", -12, ActionItem.Status.DONE, 3),
)
OVERDUE_MANAGER_ITEM = ("Review the territory's account list together", -3)


def seed_action_items(*, org: SeededOrg) -> None:
    tenant = org.tenant
    today = tenant.today()
    now = timezone.now()
    existing = set(
        ActionItem.objects.filter(tenant=tenant).values_list("owner_id", "member_id", "title")
    )
    rows = []

    def add(member, owner, creator, title, offset, status=ActionItem.Status.OPEN, done_after=None):
        if (owner.pk, member.pk, title) in existing:
            return
        due = today + dt.timedelta(days=offset)
        completed = None
        if status == ActionItem.Status.DONE:
            local = dt.datetime.combine(
                due + dt.timedelta(days=done_after), dt.time(15), tzinfo=tenant.zone
            )
            completed = min(local, now)
        rows.append(
            ActionItem(
                tenant=tenant,
                member=member,
                owner=owner,
                created_by=creator,
                title=title,
                due_date=due,
                status=status,
                completed_at=completed,
            )
        )

    people = {person.pk: person for person in [org.admin, *org.managers, *org.reps] if person}
    for position, rep in enumerate(org.reps):
        manager = people.get(rep.manager_id)
        if manager is None:
            continue
        for title, offset, status, done_after in REP_ITEMS:
            add(rep, rep, manager, title, offset, status, done_after)
        for title, offset, status, done_after in MANAGER_ITEMS:
            add(rep, manager, manager, title, offset, status, done_after)
        if position % 3 == 0:
            add(rep, manager, manager, *OVERDUE_MANAGER_ITEM)
    ActionItem.objects.bulk_create(rows)
