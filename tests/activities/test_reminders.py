"""Reminders (activities.services.reminders and activities.tasks): nothing logged on a work
day is reminded at 18:00 where the organisation is, in the app and by email, once; never on
weekends, holidays, time off or outside employment; the managers' Monday digest of last
week's selling time. Organisations far from UTC (Kiritimati, UTC+14; Pago Pago, UTC−11)
show that the organisation's date decides, not the date in UTC. The time is passed in."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from activities import tasks
from activities.models import ActivityType, Reminder
from activities.services.reminders import (
    nothing_logged_remind,
    nothing_logged_remind_day,
    weekly_digest_send,
)
from spm.celery import app as celery_app
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role

from ..factories import HolidayFactory, MembershipFactory, TimeOffFactory
from .factories import ActivityFactory

UTC = dt.UTC
MONDAY = dt.date(2026, 3, 2)
NOTHING = "activities.nothing_logged"
DIGEST = "activities.weekly_digest"


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def set_zone(org, zone: str):
    org.tenant.timezone = zone
    org.tenant.save(update_fields=["timezone"])
    return org


def log(member, day, *, selling=0, other=0):
    def kind(name):
        return ActivityType.all_tenants.get(tenant=member.tenant, name=name)

    if selling:
        ActivityFactory(member=member, type=kind("Call"), date=day, duration_minutes=selling)
    if other:
        ActivityFactory(member=member, type=kind("Admin"), date=day, duration_minutes=other)


def reminded(org, kind=NOTHING) -> set[int]:
    return set(
        Notification.all_tenants.filter(tenant=org.tenant, kind=kind).values_list(
            "recipient_id", flat=True
        )
    )


@pytest.fixture
def berlin(org):
    return set_zone(org, "Europe/Berlin")


# --- Nothing logged ---------------------------------------------------------------------------


def test_reps_and_managers_who_logged_nothing_are_reminded_at_18(berlin):
    log(berlin.rep, MONDAY, selling=30)
    with tenant_context(berlin.tenant):
        # 17:59 in Berlin (UTC+1 in March): not yet.
        assert nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 16, 59)) == 0
        assert nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 17, 0)) == 2
    assert reminded(berlin) == {berlin.manager.pk, berlin.outsider_rep.pk}  # Not the admin.
    note = Notification.all_tenants.get(recipient=berlin.outsider_rep)
    assert note.title == "Nothing logged for 2 Mar 2026"
    assert note.url.endswith("?date=2026-03-02")
    assert Reminder.all_tenants.filter(kind=Reminder.Kind.NOTHING_LOGGED, day=MONDAY).count() == 2


def test_the_reminder_is_emailed_too(berlin, django_capture_on_commit_callbacks):
    log(berlin.rep, MONDAY, selling=30)
    log(berlin.manager, MONDAY, other=30)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(berlin.tenant):
        nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 17, 30))
    assert [message.to for message in mail.outbox] == [[berlin.outsider_rep.user.email]]
    assert mail.outbox[0].subject == "[SPM] Nothing logged for 2 Mar 2026"


def test_running_again_sends_nothing_twice(berlin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), tenant_context(berlin.tenant):
        first = nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 17, 5))
        again = nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 18, 5))
        retried = nothing_logged_remind_day(tenant=berlin.tenant, day=MONDAY)
    assert (first, again, retried) == (3, 0, 0)
    assert Notification.all_tenants.filter(kind=NOTHING).count() == 3
    assert len(mail.outbox) == 3


def test_someone_reminded_who_then_logs_is_not_reminded_again(berlin):
    with tenant_context(berlin.tenant):
        nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 17, 5))
        log(berlin.rep, MONDAY, selling=30)
        newcomer = MembershipFactory(tenant=berlin.tenant, manager=berlin.manager)
        assert nothing_logged_remind(tenant=berlin.tenant, now=at(2026, 3, 2, 19, 5)) == 1
    assert reminded(berlin) >= {newcomer.pk}
    assert Notification.all_tenants.filter(recipient=berlin.rep, kind=NOTHING).count() == 1


def test_no_reminder_on_weekends_holidays_or_outside_the_work_week(berlin):
    saturday, holiday = dt.date(2026, 3, 7), dt.date(2026, 3, 3)
    HolidayFactory(tenant=berlin.tenant, date=holiday)
    with tenant_context(berlin.tenant):
        assert nothing_logged_remind_day(tenant=berlin.tenant, day=saturday) == 0
        assert nothing_logged_remind_day(tenant=berlin.tenant, day=holiday) == 0
        berlin.tenant.work_week = [1, 2, 3, 4, 5, 6]  # Saturdays are worked here.
        berlin.tenant.save(update_fields=["work_week"])
        assert nothing_logged_remind_day(tenant=berlin.tenant, day=saturday) == 3


def test_no_reminder_on_time_off_or_outside_employment(berlin):
    TimeOffFactory(member=berlin.rep, start=MONDAY, end=MONDAY)
    berlin.manager.start_date = MONDAY + dt.timedelta(days=1)
    berlin.manager.save(update_fields=["start_date"])
    MembershipFactory(tenant=berlin.tenant, start_date=dt.date(2025, 1, 1), end_date=MONDAY)
    gone = MembershipFactory(
        tenant=berlin.tenant, start_date=dt.date(2025, 1, 1), end_date=MONDAY - dt.timedelta(1)
    )
    with tenant_context(berlin.tenant):
        nothing_logged_remind_day(tenant=berlin.tenant, day=MONDAY)
    assert berlin.rep.pk not in reminded(berlin)
    assert berlin.manager.pk not in reminded(berlin)
    assert gone.pk not in reminded(berlin)
    assert berlin.outsider_rep.pk in reminded(berlin)
    assert len(reminded(berlin)) == 2  # The outsider rep and the one whose last day it is.


def test_another_organisation_is_never_reminded(berlin, other):
    with tenant_context(berlin.tenant):
        nothing_logged_remind_day(tenant=berlin.tenant, day=MONDAY)
    assert not Notification.all_tenants.filter(tenant=other.tenant).exists()


def test_kiritimati_is_reminded_at_its_own_18_oclock(org):
    kiritimati = set_zone(org, "Pacific/Kiritimati")  # UTC+14.
    friday = dt.date(2026, 3, 6)
    log(kiritimati.rep, dt.date(2026, 3, 5), selling=30)  # Logged Thursday, not Friday.
    with tenant_context(kiritimati.tenant):
        # Thursday 22:00 in UTC, past 18:00 there, is Friday 12:00 in Kiritimati: too early.
        assert nothing_logged_remind(tenant=kiritimati.tenant, now=at(2026, 3, 5, 22)) == 0
        # Friday 04:30 in UTC is Friday 18:30 in Kiritimati: Friday is reminded.
        assert nothing_logged_remind(tenant=kiritimati.tenant, now=at(2026, 3, 6, 4, 30)) == 3
        # Saturday 04:30 in UTC (Friday 17:30 in Pago Pago) is Saturday evening here.
        assert nothing_logged_remind(tenant=kiritimati.tenant, now=at(2026, 3, 7, 4, 30)) == 0
    assert set(Reminder.all_tenants.values_list("day", flat=True)) == {friday}
    assert kiritimati.rep.pk in reminded(kiritimati)


def test_pago_pago_is_reminded_for_its_own_date_when_utc_is_a_day_ahead(org):
    pago_pago = set_zone(org, "Pacific/Pago_Pago")  # UTC−11.
    log(pago_pago.rep, MONDAY, selling=30)  # Logged Monday, Pago Pago's date.
    log(pago_pago.outsider_rep, dt.date(2026, 3, 3), selling=30)  # Logged UTC's date only.
    with tenant_context(pago_pago.tenant):
        # Tuesday 05:30 in UTC is Monday 18:30 in Pago Pago.
        assert nothing_logged_remind(tenant=pago_pago.tenant, now=at(2026, 3, 3, 5, 30)) == 2
    assert reminded(pago_pago) == {pago_pago.manager.pk, pago_pago.outsider_rep.pk}
    assert set(Reminder.all_tenants.values_list("day", flat=True)) == {MONDAY}


def test_the_reminder_query_count_does_not_grow_with_the_organisation(
    berlin, django_assert_max_num_queries
):
    for _ in range(30):
        MembershipFactory(tenant=berlin.tenant, manager=berlin.manager)
    with tenant_context(berlin.tenant), django_assert_max_num_queries(8):
        assert nothing_logged_remind_day(tenant=berlin.tenant, day=MONDAY) == 33


# --- The weekly digest ------------------------------------------------------------------------


@pytest.fixture
def last_week(berlin):
    """The week of 2 March: the rep sold 80 % of their time (below 90 %), a report of a
    team lead under the manager 100 %; the outsider rep (the admin's) is nobody's team."""
    lead = MembershipFactory(tenant=berlin.tenant, role=Role.MANAGER, manager=berlin.manager)
    indirect = MembershipFactory(tenant=berlin.tenant, manager=lead)
    log(berlin.rep, MONDAY, selling=240, other=60)
    log(indirect, MONDAY + dt.timedelta(days=2), selling=120)
    log(berlin.outsider_rep, MONDAY, other=600)
    log(berlin.rep, MONDAY + dt.timedelta(days=7), other=600)  # This week: not in it.
    return berlin, lead, indirect


def test_managers_get_last_weeks_digest_on_monday_morning(last_week):
    org, lead, indirect = last_week
    with tenant_context(org.tenant):
        # Monday 9 March 06:59 in UTC is 07:59 in Berlin: not yet; Sunday: never.
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 6, 59)) == 0
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 8, 9)) == 0
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 7, 0)) == 2
    assert reminded(org, DIGEST) == {org.manager.pk, lead.pk}  # Managers with a team.
    digest = Notification.all_tenants.get(recipient=org.manager, kind=DIGEST)
    # 360 selling minutes of 420: 85.7 %.
    assert digest.title == "Selling time last week: 85.7% (target 90%)"
    assert f"- {org.rep.name}: 80.0%" in digest.body
    assert indirect.name not in digest.body  # At 100 %: not below target.
    assert digest.url.endswith("?month=2026-03")
    lead_digest = Notification.all_tenants.get(recipient=lead, kind=DIGEST)
    assert lead_digest.title == "Selling time last week: 100.0% (target 90%)"
    assert "Nobody was below target." in lead_digest.body
    assert Reminder.all_tenants.get(member=lead, kind=Reminder.Kind.WEEKLY_DIGEST).day == MONDAY


def test_the_digest_is_emailed_and_sent_once(last_week, django_capture_on_commit_callbacks):
    org, lead, _ = last_week
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org.tenant):
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 8)) == 2
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 9)) == 0
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [org.manager.user.email, lead.user.email]
    )
    assert Notification.all_tenants.filter(kind=DIGEST).count() == 2


def test_a_team_that_logged_nothing_is_told_so(berlin):
    with tenant_context(berlin.tenant):
        weekly_digest_send(tenant=berlin.tenant, now=at(2026, 3, 9, 8))
    digest = Notification.all_tenants.get(recipient=berlin.manager, kind=DIGEST)
    assert digest.title == "Selling time last week: nothing logged"


def test_the_organisations_target_is_the_digests(last_week):
    org, _, _ = last_week
    org.tenant.selling_target_pct = Decimal("80.00")
    org.tenant.save(update_fields=["selling_target_pct"])
    with tenant_context(org.tenant):
        weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 8))
    digest = Notification.all_tenants.get(recipient=org.manager, kind=DIGEST)
    assert digest.title == "Selling time last week: 85.7% (target 80%)"
    assert "Nobody was below target." in digest.body


def test_kiritimatis_monday_comes_while_utc_is_still_sunday(last_week):
    org, _, _ = last_week
    set_zone(org, "Pacific/Kiritimati")
    with tenant_context(org.tenant):
        # Sunday 8 March 18:30 in UTC is Monday 9 March 08:30 in Kiritimati.
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 8, 18, 30)) == 2
    assert set(Reminder.all_tenants.values_list("day", flat=True)) == {MONDAY}


def test_pago_pagos_monday_comes_late_in_utcs(last_week):
    org, _, _ = last_week
    set_zone(org, "Pacific/Pago_Pago")
    with tenant_context(org.tenant):
        # Monday 9 March 10:00 in UTC is still Sunday 23:00 in Pago Pago.
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 10)) == 0
        # Monday 19:30 in UTC is Monday 08:30 there.
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 19, 30)) == 2
    assert set(Reminder.all_tenants.values_list("day", flat=True)) == {MONDAY}


def test_the_digest_query_count_does_not_grow_with_the_teams(
    last_week, django_assert_max_num_queries
):
    org, lead, _ = last_week
    for n in range(30):
        member = MembershipFactory(tenant=org.tenant, manager=lead if n % 2 else org.manager)
        log(member, MONDAY, selling=10, other=n + 1)
    # The savepoint and its release, the lock, the digests sent, the people, the minutes,
    # the reminders, the notifications and their email job.
    with tenant_context(org.tenant), django_assert_max_num_queries(9):
        assert weekly_digest_send(tenant=org.tenant, now=at(2026, 3, 9, 8)) == 2


# --- The tasks --------------------------------------------------------------------------------


def test_the_jobs_are_in_the_beat_schedule_hourly():
    celery_app.loader.import_default_modules()
    for entry, task in (
        ("activities-nothing-logged-reminders", "activities.tasks.nothing_logged_reminders"),
        ("activities-weekly-digests", "activities.tasks.weekly_digests"),
    ):
        assert celery_app.conf.beat_schedule[entry]["task"] == task
        assert task in celery_app.tasks
    assert tasks.nothing_logged_reminders_for_tenant.acks_late


def test_the_task_runs_the_service_in_the_organisations_scope(berlin, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 3, 3, 17, 30))  # Tuesday.
    assert tasks.nothing_logged_reminders_for_tenant.delay(berlin.tenant.pk).get() == 3
    assert tasks.weekly_digests_for_tenant.delay(berlin.tenant.pk).get() == 0  # Not Monday 8.
    assert tasks.nothing_logged_reminders.delay().get() >= 1  # The fan-out, once per tenant.
    assert Notification.all_tenants.filter(kind=NOTHING).count() == 3
