"""The Celery application. Tasks are discovered in every installed app's ``tasks.py``.

With the default ``filesystem://`` broker (settings/base.py) the broker is a set of
folders under ``var/``; they are created when the configuration is first read, so
``celery -A spm worker -B`` works on a fresh checkout with no server and no setup.
"""

import os
from pathlib import Path
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spm.settings.local")

app = Celery("spm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

FILESYSTEM_BROKER_FOLDERS = (
    "data_folder_in",
    "data_folder_out",
    "processed_folder",
    "control_folder",
)


@app.on_after_configure.connect
def create_local_folders(sender: Celery, source: Any, **kwargs: Any) -> None:
    """Create the filesystem broker's folders and the beat schedule's folder if missing."""
    if str(source.broker_url or "").startswith("filesystem"):
        options = source.broker_transport_options or {}
        for key in FILESYSTEM_BROKER_FOLDERS:
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
    schedule_file = source.beat_schedule_filename
    if schedule_file:
        Path(schedule_file).parent.mkdir(parents=True, exist_ok=True)
