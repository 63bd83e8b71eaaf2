from django.urls import path

from .views import action_items, scorecard

app_name = "accountability"
urlpatterns: list = [
    # Action items: what I owe and what others owe me; adding, one-click complete, drop, reopen.
    path("action-items/", action_items.action_items, name="action_items"),
    path("action-items/add/", action_items.action_item_add, name="action_item_add"),
    path(
        "action-items/<int:pk>/complete/",
        action_items.action_item_complete,
        name="action_item_complete",
    ),
    path("action-items/<int:pk>/drop/", action_items.action_item_drop, name="action_item_drop"),
    path(
        "action-items/<int:pk>/reopen/", action_items.action_item_reopen, name="action_item_reopen"
    ),
    # A manager's scorecard: one's own, or a manager's below one (admins: anyone's).
    path("scorecard/", scorecard.scorecard_mine, name="scorecard_mine"),
    path("scorecard/<int:member_id>/", scorecard.scorecard, name="scorecard"),
]
