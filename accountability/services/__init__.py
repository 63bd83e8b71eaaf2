"""Every write to review templates, reviews, action items and recognitions (DESIGN 4.6).

Each module's docstring states its invariants in full."""

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
    "may_give",
    "may_review",
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
