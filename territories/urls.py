from django.urls import path

from . import views

app_name = "territories"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("balance/", views.balance, name="balance"),
]
