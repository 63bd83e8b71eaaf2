from django.urls import path

from spm.web.placeholders import placeholder

app_name = "territories"
urlpatterns = [
    path("mine/", placeholder, name="mine"),
    path("balance/", placeholder, name="balance"),
]
