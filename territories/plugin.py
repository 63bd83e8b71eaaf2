"""What territories adds to the core: its API resources, sidebar links, dashboard cards,
the admin's getting-started step, the demo data and the benchmark jobs (see
``spm.plugins``)."""

from spm import plugins
from spm.plugins import BenchSuite, DashboardCard, NavEntry, SeedStep, SetupStep
from spm.tenancy.models import Role

from . import api, bench, demo, selectors

plugins.api_routes.register(api.register)

plugins.nav_entries.register(NavEntry("territories:mine", "My territories", "map", order=10))
plugins.nav_entries.register(
    NavEntry(
        "territories:balance",
        "Territory balance",
        "bar-chart",
        roles={Role.ADMIN, Role.MANAGER},
        order=11,
    )
)

plugins.setup_steps.register(
    SetupStep(
        title="Define territories and accounts",
        description="Every account belongs to one territory; reps sell in theirs.",
        url_name="admin:index",
        action="Open admin site",
        is_done=selectors.territories_defined,
        order=40,
    )
)

plugins.dashboard_cards.register(
    DashboardCard(
        key="territories-mine",
        template="territories/_card_mine.html",
        load=selectors.rep_territories_card,
        roles={Role.REP},
        order=10,
    )
)
plugins.dashboard_cards.register(
    DashboardCard(
        key="territories-overview",
        template="territories/_card_overview.html",
        load=selectors.territories_overview_card,
        roles={Role.ADMIN, Role.MANAGER},
        order=10,
    )
)

plugins.seed_steps.register(SeedStep("territories", demo.seed_territories))

plugins.bench_suites.register(
    BenchSuite("territories", bench.prepare, options=bench.OPTIONS, clean_up=bench.clean_up)
)
