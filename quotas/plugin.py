"""What quotas adds to the core (see ``spm.plugins``): its API resources."""

from spm import plugins

from . import api

plugins.api_routes.register(api.register)
