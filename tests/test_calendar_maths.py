"""Calendar maths (DESIGN 4.1): tenant work days, employed work days, capacity days."""

import datetime as dt

import pytest

from spm.calendars.selectors import (
    capacity_days,
    capacity_days_by_member,
    employed_work_days,
    employed_work_days_by_member,
    member_months,
    month_bounds,
    tenant_work_days,
)
from spm.tenancy.context import tenant_context

from .factories import HolidayFactory, MembershipFactory, TenantFactory, TimeOffFactory

D = dt.date

# March 2026 starts on a Sunday and has 22 Monday–Friday days: 2–6, 9–13, 16–20, 23–27, 30–31.
MARCH_WEEKDAYS = [
    D(2026, 3, day) for day in (*range(2, 7), *range(9, 14), *range(16, 21), *range(23, 28), 30, 31)
]


@pytest.fixture
def tenant(db):
    return TenantFactory(slug="calendar-maths")


LONG_AGO = D(2024, 1, 1)


def member_of(tenant, start=LONG_AGO, end=None):
    return MembershipFactory(tenant=tenant, start_date=start, end_date=end)


def test_month_bounds_knows_leap_years():
    assert month_bounds(2028, 2) == (D(2028, 2, 1), D(2028, 2, 29))
    assert month_bounds(2026, 2) == (D(2026, 2, 1), D(2026, 2, 28))
    assert month_bounds(2026, 12) == (D(2026, 12, 1), D(2026, 12, 31))


def test_tenant_work_days_are_the_months_days_on_the_default_monday_to_friday_week(tenant):
    with tenant_context(tenant):
        assert tenant_work_days(tenant=tenant, year=2026, month=3) == MARCH_WEEKDAYS


def test_tenant_work_days_skip_holidays_on_the_work_week(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 3, 17), name="St Patrick's Day")
    with tenant_context(tenant):
        days = tenant_work_days(tenant=tenant, year=2026, month=3)
    assert D(2026, 3, 17) not in days
    assert len(days) == 21


def test_a_holiday_on_a_weekend_does_not_remove_a_work_day(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 3, 7), name="Saturday holiday")
    HolidayFactory(tenant=tenant, date=D(2026, 3, 8), name="Sunday holiday")
    with tenant_context(tenant):
        assert tenant_work_days(tenant=tenant, year=2026, month=3) == MARCH_WEEKDAYS


def test_holidays_of_another_tenant_do_not_count(tenant):
    elsewhere = TenantFactory(slug="elsewhere")
    HolidayFactory(tenant=elsewhere, date=D(2026, 3, 17))
    with tenant_context(tenant):
        assert tenant_work_days(tenant=tenant, year=2026, month=3) == MARCH_WEEKDAYS


def test_holidays_outside_the_month_do_not_count(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 2, 27))
    HolidayFactory(tenant=tenant, date=D(2026, 4, 1))
    with tenant_context(tenant):
        assert tenant_work_days(tenant=tenant, year=2026, month=3) == MARCH_WEEKDAYS


def test_a_sunday_to_thursday_work_week_counts_sundays_and_skips_fridays(tenant):
    tenant.work_week = [7, 1, 2, 3, 4]
    tenant.save(update_fields=["work_week"])
    with tenant_context(tenant):
        days = tenant_work_days(tenant=tenant, year=2026, month=3)
    assert days[0] == D(2026, 3, 1)  # A Sunday.
    assert D(2026, 3, 6) not in days  # A Friday.
    assert all(day.isoweekday() in {7, 1, 2, 3, 4} for day in days)
    assert len(days) == 23  # 5 Sundays, 5 Mondays, 5 Tuesdays, 4 Wednesdays, 4 Thursdays.


def test_a_month_without_any_work_day_is_empty(tenant):
    tenant.work_week = [6]  # Saturdays only, and every Saturday is a holiday.
    tenant.save(update_fields=["work_week"])
    for day in (7, 14, 21, 28):
        HolidayFactory(tenant=tenant, date=D(2026, 3, day))
    member = member_of(tenant)
    with tenant_context(tenant):
        assert tenant_work_days(tenant=tenant, year=2026, month=3) == []
        assert capacity_days(tenant=tenant, member=member, year=2026, month=3) == []


