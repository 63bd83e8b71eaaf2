from django.urls import path

from spm.web.placeholders import placeholder

app_name = "tenancy"
urlpatterns = [
    path("switch/", placeholder, name="switch"),
    path("members/", placeholder, name="members"),
    path("members/<int:pk>/", placeholder, name="member_edit"),
    path("invitations/", placeholder, name="invitations"),
    path("invitations/<int:pk>/revoke/", placeholder, name="invitation_revoke"),
    path("invite/<str:key>/", placeholder, name="invitation_accept"),
    path("settings/", placeholder, name="settings"),
]
