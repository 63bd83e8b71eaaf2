from django.urls import path

from spm.web.placeholders import placeholder

app_name = "calendars"
urlpatterns = [
    path("", placeholder, name="index"),
]
