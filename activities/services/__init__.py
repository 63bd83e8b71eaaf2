"""Every write to activities, activity types and daily plans (DESIGN 4.5).

Each module's docstring states its invariants in full. In short: members log their own
activities (admins may correct anyone's); a member's day never holds more than 24 hours,
checked under the member's row lock; nothing is logged for a day after today in the
organisation's time zone; bulk writes are all or nothing; after each commit, attainment
is recomputed for the members and months whose activities changed. Only a
member works their own plan; suggesting again adds only what is new.
"""

from .activities import (
    ActivityRow,
    ActivityRowsInvalid,
    activities_create_many,
    activity_create,
    activity_delete,
    activity_update,
    hours_and_minutes,
    may_write,
)
from .plan import (
    Suggested,
    plan_suggest,
    plan_task_add,
    plan_task_complete,
    plan_task_delete,
    plan_task_dismiss,
    plan_task_move,
    plan_task_reopen,
    plan_task_update,
    plan_tasks_reorder,
    plans_suggest,
    plans_suggest_morning,
)
from .types import (
    activity_type_check,
    activity_type_delete,
    activity_type_in_use,
    activity_type_save,
    activity_types_create_defaults,
)

__all__ = [
    "ActivityRow",
    "ActivityRowsInvalid",
    "Suggested",
    "activities_create_many",
    "activity_create",
    "activity_delete",
    "activity_type_check",
    "activity_type_delete",
    "activity_type_in_use",
    "activity_type_save",
    "activity_types_create_defaults",
    "activity_update",
    "hours_and_minutes",
    "may_write",
    "plan_suggest",
    "plan_task_add",
    "plan_task_complete",
    "plan_task_delete",
    "plan_task_dismiss",
    "plan_task_move",
    "plan_task_reopen",
    "plan_task_update",
    "plan_tasks_reorder",
    "plans_suggest",
    "plans_suggest_morning",
]
