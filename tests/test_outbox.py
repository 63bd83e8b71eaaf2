"""The transactional outbox: a committed change never loses its background job."""

import datetime as dt

import pytest
from celery.exceptions import NotRegistered
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from spm.notifications.models import Notification
from spm.tenancy import outbox
from spm.tenancy.context import tenant_context
from spm.tenancy.models import OutboxJob
from spm.tenancy.outbox import outbox_sweep
from spm.tenancy.tasks_base import enqueue_on_commit
from territories.models import Account

from .territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish fails as it does when the broker cannot be reached."""
    real = outbox.registered_task

    class Unreachable:
        def __init__(self, task):
            self.task = task

        def apply_async(self, *args, **kwargs):
            raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(outbox, "registered_task", lambda name: Unreachable(real(name)))
    yield
    monkeypatch.setattr(outbox, "registered_task", real)


def later() -> dt.datetime:
    return timezone.now() + outbox.SWEEP_AFTER + dt.timedelta(seconds=1)


def test_a_move_committed_while_the_broker_is_down_answers_200_and_is_emailed_later(
    org, api_for, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    today = org.tenant.today()
    west = TerritoryFactory(tenant=org.tenant, name="West")
    TerritoryMemberFactory(territory=west, member=org.rep, start_date=today - dt.timedelta(days=3))
    accounts = [AccountFactory(tenant=org.tenant) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(org.admin).post(
            "/api/v1/accounts/assign/",
            {"account_ids": [a.pk for a in accounts], "territory_id": west.pk},
            format="json",
        )
    assert response.status_code == 200
    assert Account.all_tenants.filter(territory=west).count() == 5
    job = OutboxJob.all_tenants.get()
    assert job.sent_at is None and job.attempts == 1 and "refused" in job.last_error
    assert mail.outbox == []

    monkeypatch.undo()  # The broker is back.
    assert outbox_sweep(now=later()) == 1
    assert [message.subject for message in mail.outbox] == ["[SPM] 5 accounts moved into West"]
    assert Notification.all_tenants.get(recipient=org.rep).emailed_at is not None
    job.refresh_from_db()
    assert job.sent_at is not None
    assert outbox_sweep(now=later()) == 0  # Sent once.


def test_the_sweep_leaves_fresh_jobs_to_their_own_send(org, broker_down):
    with tenant_context(org.tenant), transaction.atomic():
        enqueue_on_commit("spm.tenancy.tasks.expire_tenant_invitations", org.tenant)
    assert outbox_sweep() == 0
    assert OutboxJob.all_tenants.get().sent_at is None


def test_a_rolled_back_change_leaves_no_job(org):
    with pytest.raises(RuntimeError), tenant_context(org.tenant), transaction.atomic():
        enqueue_on_commit("spm.tenancy.tasks.expire_tenant_invitations", org.tenant)
        raise RuntimeError("the write failed")
    assert not OutboxJob.all_tenants.exists()


def test_an_unknown_task_name_fails_in_the_request_not_in_the_sweep(org):
    with pytest.raises(NotRegistered), tenant_context(org.tenant), transaction.atomic():
        enqueue_on_commit("spm.tenancy.tasks.no_such_task", org.tenant)
    assert not OutboxJob.all_tenants.exists()


def test_sent_jobs_are_deleted_after_a_week(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org.tenant):
        enqueue_on_commit("spm.tenancy.tasks.expire_tenant_invitations", org.tenant)
    job = OutboxJob.all_tenants.get()
    assert job.sent_at is not None
    outbox_sweep(now=job.sent_at + outbox.KEEP_SENT - dt.timedelta(minutes=1))
    assert OutboxJob.all_tenants.exists()
    outbox_sweep(now=job.sent_at + outbox.KEEP_SENT + dt.timedelta(minutes=1))
    assert not OutboxJob.all_tenants.exists()


def test_the_sweep_runs_every_minute_from_beat():
    from spm.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["sweep-outbox"]
    assert entry["task"] == "spm.tenancy.tasks.sweep_outbox"
    assert entry["schedule"] == 60.0
