"""``seed_demo`` gives the demo organisation its quota-club history (every past month of
the seeded quotas closed, as the month-close job would have) and a few recognitions given
by managers to their team; running it again adds nothing."""

import pytest
from django.core.management import call_command

from accountability.models import Recognition
from accountability.selectors.recognition import (
    add_months,
    quota_club_qualifiers,
    streaks,
)
from quotas.models import Quota
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Tenant

TENANT = "initech"


def seed():
    call_command("seed_demo", "--password", "demo-password-1", "--tenant", TENANT)


@pytest.fixture
def seeded(db):
    seed()
    tenant = Tenant.objects.get(slug=TENANT)
    with tenant_context(tenant):
        yield tenant


def test_every_past_month_has_its_quota_club_of_everyone_at_quota(seeded):
    this_month = seeded.today().replace(day=1)
    months = sorted(
        set(
            Quota.objects.filter(tenant=seeded, month__lt=this_month).values_list(
                "month", flat=True
            )
        )
    )
    assert len(months) >= 6
    clubs = Recognition.objects.filter(tenant=seeded, kind=Recognition.Kind.QUOTA_CLUB)
    for month in months:
        members = set(clubs.filter(period_start=month).values_list("member_id", flat=True))
        assert members == set(quota_club_qualifiers(tenant=seeded, month=month)), month
    assert not clubs.filter(period_start__gte=this_month).exists()
    assert clubs.count() > len(months)  # More than one a month on average.


def test_the_strongest_reps_are_on_a_streak_and_the_weakest_never_in_the_club(seeded):
    people = {
        m.user.email.split("@")[0]: m
        for m in Membership.objects.filter(tenant=seeded).select_related("user")
    }
    last_month = add_months(seeded.today().replace(day=1), -1)
    found = streaks(tenant=seeded, member_ids=None, month=last_month)
    assert found.get(people["rep1"].pk, 0) >= 3
    weakest = Recognition.objects.filter(
        tenant=seeded, kind=Recognition.Kind.QUOTA_CLUB, member=people["rep8"]
    )
    assert not weakest.exists()


def test_only_last_months_club_was_told_and_the_given_recognitions_were(seeded):
    last_month = add_months(seeded.today().replace(day=1), -1)
    told = Notification.objects.filter(tenant=seeded, kind="accountability.quota_club")
    last_club = Recognition.objects.filter(
        tenant=seeded, kind=Recognition.Kind.QUOTA_CLUB, period_start=last_month
    )
    assert told.count() == last_club.count()
    given = Recognition.objects.filter(tenant=seeded, automatic=False)
    assert given.count() == 3
    assert all(recognition.reason and recognition.granted_by_id for recognition in given)
    assert (
        Notification.objects.filter(tenant=seeded, kind="accountability.recognition").count() == 3
    )


def test_a_second_run_adds_nothing(seeded):
    before = Recognition.objects.filter(tenant=seeded).count()
    notices = Notification.objects.filter(tenant=seeded).count()

    seed()

    assert Recognition.objects.filter(tenant=seeded).count() == before
    assert Notification.objects.filter(tenant=seeded).count() == notices
