from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class WebConfig(AppConfig):
    name = "spm.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        # Each installed app's ``plugin.py`` fills the registries of ``spm.plugins``.
        autodiscover_modules("plugin")
