"""Accessibility is checked, not hoped for: axe-core runs over every page of the project, as
each role, on a desktop (1366×768) and on a phone (390×844), and allows no ``serious`` or
``critical`` violation.

The pages are found by walking the URLconf, never listed by hand: every route outside the
API, the application's, allauth's and the admin's alike (its index, and each registered
model's changelist, add and change pages; its stock history and delete pages once per
template). A route with parameters gets
them from ``PARAMETERS`` (by route name) or, for an admin page of one object, from
``ADMIN_OBJECTS`` (by model); a new route with parameters and no entry fails
``test_every_routed_page_says_how_to_fill_its_parameters``. So a later app's pages join the
check simply by being routed.

Each role browses every page in one logged-in browser context. A page the role may not see
(403, 404, a redirect elsewhere, 405 for a route that only takes POST, or an answer that is
not HTML) is skipped for that role; ``MUST_CHECK`` makes sure each role did check the pages
it can see, so a broken login cannot turn the test into a silent pass.

The last test keeps the territory changelist's last column on a 1366-pixel-wide screen.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.template.loader import select_template
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from playwright.sync_api import Page, expect

from accountability.models import ActionItem, Review, ReviewTemplate
from accountability.services import ScoreInput, review_save, review_share, review_start
from activities.models import Activity, ActivityType, PlanTask
from quotas.models import Quota, Sale, SeasonalityProfile
from spm.calendars.models import Holiday, TimeOff
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import ApiToken, AuditEvent, Invitation, Role
from spm.tenancy.services import api_token_issue, audit
from territories.models import Account, AccountAssignment, AccountImport, AssignmentRule, Territory

from ..accountability.factories import ActionItemFactory
from ..activities.factories import ActivityFactory, PlanTaskFactory
from ..conftest import Org, build_org
from ..factories import (
    PASSWORD,
    HolidayFactory,
    InvitationFactory,
    MembershipFactory,
    TenantFactory,
    TimeOffFactory,
    UserFactory,
)
from ..quotas.factories import (
    QuotaChangeFactory,
    QuotaFactory,
    SaleFactory,
    SeasonalityProfileFactory,
)
from ..territories.factories import (
    AccountFactory,
    AssignmentRuleFactory,
    TerritoryFactory,
    TerritoryMemberFactory,
)
from .conftest import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
FAILING_IMPACTS = {"serious", "critical"}
ROLES = ("anonymous", "rep", "manager", "admin")
PASSWORD_LABEL = re.compile(r"^Password:?$")
LOG_IN = re.compile(r"log in|sign in", re.IGNORECASE)

# The API answers JSON. Its interactive documentation (/api/docs/) is Swagger UI, a
# third-party application whose markup its own script builds at run time; axe finds
# Swagger UI's own faults there (buttons nested in buttons, its colours), which are its to
# fix, not ours to patch over. So the whole /api/ prefix is left out.
EXCLUDED_PREFIXES = ("/api/",)

# Rules switched off on some pages because they are genuine false positives there, by route
# name. Keep this empty unless axe is demonstrably wrong; say why beside each entry.
DISABLED_RULES: dict[str, set[str]] = {}


# --- The data the pages show --------------------------------------------------------------


@dataclass
class Fixtures:
    """One organisation with a little of everything, so that each page has rows to show."""

    org: Org
    territory: Territory
    account: Account
    rule: AssignmentRule
    assignment: AccountAssignment
    account_import: AccountImport  # Rejected: its page lists the problems in the file.
    invitation: Invitation
    notification: Notification  # The admin's.
    api_token: ApiToken
    audit_event: AuditEvent
    unverified_email: EmailAddress  # Of someone who signed up and has not confirmed it.
    holiday: Holiday
    time_off: TimeOff  # The rep's.
    group: Group
    authenticator: Authenticator
    quota: Quota  # The rep's, published, with its history.
    sale: Sale
    seasonality_profile: SeasonalityProfile


def build_fixtures() -> Fixtures:
    org = build_org("acme")
    tenant, today = org.tenant, org.tenant.today()
    west = TerritoryFactory(tenant=tenant, name="West")
    coast = TerritoryFactory(tenant=tenant, name="West Coast", parent=west)
    TerritoryMemberFactory(territory=west, member=org.manager, role="owner")
    TerritoryMemberFactory(territory=coast, member=org.rep, role="owner")
    TerritoryMemberFactory(territory=coast, member=org.outsider_rep, role="overlay")
    account = AccountFactory(tenant=tenant, name="Acme Tools", territory=coast)
    bolt = AccountFactory(tenant=tenant, name="Bolt Ltd", territory=west)
    AccountFactory(tenant=tenant, name="Crane Co")
    # The rep's day: a call on Bolt Ltd, West's, outside the rep's West Coast, so that its
    # row on the Day page warns of encroachment.
    call = ActivityType.all_tenants.get(tenant=tenant, name="Call")
    ActivityFactory(member=org.rep, date=today, type=call, account=bolt, notes="Pricing")
    api_token_issue(tenant=tenant, actor=None, membership=org.rep)
    # Everyone has an unread notification, so that the bell shows its count.
    notifications = [
        Notification.all_tenants.create(
            tenant=tenant,
            recipient=member,
            kind="test",
            title="Acme Tools moved to West Coast",
            url="/territories/mine/",
        )
        for member in (org.rep, org.manager, org.admin)
    ]
    quota = QuotaFactory(member=org.rep, month=today.replace(day=1), status="published")
    # Selling time for the team's page, its chart and the manager's card: the rep below target.
    ActivityFactory(member=org.rep, date=today, duration_minutes=90)
    ActivityFactory(member=org.rep, date=today, duration_minutes=30, type__category="non_selling")
    QuotaChangeFactory(quota=quota, changed_by=org.manager.user)
    # The rep's plan for today: the gap line, a suggestion, an own task, one done.
    PlanTaskFactory(
        member=org.rep,
        date=today,
        position=0,
        kind="target_gap",
        suggested=True,
        title="Close €1,250.00 today to stay on your revenue target",
    )
    PlanTaskFactory(
        member=org.rep,
        date=today,
        position=1,
        kind="account",
        account=account,
        suggested=True,
        score="36500000.00",
        title="Contact Acme Tools",
    )
    PlanTaskFactory(member=org.rep, date=today, position=2, title="Prepare the pricing sheet")
    PlanTaskFactory(member=org.rep, date=today, position=3, title="Send the quote", status="done")
    # Action items: the rep owes one overdue (the home card) and one later; the manager owes
    # the rep one (both sides of "My action items"); one done recently.
    ActionItemFactory(
        member=org.rep,
        owner=org.rep,
        created_by=org.manager,
        title="Update the forecast",
        due_date=today - dt.timedelta(days=2),
    )
    ActionItemFactory(
        member=org.rep,
        owner=org.rep,
        created_by=org.manager,
        title="Plan the Acme Tools visit",
        due_date=today + dt.timedelta(days=12),
    )
    ActionItemFactory(
        member=org.rep,
        owner=org.manager,
        created_by=org.manager,
        title="Ride along on a demo",
        due_date=today + dt.timedelta(days=3),
    )
    ActionItemFactory(
        member=org.rep,
        owner=org.rep,
        title="Read the pricing guide",
        due_date=today,
        status="done",
        completed_at=timezone.now(),
    )
    newcomer = UserFactory(email="newcomer@acme.test")
    EmailAddress.objects.filter(user=newcomer).update(verified=False)
    return Fixtures(
        org=org,
        territory=coast,
        account=account,
        rule=AssignmentRuleFactory(territory=coast),
        assignment=AccountAssignment.all_tenants.create(
            tenant=tenant,
            account=account,
            to_territory=coast,
            effective_date=today,
            changed_by=org.admin.user,
        ),
        account_import=AccountImport.all_tenants.create(
            tenant=tenant,
            created_by=org.admin.user,
            file_name="crm-export.csv",
            file_size=64,
            content=b"external_id,name,country\nA-1,Acme,USA\nA-2,,US\n",
            rows_total=2,
            status=AccountImport.Status.REJECTED,
            errors=[
                {"row": 2, "column": "country", "message": "Use a two-letter country code."},
                {"row": 3, "column": "name", "message": "Required; this cell is empty."},
            ],
            error_count=2,
        ),
        invitation=InvitationFactory(tenant=tenant, email="invitee@acme.test"),
        notification=notifications[-1],
        api_token=ApiToken.all_tenants.get(membership=org.rep),
        audit_event=audit(tenant=tenant, actor=org.admin.user, action="test.done", obj=org.rep),
        unverified_email=EmailAddress.objects.get(user=newcomer),
        holiday=HolidayFactory(tenant=tenant, date=today + dt.timedelta(days=10)),
        time_off=TimeOffFactory(
            member=org.rep, start=today + dt.timedelta(days=3), end=today + dt.timedelta(days=5)
        ),
        group=Group.objects.create(name="Sales operations"),
        authenticator=RecoveryCodes.activate(newcomer).instance,
        quota=quota,
        sale=SaleFactory(member=org.rep, account=account, closed_on=today),
        seasonality_profile=SeasonalityProfileFactory(tenant=tenant, name="Retail year"),
    )


Filler = Callable[[Fixtures], dict[str, Any]]


def rep_plan_task(f: Fixtures) -> PlanTask:
    """The rep's first open task of today's plan: only the rep works it."""
    return PlanTask.all_tenants.filter(member=f.org.rep, status="open").order_by("pk").first()


def rep_action_item(f: Fixtures) -> ActionItem:
    """The rep's first open action item: the rep completes it, their manager drops it."""
    return ActionItem.all_tenants.filter(owner=f.org.rep, status="open").order_by("pk").first()


