from django.urls import path

from .views import team

app_name = "activities"
urlpatterns: list = [
    # The team's selling time (managers and admins) and its CSV export.
    path("team/", team.team, name="team"),
    path("team/export.csv", team.team_csv, name="team_csv"),
]
