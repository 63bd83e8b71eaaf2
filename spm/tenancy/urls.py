from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("switch/", views.switch, name="switch"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invite/<str:key>/", views.invitation_accept, name="invitation_accept"),
    path("settings/", views.organisation_settings, name="settings"),
]
