from django.urls import path

from .views import day, plan, team

app_name = "activities"
urlpatterns: list = [
    # A member's day (logging, changing and deleting their activities) and week.
    path("day/", day.day, name="day"),
    path("day/log/", day.log, name="log"),
    path("week/", day.week, name="week"),
    path("<int:pk>/edit/", day.edit, name="edit"),
    path("<int:pk>/delete/", day.delete, name="delete"),
    path("accounts/search/", day.account_search, name="account_search"),
    path("accounts/warning/", day.account_warning, name="account_warning"),
    # The daily plan: the page, suggesting, adding, reordering and a task's actions.
    path("plan/", plan.plan, name="plan"),
    path("plan/suggest/", plan.plan_suggest, name="plan_suggest"),
    path("plan/add/", plan.plan_add, name="plan_add"),
    path("plan/reorder/", plan.plan_reorder, name="plan_reorder"),
    path("plan/tasks/<int:pk>/move/", plan.plan_task_move, name="plan_task_move"),
    path("plan/tasks/<int:pk>/complete/", plan.plan_task_complete, name="plan_task_complete"),
    path("plan/tasks/<int:pk>/dismiss/", plan.plan_task_dismiss, name="plan_task_dismiss"),
    path("plan/tasks/<int:pk>/reopen/", plan.plan_task_reopen, name="plan_task_reopen"),
    # The team's selling time (managers and admins) and its CSV export.
    path("team/", team.team, name="team"),
    path("team/export.csv", team.team_csv, name="team_csv"),
]