def rep_review(f: Fixtures) -> Review:
    """The rep's review by their manager, shared: the manager edits it, the rep reads and
    acknowledges it. Made once, through the services, on first use."""
    found = Review.all_tenants.filter(member=f.org.rep).order_by("pk").first()
    if found is not None:
        return found
    tenant, manager = f.org.tenant, f.org.manager
    with tenant_context(tenant):
        review = review_start(tenant=tenant, actor=manager, member=f.org.rep)
        scores = {s.criterion_id: ScoreInput(3, "On track") for s in review.scores.all()}
        review = review_save(tenant=tenant, actor=manager, review=review, scores=scores)
        return review_share(tenant=tenant, actor=manager, review=review)


def rep_activity(f: Fixtures) -> Activity:
    """The rep's first activity: its edit and delete pages are the rep's and an admin's."""
    return Activity.all_tenants.filter(member=f.org.rep).order_by("pk").first()


# The parameters of each route that takes some, by route name (admin object pages excepted).
PARAMETERS: dict[str, Filler] = {
    "tenancy:member_edit": lambda f: {"pk": f.org.rep.pk},
    "tenancy:invitation_revoke": lambda f: {"pk": f.invitation.pk},
    "tenancy:invitation_accept": lambda f: {"key": f.invitation.key},
    "calendars:holiday_edit": lambda f: {"pk": f.holiday.pk},
    "calendars:holiday_delete": lambda f: {"pk": f.holiday.pk},
    "calendars:time_off_edit": lambda f: {"pk": f.time_off.pk},
    "calendars:time_off_delete": lambda f: {"pk": f.time_off.pk},
    "notifications:open": lambda f: {"pk": f.notification.pk},
    "quotas:detail": lambda f: {"pk": f.quota.pk},
    "quotas:acknowledge": lambda f: {"pk": f.quota.pk},
    "activities:plan_task_move": lambda f: {"pk": rep_plan_task(f).pk},
    "activities:plan_task_complete": lambda f: {"pk": rep_plan_task(f).pk},
    "activities:plan_task_dismiss": lambda f: {"pk": rep_plan_task(f).pk},
    "activities:plan_task_reopen": lambda f: {"pk": rep_plan_task(f).pk},
    "accountability:review": lambda f: {"pk": rep_review(f).pk},
    "accountability:review_print": lambda f: {"pk": rep_review(f).pk},
    "accountability:review_save": lambda f: {"pk": rep_review(f).pk},
    "accountability:review_acknowledge": lambda f: {"pk": rep_review(f).pk},
    "accountability:review_correct": lambda f: {"pk": rep_review(f).pk},
    "accountability:review_action_item_add": lambda f: {"pk": rep_review(f).pk},
    "activities:edit": lambda f: {"pk": rep_activity(f).pk},
    "accountability:action_item_complete": lambda f: {"pk": rep_action_item(f).pk},
    "accountability:action_item_drop": lambda f: {"pk": rep_action_item(f).pk},
    "accountability:action_item_reopen": lambda f: {"pk": rep_action_item(f).pk},
    "accountability:scorecard": lambda f: {"member_id": f.org.manager.pk},
    "activities:delete": lambda f: {"pk": rep_activity(f).pk},
    "account_confirm_email": lambda f: {"key": EmailConfirmationHMAC(f.unverified_email).key},
    "account_reset_password_from_key": lambda f: {
        "uidb36": user_pk_to_url_str(f.org.rep.user),
        "key": default_token_generator.make_token(f.org.rep.user),
    },
    "admin:app_list": lambda f: {"app_label": Territory._meta.app_label},
    "admin:auth_user_password_change": lambda f: {"id": f.org.rep.user.pk},
}

