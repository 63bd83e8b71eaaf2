"""The route × role × tenant matrix: every URL pattern of the project (pages, admin, API
and allauth alike) answers the anonymous visitor and acme's rep, manager and admin as
``EXPECTED`` says, and every pattern that names an object answers 404 when acme's admin
names globex's object instead (DESIGN section 3: no existence leak).

The routes are found by walking the URLconf, never listed by hand, so a new route
without a row in ``EXPECTED`` fails, and so does a new object route whose row does not
say which object its id names. Rows are keyed by the route's full name
(``tenancy:member_edit``, ``admin:territories_account_change``), or by its pattern where
it has no name of its own: the admin's ``<id>/`` redirects and DRF's format-suffix twin
of each API route (``members.json``), which reuses the route's name.

Every route is requested with GET, the API with the session (which it accepts as it
accepts a token). A route that only takes POST says so with a 405 in its row; its
cross-tenant check is then a POST, which would change something if the wall had a hole.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, PathConverter
from django.urls.resolvers import RoutePattern

from accountability.models import Recognition, ReviewTemplate
from accountability.services import ScoreInput, review_save, review_share, review_start
from quotas.models import Quota, Sale, SeasonalityProfile
from spm.calendars.models import Holiday, TimeOff
from spm.notifications.models import Notification
from spm.tenancy.context import tenant_context
from spm.tenancy.models import ApiToken, AuditEvent, Invitation, Membership, Tenant
from spm.tenancy.services import api_token_issue, audit
from spm.users.models import User
from territories.models import Account, AccountAssignment, AccountImport, AssignmentRule, Territory

from .accountability.factories import ActionItemFactory
from .activities.factories import ActivityFactory, ActivityTypeFactory, PlanTaskFactory
from .conftest import Org, build_org, login
from .factories import HolidayFactory, InvitationFactory, TimeOffFactory
from .quotas.factories import QuotaFactory, SaleFactory, SeasonalityProfileFactory
from .territories.factories import AccountFactory, AssignmentRuleFactory, TerritoryFactory

# --- Walking the URLconf --------------------------------------------------------------------

# Parameters that name one object: the admin's ``object_id`` and ``content_type_id``, the
# API routers' ``pk``, the user admin's password page's ``id``. An ``int`` or ``path``
# converter names one too, whatever the parameter is called.
OBJECT_PARAMETERS = {"pk", "id", "object_id", "content_type_id"}
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    key: str  # The full name, or the pattern where the route has no name of its own.
    route: str  # The whole pattern, joined as Django's ``ResolverMatch.route`` joins it.
    parts: tuple  # The patterns from the root URLconf down to the route.
    object_parameters: tuple[str, ...]

    def path(self, values: dict[str, str]) -> str:
        """The path this route answers for ``values``, built from its own patterns."""
        return "/" + "".join(fill(part, values) for part in self.parts)


def fill(part, values: dict[str, str]) -> str:
    """One pattern with ``values`` in place of its parameters."""
    if isinstance(part, RoutePattern):
        return ROUTE_PARAMETER.sub(
            lambda m: part.converters[m["name"]].to_url(values[m["name"]]), str(part)
        )
    piece = REGEX_GROUP.sub(lambda m: values[m["name"]], part.regex.pattern)
    piece = piece.removeprefix("^").removesuffix("$")
    return piece.replace("/?", "/").replace("\\.", ".")


def walk(patterns, namespaces: tuple = (), parts: tuple = (), route: str = ""):
    """``(full name, chain of patterns, joined route)`` of every URL pattern."""
    for pattern in patterns:
        text = str(pattern.pattern)
        joined = route + (text.removeprefix("^") if route else text)
        chain = (*parts, pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from walk(pattern.url_patterns, inner, chain, joined)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespaces, pattern.name)) if pattern.name else ""
            yield name, chain, joined


def parameters_of(parts: tuple) -> tuple[list[str], list[str]]:
    """All the parameters of a chain of patterns, and those that name an object."""
    names, objects = [], []
    for part in parts:
        if isinstance(part, RoutePattern):
            for name, converter in part.converters.items():
                names.append(name)
                if name in OBJECT_PARAMETERS or isinstance(converter, IntConverter | PathConverter):
                    objects.append(name)
        else:
            for name in part.regex.groupindex:
                names.append(name)
                if name in OBJECT_PARAMETERS:
                    objects.append(name)
    return names, objects


def project_routes() -> list[Route]:
    routes = []
    for name, parts, joined in walk(get_resolver().url_patterns):
        names, objects = parameters_of(parts)
        is_format_twin = "format" in names  # DRF's ``.json`` twin shares the route's name.
        routes.append(
            Route(
                key=name if name and not is_format_twin else joined,
                route=joined,
                parts=parts,
                object_parameters=tuple(objects),
            )
        )
    return routes


ROUTES = project_routes()
OBJECT_ROUTES = [route for route in ROUTES if route.object_parameters]


def route_id(route: Route) -> str:
    return route.key


# --- Answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    # A redirect's target path, its query left out; ``{url}`` stands for the path asked for.
    location: str = ""

    def __str__(self) -> str:
        return f"{self.status} → {self.location}" if self.location else str(self.status)

    def for_path(self, path: str) -> "Answer":
        return replace(self, location=self.location.replace("{url}", path))


def redirect_to(path: str) -> Answer:
    return Answer(302, path)


def answer_of(response) -> Answer:
    if response.streaming:
        # Read the whole download (CSV exports): an error while writing it must show here.
        b"".join(response.streaming_content)
    if 300 <= response.status_code < 400:
        return Answer(response.status_code, urlsplit(response["Location"]).path)
    return Answer(response.status_code)


OK = Answer(200)
UNAUTHORIZED = Answer(401)
FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)
NOT_ALLOWED = Answer(405)  # The route takes POST only.
LOGIN = redirect_to("/accounts/login/")
HOME = redirect_to("/")
ADMIN_LOGIN = redirect_to("/admin/login/")
ADMIN_INDEX = redirect_to("/admin/")
REAUTHENTICATE = redirect_to("/accounts/reauthenticate/")
TO_CHANGE_PAGE = redirect_to("{url}change/")  # The admin's ``<id>/`` → ``<id>/change/``.


# --- The objects an id names ----------------------------------------------------------------
# Each maker creates (or picks) an object in the organisation it is given; the matrix
# takes acme's, the cross-tenant check globex's. They run inside that organisation's scope.

Maker = Callable[[Org], models.Model | dict[str, str]]


def make_member(org: Org) -> Membership:
    return org.rep  # The manager's report: the manager sees them but may not change them.


def make_invitation(org: Org) -> Invitation:
    return InvitationFactory(tenant=org.tenant, email=f"new@{org.tenant.slug}.test")


def invitation_key(org: Org) -> dict[str, str]:
    return {"key": make_invitation(org).key}


def make_api_token(org: Org) -> ApiToken:
    api_token_issue(tenant=org.tenant, actor=None, membership=org.rep)
    return ApiToken.objects.get(tenant=org.tenant, membership=org.rep)


def make_audit_event(org: Org) -> AuditEvent:
    return audit(tenant=org.tenant, actor=org.admin.user, action="test.done", obj=org.rep)


def make_holiday(org: Org) -> Holiday:
    return HolidayFactory(tenant=org.tenant)


def make_time_off(org: Org) -> TimeOff:
    return TimeOffFactory(member=org.rep)  # The rep's own, in the manager's reporting tree.


def make_notification(org: Org) -> Notification:
    # The admin's own: nobody else may open it, whatever their role.
    return Notification.objects.create(
        tenant=org.tenant, recipient=org.admin, kind="test", title="Hello", url="/calendar/"
    )


def make_territory(org: Org) -> Territory:
    return TerritoryFactory(tenant=org.tenant)  # Nobody works it: the rep may not see it.


def make_account(org: Org) -> Account:
    return AccountFactory(tenant=org.tenant)


def make_assignment_rule(org: Org) -> AssignmentRule:
    return AssignmentRuleFactory(territory=make_territory(org))


def make_account_assignment(org: Org) -> AccountAssignment:
    return AccountAssignment.objects.create(
        tenant=org.tenant,
        account=make_account(org),
        to_territory=make_territory(org),
        effective_date=org.tenant.today(),
        changed_by=org.admin.user,
    )


def make_account_import(org: Org) -> AccountImport:
    # Stopped: its retry route would run it again if the wall had a hole.
    return AccountImport.objects.create(
        tenant=org.tenant,
        created_by=org.admin.user,
        file_name="accounts.csv",
        file_size=25,
        content=b"external_id,name\nA-1,Acme\n",
        rows_total=1,
        status=AccountImport.Status.FAILED,
    )


def make_quota(org: Org) -> Quota:
    return QuotaFactory(member=org.rep)  # The rep's own, in the manager's reporting tree.


def make_sale(org: Org) -> Sale:
    return SaleFactory(member=org.rep, account=make_account(org))


def make_seasonality_profile(org: Org) -> SeasonalityProfile:
    return SeasonalityProfileFactory(tenant=org.tenant)


def make_activity_type(org: Org):
    return ActivityTypeFactory(tenant=org.tenant)


def make_activity(org: Org):
    return ActivityFactory(member=org.rep)  # The rep's own, in the manager's reporting tree.


def make_plan_task(org: Org):
    return PlanTaskFactory(member=org.rep)


def make_action_item(org: Org):
    # About the rep, owned by the rep, added by their manager: every role sees it.
    return ActionItemFactory(
        member=org.rep,
        owner=org.rep,
        created_by=org.manager,
        due_date=org.tenant.today() + dt.timedelta(days=3),
    )


def make_scorecard_manager(org: Org) -> Membership:
    return org.manager  # The rep may not read it (403), the manager theirs, the admin anyone's.


def make_review(org: Org):
    """The rep's review by their manager, shared: the rep reads it, the manager edits it."""
    review = review_start(tenant=org.tenant, actor=org.manager, member=org.rep)
    scores = {score.criterion_id: ScoreInput(final_score=3) for score in review.scores.all()}
    review = review_save(tenant=org.tenant, actor=org.manager, review=review, scores=scores)
    return review_share(tenant=org.tenant, actor=org.manager, review=review)


