"""Local development and the demo: zero setup (SQLite, embedded broker, console email)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# The fixed key is only acceptable because this settings module is never used in production.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-only-key")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