# Routes that never answer a page, and so are not visited. Keep these few: a route that
# answers something else (a redirect, CSV, JavaScript) is skipped anyway when visited.
NOT_PAGES = {
    "admin:view_on_site": "a redirect to the object's page on the site",
    "admin:autocomplete": "JSON for the autocomplete widgets (a 403 without its query)",
    "activities:account_search": "the Day form's account options, swapped into its select",
    "activities:account_warning": "the Day form's encroachment warning, swapped into the form",
}

# The object whose change, history and delete pages are checked, by admin model label.
ADMIN_OBJECTS: dict[str, Callable[[Fixtures], models.Model]] = {
    "auth.Group": lambda f: f.group,
    "account.EmailAddress": lambda f: f.unverified_email,
    "mfa.Authenticator": lambda f: f.authenticator,
    "users.User": lambda f: f.org.rep.user,
    "tenancy.Tenant": lambda f: f.org.tenant,
    "tenancy.Membership": lambda f: f.org.rep,
    "tenancy.Invitation": lambda f: f.invitation,
    "tenancy.ApiToken": lambda f: f.api_token,
    "tenancy.AuditEvent": lambda f: f.audit_event,
    "calendars.Holiday": lambda f: f.holiday,
    "calendars.TimeOff": lambda f: f.time_off,
    "territories.Territory": lambda f: f.territory,
    "territories.Account": lambda f: f.account,
    "territories.AssignmentRule": lambda f: f.rule,
    "territories.AccountAssignment": lambda f: f.assignment,
    "territories.AccountImport": lambda f: f.account_import,
    "quotas.Quota": lambda f: f.quota,
    "quotas.Sale": lambda f: f.sale,
    "quotas.SeasonalityProfile": lambda f: f.seasonality_profile,
    "activities.ActivityType": lambda f: ActivityType.all_tenants.get(
        tenant=f.org.tenant, name="Call"
    ),
    "activities.Activity": rep_activity,
    "activities.PlanTask": rep_plan_task,
    "accountability.ReviewTemplate": lambda f: (
        ReviewTemplate.all_tenants.filter(tenant=f.org.tenant).order_by("pk").first()
    ),
    "accountability.Review": rep_review,
}

