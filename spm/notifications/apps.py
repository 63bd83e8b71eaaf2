from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "spm.notifications"
    label = "notifications"
    verbose_name = "Notifications"
