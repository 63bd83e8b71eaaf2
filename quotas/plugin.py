"""What quotas adds to the core (see ``spm.plugins``): its API resources and benchmark jobs."""

from spm import plugins
from spm.plugins import BenchSuite

from . import api, bench

plugins.api_routes.register(api.register)

plugins.bench_suites.register(
    BenchSuite("quotas", bench.prepare, options=bench.OPTIONS, clean_up=bench.clean_up)
)
