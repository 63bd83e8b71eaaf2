"""Signals sent when the calendar changes, so dependent figures can be recomputed.

``spm`` never imports the domain apps: quotas (rolldown) and others connect their own
receivers to ``calendar_changed`` in their ``AppConfig.ready()``.
"""

from django.dispatch import Signal

# Sent once the transaction that changed who works on which day has committed: a holiday
# or a time-off range (``spm.calendars.services``); a member's employment dates, over the
# days whose employment moved (an open end reaching ``spm.inputs.LATEST_DATE``), and the
# organisation's work week, weekday weights or ``prorate_time_off``, for everyone from
# the day of the change to ``LATEST_DATE`` (``spm.tenancy.services``). Keyword arguments:
#   tenant      the Tenant whose calendar changed;
#   member_ids  list of Membership ids affected, or None for everyone in the tenant
#               (a holiday changes every member's work days);
#   start, end  the dates affected, both included.
# An edit that moves a range sends one signal per affected range (the old dates and the
# new ones), merged into one when they touch, so receivers never recompute a long gap.
calendar_changed = Signal()
