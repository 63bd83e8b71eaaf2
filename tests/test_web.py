"""The application shell: navigation by role and the dashboards of each role."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Role
from spm.tenancy.services import invitation_create, membership_update, tenant_update_settings
from spm.web import selectors

from .factories import (
    HolidayFactory,
    InvitationFactory,
    MembershipFactory,
    TimeOffFactory,
    UserFactory,
)
from .territories.factories import AccountFactory, TerritoryFactory, TerritoryMemberFactory

HOME = "/"


def nav_links(html: str) -> set[str]:
    """The labels of the sidebar's navigation links."""
    sidebar = html.split('class="sidebar-nav"', 1)[1].split("</nav>", 1)[0]
    return set(re.findall(r'class="nav-link[^"]*"[^>]*>.*?<span>([^<]+)</span>', sidebar, re.S))


# --- Navigation ----------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_anonymous_header_offers_log_in_and_sign_up(client):
    html = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("account_login")}"' in html
    assert f'href="{reverse("account_signup")}"' in html
    assert 'class="sidebar"' not in html


def test_admin_sees_every_navigation_item(org, client_for):
    html = client_for(org.admin).get(HOME).content.decode()
    assert nav_links(html) == {
        "Dashboard",
        "My plan",
        "My day",
        "Team",
        "Quotas",
        "Team attainment",
        "Selling time",
        "My territories",
        "Territory balance",
        "Calendar",
        "Leaderboard",
        "My action items",
        "Scorecard",
        "Reviews",
        "My reviews",
        "Notifications",
        "Invitations",
        "Settings",
        "Admin site",
        "API docs",
    }


def test_manager_sees_team_but_no_administration(org, client_for):
    html = client_for(org.manager).get(HOME).content.decode()
    assert nav_links(html) == {
        "Dashboard",
        "My plan",
        "My day",
        "Team",
        "My quota",
        "Quotas",
        "Team attainment",
        "Selling time",
        "My territories",
        "Territory balance",
        "Calendar",
        "Leaderboard",
        "My action items",
        "Scorecard",
        "Reviews",
        "My reviews",
        "Notifications",
        "API docs",
    }
    assert reverse("tenancy:settings") not in html
    assert reverse("admin:index") not in html


def test_rep_sees_neither_team_nor_administration(org, client_for):
    html = client_for(org.rep).get(HOME).content.decode()
    assert nav_links(html) == {
        "Dashboard",
        "My plan",
        "My day",
        "My quota",
        "My territories",
        "Calendar",
        "Leaderboard",
        "My action items",
        "My reviews",
        "Notifications",
        "API docs",
    }
    for url_name in (
        "tenancy:members",
        "tenancy:invitations",
        "tenancy:settings",
        "admin:index",
        "territories:balance",
        "quotas:team",
    ):
        assert f'href="{reverse(url_name)}"' not in html


def test_the_current_page_is_marked_active_in_the_navigation(org, client_for):
    html = client_for(org.rep).get(HOME).content.decode()
    active = re.findall(r'class="nav-link is-active" href="([^"]+)" aria-current="page"', html)
    assert active == [HOME]


def test_user_menu_has_account_links_and_a_post_logout_form(org, client_for):
    html = client_for(org.rep).get(HOME).content.decode()
    assert org.rep.user.name in html
    assert org.tenant.name in html
    assert f'href="{reverse("mfa_index")}"' in html
    assert f'href="{reverse("account_change_password")}"' in html
    logout = re.search(
        r'<form method="post" action="' + re.escape(reverse("account_logout")) + r'">(.*?)</form>',
        html,
        re.S,
    )
    assert logout is not None
    assert "csrfmiddlewaretoken" in logout.group(1)


def test_every_page_loads_htmx_and_sends_the_csrf_token(org, client_for):
    html = client_for(org.rep).get(HOME).content.decode()
    assert "htmx" in html and "<script" in html
    assert re.search(r"<body[^>]*hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", html)


def test_tenant_switcher_lists_each_organisation_of_a_person_in_two(org, other, client_for):
    MembershipFactory(tenant=other.tenant, user=org.rep.user, role=Role.REP)
    html = client_for(org.rep).get(HOME).content.decode()
    assert 'name="membership_id"' in html
    assert other.tenant.name in html


