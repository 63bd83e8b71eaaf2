"""What activities adds to the core (see ``spm.plugins``); its metric is added to quotas
in ``ActivitiesConfig.ready`` (``activities.metrics``)."""

from quotas.selectors.encroachment import encroachment_sources
from spm import plugins
from spm.plugins import BenchSuite, DashboardCard, NavEntry, SeedStep
from spm.tenancy.models import Role

from . import api, api_selling_time, api_tasks, bench, demo
from .selectors import day as day_selectors
from .selectors import plan as plan_selectors
from .selectors import team as team_selectors
from .selectors.encroachment import SELLING_ACTIVITIES

plugins.api_routes.register(api.register)
plugins.api_routes.register(api_selling_time.register)
plugins.api_routes.register(api_tasks.register)

# The team's selling time: a sidebar link for managers and admins, a home card for managers.
plugins.nav_entries.register(
    NavEntry("activities:team", "Selling time", "clock", roles={Role.ADMIN, Role.MANAGER}, order=8)
)
plugins.dashboard_cards.register(
    DashboardCard(
        key="activities-selling-time",
        template="activities/_card_selling_time.html",
        load=team_selectors.team_week_card,
        roles={Role.MANAGER},
        order=8,
    )
)

# A member's day: everyone logs their own ("My day" in the sidebar); reps and managers see
# today's selling time on their home page. Selling activities join the sales in quotas'
# encroachment list.
plugins.nav_entries.register(NavEntry("activities:day", "My day", "sun", order=3))
plugins.dashboard_cards.register(
    DashboardCard(
        key="activities-day",
        template="activities/_card_day.html",
        load=day_selectors.day_card,
        roles={Role.REP, Role.MANAGER},
        column="side",
        order=3,
    )
)
encroachment_sources.register(SELLING_ACTIVITIES)

# The daily plan: everyone's "My plan" in the sidebar; reps see today's progress through it
# and the next task on their home page.
plugins.nav_entries.register(NavEntry("activities:plan", "My plan", "check-circle", order=3))
plugins.dashboard_cards.register(
    DashboardCard(
        key="activities-plan",
        template="activities/_card_plan.html",
        load=plan_selectors.plan_card,
        roles={Role.REP},
        order=4,
    )
)

# Logging activities through the API, against a running server.
plugins.bench_suites.register(
    BenchSuite("activities", bench.prepare, options=bench.OPTIONS, clean_up=bench.clean_up)
)

# Three months of the demo organisation's days, and today's plans.
plugins.seed_steps.register(SeedStep("activities", demo.seed_activities))
