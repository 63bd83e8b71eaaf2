from django.urls import path

from .views import plan, team

app_name = "activities"
urlpatterns: list = [
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