# Pages each role must have checked: a floor, not the list (which comes from the URLconf).
MUST_CHECK = {
    "anonymous": {"account_login", "account_signup", "account_reset_password"},
    "rep": {
        "home",
        "calendars:index",
        "territories:mine",
        "notifications:index",
        "quotas:mine",
        "activities:plan",
        "activities:day",
        "activities:week",
        "accountability:mine",
        "accountability:criteria",
        "accountability:review",
        "activities:edit",
        "accountability:action_items",
        "accountability:leaderboard",
    },
    "manager": {
        "home",
        "tenancy:members",
        "calendars:index",
        "territories:balance",
        "quotas:grid",
        "quotas:team",
        "accountability:reviews",
        "accountability:review",
        "quotas:detail",
        "activities:team",
        "activities:day",
        "accountability:action_items",
        "accountability:scorecard",
        "accountability:leaderboard",
    },
    "admin": {
        "home",
        "tenancy:settings",
        "admin:index",
        "admin:territories_territory_change",
        "quotas:grid",
        "activities:day",
        "activities:edit",
        "admin:activities_activity_change",
        "admin:activities_activity_import",
    },
}


# --- Walking the URLconf ------------------------------------------------------------------


@dataclass(frozen=True)
class PageRoute:
    name: str  # The full name: ``calendars:holiday_edit``, ``admin:territories_account_add``.
    pattern: str
    parameters: tuple[str, ...]


