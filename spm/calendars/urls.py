from django.urls import path

from . import views

app_name = "calendars"
urlpatterns = [
    path("", views.index, name="index"),
    path("holidays/add/", views.holiday_create, name="holiday_create"),
    path("holidays/<int:pk>/edit/", views.holiday_edit, name="holiday_edit"),
    path("holidays/<int:pk>/delete/", views.holiday_delete, name="holiday_delete"),
    path("time-off/add/", views.time_off_create, name="time_off_create"),
    path("time-off/<int:pk>/edit/", views.time_off_edit, name="time_off_edit"),
    path("time-off/<int:pk>/delete/", views.time_off_delete, name="time_off_delete"),
]
