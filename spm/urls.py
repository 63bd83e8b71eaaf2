from django.contrib import admin
from django.urls import include, path

from spm.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("org/", include("spm.tenancy.urls")),
    path("calendar/", include("spm.calendars.urls")),
    path("territories/", include("territories.urls")),
    path("quotas/", include("quotas.urls")),
    path("activities/", include("activities.urls")),
    path("accountability/", include("accountability.urls")),
    path("notifications/", include("spm.notifications.urls")),
    path("admin/", admin.site.urls),
    path("", include("spm.api.urls")),
]

# JSON under /api/, the friendly pages elsewhere.
handler400 = "spm.api.errors.bad_request"
handler403 = "spm.api.errors.permission_denied"
handler404 = "spm.api.errors.page_not_found"
handler500 = "spm.api.errors.server_error"