def _walk(patterns, namespace: tuple[str, ...] = (), prefix: str = "") -> Iterator[PageRoute]:
    for entry in patterns:
        text = str(entry.pattern).removeprefix("^").removesuffix("$")
        if isinstance(entry.pattern, RoutePattern):
            names = tuple(entry.pattern.converters)
        else:
            names = tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = namespace + ((entry.namespace,) if entry.namespace else ())
            for route in _walk(entry.url_patterns, inner, prefix + text):
                yield PageRoute(route.name, route.pattern, names + route.parameters)
        elif isinstance(entry, URLPattern) and entry.name:
            # Unnamed routes are left out: the admin's are redirects (``<id>/`` to
            # ``<id>/change/``) and its catch-all 404, and no page of ours is unnamed.
            yield PageRoute(":".join((*namespace, entry.name)), prefix + text, names)


def page_routes() -> list[PageRoute]:
    """Every named route outside ``EXCLUDED_PREFIXES``, in URLconf order."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not ("/" + route.pattern).startswith(EXCLUDED_PREFIXES) and route.name not in NOT_PAGES
    ]


def _admin_object_maker(route: PageRoute) -> Callable[[Fixtures], models.Model] | None:
    """The maker of the object an admin model page (``admin:<app>_<model>_change``) shows."""
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if route.name.startswith(prefix) and route.parameters == ("object_id",):
            return ADMIN_OBJECTS.get(model._meta.label)
    return None


def filler_for(route: PageRoute) -> Filler | None:
    """How to fill the route's parameters; ``None`` when nobody has said."""
    if not route.parameters:
        return lambda f: {}
    if route.name in PARAMETERS:
        return PARAMETERS[route.name]
    make = _admin_object_maker(route)
    if make is not None:
        return lambda f: {"object_id": make(f).pk}
    return None


def page_urls(fixtures: Fixtures) -> list[tuple[PageRoute, str]]:
    """Each page route with the URL that opens it on ``fixtures``."""
    urls = []
    for route in page_routes():
        filler = filler_for(route)
        if filler is not None:
            urls.append((route, reverse(route.name, kwargs=filler(fixtures))))
    return urls


# Django's stock object pages: the same markup for every model, only the object's name
# and related rows change. Each template is checked on the first page that renders it,
# not once per model: that would cost a fifth of the run and find nothing new.
STOCK_OBJECT_PAGES = {"_history": "object_history.html", "_delete": "delete_confirmation.html"}


def stock_template_of(route: PageRoute) -> str:
    """The template an admin history or delete page renders with; "" for any other page."""
    for model, model_admin in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        for suffix, template in STOCK_OBJECT_PAGES.items():
            if route.name == f"admin:{app}_{name}{suffix}":
                # As Django looks it up: the model admin's own, else the most specific file.
                chosen = getattr(model_admin, template.replace(".html", "_template"))
                candidates = [f"admin/{app}/{name}/{template}", f"admin/{app}/{template}"]
                return select_template(
                    [chosen] if chosen else [*candidates, f"admin/{template}"]
                ).origin.name
    return ""


def route_name_of(url: str) -> str:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return ""


# --- Browsing and running axe -------------------------------------------------------------

# axe-core, as axe-playwright-python ships it. Its ``Axe.run`` sends the half-megabyte
# script into the page on every call; an init script loads it once into each document.
AXE_SCRIPT = Axe().axe_script
# Starts axe without waiting for it, so that another tab can work meanwhile: axe runs in
# its own page's renderer process, and two processes busy instead of one halve the time.
START_AXE = """options => {
    // One turn of the event loop first: handlers queued when the page became ready (jQuery
    // runs its ready handlers so) finish before axe looks.
    window.__axeViolations = new Promise(resolve => setTimeout(resolve))
        .then(() => axe.run(document, options))
        .then(results => results.violations);
}"""
AXE_VIOLATIONS = "window.__axeViolations"
# Parallel tabs per role. More than two buys nothing on a two-core runner.
TABS = 2