def make_review_template(org: Org) -> ReviewTemplate:
    """The organisation's default template: every member reads it."""
    return ReviewTemplate.objects.filter(tenant=org.tenant).order_by("pk").first()


def make_recognition(org: Org) -> Recognition:
    return Recognition.all_tenants.create(
        tenant=org.tenant,
        member=org.outsider_rep,
        kind=Recognition.Kind.KUDOS,
        title="Customer hero",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        reason="Saved the renewal.",
        granted_by=org.admin,
    )


# Platform-level objects: no organisation's; the platform superuser administers them.


def make_tenant(org: Org) -> Tenant:
    return org.tenant


def make_user(org: Org) -> User:
    return org.rep.user


def make_group(org: Org) -> Group:
    return Group.objects.create(name=f"{org.tenant.slug} people")


def make_email_address(org: Org) -> EmailAddress:
    return EmailAddress.objects.get(user=org.rep.user)


def make_authenticator(org: Org) -> Authenticator:
    return Authenticator.objects.create(
        user=org.rep.user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "0" * 40}
    )


# --- The table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """What a route answers the anonymous visitor and acme's rep, manager and admin."""

    anonymous: Answer
    rep: Answer
    manager: Answer
    admin: Answer
    # What the route's id names, made in a given organisation; or, for a route keyed by
    # something else, its parameters themselves.
    obj: Maker | None = None
    values: dict[str, str] = field(default_factory=dict)  # The other parameters.
    query: str = ""  # A query string the route needs in order to answer at all.
    # What acme's admin gets for globex's object: 404, like a missing one.
    foreign: Answer = NOT_FOUND


