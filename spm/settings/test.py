"""Test settings: fast hashing, in-memory email, eager Celery unless a test asks for a worker.

The end-to-end Celery test starts a real worker process with this module and the
environment variables read below (``CELERY_TASK_ALWAYS_EAGER=0``, a Redis
``TEST_CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND``, a private
``TEST_CELERY_QUEUE``), and hands it the test database through ``DATABASE_URL``.
"""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tests run without collectstatic: WhiteNoise serves the source static folders, as in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_DEFAULT_QUEUE = env.str("TEST_CELERY_QUEUE", default="celery")

# SQLite's default test database lives in memory, where a worker process cannot see it.
# A file, named per test process so parallel runs never share one, lets the Celery
# worker open the very database the test writes to. Django deletes it after the run.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        Path(tempfile.gettempdir()) / f"spm-test-{os.getpid()}.sqlite3"
    )
else:
    # A test database is thrown away after the run: its commits need not wait for the disk.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
