"""What accountability adds to the core (see ``spm.plugins``)."""

from spm import plugins
from spm.plugins import DashboardCard, NavEntry, SeedStep
from spm.tenancy.models import Role

from .selectors import reviews as review_selectors

# Reviews: managers and admins review their people ("Reviews"); everyone reads their own
# ("My reviews"), and a member with a shared review to acknowledge sees it on their home page.
plugins.nav_entries.register(
    NavEntry(
        "accountability:reviews", "Reviews", "check", roles={Role.ADMIN, Role.MANAGER}, order=9
    )
)
plugins.nav_entries.register(NavEntry("accountability:mine", "My reviews", "inbox", order=9))
plugins.dashboard_cards.register(
    DashboardCard(
        key="accountability-review",
        template="accountability/_card_review.html",
        load=review_selectors.review_card,
        order=2,
    )
)

# The ``reviews`` API (with scores) and the read-only ``review-templates`` API; the demo's
# reviews of last quarter, shared and mostly acknowledged.
from . import api_reviews, demo_reviews  # noqa: E402

plugins.api_routes.register(api_reviews.register)
plugins.seed_steps.register(SeedStep("accountability", demo_reviews.seed_reviews))

# Action items: everyone's "My action items"; a home card for whoever owns an overdue item
# (and for managers, their team's overdue count); the ``action-items`` API.
from . import api_action_items  # noqa: E402
from .selectors import action_items as action_item_selectors  # noqa: E402

plugins.api_routes.register(api_action_items.register)
plugins.nav_entries.register(
    NavEntry("accountability:action_items", "My action items", "check-circle", order=9)
)
plugins.dashboard_cards.register(
    DashboardCard(
        key="accountability-overdue-action-items",
        template="accountability/_card_overdue.html",
        load=action_item_selectors.overdue_card,
        column="side",
        order=3,
    )
)
# A manager's scorecard: their own, and the managers below them (admins: every manager's).
plugins.nav_entries.register(
    NavEntry(
        "accountability:scorecard_mine",
        "Scorecard",
        "target",
        roles={Role.ADMIN, Role.MANAGER},
        order=9,
    )
)
# The demo's action items: open, overdue and done, owed by reps and by their managers.
from . import demo_action_items  # noqa: E402

plugins.seed_steps.register(SeedStep("accountability", demo_action_items.seed_action_items))

# Recognition: the organisation's leaderboard for everyone; reps and managers see their
# latest recognitions and streak on their home page; the read-only ``recognitions`` API;
# the demo's quota-club history.
from . import api_recognitions, demo  # noqa: E402
from .selectors import recognition as recognition_selectors  # noqa: E402

plugins.api_routes.register(api_recognitions.register)
plugins.nav_entries.register(
    NavEntry("accountability:leaderboard", "Leaderboard", "flag", order=10)
)
plugins.dashboard_cards.register(
    DashboardCard(
        key="accountability-recognition",
        template="accountability/_card_recognition.html",
        load=recognition_selectors.recognition_card,
        roles={Role.REP, Role.MANAGER},
        column="side",
        order=5,
    )
)
plugins.seed_steps.register(SeedStep("accountability", demo.seed_accountability))
