"""Every write to territories, their members, accounts and assignment rules.

Invariants:
- an account is in at most one territory (one nullable column);
- every change of an account's territory appends an ``AccountAssignment`` in the same
  transaction; a future effective date schedules the move instead of making it;
- a territory has at most one owner on any date (checked here under a row lock, and by
  an exclusion constraint on PostgreSQL);
- reps are notified when they join or leave a territory and when accounts move in or out;
- an account import is done exactly when its accounts are written (``imports``).
"""

from ._common import HISTORY_BATCH, UPDATE_CHUNK, Progress, no_progress
from .accounts import (
    AccountRow,
    AssignResult,
    UpsertResult,
    account_check,
    account_moves_apply,
    account_moves_notify,
    account_save,
    accounts_assign,
    accounts_upsert,
    accounts_write_changes,
    scheduled_assignments_apply,
)
from .imports import (
    ImportProgress,
    ImportSuperseded,
    TidyResult,
    account_import_claim,
    account_import_create,
    account_import_fail,
    account_import_reject,
    account_import_retry,
    account_import_write,
    account_imports_tidy,
)
from .members import (
    territory_member_add,
    territory_member_check,
    territory_member_end,
    territory_member_update,
)
from .rules import (
    assignment_rule_check,
    assignment_rule_save,
    assignment_rules_apply,
    assignment_rules_preview,
)
from .territories import territory_check, territory_name_taken, territory_save

__all__ = [
    "HISTORY_BATCH",
    "UPDATE_CHUNK",
    "AccountRow",
    "AssignResult",
    "ImportProgress",
    "ImportSuperseded",
    "Progress",
    "TidyResult",
    "UpsertResult",
    "account_check",
    "account_import_claim",
    "account_import_create",
    "account_import_fail",
    "account_import_reject",
    "account_import_retry",
    "account_import_write",
    "account_imports_tidy",
    "account_moves_apply",
    "account_moves_notify",
    "account_save",
    "accounts_assign",
    "accounts_upsert",
    "accounts_write_changes",
    "assignment_rule_check",
    "assignment_rule_save",
    "assignment_rules_apply",
    "assignment_rules_preview",
    "no_progress",
    "scheduled_assignments_apply",
    "territory_check",
    "territory_member_add",
    "territory_member_check",
    "territory_member_end",
    "territory_member_update",
    "territory_name_taken",
    "territory_save",
]
