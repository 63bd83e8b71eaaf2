"""Receivers: changes elsewhere that move quota targets schedule a rolldown.

The core sends ``calendar_changed`` (``spm.calendars.signals``) once a change has
committed: a holiday or a member's time off (``calendars``), a member's employment dates
or the organisation's work week, weekday weights or ``prorate_time_off`` (``tenancy``).
Each receiver only schedules ``quotas.tasks.rolldown_quotas`` for the quotas affected:
those of the members named (everyone's when ``member_ids`` is None) whose month
overlaps the dates changed. The job then recomputes their attainment too.
"""

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import enqueue_on_commit

ROLLDOWN_TASK = "quotas.tasks.rolldown_quotas"


def roll_down_after_calendar_change(
    sender, *, tenant: Tenant, member_ids=None, start=None, end=None, **kwargs
) -> None:
    # Sent after the commit, usually inside the request's context; entered again so the
    # outbox row is written for this organisation whatever context the sender left.
    with tenant_context(tenant):
        enqueue_on_commit(
            ROLLDOWN_TASK,
            tenant,
            member_ids=sorted(member_ids) if member_ids is not None else None,
            start=start.isoformat() if start is not None else None,
            end=end.isoformat() if end is not None else None,
        )
