"""Signals sent when the calendar changes, so dependent figures can be recomputed.

``spm`` never imports the domain apps: quotas (rolldown) and others connect their own
receivers to ``calendar_changed`` in their ``AppConfig.ready()``.
"""

from django.dispatch import Signal

# Sent once the transaction that changed a holiday or a time-off range has committed,
# with keyword arguments:
#   tenant      the Tenant whose calendar changed;
#   member_ids  list of Membership ids affected, or None for everyone in the tenant
#               (a holiday changes every member's work days);
#   start, end  the dates affected, both included.
# An edit that moves a range sends one signal per affected range (the old dates and the
# new ones), merged into one when they touch, so receivers never recompute a long gap.
calendar_changed = Signal()
