"""The transactional outbox: background jobs are rows written with the change that needs
them, so no committed change ever loses its job (see ``OutboxJob``).

``outbox_record`` writes the row inside the caller's transaction and, once it commits,
sends the job at once; a broker that is down costs nothing but a log line (never a 500
for a change that is already committed). ``outbox_sweep`` (every minute, from beat) sends
what is still waiting. Task arguments are JSON: ids, strings, numbers.
"""

import datetime as dt
import logging
import threading
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from .context import across_tenants
from .models import OutboxJob, Tenant

logger = logging.getLogger(__name__)

# A job still waiting this long after its commit is the sweep's: the immediate send had
# its chance (it normally takes milliseconds).
SWEEP_AFTER = dt.timedelta(seconds=30)
# At most this many jobs per sweep (one publish each, about a millisecond on Redis).
SWEEP_BATCH = 500
# Sent jobs are kept this long, to answer "did it go?" questions, then deleted.
KEEP_SENT = dt.timedelta(days=7)
# What a broker that cannot be reached raises when publishing.
BROKER_DOWN = (OperationalError, OSError)

_discovery_lock = threading.Lock()
_tasks: dict[tuple[int, str], Any] = {}


def registered_task(name: str) -> Any:
    """The task registered under ``name`` in the current Celery app, importing every app's
    ``tasks.py`` first (what a worker does at start).

    Services enqueue their tasks by name: a service module importing its own ``tasks``
    module (which imports the service) would make an import cycle. The lock keeps two
    threads from finalising Celery's task registry at once (one would see it half filled).
    """
    app = current_app._get_current_object()
    key = (id(app), name)
    if key not in _tasks:
        with _discovery_lock:
            app.loader.import_default_modules()
            _tasks[key] = app.tasks[name]
    return _tasks[key]


def outbox_record(*, tenant: Tenant, task: Any, args: list, kwargs: dict) -> OutboxJob:
    """Write the job in the current transaction; send it once the transaction commits."""
    name = task if isinstance(task, str) else task.name
    registered_task(name)  # A misspelt name fails here, in the request, not in the sweep.
    job = OutboxJob.objects.create(tenant=tenant, task_name=name, args=args, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_send(job_ids=[job.pk]))
    return job


def outbox_send(*, job_ids: list[int]) -> int:
    """Publish the given jobs that are still waiting; returns how many went out.

    A broker that cannot be reached is logged and counted on the job; the sweep retries.
    """
    # By id, whichever organisation is active: the sweep sends every organisation's jobs.
    with across_tenants():
        return _send(job_ids)


def _send(job_ids: list[int]) -> int:
    sent = 0
    # Across tenants (see outbox_send): the jobs are addressed by id.
    jobs = OutboxJob.all_tenants.filter(pk__in=job_ids, sent_at__isnull=True).order_by("pk")
    for job in jobs:
        try:
            registered_task(job.task_name).apply_async(
                args=job.args, kwargs=job.kwargs, retry=False
            )
        except BROKER_DOWN as error:
            logger.warning("Job %s (%s) not sent yet: %s", job.pk, job.task_name, error)
            # Same reason as above: the job is addressed by id.
            OutboxJob.all_tenants.filter(pk=job.pk).update(
                attempts=job.attempts + 1, last_error=str(error)[:1000]
            )
            continue
        # Addressed by id, like the read above.
        OutboxJob.all_tenants.filter(pk=job.pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), attempts=job.attempts + 1, last_error=""
        )
        sent += 1
    return sent


def outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Send the jobs whose immediate send failed (broker down, process killed between the
    commit and the send); delete sent jobs older than ``KEEP_SENT``. Returns jobs sent."""
    now = now or timezone.now()
    with transaction.atomic(), across_tenants():
        # Every organisation's jobs: this is the platform's sweep. SKIP LOCKED lets two
        # sweeps run at once without sending a job twice.
        waiting = list(
            OutboxJob.all_tenants.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, created_at__lte=now - SWEEP_AFTER)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        sent = outbox_send(job_ids=waiting)
    # Cross-tenant housekeeping, like the sweep itself.
    with across_tenants():
        OutboxJob.all_tenants.filter(sent_at__lt=now - KEEP_SENT).delete()
    return sent
