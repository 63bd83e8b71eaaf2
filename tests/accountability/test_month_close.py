"""Month close: beat runs it hourly for every organisation; each closes the month just
ended early on the 1st where it is (here Kiritimati, UTC+14, and Pago Pago, UTC−11),
computing the month's final attainment first, then granting its quota club, once."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accountability import tasks
from accountability.models import Recognition
from accountability.services.recognition import month_to_close
from quotas.models import Attainment, Quota
from spm.celery import app as celery_app
from spm.notifications.models import Notification

from ..quotas.compute_factories import roll_down
from ..quotas.factories import QuotaFactory, SaleFactory

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14 all year.
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC−11 all year.
NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture
def clock(monkeypatch):
    """Set the time (UTC) everyone reads, the organisation's "today" included."""

    def set_to(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


def utc(month, day, hour) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC)


def zone(org, name: str):
    org.tenant.timezone = name
    org.tenant.save(update_fields=["timezone"])
    return org


@pytest.fixture
def november(org, clock):
    """The rep sold 105% of their November quota, the other rep 80%; nothing computed yet."""
    clock(utc(11, 20, 12))
    for member, amount in ((org.rep, "10500.00"), (org.outsider_rep, "8000.00")):
        QuotaFactory(
            member=member, month=NOVEMBER, amount=Decimal("10000.00"), status=Quota.Status.PUBLISHED
        )
        SaleFactory(member=member, amount=Decimal(amount), closed_on=dt.date(2026, 11, 27))
    roll_down(org.tenant)
    return org


def test_the_month_close_is_in_the_beat_schedule_hourly():
    celery_app.loader.import_default_modules()
    assert "accountability.tasks.month_close" in celery_app.tasks
    entry = celery_app.conf.beat_schedule["accountability-month-close"]
    assert entry["task"] == "accountability.tasks.month_close"
    assert tasks.month_close_for_tenant.acks_late


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(11, 30, 9), None),  # 23:00 on 30 November in Kiritimati.
        (utc(11, 30, 10), NOVEMBER),  # Midnight on 1 December there, still November in UTC.
        (utc(11, 30, 15), NOVEMBER),  # 05:00: the last hour a missed run is made up.
        (utc(11, 30, 16), None),  # 06:00: too late in the day to be the close.
        (utc(12, 1, 10), None),  # 2 December there.
    ],
)
def test_the_month_to_close_is_decided_by_the_organisations_date(org, now, expected):
    zone(org, KIRITIMATI)
    assert month_to_close(tenant=org.tenant, now=now) == expected


def test_a_naive_time_is_refused(org):
    with pytest.raises(ValueError):
        month_to_close(tenant=org.tenant, now=dt.datetime(2026, 12, 1, 0, 0))


def test_the_month_closes_at_local_midnight_far_east_of_utc_once(
    november, clock, django_capture_on_commit_callbacks
):
    zone(november, KIRITIMATI)
    results = {}
    # Every hourly run from 20:00 UTC on 29 November to 12:00 UTC on 1 December.
    moment = utc(11, 29, 20)
    with django_capture_on_commit_callbacks(execute=True):
        while moment <= utc(12, 1, 12):
            clock(moment)
            results[moment] = tasks.month_close_for_tenant.delay(november.tenant.pk).get()
            moment += dt.timedelta(hours=1)

    closes = {moment: result for moment, result in results.items() if result is not None}
    assert min(closes) == utc(11, 30, 10)  # Midnight on 1 December in Kiritimati.
    assert [result["granted"] for result in closes.values()] == [1, 0, 0, 0, 0, 0]
    assert {result["month"] for result in closes.values()} == {"2026-11"}
    club = Recognition.all_tenants.get(kind=Recognition.Kind.QUOTA_CLUB)
    assert (club.member, club.period_start) == (november.rep, NOVEMBER)
    assert Notification.all_tenants.filter(kind="accountability.quota_club").count() == 1
    # The month's final attainment was computed by the close itself.
    final = Attainment.all_tenants.get(quota__member=november.rep, quota__month=NOVEMBER)
    assert final.attainment_pct == Decimal("105.00")
    assert final.as_of == dt.date(2026, 11, 30)


def test_the_month_closes_a_day_after_utc_far_west(november, clock):
    zone(november, PAGO_PAGO)
    clock(utc(12, 1, 5))  # 18:00 on 30 November in Pago Pago.
    assert tasks.month_close_for_tenant.delay(november.tenant.pk).get() is None
    clock(utc(12, 1, 11))  # Midnight on 1 December there.
    result = tasks.month_close_for_tenant.delay(november.tenant.pk).get()

    assert result == {"month": "2026-11", "granted": 1}


def test_a_named_month_closes_at_any_time(november, clock):
    clock(utc(12, 15, 12))
    result = tasks.month_close_for_tenant.delay(november.tenant.pk, "2026-11").get()
    assert result == {"month": "2026-11", "granted": 1}


def test_the_beat_job_fans_out_to_every_active_organisation(november, other, clock):
    zone(november, KIRITIMATI)
    QuotaFactory(member=other.rep, month=NOVEMBER, status=Quota.Status.PUBLISHED)
    SaleFactory(member=other.rep, amount=Decimal("20000.00"), closed_on=dt.date(2026, 11, 3))
    roll_down(other.tenant)
    clock(utc(11, 30, 10))  # Midnight in Kiritimati; 10:00 on 30 November in globex's UTC.

    assert tasks.month_close_beat.delay().get() == 2

    assert Recognition.all_tenants.filter(tenant=november.tenant).count() == 1
    assert not Recognition.all_tenants.filter(tenant=other.tenant).exists()
