"""What quotas adds to the core (see ``spm.plugins``): its API resources, sidebar links and benchmark jobs."""

from spm import plugins
from spm.plugins import BenchSuite, DashboardCard, NavEntry, SeedStep
from spm.tenancy.models import Role

from . import api, bench, demo
from .selectors import pages as page_selectors

plugins.api_routes.register(api.register)

# The manager's grid: managers set their reporting tree's quotas, admins everyone's.
plugins.nav_entries.register(
    NavEntry("quotas:grid", "Quotas", "flag", roles={Role.ADMIN, Role.MANAGER}, order=5)
)

plugins.bench_suites.register(
    BenchSuite("quotas", bench.prepare, options=bench.OPTIONS, clean_up=bench.clean_up)
)

# The pages people read: their own quota (a manager's is their team's number) and their
# team's attainment; a card for each on the home page.
plugins.nav_entries.register(
    NavEntry("quotas:mine", "My quota", "activity", roles={Role.REP, Role.MANAGER}, order=4)
)
plugins.nav_entries.register(
    NavEntry(
        "quotas:team", "Team attainment", "bar-chart", roles={Role.ADMIN, Role.MANAGER}, order=6
    )
)
plugins.dashboard_cards.register(
    DashboardCard(
        key="quotas-mine",
        template="quotas/_card_mine.html",
        load=page_selectors.my_quota_card,
        roles={Role.REP, Role.MANAGER},
        order=5,
    )
)
plugins.dashboard_cards.register(
    DashboardCard(
        key="quotas-team",
        template="quotas/_card_team.html",
        load=page_selectors.team_card,
        roles={Role.ADMIN, Role.MANAGER},
        order=5,
    )
)

# The demo organisation's quotas, sales, targets and figures.
plugins.seed_steps.register(SeedStep("quotas", demo.seed_quotas))
