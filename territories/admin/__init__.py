"""The territory admin: where an organisation's admins build the territory tree, put
reps on territories, and place accounts (by hand, by rules or by CSV import).

Every class derives from ``TenantScopedAdmin`` / ``TenantScopedInline``: an
organisation's admin sees and can choose only their own organisation's rows; the
platform superuser sees every organisation. Writes go through ``services`` so that
moves are recorded in the history and the reps are told; the forms check the input
first, so a mistake shows as a form error and nothing is saved.
"""

# Importing the modules registers their admin classes on the admin site.
from .accounts import AccountAdmin
from .imports import AccountImportAdmin
from .rules import AccountAssignmentAdmin, AssignmentRuleAdmin
from .territory import TerritoryAdmin, TerritoryMemberInline

__all__ = [
    "AccountAdmin",
    "AccountAssignmentAdmin",
    "AccountImportAdmin",
    "AssignmentRuleAdmin",
    "TerritoryAdmin",
    "TerritoryMemberInline",
]