class ServerError(Exception):
    """A page answered with a server error: a failure, never a page to skip."""


@dataclass
class Tab:
    """One browser context, logged in as ``role`` (or as nobody)."""

    page: Page
    role: str
    email: str = ""
    session: str = ""

    def log_in(self) -> None:
        if not self.email:
            return
        page = self.page
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(self.email)
        page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
        page.get_by_role("button", name=LOG_IN).click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        self.session = self._session_key()

    def _session_key(self) -> str:
        cookies = self.page.context.cookies()
        return next((c["value"] for c in cookies if c["name"] == settings.SESSION_COOKIE_NAME), "")

    def logged_out(self) -> bool:
        """Whether the last page logged out: a link from an email for somebody else
        (confirm an address, reset a password) does, and says so by a new session."""
        return bool(self.email) and self._session_key() != self.session

    def stay_logged_in(self) -> None:
        if self.logged_out():
            self.log_in()

    def opens(self, route: PageRoute, url: str) -> bool:
        """Open ``url`` if it answers this role with an HTML page of ``route``. A redirect to
        the same route counts (allauth's password reset moves its key out of the URL so);
        one to anywhere else means the page is not for this role."""
        probe = self.page.request.get(url, max_redirects=0)  # Cheaper than rendering a 403.
        if probe.status >= 500:
            raise ServerError(f"answered {probe.status} {probe.status_text}")
        if self.logged_out():
            return False  # What it shows now is the anonymous visitor's page.
        if probe.status in (301, 302, 303, 307, 308):
            if route_name_of(probe.headers.get("location", "")) != route.name:
                return False
        elif probe.status != 200 or "text/html" not in probe.headers.get("content-type", ""):
            return False
        response = self.page.goto(url)
        return (
            response is not None
            and response.status == 200
            and route_name_of(self.page.url) == route.name
            and not self.logged_out()
        )


def open_tabs(browser, live_server, role: str, email: str, count: int) -> list[Tab]:
    tabs = []
    for _ in range(count):
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(AXE_SCRIPT)
        tab = Tab(page=context.new_page(), role=role, email=email)
        tab.log_in()
        tabs.append(tab)
    return tabs


def axe_options(route: PageRoute) -> dict[str, Any]:
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    disabled = DISABLED_RULES.get(route.name, set())
    if disabled:
        options["rules"] = {rule: {"enabled": False} for rule in disabled}
    return options


def describe(violation: dict) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
    shown = "; ".join(targets[:6]) + (f"; … {len(targets) - 6} more" if len(targets) > 6 else "")
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — {shown}"


@dataclass
class Report:
    checked: set[str] = field(default_factory=set)
    not_seen: set[str] = field(default_factory=set)
    templates: set[str] = field(default_factory=set)  # Stock admin templates checked.
    failures: list[str] = field(default_factory=list)


def check_pages(tabs: list[Tab], urls: list[tuple[PageRoute, str]]) -> Report:
    """Run axe on every page of ``urls`` that the tabs' role can see, at each viewport.

    Each tab is a generator that pauses while axe runs in it; the tabs take turns, taking
    the next page from one shared queue, so axe runs in one while another loads a page.
    """
    report, queue = Report(), iter(urls)

    def work(tab: Tab) -> Iterator[None]:
        for route, url in queue:
            # Every admin page requires what its index does: without the index, skip them all.
            if route.name.startswith("admin:") and "admin:index" in report.not_seen:
                continue
            template = stock_template_of(route)
            if template and template in report.templates:
                continue
            try:
                opened = tab.opens(route, url)
            except ServerError as error:
                report.failures.append(f"{url} ({route.name}) as {tab.role}: {error}")
                continue
            if not opened:
                report.not_seen.add(route.name)
                tab.stay_logged_in()
                continue
            report.checked.add(route.name)
            if template:
                report.templates.add(template)
            for viewport, (width, height) in VIEWPORTS.items():
                tab.page.set_viewport_size({"width": width, "height": height})
                tab.page.evaluate(START_AXE, axe_options(route))
                yield
                report.failures += [
                    f"{url} ({route.name}) as {tab.role}, {viewport} {width}×{height}: "
                    + describe(violation)
                    for violation in tab.page.evaluate(AXE_VIOLATIONS)
                    if violation["impact"] in FAILING_IMPACTS
                ]
            tab.stay_logged_in()

    running = [work(tab) for tab in tabs]
    while running:
        for worker in list(running):
            if next(worker, StopIteration) is StopIteration:
                running.remove(worker)
    return report