# --- Admin dashboard --------------------------------------------------------------


def test_admin_dashboard_counts_members_and_pending_invitations(org, client_for):
    InvitationFactory(tenant=org.tenant)
    InvitationFactory(tenant=org.tenant, expires_at=timezone.now() - dt.timedelta(days=1))
    MembershipFactory(tenant=org.tenant, role=Role.REP, end_date=dt.date(2024, 6, 30))
    response = client_for(org.admin).get(HOME)
    assert response.status_code == 200
    board = response.context["dashboard"]
    assert board.counts == {"admin": 1, "manager": 1, "rep": 2}
    assert board.member_total == 4
    assert board.pending_invitations == 1
    assert "Getting started" in response.content.decode()


def test_admin_dashboard_lists_the_next_three_holidays_only(org, client_for):
    today = org.tenant.today()
    HolidayFactory(tenant=org.tenant, date=today - dt.timedelta(days=3), name="Past Day")
    for n in range(1, 5):
        HolidayFactory(tenant=org.tenant, date=today + dt.timedelta(days=n * 7), name=f"Fest {n}")
    html = client_for(org.admin).get(HOME).content.decode()
    assert "Fest 1" in html and "Fest 2" in html and "Fest 3" in html
    assert "Fest 4" not in html
    assert "Past Day" not in html


def test_getting_started_steps_are_ticked_from_the_organisations_data(org):
    with tenant_context(org.tenant):
        steps = {step.url_name: step.done for step in selectors.getting_started(tenant=org.tenant)}
    # The org fixture has managers and reps already, nothing else.
    assert steps == {
        "tenancy:settings": False,
        "tenancy:invitations": True,
        "calendars:index": False,
        "admin:index": False,
    }
    tenant_update_settings(tenant=org.tenant, actor=org.admin.user, timezone="Europe/Paris")
    HolidayFactory(tenant=org.tenant)
    with tenant_context(org.tenant):
        steps = {step.url_name: step.done for step in selectors.getting_started(tenant=org.tenant)}
    assert steps["tenancy:settings"] and steps["calendars:index"]


def test_admin_dashboard_tells_recent_changes_in_words(org, client_for):
    with tenant_context(org.tenant):
        invitation_create(
            tenant=org.tenant, actor=org.admin.user, email="new.rep@acme.test", role=Role.REP
        )
    tenant_update_settings(tenant=org.tenant, actor=org.admin.user, timezone="Europe/Paris")
    html = client_for(org.admin).get(HOME).content.decode()
    assert "invited new.rep@acme.test as rep" in html
    assert "changed the organisation&#x27;s timezone" in html
    assert org.admin.user.name in html


def test_admin_dashboard_shows_only_the_last_ten_changes(org, client_for):
    for n in range(12):
        tenant_update_settings(tenant=org.tenant, actor=org.admin.user, selling_target_pct=50 + n)
    response = client_for(org.admin).get(HOME)
    assert len(response.context["dashboard"].activity) == 10


def test_admin_dashboard_has_an_empty_state_without_holidays_or_activity(org, client_for):
    html = client_for(org.admin).get(HOME).content.decode()
    assert "No holidays ahead" in html
    assert "Nothing has happened yet" in html


def test_admin_dashboard_never_shows_another_organisations_data(org, other, client_for):
    today = org.tenant.today()
    HolidayFactory(tenant=other.tenant, date=today + dt.timedelta(days=2), name="Globex Day")
    InvitationFactory(tenant=other.tenant, email="secret@globex.test")
    tenant_update_settings(tenant=other.tenant, actor=other.admin.user, currency="GBP")
    response = client_for(org.admin).get(HOME)
    html = response.content.decode()
    assert "Globex Day" not in html
    assert "secret@globex.test" not in html
    assert other.admin.user.name not in html
    assert response.context["dashboard"].pending_invitations == 0
    assert response.context["dashboard"].member_total == 4


