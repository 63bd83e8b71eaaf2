from django.urls import path

from .views import action_items, recognition, reviews, scorecard

app_name = "accountability"
urlpatterns: list = [
    # Reviews: the manager's page (who is due, one-click start), its CSV, a review's editor
    # and its writes, its printable page; a member's own reviews and the criteria in words.
    path("reviews/", reviews.reviews, name="reviews"),
    path("reviews/start/", reviews.start, name="review_start"),
    path("reviews/export.csv", reviews.reviews_csv, name="reviews_csv"),
    path("reviews/<int:pk>/", reviews.review, name="review"),
    path("reviews/<int:pk>/save/", reviews.save, name="review_save"),
    path("reviews/<int:pk>/acknowledge/", reviews.acknowledge, name="review_acknowledge"),
    path("reviews/<int:pk>/correct/", reviews.correct, name="review_correct"),
    path(
        "reviews/<int:pk>/action-items/",
        reviews.add_action_item,
        name="review_action_item_add",
    ),
    path("reviews/<int:pk>/print/", reviews.review_print, name="review_print"),
    path("mine/", reviews.mine, name="mine"),
    path("criteria/", reviews.criteria, name="criteria"),
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
    # Recognition: the organisation's leaderboard and giving a recognition (POST only).
    path("leaderboard/", recognition.leaderboard_page, name="leaderboard"),
    path("recognitions/give/", recognition.recognition_give_view, name="give"),
]
