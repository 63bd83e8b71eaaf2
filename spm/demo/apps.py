from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "spm.demo"
    label = "demo"
    verbose_name = "Demo data"