def test_admin_dashboard_query_count_does_not_grow_with_the_organisation(
    org, client_for, django_assert_max_num_queries
):
    client = client_for(org.admin)
    for _ in range(30):
        MembershipFactory(tenant=org.tenant, role=Role.REP, manager=org.manager)
        InvitationFactory(tenant=org.tenant)
    for n in range(12):
        tenant_update_settings(tenant=org.tenant, actor=org.admin.user, selling_target_pct=40 + n)
    HolidayFactory.create_batch(5, tenant=org.tenant)
    with tenant_context(org.tenant):
        membership_update(
            tenant=org.tenant, actor=org.admin.user, member=org.rep, start_date=dt.date(2024, 2, 1)
        )
    territory_world(org, territories=8, accounts_each=5)
    # 13 queries for the page and its own cards, 2 for territories' card, 2 for quotas'
    # (no quota this month: reporting lines, quotas), 1 for the overdue action items card,
    # 1 for the review awaiting acknowledgement; 1 to spare.
    with django_assert_max_num_queries(21):
        response = client.get(HOME)
    assert response.status_code == 200


# --- Manager dashboard ------------------------------------------------------------


def test_manager_dashboard_lists_direct_and_indirect_reports_only(org, client_for):
    team_lead = MembershipFactory(
        tenant=org.tenant, role=Role.MANAGER, manager=org.manager, user__name="Tessa Lead"
    )
    indirect = MembershipFactory(
        tenant=org.tenant, role=Role.REP, manager=team_lead, user__name="Ivan Indirect"
    )
    response = client_for(org.manager).get(HOME)
    assert response.status_code == 200
    team = response.context["dashboard"].team
    assert {m.pk for m in team} == {org.rep.pk, team_lead.pk, indirect.pk}
    html = response.content.decode()
    assert "Ivan Indirect" in html and "Tessa Lead" in html
    assert org.outsider_rep.user.name not in html
    assert response.context["dashboard"].direct_count == 2


def test_manager_dashboard_shows_who_is_off_in_the_next_14_days(org, client_for):
    today = org.tenant.today()
    TimeOffFactory(member=org.rep, start=today, end=today + dt.timedelta(days=2), reason="Dentist")
    later = MembershipFactory(tenant=org.tenant, manager=org.manager, user__name="Lena Later")
    TimeOffFactory(
        member=later, start=today + dt.timedelta(days=20), end=today + dt.timedelta(days=22)
    )
    TimeOffFactory(
        member=org.outsider_rep, start=today, end=today + dt.timedelta(days=1), reason="Skiing"
    )
    response = client_for(org.manager).get(HOME)
    board = response.context["dashboard"]
    assert [a.member.pk for a in board.absences] == [org.rep.pk]
    assert board.off_today == 1
    html = response.content.decode()
    assert "Dentist" in html
    assert "Skiing" not in html


def test_manager_without_reports_sees_helpful_empty_states(org, client_for):
    lonely = MembershipFactory(tenant=org.tenant, role=Role.MANAGER, manager=org.admin)
    html = client_for(lonely).get(HOME).content.decode()
    assert "No one reports to you yet" in html
    assert "Everyone is in" in html


def test_manager_dashboard_never_shows_another_organisations_data(org, other, client_for):
    today = org.tenant.today()
    TimeOffFactory(member=other.rep, start=today, end=today, reason="Globex leave")
    HolidayFactory(tenant=other.tenant, date=today + dt.timedelta(days=1), name="Globex Day")
    html = client_for(org.manager).get(HOME).content.decode()
    assert "Globex leave" not in html
    assert "Globex Day" not in html
    assert other.rep.user.name not in html


def test_manager_dashboard_query_count_does_not_grow_with_the_team(
    org, client_for, django_assert_max_num_queries
):
    today = org.tenant.today()
    client = client_for(org.manager)
    for n in range(30):
        member = MembershipFactory(tenant=org.tenant, role=Role.REP, manager=org.manager)
        TimeOffFactory(
            member=member,
            start=today + dt.timedelta(days=n % 10),
            end=today + dt.timedelta(days=n % 10),
        )
    territory_world(org, territories=8, accounts_each=5)
    # 8 queries for the page and its own cards, 2 for territories' card, 3 for quotas' (no
    # quota this month: their own, then the reporting lines and the team's), 2 for selling
    # time's (the reporting lines, the week's minutes), 2 for the Recognition card (the
    # latest recognitions, the streak), 2 for the overdue action items card (the overdue
    # items, the reporting lines), 1 for the review awaiting acknowledgement; 1 to spare.
    with django_assert_max_num_queries(22):
        response = client.get(HOME)
    assert response.status_code == 200
    assert len(response.context["dashboard"].team) == 31


