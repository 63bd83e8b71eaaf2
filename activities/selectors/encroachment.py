"""Selling activities offered to quotas' encroachment list (DESIGN 4.4: "a sale or
selling activity on an account outside every territory the member belongs to on that
date"). Quotas decides which are outside (``outside_territories``); this only reads the
candidates: selling activities with an account, in one query."""

from __future__ import annotations

import datetime as dt

from quotas.selectors.encroachment import Candidate, EncroachmentSource
from spm.tenancy.models import Tenant

from ..models import Activity, Category


def selling_activity_candidates(
    *, tenant: Tenant, member_ids: set[int] | None, start: dt.date, end: dt.date
) -> list[Candidate]:
    """The selling activities on an account dated ``start``–``end`` of ``member_ids``
    (``None``: everyone), newest first, with their member, account and type."""
    activities = (
        Activity.objects.filter(
            tenant=tenant,
            date__gte=start,
            date__lte=end,
            type__category=Category.SELLING,
            account__isnull=False,
        )
        .select_related("member__user", "account", "type")
        .order_by("-date", "-pk")
    )
    if member_ids is not None:
        activities = activities.filter(member_id__in=sorted(member_ids))
    return [
        Candidate(
            obj=activity,
            member=activity.member,
            account=activity.account,
            day=activity.date,
            detail=f"{activity.type.name}, {activity.duration_minutes} min",
        )
        for activity in activities
    ]


SELLING_ACTIVITIES = EncroachmentSource(
    key="activities", kind="Activity", load=selling_activity_candidates
)
