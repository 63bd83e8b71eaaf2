from django.urls import path  # noqa: F401 (the pages add their paths here)

app_name = "accountability"
urlpatterns: list = []
