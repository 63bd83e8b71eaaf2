from django.urls import path

from spm.web.placeholders import placeholder

app_name = "notifications"
urlpatterns = [
    path("", placeholder, name="index"),
    path("read/", placeholder, name="mark_read"),
]
