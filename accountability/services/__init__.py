"""Every write to review templates, reviews, action items and recognitions (DESIGN 4.6).

Each module's docstring states its invariants in full."""

from .templates import period_of, review_template_create_default

__all__ = ["period_of", "review_template_create_default"]