# --- Rep dashboard ----------------------------------------------------------------


def test_rep_dashboard_shows_today_in_the_organisations_time_zone(org, client_for):
    response = client_for(org.rep).get(HOME)
    assert response.status_code == 200
    board = response.context["dashboard"]
    assert board.today == org.tenant.today()
    assert org.tenant.today().strftime("%B") in response.content.decode()


def test_rep_dashboard_uses_the_organisations_date_not_the_servers(org, client_for):
    # Kiritimati is UTC+14: its date is ahead of UTC for most of the day.
    org.tenant.timezone = "Pacific/Kiritimati"
    org.tenant.save(update_fields=["timezone"])
    board = client_for(org.rep).get(HOME).context["dashboard"]
    assert board.today == timezone.now().astimezone(org.tenant.zone).date()


def test_rep_dashboard_says_a_work_day_is_a_work_day(org, client_for):
    org.tenant.work_week = [1, 2, 3, 4, 5, 6, 7]
    org.tenant.save(update_fields=["work_week"])
    board = client_for(org.rep).get(HOME).context["dashboard"]
    assert board.status.is_work_day
    assert board.status.headline == "Work day"


def test_rep_dashboard_says_a_holiday_is_not_a_work_day(org, client_for):
    org.tenant.work_week = [1, 2, 3, 4, 5, 6, 7]
    org.tenant.save(update_fields=["work_week"])
    HolidayFactory(tenant=org.tenant, date=org.tenant.today(), name="Founders' Day")
    response = client_for(org.rep).get(HOME)
    status = response.context["dashboard"].status
    assert not status.is_work_day
    assert status.headline == "Holiday: Founders' Day"


def test_rep_dashboard_says_a_day_outside_the_work_week_is_not_a_work_day(org, client_for):
    today = org.tenant.today()
    org.tenant.work_week = [d for d in range(1, 8) if d != today.isoweekday()]
    org.tenant.save(update_fields=["work_week"])
    status = client_for(org.rep).get(HOME).context["dashboard"].status
    assert not status.is_work_day
    assert status.headline == "Not a work day"


def test_rep_dashboard_says_when_the_rep_is_off_today(org, client_for):
    org.tenant.work_week = [1, 2, 3, 4, 5, 6, 7]
    org.tenant.save(update_fields=["work_week"])
    today = org.tenant.today()
    TimeOffFactory(member=org.rep, start=today, end=today + dt.timedelta(days=1), reason="Flu")
    response = client_for(org.rep).get(HOME)
    status = response.context["dashboard"].status
    assert not status.is_work_day
    assert "Flu" in status.detail
    assert "Flu" in response.content.decode()


def test_rep_dashboard_shows_manager_time_off_and_holidays(org, client_for):
    today = org.tenant.today()
    TimeOffFactory(
        member=org.rep,
        start=today + dt.timedelta(days=30),
        end=today + dt.timedelta(days=34),
        reason="Honeymoon",
    )
    TimeOffFactory(
        member=org.outsider_rep,
        start=today + dt.timedelta(days=3),
        end=today + dt.timedelta(days=4),
        reason="Colleague trip",
    )
    HolidayFactory(tenant=org.tenant, date=today + dt.timedelta(days=10), name="Harvest Day")
    html = client_for(org.rep).get(HOME).content.decode()
    assert org.manager.user.name in html
    assert "Honeymoon" in html
    assert "Harvest Day" in html
    assert "Colleague trip" not in html


def test_rep_without_manager_is_told_to_ask_an_admin(org, client_for):
    loner = MembershipFactory(tenant=org.tenant, role=Role.REP, manager=None)
    html = client_for(loner).get(HOME).content.decode()
    assert "No manager set" in html
    assert "No time off planned" in html


def test_rep_dashboard_never_shows_another_organisations_data(org, other, client_for):
    today = org.tenant.today()
    HolidayFactory(tenant=other.tenant, date=today + dt.timedelta(days=1), name="Globex Day")
    TimeOffFactory(member=other.rep, start=today, end=today, reason="Globex leave")
    html = client_for(org.rep).get(HOME).content.decode()
    assert "Globex Day" not in html
    assert "Globex leave" not in html
    assert other.manager.user.name not in html