PUBLIC = Row(OK, OK, OK, OK)


def signed_in(answer: Answer, **details) -> Row:
    """Visitors are sent to log in; every member gets ``answer``."""
    return Row(LOGIN, answer, answer, answer, **details)


EVERY_MEMBER = signed_in(OK)
POST_ONLY = signed_in(NOT_ALLOWED)


def managers_and_admins(**details) -> Row:
    return Row(LOGIN, FORBIDDEN, OK, OK, **details)


def admins(**details) -> Row:
    return Row(LOGIN, FORBIDDEN, FORBIDDEN, OK, **details)


def admin_site(answer: Answer = OK, **details) -> Row:
    """The admin site: visitors log in through the application's own login (two-factor
    authentication, rate limits); members without the admin role get the 403 page;
    acme's admin gets ``answer``."""
    return Row(LOGIN, FORBIDDEN, FORBIDDEN, answer, **details)


def platform_only(obj: Maker | None = None, answer: Answer = FORBIDDEN) -> Row:
    """Platform-level models (users, organisations, groups, e-mail addresses, two-factor
    authenticators) are the superuser's: an organisation's admin is refused the model's
    lists (403) and finds none of its objects (404, whoever's they are)."""
    return admin_site(NOT_FOUND if obj else answer, obj=obj)


def api(rep: Answer = OK, manager: Answer = OK, admin: Answer = OK, **details) -> Row:
    """The API: a visitor without credentials gets 401 (it asks for a token)."""
    return Row(UNAUTHORIZED, rep, manager, admin, **details)


AUTOCOMPLETE = "app_label=calendars&model_name=timeoff&field_name=member&term=a"
FORMAT = {"format": "json"}  # DRF's format-suffix twins are asked for JSON.