def test_employed_work_days_start_with_an_employment_starting_mid_month(tenant):
    member = member_of(tenant, start=D(2026, 3, 16))
    with tenant_context(tenant):
        days = employed_work_days(tenant=tenant, member=member, year=2026, month=3)
    assert days == [day for day in MARCH_WEEKDAYS if day >= D(2026, 3, 16)]
    assert len(days) == 12


def test_employed_work_days_stop_with_an_employment_ending_mid_month(tenant):
    member = member_of(tenant, start=D(2025, 6, 1), end=D(2026, 3, 13))
    with tenant_context(tenant):
        days = employed_work_days(tenant=tenant, member=member, year=2026, month=3)
    assert days == [day for day in MARCH_WEEKDAYS if day <= D(2026, 3, 13)]
    assert len(days) == 10


def test_employment_starting_and_ending_on_the_same_work_day_gives_that_day(tenant):
    member = member_of(tenant, start=D(2026, 3, 18), end=D(2026, 3, 18))
    with tenant_context(tenant):
        assert employed_work_days(tenant=tenant, member=member, year=2026, month=3) == [
            D(2026, 3, 18)
        ]


def test_no_employed_work_days_before_employment_starts_or_after_it_ends(tenant):
    joiner = member_of(tenant, start=D(2026, 4, 1))
    leaver = member_of(tenant, start=D(2025, 1, 1), end=D(2026, 2, 28))
    with tenant_context(tenant):
        assert employed_work_days(tenant=tenant, member=joiner, year=2026, month=3) == []
        assert employed_work_days(tenant=tenant, member=leaver, year=2026, month=3) == []
        assert capacity_days(tenant=tenant, member=joiner, year=2026, month=3) == []


def test_employed_work_days_also_skip_holidays(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 3, 20))
    member = member_of(tenant, start=D(2026, 3, 16))
    with tenant_context(tenant):
        days = employed_work_days(tenant=tenant, member=member, year=2026, month=3)
    assert D(2026, 3, 20) not in days
    assert len(days) == 11


def test_capacity_days_leave_out_the_members_time_off_both_ends_included(tenant):
    member = member_of(tenant)
    TimeOffFactory(member=member, start=D(2026, 3, 9), end=D(2026, 3, 11))
    with tenant_context(tenant):
        days = capacity_days(tenant=tenant, member=member, year=2026, month=3)
    assert {D(2026, 3, 9), D(2026, 3, 10), D(2026, 3, 11)}.isdisjoint(days)
    assert D(2026, 3, 12) in days
    assert len(days) == 19


def test_time_off_spanning_the_start_of_the_month_only_counts_its_days_in_the_month(tenant):
    member = member_of(tenant)
    TimeOffFactory(member=member, start=D(2026, 2, 23), end=D(2026, 3, 4))
    with tenant_context(tenant):
        march = capacity_days(tenant=tenant, member=member, year=2026, month=3)
        february = capacity_days(tenant=tenant, member=member, year=2026, month=2)
    assert march == [day for day in MARCH_WEEKDAYS if day > D(2026, 3, 4)]
    assert february[-1] == D(2026, 2, 20)  # 23–27 Feb are off.
    assert len(february) == 15


def test_time_off_spanning_the_end_of_the_month_is_split_between_both_months(tenant):
    member = member_of(tenant)
    TimeOffFactory(member=member, start=D(2026, 3, 30), end=D(2026, 4, 2))
    with tenant_context(tenant):
        march = capacity_days(tenant=tenant, member=member, year=2026, month=3)
        april = capacity_days(tenant=tenant, member=member, year=2026, month=4)
    assert march == MARCH_WEEKDAYS[:-2]
    assert april[0] == D(2026, 4, 3)


def test_time_off_covering_the_whole_month_leaves_no_capacity(tenant):
    member = member_of(tenant)
    TimeOffFactory(member=member, start=D(2026, 2, 15), end=D(2026, 4, 15))
    with tenant_context(tenant):
        assert capacity_days(tenant=tenant, member=member, year=2026, month=3) == []
        assert len(employed_work_days(tenant=tenant, member=member, year=2026, month=3)) == 22


def test_time_off_on_a_holiday_is_not_subtracted_twice(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 3, 4))
    member = member_of(tenant)
    TimeOffFactory(member=member, start=D(2026, 3, 2), end=D(2026, 3, 6))
    with tenant_context(tenant):
        days = capacity_days(tenant=tenant, member=member, year=2026, month=3)
    assert len(days) == 22 - 5  # The holiday is one of the five days off.


