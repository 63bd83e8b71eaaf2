"""Every write to territories, their members, accounts and assignment rules.

Invariants:
- an account is in at most one territory (one nullable column);
- every change of an account's territory appends an ``AccountAssignment`` in the same
  transaction; a future effective date schedules the move instead of making it;
- a territory has at most one owner on any date (checked here under a row lock, and by
  an exclusion constraint on PostgreSQL);
- reps are notified when they join or leave a territory and when accounts move in or out.
"""

from ._common import HISTORY_BATCH, UPDATE_CHUNK
from .accounts import (
    AssignResult,
    account_save,
    accounts_assign,
    scheduled_assignments_apply,
)
from .members import (
    territory_member_add,
    territory_member_check,
    territory_member_end,
    territory_member_update,
)
from .rules import assignment_rule_save, assignment_rules_apply, assignment_rules_preview
from .territories import territory_save

__all__ = [
    "HISTORY_BATCH",
    "UPDATE_CHUNK",
    "AssignResult",
    "account_save",
    "accounts_assign",
    "assignment_rule_save",
    "assignment_rules_apply",
    "assignment_rules_preview",
    "scheduled_assignments_apply",
    "territory_member_add",
    "territory_member_check",
    "territory_member_end",
    "territory_member_update",
    "territory_save",
]
