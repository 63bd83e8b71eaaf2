from django.urls import path

from .views import grid, pages

app_name = "quotas"
urlpatterns = [
    # The manager's grid and its actions.
    path("grid/", grid.grid, name="grid"),
    path("grid/save/", grid.grid_save, name="grid_save"),
    path("grid/publish/", grid.grid_publish, name="grid_publish"),
    path("grid/copy-last-year/", grid.grid_copy_last_year, name="grid_copy_last_year"),
    path("grid/spread/", grid.grid_spread, name="grid_spread"),
    path("grid/export/", grid.grid_export, name="grid_export"),
    path("grid/import/", grid.grid_import, name="grid_import"),
    # The pages people read, and the rep's one click.
    path("mine/", pages.mine, name="mine"),
    path("team/", pages.team, name="team"),
    path("team/export.csv", pages.team_csv, name="team_csv"),
    path("team/export.xlsx", pages.team_xlsx, name="team_xlsx"),
    path("encroachment/", pages.encroachment, name="encroachment"),
    path("<int:pk>/", pages.detail, name="detail"),
    path("<int:pk>/acknowledge/", pages.acknowledge, name="acknowledge"),
]