def test_another_members_time_off_does_not_reduce_capacity(tenant):
    member, colleague = member_of(tenant), member_of(tenant)
    TimeOffFactory(member=colleague, start=D(2026, 3, 2), end=D(2026, 3, 31))
    with tenant_context(tenant):
        assert capacity_days(tenant=tenant, member=member, year=2026, month=3) == MARCH_WEEKDAYS


def test_time_off_before_employment_changes_nothing_already_excluded(tenant):
    member = member_of(tenant, start=D(2026, 3, 16))
    TimeOffFactory(member=member, start=D(2026, 3, 9), end=D(2026, 3, 17))
    with tenant_context(tenant):
        days = capacity_days(tenant=tenant, member=member, year=2026, month=3)
    assert days[0] == D(2026, 3, 18)
    assert len(days) == 10


def test_the_bulk_variant_gives_each_member_the_same_days_as_one_at_a_time(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 3, 17))
    members = [
        member_of(tenant),
        member_of(tenant, start=D(2026, 3, 10)),
        member_of(tenant, start=D(2020, 1, 1), end=D(2026, 3, 20)),
        member_of(tenant, start=D(2026, 5, 1)),
    ]
    TimeOffFactory(member=members[0], start=D(2026, 2, 26), end=D(2026, 3, 3))
    TimeOffFactory(member=members[1], start=D(2026, 3, 12), end=D(2026, 3, 12))
    TimeOffFactory(member=members[1], start=D(2026, 3, 25), end=D(2026, 4, 8))
    TimeOffFactory(member=members[2], start=D(2026, 3, 19), end=D(2026, 3, 27))
    with tenant_context(tenant):
        bulk = capacity_days_by_member(tenant=tenant, members=members, year=2026, month=3)
        bulk_employed = employed_work_days_by_member(
            tenant=tenant, members=members, year=2026, month=3
        )
        for member in members:
            assert bulk[member.pk] == capacity_days(
                tenant=tenant, member=member, year=2026, month=3
            )
            assert bulk_employed[member.pk] == employed_work_days(
                tenant=tenant, member=member, year=2026, month=3
            )
    assert set(bulk) == {member.pk for member in members}
    assert bulk[members[3].pk] == []
    # Joined 10 Mar (16 weekdays left), 17 Mar a holiday, off 12 Mar and 25–31 Mar (5 weekdays).
    assert len(bulk[members[1].pk]) == 16 - 1 - 1 - 5


def test_member_months_gives_all_three_day_lists(tenant):
    HolidayFactory(tenant=tenant, date=D(2026, 3, 17))
    member = member_of(tenant, start=D(2026, 3, 9))
    TimeOffFactory(member=member, start=D(2026, 3, 30), end=D(2026, 3, 31))
    with tenant_context(tenant):
        month = member_months(tenant=tenant, members=[member], year=2026, month=3)[member.pk]
    assert len(month.tenant_work_days) == 21
    assert len(month.employed_work_days) == 16
    assert len(month.capacity_days) == 14


def test_the_bulk_variant_makes_two_queries_whatever_the_number_of_members(
    tenant, django_assert_num_queries
):
    members = [member_of(tenant, start=D(2026, 3, 1 + n % 20)) for n in range(60)]
    for index, member in enumerate(members[::2]):
        TimeOffFactory(member=member, start=D(2026, 3, 1 + index % 25), end=D(2026, 4, 3))
    HolidayFactory(tenant=tenant, date=D(2026, 3, 17))
    with tenant_context(tenant), django_assert_num_queries(2):
        bulk = capacity_days_by_member(tenant=tenant, members=members, year=2026, month=3)
    assert len(bulk) == 60
    with tenant_context(tenant), django_assert_num_queries(1):
        employed_work_days_by_member(tenant=tenant, members=members, year=2026, month=3)


def test_the_bulk_variant_refuses_a_member_of_another_tenant(tenant):
    stranger = MembershipFactory(tenant=TenantFactory(slug="strangers"))
    with tenant_context(tenant), pytest.raises(ValueError, match="do not belong"):
        capacity_days_by_member(tenant=tenant, members=[stranger], year=2026, month=3)
