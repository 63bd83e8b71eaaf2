from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "spm.web"
    label = "web"
    verbose_name = "Web"
