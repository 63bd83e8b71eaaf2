"""What territories adds to the core: its API resources, sidebar links, the admin's
getting-started step, the demo data and the benchmark jobs (see ``spm.plugins``)."""

from spm import plugins
from spm.plugins import NavEntry, SetupStep
from spm.tenancy.models import Role

from . import api, selectors

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
