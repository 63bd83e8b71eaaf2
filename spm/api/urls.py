from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from spm import plugins
from spm.api.base import TenantRouter
from spm.calendars import api as calendars_api
from spm.tenancy import api as tenancy_api

router = TenantRouter()
tenancy_api.register(router)
calendars_api.register(router)
# The domain apps' resources, added by their ``plugin.py`` (see ``spm.plugins``).
for register in plugins.api_routes:
    register(router)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    *tenancy_api.urlpatterns,
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