def test_rep_dashboard_query_count_is_bounded(org, client_for, django_assert_max_num_queries):
    today = org.tenant.today()
    client = client_for(org.rep)
    for n in range(6):
        start = today + dt.timedelta(days=7 * n)
        TimeOffFactory(member=org.rep, start=start, end=start + dt.timedelta(days=1))
        HolidayFactory(tenant=org.tenant, date=today + dt.timedelta(days=3 + 7 * n))
    territory_world(org, territories=8, accounts_each=5)
    # 7 queries for the page and its own cards, 2 for territories' card, 1 for My day's
    # (today's minutes by category), 1 for My plan's (today's tasks), 2 for the Recognition
    # card (the latest recognitions, the streak), 1 for the overdue action items card, 1 for
    # the review awaiting acknowledgement; 1 to spare.
    with django_assert_max_num_queries(17):
        response = client.get(HOME)
    assert response.status_code == 200
    assert len(response.context["dashboard"].time_off) == 5
    assert len(card(response, "territories-mine").territories) == 8


def test_capacity_days_left_skip_weekends_holidays_and_time_off(org):
    org.tenant.work_week = [1, 2, 3, 4, 5]
    member = org.rep
    monday = dt.date(2026, 3, 23)  # Monday; March 2026 ends on Tuesday the 31st.
    with tenant_context(org.tenant):
        holiday = HolidayFactory(tenant=org.tenant, date=dt.date(2026, 3, 25))
        off = TimeOffFactory(member=member, start=dt.date(2026, 3, 30), end=dt.date(2026, 3, 30))
        left = selectors.capacity_days_left_in_month(
            tenant=org.tenant, member=member, today=monday, holidays=[holiday], time_off=[off]
        )
    # 23, 24, 26, 27, 31 (25 holiday, 28–29 weekend, 30 off).
    assert left == 5


# --- Territories' cards (spm.plugins.dashboard_cards) -----------------------------


def territory_world(org, *, territories: int, accounts_each: int) -> None:
    """Territories worked by ``org.rep`` (owner of each), each with a few accounts."""
    started = org.tenant.today() - dt.timedelta(days=30)
    for n in range(territories):
        territory = TerritoryFactory(tenant=org.tenant, name=f"Zone {n:02d}")
        TerritoryMemberFactory(territory=territory, member=org.rep, start_date=started)
        AccountFactory.create_batch(accounts_each, tenant=org.tenant, territory=territory)


def card(response, key: str):
    """What the dashboard's card ``key`` shows, or None when the viewer has no such card."""
    return next((c.data for c in response.context["cards"] if c.key == key), None)


@pytest.fixture
def rep_territories(org, other):
    """org.rep owns Northeast (2 accounts) and is an overlay of California (1 account);
    a link that ended yesterday, a colleague's territory and globex's are not theirs."""
    today = org.tenant.today()
    started = today - dt.timedelta(days=60)
    northeast = TerritoryFactory(tenant=org.tenant, name="Northeast")
    california = TerritoryFactory(tenant=org.tenant, name="California")
    ended = TerritoryFactory(tenant=org.tenant, name="Old Patch")
    colleague = TerritoryFactory(tenant=org.tenant, name="Colleague Land")
    TerritoryMemberFactory(territory=northeast, member=org.rep, start_date=started)
    TerritoryMemberFactory(territory=california, member=org.rep, role="overlay", start_date=started)
    TerritoryMemberFactory(
        territory=ended, member=org.rep, start_date=started, end_date=today - dt.timedelta(days=1)
    )
    TerritoryMemberFactory(territory=colleague, member=org.outsider_rep, start_date=started)
    AccountFactory(tenant=org.tenant, territory=northeast, annual_potential=Decimal("100000"))
    AccountFactory(tenant=org.tenant, territory=northeast, annual_potential=Decimal("250000.50"))
    AccountFactory(tenant=org.tenant, territory=california, annual_potential=Decimal("40000"))
    AccountFactory(tenant=org.tenant, territory=ended, annual_potential=Decimal("999000"))
    AccountFactory(tenant=org.tenant, territory=colleague)
    AccountFactory.create_batch(2, tenant=org.tenant, territory=None)
    globex = TerritoryFactory(tenant=other.tenant, name="Globex Heartland")
    TerritoryMemberFactory(territory=globex, member=other.rep, start_date=started)
    AccountFactory.create_batch(3, tenant=other.tenant, territory=globex)
    AccountFactory(tenant=other.tenant, territory=None)
    TerritoryFactory(tenant=other.tenant, name="Globex Empty")


