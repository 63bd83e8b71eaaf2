"""A quota's page: its effective amount and why in words, the weekly table, the month
calendar of daily targets with holidays and time off, achievability, attainment so far,
the warnings (no capacity, targets being recalculated, no data source) and the change
history; who may open it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from quotas.models import Metric, Quota
from quotas.services import quota_save, quotas_publish
from spm.tenancy.context import tenant_context

from ..factories import HolidayFactory, MembershipFactory, TimeOffFactory, UserFactory
from .compute_factories import roll_down
from .page_factories import MARCH, TODAY, compute_march, quota, sale, today_fixture  # noqa: F401


def url(quota: Quota) -> str:
    return reverse("quotas:detail", args=[quota.pk])


def why(response) -> str:
    """The sentence that explains the effective amount, on one line."""
    text = response.content.decode()
    start = text.index("data-why>") + len("data-why>")
    return " ".join(text[start : text.index("</p>", start)].replace("<strong>", "").split())


def test_the_effective_amount_is_explained_in_words(org, client_for, today):
    # Joined on Monday 9 March: 17 of March's 22 work days; a ramp of 80%.
    joiner = MembershipFactory(
        tenant=org.tenant,
        manager=org.manager,
        start_date=dt.date(2026, 3, 9),
        user=UserFactory(name="Nia Joiner"),
    )
    joined = quota(joiner, "10000.00", ramp_pct=Decimal("80"))
    roll_down(org.tenant)

    response = client_for(org.manager).get(url(joined))

    assert response.status_code == 200
    assert why(response) == (
        "10,000.00 × 80% ramp × 17 of 22 work days (joined 9 March) = 6,181.82</strong>"
    )
    text = response.content.decode()
    assert "March has 22 work days; Nia Joiner has 17 capacity days" in text
    assert "Not employed" in text  # 2–6 March in the calendar.


def test_time_off_prorates_only_when_the_organisation_says_so(org, client_for, today):
    TimeOffFactory(member=org.rep, start=dt.date(2026, 3, 23), end=dt.date(2026, 3, 24))
    mine = quota(org.rep, "22000.00")
    client = client_for(org.rep)

    assert why(client.get(url(mine))).startswith("22,000.00 × 100% ramp × 22 of 22 work days =")

    org.tenant.prorate_time_off = True
    org.tenant.save()
    assert why(client.get(url(mine))) == (
        "22,000.00 × 100% ramp × 20 of 22 work days (2 days of time off) = 20,000.00</strong>"
    )


def test_the_calendar_marks_holidays_time_off_and_each_days_target(org, client_for, today):
    HolidayFactory(tenant=org.tenant, date=dt.date(2026, 3, 20), name="Founders' Day")
    TimeOffFactory(
        member=org.rep, start=dt.date(2026, 3, 24), end=dt.date(2026, 3, 25), reason="Dentist"
    )
    mine = quota(org.rep, "19000.00")
    roll_down(org.tenant)

    response = client_for(org.rep).get(url(mine))

    detail = response.context["detail"]
    days = {day.day: day for week in detail.calendar for day in week if day.in_month}
    assert len(days) == 31
    assert days[dt.date(2026, 3, 20)].holiday == "Founders' Day"
    assert days[dt.date(2026, 3, 20)].target is None
    assert days[dt.date(2026, 3, 24)].time_off == "Dentist"
    assert days[dt.date(2026, 3, 24)].target is None  # Not a capacity day.
    assert days[dt.date(2026, 3, 2)].target == Decimal("1000.00")  # 19 capacity days.
    assert days[TODAY].is_today
    assert detail.daily_total == detail.weekly_total == Decimal("19000.00")
    text = response.content.decode()
    assert "Founders&#x27; Day" in text and "Dentist" in text
    assert 'aria-current="date"' in text
    # Weekly rows per ISO week holding a capacity day: 2–8 March is week 10.
    assert "Week 10" in text and "2 Mar – 8 Mar" in text
    assert detail.weeks[0].amount == Decimal("5000.00")


def test_achievability_flags_a_quota_far_above_the_trailing_rate(org, client_for, today):
    mine = quota(org.rep, "22000.00")
    sale(org.rep, "640.00", dt.date(2026, 2, 10))  # 10 a day over 64 capacity days.
    roll_down(org.tenant)

    response = client_for(org.rep).get(url(mine))

    judged = response.context["detail"].achievability
    assert judged.required_daily_rate == Decimal("1000.00")
    assert judged.actual_daily_rate == Decimal("10.00")
    assert judged.flagged
    text = response.content.decode()
    assert "Stretch" in text and "It needs more than 1.5× the daily rate" in text
    assert "100.00×" in text


def test_attainment_so_far_is_shown(org, client_for, today):
    mine = quota(org.rep, "22000.00")
    sale(org.rep, "1500.00", dt.date(2026, 3, 2))
    compute_march(org.tenant)

    text = client_for(org.rep).get(url(mine)).content.decode()

    for figure in ("1,500.00", "11,000.00", "6.8%", "13.6%", "3,000.00", "Behind"):
        assert figure in text


def test_the_warnings_say_what_the_figures_cannot(org, client_for, today):
    TimeOffFactory(member=org.rep, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    no_capacity = quota(org.rep, "1000.00")
    no_source = quota(org.rep, "40", metric=Metric.ACTIVITIES)
    roll_down(org.tenant)
    pending = quota(org.outsider_rep, "5000.00")  # Saved, never rolled down.
    Quota.all_tenants.filter(pk=pending.pk).update(version=2, rolled_down_version=1)
    client = client_for(org.admin)

    assert "No capacity." in client.get(url(no_capacity)).content.decode()
    assert "No data source." in client.get(url(no_source)).content.decode()
    text = client.get(url(pending)).content.decode()
    assert "Targets being recalculated." in text
    assert "No capacity." not in text


def test_the_change_history_says_who_changed_what_and_when(org, client_for, today):
    with tenant_context(org.tenant):
        mine = quota_save(
            tenant=org.tenant,
            actor=org.manager,
            member=org.rep,
            month=MARCH,
            metric="revenue",
            amount="10000",
        )
        quotas_publish(tenant=org.tenant, actor=org.manager, quota_ids=[mine.pk])
        quota_save(
            tenant=org.tenant,
            actor=org.manager,
            member=org.rep,
            month=MARCH,
            metric="revenue",
            amount="12000",
            ramp_pct="90",
        )

    response = client_for(org.rep).get(url(mine))

    history = response.context["detail"].history
    assert [entry.change.action for entry in history] == ["updated", "published", "created"]
    changed = {line.field: (line.old, line.new) for line in history[0].lines}
    assert changed["Amount"] == ("10,000.00", "12,000.00")
    assert changed["Ramp"] == ("100%", "90%")
    text = response.content.decode()
    assert "Amount: 10,000.00 → 12,000.00" in text
    assert f"by {org.manager.user.name}" in text


@pytest.mark.parametrize("who", ["rep", "manager", "admin"])
def test_the_member_their_managers_and_admins_open_it(org, client_for, today, who):
    mine = quota(org.rep)
    assert client_for(getattr(org, who)).get(url(mine)).status_code == 200


def test_the_managers_above_a_team_lead_see_their_reps_quotas(org, client_for, today):
    lead = MembershipFactory(tenant=org.tenant, role="manager", manager=org.manager)
    deep = MembershipFactory(tenant=org.tenant, manager=lead)
    theirs = quota(deep)
    assert client_for(org.manager).get(url(theirs)).status_code == 200
    assert client_for(lead).get(url(theirs)).status_code == 200


def test_anyone_else_gets_a_404(org, other, client_for, today):
    mine = quota(org.rep)
    outsiders = quota(org.outsider_rep)
    assert client_for(org.outsider_rep).get(url(mine)).status_code == 404
    assert client_for(org.manager).get(url(outsiders)).status_code == 404
    assert client_for(org.rep).get(url(outsiders)).status_code == 404
    # Another organisation's quota, even for an admin; and a quota that does not exist.
    theirs = quota(other.rep)
    assert client_for(org.admin).get(url(theirs)).status_code == 404
    assert client_for(org.admin).get(reverse("quotas:detail", args=[999999])).status_code == 404


def test_the_page_reads_a_bounded_number_of_queries(
    org, client_for, today, django_assert_max_num_queries
):
    mine = quota(org.rep)
    for n in range(20):
        sale(org.rep, "100.00", dt.date(2026, 3, 2) + dt.timedelta(days=n % 10))
    compute_march(org.tenant)
    client = client_for(org.manager)
    client.get(url(mine))
    with django_assert_max_num_queries(20):
        assert client.get(url(mine)).status_code == 200