# --- The tests ----------------------------------------------------------------------------


def test_every_routed_page_says_how_to_fill_its_parameters():
    undeclared = [f"{r.name} ({r.pattern})" for r in page_routes() if filler_for(r) is None]
    assert undeclared == [], "Say what these routes take in PARAMETERS or ADMIN_OBJECTS"


def test_axe_reports_a_serious_violation_where_there_is_one(browser, live_server):
    # The check below is only worth its green if axe runs and its findings reach the test.
    (tab,) = open_tabs(browser, live_server, "anonymous", "", 1)
    tab.page.set_content('<html lang="en"><title>Broken</title><main><img src="x.png"></main>')
    tab.page.evaluate(AXE_SCRIPT)  # set_content replaces the document the init script saw.
    tab.page.evaluate(START_AXE, {"resultTypes": ["violations"]})
    found = {(v["id"], v["impact"]) for v in tab.page.evaluate(AXE_VIOLATIONS)}
    assert ("image-alt", "critical") in found
    tab.page.context.close()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_has_a_serious_or_critical_accessibility_violation(browser, live_server, role):
    fixtures = build_fixtures()
    email = getattr(fixtures.org, role).user.email if role != "anonymous" else ""
    tabs = open_tabs(browser, live_server, role, email, TABS)
    try:
        report = check_pages(tabs, page_urls(fixtures))
    finally:
        for tab in tabs:
            tab.page.context.close()
    print(f"As {role}: {len(report.checked)} pages, each at {len(VIEWPORTS)} viewports")
    missing = MUST_CHECK[role] - report.checked
    assert not missing, f"As {role}, these pages could not be opened: {sorted(missing)}"
    assert not report.failures, f"{len(report.failures)} violations:\n" + "\n".join(
        sorted(report.failures)
    )


def test_the_territory_change_list_shows_its_last_column_on_a_1366_pixel_screen(page: Page):
    tenant = TenantFactory(slug="acme", name="Acme Ltd")
    admin_member = MembershipFactory(
        tenant=tenant, role=Role.ADMIN, user=UserFactory(email="admin@acme.test", name="Ada Admin")
    )
    parent = None
    for depth, name in enumerate(
        ["North America", "United States West", "California", "Northern California Enterprise"]
    ):
        parent = TerritoryFactory(tenant=tenant, name=name, parent=parent)
        for role, person in (("owner", "Alexandra Montgomery"), ("overlay", "Bartholomew Reyes")):
            TerritoryMemberFactory(
                territory=parent,
                role=role,
                member=MembershipFactory(tenant=tenant, user=UserFactory(name=f"{person} {depth}")),
            )
        AccountFactory(tenant=tenant, territory=parent, annual_potential=Decimal("12345678.90"))
    page.set_viewport_size({"width": 1366, "height": 768})
    tab = Tab(page=page, role="admin", email=admin_member.user.email)
    tab.log_in()

    page.goto("/admin/territories/territory/")

    header = page.get_by_role("columnheader", name="Total potential")
    expect(header).to_be_visible()
    box = header.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, box
    # Inside the viewport is not enough: a scroll box around the table can clip it. The
    # point at the header's right end must show the header itself.
    shown = header.evaluate(
        """th => {
            const box = th.getBoundingClientRect();
            return th.contains(document.elementFromPoint(box.right - 2, box.top + box.height / 2));
        }"""
    )
    assert shown, "The 'Total potential' header is hidden behind or clipped by something else"
