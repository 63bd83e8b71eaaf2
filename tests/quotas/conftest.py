import pytest

from quotas import metrics
from quotas.models import Metric


@pytest.fixture(autouse=True)
def quotas_alone():
    """Quotas' tests see the metrics quotas itself provides (revenue, deals): the
    ``activities`` metric, which the activities app plugs in, has no data source here, so
    these tests keep exercising "no data source". ``tests/activities`` tests the metric."""
    source = metrics.get(Metric.ACTIVITIES)
    if source is not None:
        metrics.registry.unregister(Metric.ACTIVITIES)
    yield
    if source is not None:
        metrics.registry.unregister(Metric.ACTIVITIES)  # A test may have registered its own.
        metrics.register(source)
