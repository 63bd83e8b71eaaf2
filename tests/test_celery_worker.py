"""Background work: tenant-scoped tasks, enqueue on commit, the beat schedule, a real worker.

The ``services`` tests run a real ``celery worker`` process against Redis and the test
database, exactly as production does (no eager mode). Without Redis they are skipped,
unless ``SPM_REQUIRE_SERVICES=1`` (CI), where a missing service is a failure.
"""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from celery.contrib.testing.app import setup_default_app
from celery.result import EagerResult
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_scopes import ScopeError

from spm.celery import app as spm_celery_app
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Invitation, Tenant
from spm.tenancy.tasks import expire_invitations, expire_tenant_invitations
from spm.tenancy.tasks_base import enqueue_on_commit, tenant_task

from .factories import InvitationFactory, TenantFactory

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("SPM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER_START_TIMEOUT = 60
TASK_TIMEOUT = 30


def expired_invitation(tenant: Tenant) -> Invitation:
    return InvitationFactory(tenant=tenant, expires_at=timezone.now() - dt.timedelta(hours=1))


def invitation_status(invitation: Invitation) -> str:
    return Invitation.all_tenants.values_list("status", flat=True).get(pk=invitation.pk)


@tenant_task()
def describe_active_tenant(tenant: Tenant) -> dict:
    """A probe: what a task body sees. Scoped managers raise ScopeError outside a tenant."""
    return {
        "tenant_id": tenant.pk,
        "timezone": timezone.get_current_timezone_name(),
        "invitations": list(Invitation.objects.values_list("email", flat=True)),
    }


# --- Eager unit tests --------------------------------------------------------


@pytest.mark.django_db
def test_tenant_task_runs_its_body_inside_the_tenants_scope_and_timezone():
    acme = TenantFactory(timezone="America/New_York")
    globex = TenantFactory(timezone="Asia/Tokyo")
    InvitationFactory(tenant=acme, email="ada@acme.test")
    InvitationFactory(tenant=globex, email="grace@globex.test")

    seen = describe_active_tenant.delay(acme.pk).get()

    assert seen == {
        "tenant_id": acme.pk,
        "timezone": "America/New_York",
        "invitations": ["ada@acme.test"],
    }


@pytest.mark.django_db
def test_tenant_task_leaves_no_scope_behind():
    tenant = TenantFactory()
    expired_invitation(tenant)
    with pytest.raises(ScopeError):
        Invitation.objects.count()

    describe_active_tenant.delay(tenant.pk).get()

    # The scope ended with the task: the next unscoped query still fails closed.
    with pytest.raises(ScopeError):
        Invitation.objects.count()


@pytest.mark.django_db
def test_tenant_task_refuses_an_inactive_tenant():
    dormant = TenantFactory(is_active=False)
    invitation = expired_invitation(dormant)
    with pytest.raises(Tenant.DoesNotExist):
        expire_tenant_invitations.delay(dormant.pk).get()
    assert invitation_status(invitation) == Invitation.Status.PENDING


@pytest.mark.django_db
def test_expire_tenant_invitations_expires_only_that_tenants_past_due_invitations():
    acme, globex = TenantFactory(), TenantFactory()
    past_due = expired_invitation(acme)
    still_valid = InvitationFactory(tenant=acme)
    other_tenants = expired_invitation(globex)

    assert expire_tenant_invitations.delay(acme.pk).get() == 1

    assert invitation_status(past_due) == Invitation.Status.EXPIRED
    assert invitation_status(still_valid) == Invitation.Status.PENDING
    assert invitation_status(other_tenants) == Invitation.Status.PENDING


@pytest.mark.django_db
def test_enqueue_on_commit_sends_the_task_only_after_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    tenant = TenantFactory()
    invitation = expired_invitation(tenant)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(expire_tenant_invitations, tenant)
        # Not sent yet: a worker must never see a transaction that may still roll back.
        assert invitation_status(invitation) == Invitation.Status.PENDING
    assert len(callbacks) == 1
    assert invitation_status(invitation) == Invitation.Status.PENDING

    callbacks[0]()
    assert invitation_status(invitation) == Invitation.Status.EXPIRED


@pytest.mark.django_db
def test_enqueue_on_commit_sends_nothing_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    tenant = TenantFactory()
    invitation = expired_invitation(tenant)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_on_commit(expire_tenant_invitations, tenant)
        raise RuntimeError("the write failed")
    assert callbacks == []
    assert invitation_status(invitation) == Invitation.Status.PENDING


def test_the_beat_schedule_is_declared_in_code_and_names_registered_tasks():
    # Import every app's tasks.py, as a worker or beat does at start-up.
    spm_celery_app.loader.import_default_modules()
    schedule = spm_celery_app.conf.beat_schedule
    assert {"expire-invitations", "apply-scheduled-account-moves"} <= set(schedule)
    registered = spm_celery_app.tasks
    for name, entry in schedule.items():
        assert entry["task"] in registered, f"beat entry {name!r} names an unknown task"
        assert entry["schedule"] is not None
    assert schedule["expire-invitations"]["task"] == expire_invitations.name


# --- A real worker over Redis ------------------------------------------------


def redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("SPM_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL that points another process at the database this test writes to."""
    name = settings_dict["NAME"]
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        assert name != ":memory:" and "mode=memory" not in str(name), (
            "the SQLite test database must be a file for a worker process to see it"
        )
        return f"sqlite:///{Path(name).resolve()}"
    assert settings_dict["ENGINE"] == "django.db.backends.postgresql"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"


@dataclass
class Worker:
    app: Celery  # The producer side, configured like the worker: Redis, not eager.
    queue: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def redis_worker(django_db_setup, tmp_path_factory) -> Iterator[Worker]:
    """A ``celery worker`` process on a private Redis queue, and a producer app to reach it.

    One worker serves the module's tests (starting one takes seconds). Its queue and node
    names are unique so concurrent test runs sharing one Redis never take each other's tasks.
    Tests using it need ``django_db(transaction=True)``: the worker only sees committed rows.
    """
    redis_or_skip()
    run_id = uuid.uuid4().hex[:12]
    queue = f"spm-test-{run_id}"
    node = f"{queue}@localhost"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "spm.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "TEST_CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "TEST_CELERY_QUEUE": queue,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "spm", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "-n", node,
        "--without-mingle", "--without-gossip", "--loglevel=INFO",
    ]  # fmt: skip
    overrides = {
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": False,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {},
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        with override_settings(**overrides):
            # A fresh app reads the overridden settings; while it is the current app the
            # project's shared tasks send through it, to Redis, instead of running eagerly.
            producer = Celery("spm", set_as_current=False)
            producer.config_from_object("django.conf:settings", namespace="CELERY")
            with setup_default_app(producer):
                producer.set_current()
                wait_until_ready(producer, node, process, log)
                yield Worker(app=producer, queue=queue, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        redis.Redis.from_url(REDIS_URL).delete(queue)


def wait_until_ready(app: Celery, node: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{log.read_text()}")
        if app.control.ping(destination=[node], timeout=1):
            return
    pytest.fail(f"the worker did not answer within {WORKER_START_TIMEOUT}s:\n{log.read_text()}")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_expires_a_tenants_past_due_invitations_through_redis(redis_worker):
    tenant = TenantFactory()
    past_due = expired_invitation(tenant)
    still_valid = InvitationFactory(tenant=tenant)

    result = expire_tenant_invitations.delay(tenant.pk)

    # Sent, not run here: the result comes back from the worker process through Redis.
    assert not isinstance(result, EagerResult)
    assert result.get(timeout=TASK_TIMEOUT) == 1, redis_worker.output()
    assert invitation_status(past_due) == Invitation.Status.EXPIRED
    assert invitation_status(still_valid) == Invitation.Status.PENDING


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_beat_job_fans_out_one_scoped_task_per_active_tenant(redis_worker):
    acme, globex = TenantFactory(), TenantFactory()
    dormant = TenantFactory(is_active=False)
    invitations = [expired_invitation(acme), expired_invitation(globex)]
    dormant_invitation = expired_invitation(dormant)

    assert expire_invitations.delay().get(timeout=TASK_TIMEOUT) == 2, redis_worker.output()

    deadline = time.monotonic() + TASK_TIMEOUT
    while time.monotonic() < deadline:
        if all(invitation_status(i) == Invitation.Status.EXPIRED for i in invitations):
            break
        time.sleep(0.2)
    assert [invitation_status(i) for i in invitations] == ["expired", "expired"], (
        redis_worker.output()
    )
    assert invitation_status(dormant_invitation) == Invitation.Status.PENDING
    with tenant_context(acme):
        assert Invitation.objects.filter(status=Invitation.Status.PENDING).count() == 0


# --- No background work is lost while the broker is away ------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_move_committed_while_the_broker_is_down_is_emailed_once_it_is_back(redis_worker):
    from rest_framework.test import APIClient

    from spm.notifications.models import Notification
    from spm.tenancy.models import OutboxJob
    from spm.tenancy.outbox import outbox_sweep
    from spm.tenancy.services import api_token_issue
    from territories.models import Account

    from .conftest import build_org
    from .territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

    org = build_org("outage")
    today = org.tenant.today()
    west = TerritoryFactory(tenant=org.tenant, name="West")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=today - dt.timedelta(days=9))
    accounts = [AccountFactory(tenant=org.tenant) for _ in range(3)]
    api = APIClient()
    key = api_token_issue(tenant=org.tenant, actor=None, membership=org.admin)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    # Nothing listens on port 1: every publish is refused, as with a broker that is down.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        down = Celery("spm", set_as_current=False)
        down.config_from_object("django.conf:settings", namespace="CELERY")
        with setup_default_app(down):
            down.set_current()
            response = api.post(
                "/api/v1/accounts/assign/",
                {"account_ids": [a.pk for a in accounts], "territory_id": west.pk},
                format="json",
            )

    assert response.status_code == 200, response.content
    assert set(Account.all_tenants.filter(territory=west).values_list("pk", flat=True)) == {
        a.pk for a in accounts
    }
    job = OutboxJob.all_tenants.get(tenant=org.tenant)
    assert (job.sent_at, job.attempts) == (None, 1)
    assert job.last_error
    notice = Notification.all_tenants.get(recipient=org.rep)
    assert notice.emailed_at is None

    # The broker is back (the module's worker on Redis): the sweep sends the job.
    assert outbox_sweep(now=timezone.now() + dt.timedelta(minutes=1)) == 1
    deadline = time.monotonic() + TASK_TIMEOUT
    while time.monotonic() < deadline:
        notice.refresh_from_db()
        if notice.emailed_at is not None:
            break
        time.sleep(0.2)
    assert notice.emailed_at is not None, redis_worker.output()
    assert OutboxJob.all_tenants.get(pk=job.pk).sent_at is not None
