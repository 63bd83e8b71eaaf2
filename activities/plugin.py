"""What activities adds to the core (see ``spm.plugins``); its metric is added to quotas
in ``ActivitiesConfig.ready`` (``activities.metrics``)."""

from spm import plugins

from . import api, api_selling_time

plugins.api_routes.register(api.register)
plugins.api_routes.register(api_selling_time.register)
