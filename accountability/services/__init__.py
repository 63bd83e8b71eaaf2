"""Every write to review templates, reviews, action items and recognitions (DESIGN 4.6).

Each module's docstring states its invariants in full."""

from .action_item_reminders import overdue_remind, overdue_remind_day
from .action_items import (
    action_item_complete,
    action_item_create,
    action_item_drop,
    action_item_reopen,
    action_item_update,
)
from .recognition import may_give, quota_club_close, recognition_give
from .reviews import (
    ScoreInput,
    may_review,
    review_acknowledge,
    review_correct,
    review_save,
    review_share,
    review_start,
    template_for,
)
from .templates import period_of, review_template_create_default

__all__ = [
    "ScoreInput",
    "action_item_complete",
    "action_item_create",
    "action_item_drop",
    "action_item_reopen",
    "action_item_update",
    "may_give",
    "may_review",
    "overdue_remind",
    "overdue_remind_day",
    "period_of",
    "quota_club_close",
    "recognition_give",
    "review_acknowledge",
    "review_correct",
    "review_save",
    "review_share",
    "review_start",
    "review_template_create_default",
    "template_for",
]
