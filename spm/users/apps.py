from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "spm.users"
    label = "users"
    verbose_name = "Users"