def test_rep_dashboard_shows_the_territories_they_work_today(org, rep_territories, client_for):
    response = client_for(org.rep).get(HOME)
    data = card(response, "territories-mine")
    assert [
        (t.name, t.role_label, t.account_count, t.total_potential) for t in data.territories
    ] == [
        ("California", "Overlay", 1, Decimal("40000.00")),
        ("Northeast", "Owner", 2, Decimal("350000.50")),
    ]
    assert data.total_accounts == 3
    assert data.total_potential == Decimal("390000.50")
    assert card(response, "territories-overview") is None
    html = response.content.decode()
    assert "Your territories" in html
    assert "2 territories · 3 accounts" in html
    assert f'href="{reverse("territories:mine")}"' in html
    assert "Old Patch" not in html
    assert "Colleague Land" not in html


def test_rep_without_territories_is_told_how_they_get_one(org, client_for):
    response = client_for(org.rep).get(HOME)
    assert card(response, "territories-mine").territories == []
    assert "No territory today" in response.content.decode()


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_admins_and_managers_see_the_organisations_territories_and_unassigned_accounts(
    org, rep_territories, client_for, persona
):
    response = client_for(getattr(org, persona)).get(HOME)
    data = card(response, "territories-overview")
    assert (data.territories, data.accounts, data.unassigned_accounts) == (4, 7, 2)
    assert card(response, "territories-mine") is None
    html = response.content.decode()
    assert "accounts in no territory" in html
    assert f'href="{reverse("territories:balance")}"' in html


def test_the_territories_card_counts_active_territories_only(org, client_for):
    TerritoryFactory(tenant=org.tenant, name="Retired", active=False)
    TerritoryFactory(tenant=org.tenant, name="Live")
    data = card(client_for(org.admin).get(HOME), "territories-overview")
    assert (data.territories, data.accounts, data.unassigned_accounts) == (1, 0, 0)


@pytest.mark.parametrize("persona", ["admin", "manager", "rep"])
def test_territories_cards_never_show_another_organisations_data(
    org, other, rep_territories, client_for, persona
):
    html = client_for(getattr(org, persona)).get(HOME).content.decode()
    assert "Globex" not in html
    # Globex's own people see only globex's numbers.
    response = client_for(other.admin).get(HOME)
    data = card(response, "territories-overview")
    assert (data.territories, data.accounts, data.unassigned_accounts) == (2, 4, 1)
    rep_card = card(client_for(other.rep).get(HOME), "territories-mine")
    assert [(t.name, t.account_count) for t in rep_card.territories] == [("Globex Heartland", 3)]


# --- No organisation --------------------------------------------------------------


def test_person_without_organisation_is_told_how_to_join_or_start_one(client, db):
    user = UserFactory(email="drifter@example.com")
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    assert response.templates[0].name == "web/no_organisation.html"
    html = response.content.decode()
    assert "invitation" in html
    assert f'action="{reverse("account_logout")}"' in html
    assert nav_links(html) == {"Dashboard", "API docs"}


# --- Offline: no CDN ----------------------------------------------------------------


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
REMOTE_ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def test_no_template_loads_anything_from_another_host():
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if REMOTE_ATTRIBUTE.search(line):
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}")
    assert offenders == []


def test_charting_library_is_vendored_with_its_licence():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor" / "chart.js"
    assert (vendor / "chart.umd.min.js").stat().st_size > 100_000
    assert "MIT" in (vendor / "LICENSE.md").read_text()
    # Manifest static storage rewrites the source map reference; the map must exist.
    assert (vendor / "chart.umd.min.js.map").exists()


@pytest.mark.parametrize("asset", ["css/app.css", "js/app.js", "img/icons.svg", "img/logo.svg"])
def test_shell_assets_are_served_from_static_files(asset):
    assert (Path(settings.BASE_DIR) / "static" / asset).exists()