EXPECTED: dict[str, Row] = {
    # --- The application's pages ---
    "home": EVERY_MEMBER,
    "tenancy:switch": POST_ONLY,
    "tenancy:members": managers_and_admins(),
    # The rep is the manager's report: the manager sees them listed but may not edit.
    "tenancy:member_edit": admins(obj=make_member),
    "tenancy:invitations": admins(),
    # POST only; the cross-tenant check POSTs to revoke globex's invitation.
    "tenancy:invitation_revoke": Row(LOGIN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED, obj=make_invitation),
    # An invitation link is public; it is addressed to new@acme.test, so anyone signed in
    # as someone else is refused it (and told to sign out).
    "tenancy:invitation_accept": Row(OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, obj=invitation_key),
    "tenancy:settings": admins(),
    "calendars:index": EVERY_MEMBER,
    "calendars:holiday_create": admins(),
    "calendars:holiday_edit": admins(obj=make_holiday),
    "calendars:holiday_delete": admins(obj=make_holiday),
    "calendars:time_off_create": managers_and_admins(),
    # The rep's own time off: they read it on the calendar; their manager changes it.
    "calendars:time_off_edit": managers_and_admins(obj=make_time_off),
    "calendars:time_off_delete": managers_and_admins(obj=make_time_off),
    "territories:mine": EVERY_MEMBER,
    "territories:balance": managers_and_admins(),
    # The quota grid: managers set their reporting tree's quotas, admins everyone's; its
    # actions take POST only (their cross-tenant checks are in tests/quotas/test_grid_*).
    "quotas:grid": managers_and_admins(),
    "quotas:grid_export": managers_and_admins(),
    "quotas:grid_save": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    "quotas:grid_publish": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    "quotas:grid_copy_last_year": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    "quotas:grid_spread": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    "quotas:grid_import": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    # The pages people read: everyone has "My quota"; a quota's page is its member's, their
    # managers' and the admins' (the rep's own here); acknowledging takes POST only (its
    # own-member, draft and stale checks are in tests/quotas/test_pages_mine.py).
    "quotas:mine": EVERY_MEMBER,
    "quotas:detail": signed_in(OK, obj=make_quota),
    "quotas:acknowledge": signed_in(NOT_ALLOWED, obj=make_quota),
    "quotas:team": managers_and_admins(),
    "quotas:team_csv": managers_and_admins(),
    "quotas:team_xlsx": managers_and_admins(),
    "quotas:encroachment": managers_and_admins(),
    # The daily plan: everyone's own (managers and admins read others' with ?member=); its
    # actions take POST only (roles and other organisations in tests/activities/test_plan_page.py).
    "activities:plan": EVERY_MEMBER,
    "activities:plan_suggest": POST_ONLY,
    "activities:plan_add": POST_ONLY,
    "activities:plan_reorder": POST_ONLY,
    "activities:plan_task_move": signed_in(NOT_ALLOWED, obj=make_plan_task),
    "activities:plan_task_complete": signed_in(NOT_ALLOWED, obj=make_plan_task),
    "activities:plan_task_dismiss": signed_in(NOT_ALLOWED, obj=make_plan_task),
    "activities:plan_task_reopen": signed_in(NOT_ALLOWED, obj=make_plan_task),
    # The team's selling time and its CSV: a manager's tree, an admin's organisation.
    "activities:team": managers_and_admins(),
    "activities:team_csv": managers_and_admins(),
    # Everyone's own day and week, and the log form's account search and warning; logging
    # takes POST only. An activity's edit and delete pages: the rep's own; their manager
    # reads it but may not change it (403); an admin corrects it.
    "activities:day": EVERY_MEMBER,
    "activities:week": EVERY_MEMBER,
    "activities:log": POST_ONLY,
    "activities:account_search": EVERY_MEMBER,
    "activities:account_warning": EVERY_MEMBER,
    "activities:edit": Row(LOGIN, OK, FORBIDDEN, OK, obj=make_activity),
    "activities:delete": Row(LOGIN, OK, FORBIDDEN, OK, obj=make_activity),
    # Recognition: the leaderboard is the whole organisation's; giving one takes POST only,
    # from a manager or an admin (roles and other organisations in
    # tests/accountability/test_leaderboard.py).
    "accountability:leaderboard": EVERY_MEMBER,
    "accountability:give": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    # Reviews: managers' and admins' page, its CSV and one-click start (POST only); a
    # review (shared: its member reads it) and its printable page; its writes take POST only
    # (roles, drafts and stale saves in tests/accountability/test_review_editor.py).
    "accountability:reviews": managers_and_admins(),
    "accountability:reviews_csv": managers_and_admins(),
    "accountability:review_start": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED),
    "accountability:review": signed_in(OK, obj=make_review),
    "accountability:review_print": signed_in(OK, obj=make_review),
    "accountability:review_save": Row(LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED, obj=make_review),
    "accountability:review_correct": Row(
        LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED, obj=make_review
    ),
    "accountability:review_acknowledge": signed_in(NOT_ALLOWED, obj=make_review),
    "accountability:review_action_item_add": Row(
        LOGIN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED, obj=make_review
    ),
    "accountability:mine": EVERY_MEMBER,
    "accountability:criteria": EVERY_MEMBER,
    # Action items: everyone's own page; adding and an item's actions take POST only (who
    # may, and other organisations, in tests/accountability/test_action_items_page.py). The
    # scorecard: a manager's own, their line's and the admins' (tests/accountability/test_scorecard.py).
    "accountability:action_items": EVERY_MEMBER,
    "accountability:action_item_add": POST_ONLY,
    "accountability:action_item_complete": signed_in(NOT_ALLOWED, obj=make_action_item),
    "accountability:action_item_drop": signed_in(NOT_ALLOWED, obj=make_action_item),
    "accountability:action_item_reopen": signed_in(NOT_ALLOWED, obj=make_action_item),
    "accountability:scorecard_mine": managers_and_admins(),
    "accountability:scorecard": Row(LOGIN, FORBIDDEN, OK, OK, obj=make_scorecard_manager),
    "notifications:index": EVERY_MEMBER,
    "notifications:mark_read": POST_ONLY,
    # The admin's notification: it sends them where it points; anyone else's is a 404.
    "notifications:open": Row(
        LOGIN, NOT_FOUND, NOT_FOUND, redirect_to("/calendar/"), obj=make_notification
    ),
    # --- Signing in, out and up (allauth) ---
    "account_login": Row(OK, HOME, HOME, HOME),
    "account_logout": EVERY_MEMBER,  # A page asking to confirm; logging out is a POST.
    "account_inactive": PUBLIC,
    "account_signup": Row(OK, HOME, HOME, HOME),
    "account_reauthenticate": EVERY_MEMBER,
    "account_request_reauthentication_code": EVERY_MEMBER,
    # No code was sent: back to asking for one.
    "account_confirm_reauthentication_code": signed_in(
        redirect_to("/accounts/reauthenticate/code/")
    ),
    "account_email": EVERY_MEMBER,
    "account_email_verification_sent": PUBLIC,
    "account_change_password": EVERY_MEMBER,
    # Everyone here has a password already, so they are sent to change it.
    "account_set_password": signed_in(redirect_to("/accounts/password/change/")),
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    # A made-up key: the page says the link is invalid.
    "account_reset_password_from_key": Row(
        OK, OK, OK, OK, values={"uidb36": "1z", "key": "not-a-key"}
    ),
    "account_confirm_email": Row(OK, OK, OK, OK, values={"key": "not-a-key"}),
    # Only halfway through a login that asked for a code or a second factor.
    "account_confirm_login_code": Row(LOGIN, HOME, HOME, HOME),
    "mfa_authenticate": Row(LOGIN, HOME, HOME, HOME),
    "mfa_index": EVERY_MEMBER,
    # Nobody has a second factor yet: reauthentication asks for the password, changing
    # the factors asks to reauthenticate first (a test login is not a recent one), and
    # what does not exist yet is a 404.
    "mfa_reauthenticate": signed_in(REAUTHENTICATE),
    "mfa_activate_totp": signed_in(REAUTHENTICATE),
    "mfa_generate_recovery_codes": signed_in(REAUTHENTICATE),
    "mfa_deactivate_totp": signed_in(NOT_FOUND),
    "mfa_view_recovery_codes": signed_in(NOT_FOUND),
    "mfa_download_recovery_codes": signed_in(NOT_FOUND),
    # --- The admin site ---
    "admin:index": admin_site(),
    # Members without the admin role see the login form, to sign in as someone else.
    "admin:login": Row(LOGIN, FORBIDDEN, FORBIDDEN, ADMIN_INDEX),
    # Logging out is a POST; Django sends anyone not signed in to the admin to its index.
    "admin:logout": Row(LOGIN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "admin:password_change": admin_site(),
    "admin:password_change_done": admin_site(),
    "admin:autocomplete": admin_site(query=AUTOCOMPLETE),
    "admin:jsi18n": admin_site(),
    "admin:app_list": admin_site(values={"app_label": "tenancy"}),
    r"admin/(?P<url>.*)$": admin_site(NOT_FOUND, values={"url": "no-such-page/"}),
    # No model has a page of its own outside the admin.
    "admin:view_on_site": admin_site(NOT_FOUND, obj=make_holiday),
    # Members: people join by invitation and leave with an end date.
    "admin:tenancy_membership_changelist": admin_site(),
    "admin:tenancy_membership_add": admin_site(FORBIDDEN),
    "admin:tenancy_membership_change": admin_site(obj=make_member),
    "admin:tenancy_membership_delete": admin_site(FORBIDDEN, obj=make_member),
    "admin:tenancy_membership_history": admin_site(obj=make_member),
    "admin/tenancy/membership/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_member),
    # Invitations, API tokens, the audit log: read here, written elsewhere, never deleted.
    "admin:tenancy_invitation_changelist": admin_site(),
    "admin:tenancy_invitation_add": admin_site(FORBIDDEN),
    "admin:tenancy_invitation_change": admin_site(obj=make_invitation),
    "admin:tenancy_invitation_delete": admin_site(FORBIDDEN, obj=make_invitation),
    "admin:tenancy_invitation_history": admin_site(obj=make_invitation),
    "admin/tenancy/invitation/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_invitation),
    "admin:tenancy_apitoken_changelist": admin_site(),
    "admin:tenancy_apitoken_add": admin_site(FORBIDDEN),
    "admin:tenancy_apitoken_change": admin_site(obj=make_api_token),
    "admin:tenancy_apitoken_delete": admin_site(FORBIDDEN, obj=make_api_token),
    "admin:tenancy_apitoken_history": admin_site(obj=make_api_token),
    "admin/tenancy/apitoken/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_api_token),
    "admin:tenancy_auditevent_changelist": admin_site(),
    "admin:tenancy_auditevent_add": admin_site(FORBIDDEN),
    "admin:tenancy_auditevent_change": admin_site(obj=make_audit_event),
    "admin:tenancy_auditevent_delete": admin_site(FORBIDDEN, obj=make_audit_event),
    "admin:tenancy_auditevent_history": admin_site(obj=make_audit_event),
    "admin/tenancy/auditevent/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_audit_event),
    "admin:calendars_holiday_changelist": admin_site(),
    "admin:calendars_holiday_add": admin_site(),
    "admin:calendars_holiday_change": admin_site(obj=make_holiday),
    "admin:calendars_holiday_delete": admin_site(obj=make_holiday),
    "admin:calendars_holiday_history": admin_site(obj=make_holiday),
    "admin/calendars/holiday/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_holiday),
    "admin:calendars_timeoff_changelist": admin_site(),
    "admin:calendars_timeoff_add": admin_site(),
    "admin:calendars_timeoff_change": admin_site(obj=make_time_off),
    "admin:calendars_timeoff_delete": admin_site(obj=make_time_off),
    "admin:calendars_timeoff_history": admin_site(obj=make_time_off),
    "admin/calendars/timeoff/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_time_off),
    "admin:territories_territory_changelist": admin_site(),
    "admin:territories_territory_add": admin_site(),
    "admin:territories_territory_change": admin_site(obj=make_territory),
    "admin:territories_territory_delete": admin_site(obj=make_territory),
    "admin:territories_territory_history": admin_site(obj=make_territory),
    "admin/territories/territory/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_territory),
    "admin:territories_account_changelist": admin_site(),
    "admin:territories_account_add": admin_site(),
    "admin:territories_account_change": admin_site(obj=make_account),
    "admin:territories_account_delete": admin_site(obj=make_account),
    "admin:territories_account_history": admin_site(obj=make_account),
    "admin/territories/account/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_account),
    # The account admin's own pages (territories/admin_views.py); the export is a CSV.
    "admin:territories_account_import": admin_site(),
    "admin:territories_account_export": admin_site(),
    "admin:territories_account_apply_rules": admin_site(),
    # Imports are made by uploading a file, followed on their page, deleted by the tidy-up.
    "admin:territories_accountimport_changelist": admin_site(),
    "admin:territories_accountimport_add": admin_site(FORBIDDEN),
    "admin:territories_accountimport_change": admin_site(obj=make_account_import),
    "admin:territories_accountimport_delete": admin_site(FORBIDDEN, obj=make_account_import),
    "admin:territories_accountimport_history": admin_site(obj=make_account_import),
    "admin/territories/accountimport/<path:object_id>/": admin_site(
        TO_CHANGE_PAGE, obj=make_account_import
    ),
    # POST only; the cross-tenant check POSTs to run globex's stopped import again.
    "admin:territories_accountimport_retry": admin_site(NOT_ALLOWED, obj=make_account_import),
    "admin:territories_assignmentrule_changelist": admin_site(),
    "admin:territories_assignmentrule_add": admin_site(),
    "admin:territories_assignmentrule_change": admin_site(obj=make_assignment_rule),
    "admin:territories_assignmentrule_delete": admin_site(obj=make_assignment_rule),
    "admin:territories_assignmentrule_history": admin_site(obj=make_assignment_rule),
    "admin/territories/assignmentrule/<path:object_id>/": admin_site(
        TO_CHANGE_PAGE, obj=make_assignment_rule
    ),
    # The assignment history: appended by the services, read-only here.
    "admin:territories_accountassignment_changelist": admin_site(),
    "admin:territories_accountassignment_add": admin_site(FORBIDDEN),
    "admin:territories_accountassignment_change": admin_site(obj=make_account_assignment),
    "admin:territories_accountassignment_delete": admin_site(
        FORBIDDEN, obj=make_account_assignment
    ),
    "admin:territories_accountassignment_history": admin_site(obj=make_account_assignment),
    "admin/territories/accountassignment/<path:object_id>/": admin_site(
        TO_CHANGE_PAGE, obj=make_account_assignment
    ),
    # Quotas (a draft: only drafts have a delete page), sales and seasonality profiles.
    "admin:quotas_quota_changelist": admin_site(),
    "admin:quotas_quota_add": admin_site(),
    "admin:quotas_quota_change": admin_site(obj=make_quota),
    "admin:quotas_quota_delete": admin_site(obj=make_quota),
    "admin:quotas_quota_history": admin_site(obj=make_quota),
    "admin/quotas/quota/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_quota),
    "admin:quotas_sale_changelist": admin_site(),
    "admin:quotas_sale_add": admin_site(),
    "admin:quotas_sale_change": admin_site(obj=make_sale),
    "admin:quotas_sale_delete": admin_site(obj=make_sale),
    "admin:quotas_sale_history": admin_site(obj=make_sale),
    "admin/quotas/sale/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_sale),
    "admin:quotas_sale_import": admin_site(),
    "admin:quotas_seasonalityprofile_changelist": admin_site(),
    "admin:quotas_seasonalityprofile_add": admin_site(),
    "admin:quotas_seasonalityprofile_change": admin_site(obj=make_seasonality_profile),
    "admin:quotas_seasonalityprofile_delete": admin_site(obj=make_seasonality_profile),
    "admin:quotas_seasonalityprofile_history": admin_site(obj=make_seasonality_profile),
    "admin/quotas/seasonalityprofile/<path:object_id>/": admin_site(
        TO_CHANGE_PAGE, obj=make_seasonality_profile
    ),
    # Activity types (one nobody logged has a delete page), activities (no add page: admins
    # correct, they log for others only by the CSV import) and plan tasks (read only).
    "admin:activities_activitytype_changelist": admin_site(),
    "admin:activities_activitytype_add": admin_site(),
    "admin:activities_activitytype_change": admin_site(obj=make_activity_type),
    "admin:activities_activitytype_delete": admin_site(obj=make_activity_type),
    "admin:activities_activitytype_history": admin_site(obj=make_activity_type),
    "admin/activities/activitytype/<path:object_id>/": admin_site(
        TO_CHANGE_PAGE, obj=make_activity_type
    ),
    "admin:activities_activity_changelist": admin_site(),
    "admin:activities_activity_add": admin_site(FORBIDDEN),
    "admin:activities_activity_change": admin_site(obj=make_activity),
    "admin:activities_activity_delete": admin_site(obj=make_activity),
    "admin:activities_activity_history": admin_site(obj=make_activity),
    "admin/activities/activity/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_activity),
    "admin:activities_activity_import": admin_site(),
    # Review templates are versioned through the service, never deleted; reviews and their
    # scores are read only (tests/accountability/test_admin_accountability.py).
    "admin:accountability_reviewtemplate_changelist": admin_site(),
    "admin:accountability_reviewtemplate_add": admin_site(),
    "admin:accountability_reviewtemplate_change": admin_site(obj=make_review_template),
    "admin:accountability_reviewtemplate_delete": admin_site(FORBIDDEN, obj=make_review_template),
    "admin:accountability_reviewtemplate_history": admin_site(obj=make_review_template),
    "admin/accountability/reviewtemplate/<path:object_id>/": admin_site(
        TO_CHANGE_PAGE, obj=make_review_template
    ),
    "admin:accountability_review_changelist": admin_site(),
    "admin:accountability_review_add": admin_site(FORBIDDEN),
    "admin:accountability_review_change": admin_site(obj=make_review),
    "admin:accountability_review_delete": admin_site(FORBIDDEN, obj=make_review),
    "admin:accountability_review_history": admin_site(obj=make_review),
    "admin/accountability/review/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_review),
    "admin:activities_plantask_changelist": admin_site(),
    "admin:activities_plantask_add": admin_site(FORBIDDEN),
    "admin:activities_plantask_change": admin_site(obj=make_plan_task),
    "admin:activities_plantask_delete": admin_site(FORBIDDEN, obj=make_plan_task),
    "admin:activities_plantask_history": admin_site(obj=make_plan_task),
    "admin/activities/plantask/<path:object_id>/": admin_site(TO_CHANGE_PAGE, obj=make_plan_task),
    # Platform-level models. Their ``<id>/`` redirect answers before any permission check;
    # the change page it leads to is then refused.
    "admin:tenancy_tenant_changelist": platform_only(),
    "admin:tenancy_tenant_add": platform_only(),
    "admin:tenancy_tenant_change": platform_only(make_tenant),
    "admin:tenancy_tenant_delete": platform_only(make_tenant),
    "admin:tenancy_tenant_history": platform_only(make_tenant),
    "admin/tenancy/tenant/<path:object_id>/": platform_only(make_tenant, TO_CHANGE_PAGE),
    "admin:users_user_changelist": platform_only(),
    "admin:users_user_add": platform_only(),
    "admin:users_user_change": platform_only(make_user),
    "admin:users_user_delete": platform_only(make_user),
    "admin:users_user_history": platform_only(make_user),
    "admin:auth_user_password_change": platform_only(make_user),
    "admin/users/user/<path:object_id>/": platform_only(make_user, TO_CHANGE_PAGE),
    "admin:auth_group_changelist": platform_only(),
    "admin:auth_group_add": platform_only(),
    "admin:auth_group_change": platform_only(make_group),
    "admin:auth_group_delete": platform_only(make_group),
    "admin:auth_group_history": platform_only(make_group),
    "admin/auth/group/<path:object_id>/": platform_only(make_group, TO_CHANGE_PAGE),
    "admin:account_emailaddress_changelist": platform_only(),
    "admin:account_emailaddress_add": platform_only(),
    "admin:account_emailaddress_change": platform_only(make_email_address),
    "admin:account_emailaddress_delete": platform_only(make_email_address),
    "admin:account_emailaddress_history": platform_only(make_email_address),
    "admin/account/emailaddress/<path:object_id>/": platform_only(
        make_email_address, TO_CHANGE_PAGE
    ),
    "admin:mfa_authenticator_changelist": platform_only(),
    "admin:mfa_authenticator_add": platform_only(),
    "admin:mfa_authenticator_change": platform_only(make_authenticator),
    "admin:mfa_authenticator_delete": platform_only(make_authenticator),
    "admin:mfa_authenticator_history": platform_only(make_authenticator),
    "admin/mfa/authenticator/<path:object_id>/": platform_only(make_authenticator, TO_CHANGE_PAGE),
    # --- The API ---
    "api-root": api(),
    "api/v1/<drf_format_suffix:format>": api(values=FORMAT),
    "api-me": api(),
    # The API's own description holds no organisation's data.
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "member-list": api(),
    r"api/v1/members\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "member-detail": api(obj=make_member),  # The rep reads themself.
    r"api/v1/members/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(obj=make_member, values=FORMAT),
    "holiday-list": api(),
    r"api/v1/holidays\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "holiday-detail": api(obj=make_holiday),
    r"api/v1/holidays/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_holiday, values=FORMAT
    ),
    "time-off-list": api(),
    r"api/v1/time-off\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "time-off-detail": api(obj=make_time_off),
    r"api/v1/time-off/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_time_off, values=FORMAT
    ),
    "territory-list": api(),
    r"api/v1/territories\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    # A territory the rep does not work is outside what they see.
    "territory-detail": api(NOT_FOUND, obj=make_territory),
    r"api/v1/territories/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_FOUND, obj=make_territory, values=FORMAT
    ),
    "account-list": api(),
    r"api/v1/accounts\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "account-detail": api(NOT_FOUND, obj=make_account),
    r"api/v1/accounts/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_FOUND, obj=make_account, values=FORMAT
    ),
    # A command: POST only.
    "account-assign": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    r"api/v1/accounts/assign\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, values=FORMAT
    ),
    # Quotas: the rep reads their own, the manager their report's, the admin everyone's.
    "quota-list": api(),
    r"api/v1/quotas\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "quota-detail": api(obj=make_quota),
    r"api/v1/quotas/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(obj=make_quota, values=FORMAT),
    "quota-targets": api(obj=make_quota),
    r"api/v1/quotas/(?P<pk>[^/.]+)/targets\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_quota, values=FORMAT
    ),
    # Commands: POST only. The cross-tenant check POSTs to acknowledge globex's quota.
    "quota-publish": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    r"api/v1/quotas/publish\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, values=FORMAT
    ),
    "quota-acknowledge": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_quota),
    r"api/v1/quotas/(?P<pk>[^/.]+)/acknowledge\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_quota, values=FORMAT
    ),
    "sale-list": api(),
    r"api/v1/sales\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "sale-detail": api(obj=make_sale),
    r"api/v1/sales/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(obj=make_sale, values=FORMAT),
    "sale-bulk": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    r"api/v1/sales/bulk\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, values=FORMAT
    ),
    "attainment-list": api(),
    r"api/v1/attainment\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    # Action items: the rep reads the items they own or that are about them, the manager
    # their tree's, the admin everyone's (tests/accountability/test_api_action_items.py).
    "action-item-list": api(),
    r"api/v1/action-items\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "action-item-detail": api(obj=make_action_item),
    r"api/v1/action-items/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_action_item, values=FORMAT
    ),
    "action-item-complete": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_action_item),
    r"api/v1/action-items/(?P<pk>[^/.]+)/complete\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_action_item, values=FORMAT
    ),
    # Plan tasks: the rep reads their own, the manager their report's, the admin everyone's;
    # only the plan's member works it (tests/activities/test_api_tasks.py). Completing: POST.
    "task-list": api(),
    r"api/v1/tasks\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "task-detail": api(obj=make_plan_task),
    r"api/v1/tasks/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_plan_task, values=FORMAT
    ),
    "task-complete": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_plan_task),
    r"api/v1/tasks/(?P<pk>[^/.]+)/complete\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_plan_task, values=FORMAT
    ),
    # Activities: every member reads the types; the rep reads their own activities, the
    # manager their report's, the admin everyone's. Bulk logging is a command: POST only.
    "activity-type-list": api(),
    r"api/v1/activity-types\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "activity-type-detail": api(obj=make_activity_type),
    r"api/v1/activity-types/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_activity_type, values=FORMAT
    ),
    "activity-list": api(),
    r"api/v1/activities\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "activity-detail": api(obj=make_activity),
    r"api/v1/activities/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_activity, values=FORMAT
    ),
    "activity-bulk": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    r"api/v1/activities/bulk\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, values=FORMAT
    ),
    # Reviews: the rep reads their own once shared, the manager their report's, the admin
    # everyone's; starting, saving, sharing, acknowledging and correcting are POST or PATCH
    # (roles, drafts and stale versions in tests/accountability/test_api_reviews.py).
    "review-list": api(),
    r"api/v1/reviews\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "review-detail": api(obj=make_review),
    r"api/v1/reviews/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(obj=make_review, values=FORMAT),
    "review-share": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_review),
    r"api/v1/reviews/(?P<pk>[^/.]+)/share\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_review, values=FORMAT
    ),
    "review-acknowledge": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_review),
    r"api/v1/reviews/(?P<pk>[^/.]+)/acknowledge\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_review, values=FORMAT
    ),
    "review-correct": api(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_review),
    r"api/v1/reviews/(?P<pk>[^/.]+)/correct\.(?P<format>[a-z0-9]+)/?$": api(
        NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, obj=make_review, values=FORMAT
    ),
    # Review templates: every member reads every version (read only).
    "review-template-list": api(),
    r"api/v1/review-templates\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "review-template-detail": api(obj=make_review_template),
    r"api/v1/review-templates/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_review_template, values=FORMAT
    ),
    # Recognitions: read-only, the whole organisation's, as the leaderboard.
    "recognition-list": api(),
    r"api/v1/recognitions\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
    "recognition-detail": api(obj=make_recognition),
    r"api/v1/recognitions/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$": api(
        obj=make_recognition, values=FORMAT
    ),
    # Selling time: figures of the people the caller sees (reps themselves).
    "selling-time-list": api(),
    r"api/v1/selling-time\.(?P<format>[a-z0-9]+)/?$": api(values=FORMAT),
}


