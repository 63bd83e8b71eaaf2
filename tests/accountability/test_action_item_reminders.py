"""The daily reminder of overdue action items: from 09:00 in the organisation's time zone, on
its work days, once a day per owner, in-app and by email."""

import datetime as dt

import pytest
from django.core import mail

from accountability import tasks
from accountability.models import ActionItem
from accountability.services.action_item_reminders import overdue_remind, overdue_remind_day
from spm.celery import app as celery_app
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context

from ..factories import HolidayFactory
from .factories import ActionItemFactory

KIND = "accountability.action_items_overdue"
MONDAY = dt.date(2026, 3, 2)


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def set_zone(org, zone: str):
    org.tenant.timezone = zone
    org.tenant.save(update_fields=["timezone"])
    return org


def reminded(org) -> list[int]:
    return sorted(
        Notification.all_tenants.filter(tenant=org.tenant, kind=KIND).values_list(
            "recipient_id", flat=True
        )
    )


@pytest.fixture
def overdue(org):
    """The rep owes two overdue items, the manager one about the rep; one is not due yet,
    one overdue is done, one dropped."""
    rep_items = [
        ActionItemFactory(member=org.rep, owner=org.rep, title="Update the forecast",
                          due_date=dt.date(2026, 2, 20)),
        ActionItemFactory(member=org.rep, owner=org.rep, title="Plan the Acme visit",
                          due_date=dt.date(2026, 2, 27)),
    ]  # fmt: skip
    ActionItemFactory(member=org.rep, owner=org.manager, title="Coach on demos",
                      due_date=dt.date(2026, 2, 28))  # fmt: skip
    ActionItemFactory(member=org.rep, owner=org.rep, due_date=MONDAY)  # Due today: not overdue.
    ActionItemFactory(member=org.outsider_rep, owner=org.outsider_rep,
                      due_date=dt.date(2026, 2, 1), status=ActionItem.Status.DONE)  # fmt: skip
    ActionItemFactory(member=org.outsider_rep, owner=org.outsider_rep,
                      due_date=dt.date(2026, 2, 1), status=ActionItem.Status.DROPPED)  # fmt: skip
    org.rep_items = rep_items
    return set_zone(org, "Europe/Berlin")


def test_every_owner_of_overdue_items_gets_one_message_listing_them(overdue):
    org = overdue
    with tenant_context(org.tenant):
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 2, 7, 59)) == 0  # 08:59.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 2, 8, 0)) == 2  # 09:00.
    assert reminded(org) == sorted([org.rep.pk, org.manager.pk])
    note = Notification.all_tenants.get(recipient=org.rep)
    assert note.title == "2 overdue action items"
    assert "Update the forecast" in note.body and "Plan the Acme visit" in note.body
    assert note.url == "/accountability/action-items/"
    manager_note = Notification.all_tenants.get(recipient=org.manager)
    assert manager_note.title == "Overdue action item: Coach on demos"
    assert f"about {org.rep.name}" in manager_note.body
    assert set(
        ActionItem.all_tenants.filter(reminded_on=MONDAY).values_list("title", flat=True)
    ) == {"Update the forecast", "Plan the Acme visit", "Coach on demos"}


def test_the_reminder_is_emailed_once_whatever_runs(overdue, django_capture_on_commit_callbacks):
    org = overdue
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org.tenant):
        first = overdue_remind(tenant=org.tenant, now=at(2026, 3, 2, 8, 5))
        again = overdue_remind(tenant=org.tenant, now=at(2026, 3, 2, 9, 5))
        retried = overdue_remind_day(tenant=org.tenant, day=MONDAY)
    assert (first, again, retried) == (2, 0, 0)
    assert Notification.all_tenants.filter(kind=KIND).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [org.rep.user.email, org.manager.user.email]
    )
    assert "[SPM] 2 overdue action items" in [m.subject for m in mail.outbox]


def test_the_next_work_day_reminds_again(overdue):
    org = overdue
    with tenant_context(org.tenant):
        overdue_remind_day(tenant=org.tenant, day=MONDAY)
        assert overdue_remind_day(tenant=org.tenant, day=MONDAY + dt.timedelta(days=1)) == 2
    assert len(reminded(org)) == 4


def test_done_items_are_not_reminded_again(overdue):
    org = overdue
    ActionItem.all_tenants.filter(owner=org.manager).update(status=ActionItem.Status.DONE)
    with tenant_context(org.tenant):
        assert overdue_remind_day(tenant=org.tenant, day=MONDAY) == 1
    assert reminded(org) == [org.rep.pk]


