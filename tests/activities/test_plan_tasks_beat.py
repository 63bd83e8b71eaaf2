"""The daily plan's morning run: beat sends it hourly to every organisation, and each
makes its suggestions once a day, at 06:00 where it is (here, far east of UTC)."""

import datetime as dt

import pytest
from django.utils import timezone

from activities import tasks
from activities.models import PlanTask
from spm.celery import app as celery_app

from .plan_factories import book_for

# UTC+14 all year: at 16:00 UTC it is 06:00 the next day there.
KIRITIMATI = "Pacific/Kiritimati"


@pytest.fixture
def clock(monkeypatch):
    """Set the time (UTC) everyone reads, the tenant's "today" included."""

    def set_to(hour: int, day: int = 2) -> dt.datetime:
        moment = dt.datetime(2026, 12, day, hour, 0, tzinfo=dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


@pytest.fixture
def far_east(org, clock):
    org.tenant.timezone = KIRITIMATI
    org.tenant.save(update_fields=["timezone"])
    clock(16)
    book_for(org, today=dt.date(2026, 12, 3))
    return org


def test_the_morning_run_is_in_the_beat_schedule_hourly():
    celery_app.loader.import_default_modules()
    assert "activities.tasks.morning_plans" in celery_app.tasks
    entry = celery_app.conf.beat_schedule["morning-plan-suggestions"]
    assert entry["task"] == "activities.tasks.morning_plans"
    assert tasks.morning_plans_for_tenant.acks_late


def test_suggestions_are_made_at_six_in_the_organisations_time_zone(far_east, clock):
    clock(15)  # 05:00 on 3 December in Kiritimati.
    assert tasks.morning_plans_for_tenant.delay(far_east.tenant.pk).get() is None
    assert not PlanTask.all_tenants.exists()

    clock(16)  # 06:00 there, still 2 December in UTC.
    result = tasks.morning_plans_for_tenant.delay(far_east.tenant.pk).get()

    assert result == {"date": "2026-12-03", "added": 5, "gaps": 0}
    dates = set(PlanTask.all_tenants.values_list("date", flat=True))
    assert dates == {dt.date(2026, 12, 3)}  # The organisation's day, not UTC's.


def test_the_morning_run_plans_once_a_day(far_east, clock):
    clock(16)
    tasks.morning_plans_for_tenant.delay(far_east.tenant.pk).get()

    again = tasks.morning_plans_for_tenant.delay(far_east.tenant.pk).get()  # Clocks went back.
    clock(17)
    later = tasks.morning_plans_for_tenant.delay(far_east.tenant.pk).get()

    assert again["added"] == 0
    assert later is None
    assert PlanTask.all_tenants.count() == 5


def test_the_beat_job_fans_out_to_every_active_organisation(far_east, other, clock):
    clock(16)

    assert tasks.morning_plans.delay().get() == 2

    assert PlanTask.all_tenants.filter(tenant=far_east.tenant).count() == 5
    assert not PlanTask.all_tenants.filter(tenant=other.tenant).exists()  # Not 06:00 there.
