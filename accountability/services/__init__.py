"""Every write to review templates, reviews, action items and recognitions (DESIGN 4.6).

Each module's docstring states its invariants in full."""

from .recognition import may_give, quota_club_close, recognition_give
from .templates import period_of, review_template_create_default

__all__ = [
    "may_give",
    "period_of",
    "quota_club_close",
    "recognition_give",
    "review_template_create_default",
]