def test_no_reminder_on_weekends_or_holidays(overdue):
    org = overdue
    HolidayFactory(tenant=org.tenant, date=dt.date(2026, 3, 3))
    with tenant_context(org.tenant):
        assert overdue_remind_day(tenant=org.tenant, day=dt.date(2026, 3, 1)) == 0  # Sunday.
        assert overdue_remind_day(tenant=org.tenant, day=dt.date(2026, 3, 3)) == 0  # Holiday.
        # Saturday 10:00 in Berlin.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 7, 9)) == 0
    assert reminded(org) == []
    assert not ActionItem.all_tenants.filter(reminded_on__isnull=False).exists()


def test_an_owner_who_left_is_not_reminded(overdue):
    org = overdue
    org.rep.end_date = dt.date(2026, 2, 28)
    org.rep.save(update_fields=["end_date"])
    with tenant_context(org.tenant):
        assert overdue_remind_day(tenant=org.tenant, day=MONDAY) == 1
    assert reminded(org) == [org.manager.pk]


def test_another_organisation_is_never_reminded(overdue, other):
    ActionItemFactory(member=other.rep, owner=other.rep, due_date=dt.date(2026, 2, 1))
    with tenant_context(overdue.tenant):
        overdue_remind_day(tenant=overdue.tenant, day=MONDAY)
    assert not Notification.all_tenants.filter(tenant=other.tenant).exists()
    assert ActionItem.all_tenants.get(tenant=other.tenant).reminded_on is None


def test_kiritimati_is_reminded_at_its_own_nine_oclock(overdue):
    org = set_zone(overdue, "Pacific/Kiritimati")  # UTC+14.
    with tenant_context(org.tenant):
        # Sunday 18:00 in UTC is Monday 08:00 in Kiritimati: too early.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 1, 18)) == 0
        # Sunday 19:30 in UTC is Monday 09:30 there: Monday is reminded, UTC's Sunday is not.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 1, 19, 30)) == 2
    assert set(ActionItem.all_tenants.exclude(reminded_on=None).values_list(
        "reminded_on", flat=True)) == {MONDAY}  # fmt: skip


def test_pago_pago_is_reminded_for_its_own_date_when_utc_is_a_day_ahead(overdue):
    org = set_zone(overdue, "Pacific/Pago_Pago")  # UTC−11.
    with tenant_context(org.tenant):
        # Saturday 21:00 in UTC is Saturday 10:00 there: not a work day.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 7, 21)) == 0
        # Monday 19:00 in UTC is Monday 08:00 there; 20:00 is 09:00.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 2, 19)) == 0
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 2, 20)) == 2
        # Tuesday 05:00 in UTC is still Monday there: nothing twice.
        assert overdue_remind(tenant=org.tenant, now=at(2026, 3, 3, 5)) == 0
    assert set(ActionItem.all_tenants.exclude(reminded_on=None).values_list(
        "reminded_on", flat=True)) == {MONDAY}  # fmt: skip


def test_the_query_count_does_not_grow_with_the_owners(overdue, django_assert_max_num_queries):
    org = overdue
    for _ in range(20):
        ActionItemFactory(member=org.outsider_rep, owner=org.outsider_rep,
                          due_date=dt.date(2026, 2, 2))  # fmt: skip
    with tenant_context(org.tenant), django_assert_max_num_queries(8):
        assert overdue_remind_day(tenant=org.tenant, day=MONDAY) == 3


def test_the_job_is_in_the_beat_schedule_hourly():
    celery_app.loader.import_default_modules()
    entry = celery_app.conf.beat_schedule["accountability-overdue-action-items"]
    assert entry["task"] == "accountability.tasks.overdue_action_item_reminders"
    assert entry["task"] in celery_app.tasks
    assert tasks.overdue_action_item_reminders_for_tenant.acks_late


def test_the_task_runs_the_service_in_the_organisations_scope(overdue, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 3, 2, 9, 15))  # 10:15.
    assert tasks.overdue_action_item_reminders_for_tenant.delay(overdue.tenant.pk).get() == 2
    assert tasks.overdue_action_item_reminders.delay().get() >= 1  # The fan-out.
    assert Notification.all_tenants.filter(kind=KIND).count() == 2