# --- Requesting a route ---------------------------------------------------------------------

PERSONAS = ("anonymous", "rep", "manager", "admin")


@dataclass
class World:
    acme: Org
    globex: Org
    sessions: dict[str, str]  # acme's people's session keys, by persona.

    def client(self, persona: str) -> Client:
        """A fresh client (no cookie left by another test) signed in as ``persona``."""
        client = Client()
        if persona in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """acme and globex with their people signed in, built once for the module in a
    transaction rolled back at its end; each test runs (and makes its objects) in a
    savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        acme, globex = build_org("acme"), build_org("globex")
        sessions = {
            persona: login(Client(), getattr(acme, persona)).session.session_key
            for persona in PERSONAS[1:]
        }
        yield World(acme, globex, sessions)
        transaction.set_rollback(True)


def row_for(route: Route) -> Row:
    row = EXPECTED.get(route.key)
    if row is None:
        pytest.fail(
            f"{route.key} (/{route.route}) is a new route: add a row to EXPECTED in "
            "tests/test_route_matrix.py saying what each persona gets."
        )
    if route.object_parameters and row.obj is None:
        pytest.fail(f"{route.key}: say which object its {route.object_parameters} name (obj=…)")
    return row


def url_for(route: Route, row: Row, org: Org) -> str:
    """The route's URL with ``org``'s object, checked to lead back to the route."""
    values = {**row.values}
    if row.obj is not None:
        with tenant_context(org.tenant):
            made = row.obj(org)
        if isinstance(made, dict):
            values |= made
        else:
            content_type = ContentType.objects.get_for_model(made)
            for name in route.object_parameters:
                values[name] = str(content_type.pk if name == "content_type_id" else made.pk)
    path = route.path(values)
    assert resolve(path).route == route.route, f"{route.key}: built {path}"
    return f"{path}?{row.query}" if row.query else path


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_every_route_answers_each_persona_as_the_table_says(route, world, db):
    row = row_for(route)
    url = url_for(route, row, world.acme)
    path = urlsplit(url).path
    found = {persona: answer_of(world.client(persona).get(url)) for persona in PERSONAS}
    wrong = [
        f"{persona} got {found[persona]}, expected {getattr(row, persona).for_path(path)}"
        for persona in PERSONAS
        if found[persona] != getattr(row, persona).for_path(path)
    ]
    assert not wrong, f"GET {url}: " + "; ".join(wrong)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=route_id)
def test_another_organisations_object_is_a_404_for_acmes_admin(route, world, db):
    row = row_for(route)
    url = url_for(route, row, world.globex)
    client = world.client("admin")
    response = client.post(url) if row.admin == NOT_ALLOWED else client.get(url)
    # A redirect deeper into the same object (the admin's ``<id>/`` to ``<id>/change/``)
    # says nothing yet: the page it leads to answers.
    for _ in range(3):
        if response.status_code != 302 or not response["Location"].startswith(url):
            break
        response = client.get(response["Location"])
    found = answer_of(response)
    assert found == row.foreign, f"{url} (globex's): {found}, expected {row.foreign}"


# --- The walk and the table stay honest -----------------------------------------------------


def test_the_walk_finds_pages_admin_api_and_allauth_routes():
    keys = {route.key for route in ROUTES}
    assert {
        "home",
        "tenancy:member_edit",
        "calendars:time_off_edit",
        "admin:autocomplete",
        "admin:territories_account_export",
        "admin/territories/account/<path:object_id>/",
        "member-detail",
        r"api/v1/members\.(?P<format>[a-z0-9]+)/?$",
        "account_login",
        "mfa_index",
    } <= keys
    assert {"tenancy:member_edit", "admin:territories_account_change", "member-detail"} <= {
        route.key for route in OBJECT_ROUTES
    }


def test_every_registered_model_admin_has_its_pages_in_the_walk():
    pages = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
        for model in django_admin.site._registry
        for page in ("changelist", "add", "change", "delete", "history")
    }
    assert len(pages) >= 50  # Guards against an empty registry.
    assert sorted(pages - {route.key for route in ROUTES}) == []


def test_each_route_has_its_own_key():
    keys = [route.key for route in ROUTES]
    assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_the_table_has_no_row_for_a_route_that_is_gone():
    assert sorted(set(EXPECTED) - {route.key for route in ROUTES}) == []
