"""Every write to organisations, memberships, invitations and API tokens.

Services take the tenant first and the acting user, validate, write inside one
transaction and append an ``AuditEvent`` for each change.
"""

import copy
import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from spm.calendars.signals import calendar_changed
from spm.inputs import LATEST_DATE

from .context import across_tenants, tenant_context
from .models import ApiToken, AuditEvent, Invitation, Membership, Role, Tenant
from .selectors import report_ids
from .tokens import digest_key, generate_key

User = get_user_model()


def audit(*, tenant: Tenant, actor, action: str, obj: Any, data: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "pk", "") or ""),
        data=data or {},
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def tenant_create(*, name: str, owner, timezone_name: str = "UTC", currency: str = "USD") -> Tenant:
    """Create an organisation with ``owner`` as its first admin (signup)."""
    tenant = Tenant(
        name=name.strip(), slug=_unique_slug(name), timezone=timezone_name, currency=currency
    )
    tenant.full_clean()
    tenant.save()
    with tenant_context(tenant):  # Its first rows belong to it, not to the signup request.
        membership = Membership.objects.create(
            tenant=tenant, user=owner, role=Role.ADMIN, start_date=tenant.today()
        )
        audit(tenant=tenant, actor=owner, action="tenant.created", obj=tenant)
        audit(
            tenant=tenant,
            actor=owner,
            action="membership.created",
            obj=membership,
            data={"role": Role.ADMIN},
        )
    return tenant


TENANT_SETTINGS = frozenset(
    {
        "name",
        "timezone",
        "currency",
        "work_week",
        "weekday_weights",
        "selling_target_pct",
        "fiscal_year_start_month",
        "prorate_time_off",
    }
)
WORK_WEEK_WITHOUT_WEIGHT = (
    "At least one day of the work week needs a weight above 0; with every work day at 0, "
    "no day could carry a target."
)


def tenant_settings_check(*, tenant: Tenant, **fields: Any) -> None:
    """Raise the ``ValidationError`` that ``tenant_update_settings`` would raise for these
    changes, per field; change nothing. Forms call it to show the verdict before saving.

    Rules: each setting's own (the model's validators), and a work week needs at least one
    weighted day: the weights spread a period's target over the work days, so a work week
    whose every day weighs 0 would have nowhere to put it.
    """
    unknown = set(fields) - TENANT_SETTINGS
    if unknown:
        raise ValueError(f"Not an organisation setting: {', '.join(sorted(unknown))}")
    # A copy: callers keep using ``tenant`` (it is the request's), whatever the verdict.
    candidate = copy.copy(tenant)
    for name, value in fields.items():
        setattr(candidate, name, value)
    errors: dict[str, list[ValidationError]] = {}
    try:
        candidate.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    # The work week and the weights are only compared once each is valid on its own.
    if not {"work_week", "weekday_weights"} & errors.keys() and not any(
        candidate.weights[day - 1] > 0 for day in candidate.work_week
    ):
        errors.setdefault("weekday_weights", []).append(ValidationError(WORK_WEEK_WITHOUT_WEIGHT))
    if errors:
        raise ValidationError(errors)


def tenant_update_settings(*, tenant: Tenant, actor, **fields: Any) -> Tenant:
    """Change an organisation's settings (timezone, work week, weights, targets…).

    Refuses, changing nothing, what ``tenant_settings_check`` refuses; audits what changed.
    """
    tenant_settings_check(tenant=tenant, **fields)
    changed = {name: value for name, value in fields.items() if getattr(tenant, name) != value}
    if not changed:
        return tenant
    for name, value in changed.items():
        setattr(tenant, name, value)
    with transaction.atomic():
        tenant.save(update_fields=list(changed))
        audit(
            tenant=tenant,
            actor=actor,
            action="tenant.settings_changed",
            obj=tenant,
            data={name: str(value) for name, value in changed.items()},
        )
        if CALENDAR_SETTINGS & changed.keys():
            # Work days and their weights are different from today on, for everyone.
            _send_calendar_changed_on_commit(
                tenant=tenant, member_ids=None, start=tenant.today(), end=LATEST_DATE
            )
    return tenant


# Settings that change who works on which day, and how a target spreads over the days.
CALENDAR_SETTINGS = frozenset({"work_week", "weekday_weights", "prorate_time_off"})


def _send_calendar_changed_on_commit(
    *, tenant: Tenant, member_ids: list[int] | None, start: dt.date, end: dt.date
) -> None:
    """Tell the apps, once the change has committed, that work days changed from
    ``start`` to ``end`` (both included) for ``member_ids`` (None: everyone), as the
    calendar services do for holidays and time off (``spm.calendars.signals``)."""
    transaction.on_commit(
        lambda: calendar_changed.send(
            sender=Tenant if member_ids is None else Membership,
            tenant=tenant,
            member_ids=member_ids,
            start=start,
            end=end,
        )
    )


def _employment_change(
    *, old: tuple[dt.date, dt.date | None], new: tuple[dt.date, dt.date | None]
) -> tuple[dt.date, dt.date] | None:
    """The span of days whose employment a change of ``(start_date, end_date)`` moved
    (an open end counts as the latest date the app accepts), or None if none did."""
    spans = []
    if old[0] != new[0]:
        spans.append((min(old[0], new[0]), max(old[0], new[0]) - dt.timedelta(days=1)))
    if old[1] != new[1]:
        ends = [LATEST_DATE if end is None else end for end in (old[1], new[1])]
        spans.append((min(ends) + dt.timedelta(days=1), max(ends)))
    if not spans:
        return None
    return min(start for start, _ in spans), max(end for _, end in spans)


def _check_manager(*, tenant: Tenant, member: Membership | None, manager: Membership | None):
    if manager is None:
        return
    if manager.tenant_id != tenant.pk:
        raise ValidationError({"manager": "Choose a manager from this organisation."})
    if manager.role not in (Role.MANAGER, Role.ADMIN):
        raise ValidationError({"manager": "A manager must have the manager or admin role."})
    if member is not None and member.pk is not None:
        if manager.pk == member.pk:
            raise ValidationError({"manager": "Nobody can report to themselves."})
        if manager.pk in report_ids(tenant=tenant, manager=member):
            raise ValidationError(
                {"manager": f"{manager.name} reports to {member.name}; that would be a loop."}
            )


@transaction.atomic
def _is_active_admin(*, role: str, start_date: dt.date, end_date: dt.date | None, today) -> bool:
    return role == Role.ADMIN and start_date <= today and (end_date is None or end_date >= today)


@transaction.atomic
def membership_update(*, tenant: Tenant, actor, member: Membership, **fields: Any) -> Membership:
    """Change a member's role, manager or employment dates, keeping the tree a tree.

    Invariants, also under concurrent requests: the organisation keeps at least one
    active admin (whatever the path: a role change, an end date in the past, two admins
    demoting each other at once), and reporting lines never loop. Changes to one
    organisation's members serialise on its row, so each check sees the other's result.
    """
    allowed = {"role", "manager", "start_date", "end_date"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not a membership field: {', '.join(sorted(unknown))}")
    if member.tenant_id != tenant.pk:
        raise Membership.DoesNotExist
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    member.refresh_from_db(fields=["role", "manager", "start_date", "end_date"])
    if "manager" in fields:
        _check_manager(tenant=tenant, member=member, manager=fields["manager"])
    if (
        fields.get("role") not in (None, Role.ADMIN, Role.MANAGER)
        and member.direct_reports.exists()
    ):
        raise ValidationError({"role": "Reassign this person's reports before making them a rep."})
    start_date = fields.get("start_date", member.start_date)
    end_date = fields.get("end_date", member.end_date)
    today = tenant.today()
    was_admin = _is_active_admin(
        role=member.role, start_date=member.start_date, end_date=member.end_date, today=today
    )
    stays_admin = _is_active_admin(
        role=fields.get("role", member.role), start_date=start_date, end_date=end_date, today=today
    )
    if was_admin and not stays_admin:
        others = (
            Membership.objects.filter(tenant=tenant, role=Role.ADMIN, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .exclude(pk=member.pk)
        )
        if not others.exists():
            field = "role" if fields.get("role", member.role) != Role.ADMIN else "end_date"
            raise ValidationError({field: "An organisation needs at least one admin."})
    if start_date is not None and end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "The last day cannot be before the first day."})
    changed = {name: value for name, value in fields.items() if getattr(member, name) != value}
    previous = {name: getattr(member, name) for name in changed}
    for name, value in changed.items():
        setattr(member, name, value)
    try:
        member.full_clean(exclude=["tenant", "user"])
    except ValidationError:
        # Leave the caller's instance as it was: nothing was saved.
        for name, value in previous.items():
            setattr(member, name, value)
        raise
    if changed:
        member.save(update_fields=list(changed))
        audit(
            tenant=tenant,
            actor=actor,
            action="membership.changed",
            obj=member,
            data={name: str(getattr(value, "pk", value)) for name, value in changed.items()},
        )
        moved = _employment_change(
            old=(
                previous.get("start_date", member.start_date),
                previous.get("end_date", member.end_date),
            ),
            new=(member.start_date, member.end_date),
        )
        if moved is not None:
            # The member's employed work days changed on those dates.
            _send_calendar_changed_on_commit(
                tenant=tenant, member_ids=[member.pk], start=moved[0], end=moved[1]
            )
    return member


def invitation_create(
    *,
    tenant: Tenant,
    actor,
    email: str,
    role: str,
    manager: Membership | None = None,
    start_date: dt.date | None = None,
) -> Invitation:
    """Invite ``email`` to join ``tenant``. One pending invitation per address."""
    email = User.objects.normalize_email(email).lower()
    if role not in Role.values:
        raise ValidationError({"role": "Choose admin, manager or rep."})
    _check_manager(tenant=tenant, member=None, manager=manager)
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {tenant.name}."})
    if Invitation.objects.filter(
        tenant=tenant, email=email, status=Invitation.Status.PENDING
    ).exists():
        raise ValidationError({"email": f"{email} already has a pending invitation."})
    invitation = Invitation(
        tenant=tenant,
        email=email,
        role=role,
        manager=manager,
        start_date=start_date or tenant.today(),
        invited_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.SPM_INVITATION_DAYS),
    )
    try:
        with transaction.atomic():
            invitation.save()
            audit(
                tenant=tenant,
                actor=actor,
                action="invitation.created",
                obj=invitation,
                data={"email": email, "role": role},
            )
    except IntegrityError as exc:  # A concurrent invitation for the same address won.
        raise ValidationError({"email": f"{email} already has a pending invitation."}) from exc
    return invitation


class InvitationInvalid(Exception):
    """The link is unknown, used, revoked or expired; the message says which.

    ``reason`` names the case (``unknown``, ``accepted``, ``revoked``, ``expired``,
    ``wrong_user``) so pages can answer "not found" apart from "gone".
    """

    def __init__(self, message: str, reason: str = "unknown") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def invitation_by_key(*, key: str) -> Invitation:
    """Find an invitation by its secret key, across tenants (the key selects the tenant)."""
    # Unscoped: the tenant is not known until the key has found the invitation.
    with across_tenants():
        invitation = (
            Invitation.all_tenants.select_related("tenant", "manager__user", "invited_by")
            .filter(key=key)
            .first()
        )
    if invitation is None:
        raise InvitationInvalid(
            "This invitation link is not valid. Check that you copied all of it."
        )
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationInvalid(
            "This invitation has already been accepted. Log in to continue.", reason="accepted"
        )
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationInvalid(
            "This invitation was withdrawn. Ask your administrator for a new one.",
            reason="revoked",
        )
    if invitation.is_expired:
        raise InvitationInvalid(
            "This invitation has expired. Ask your administrator for a new one.",
            reason="expired",
        )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Turn a pending invitation into a membership for ``user`` (whose email must match)."""
    # Across tenants: the invited user may be working in another organisation meanwhile,
    # and the membership, audit rows and invitation all belong to the invitation's.
    with across_tenants():
        locked = Invitation.all_tenants.select_for_update().get(pk=invitation.pk)
        if locked.status != Invitation.Status.PENDING or locked.is_expired:
            reason = "expired" if locked.status == Invitation.Status.PENDING else locked.status
            raise InvitationInvalid("This invitation can no longer be used.", reason=reason)
        if user.email.lower() != locked.email.lower():
            raise InvitationInvalid(
                f"This invitation is for {locked.email}; you are logged in as {user.email}.",
                reason="wrong_user",
            )
        tenant = locked.tenant
        # Unscoped, like the invitation: this tenant is not the active one yet.
        membership, created = Membership.all_tenants.get_or_create(
            tenant=tenant,
            user=user,
            defaults={
                "role": locked.role,
                "manager": locked.manager,
                "start_date": locked.start_date,
            },
        )
        locked.status = Invitation.Status.ACCEPTED
        locked.accepted_at = timezone.now()
        locked.membership = membership
        locked.save(update_fields=["status", "accepted_at", "membership"])
        audit(tenant=tenant, actor=user, action="invitation.accepted", obj=locked)
        if created:
            audit(
                tenant=tenant,
                actor=user,
                action="membership.created",
                obj=membership,
                data={"role": membership.role},
            )
        return membership


def invitation_accept_new_user(*, invitation: Invitation, name: str, password: str) -> Membership:
    """Create the invited person's account and accept the invitation, in one transaction.

    The invitation link reached the address, so it counts as verified: the address is
    recorded as the user's primary, verified email and no confirmation mail is sent.
    The password must already have passed the password validators.
    """
    email = invitation.email.lower()
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists() or (
                EmailAddress.objects.filter(email__iexact=email).exists()
            ):
                raise ValidationError(
                    {"__all__": f"An account for {email} already exists. Log in to accept."}
                )
            user = User.objects.create_user(email=email, password=password, name=name.strip())
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            return invitation_accept(invitation=invitation, user=user)
    except IntegrityError as exc:  # The same address signed up at the same moment.
        raise ValidationError(
            {"__all__": f"An account for {email} already exists. Log in to accept."}
        ) from exc


def invitation_revoke(*, tenant: Tenant, actor, invitation: Invitation) -> Invitation:
    updated = Invitation.objects.filter(
        tenant=tenant, pk=invitation.pk, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.REVOKED)
    if updated:
        invitation.status = Invitation.Status.REVOKED
        audit(tenant=tenant, actor=actor, action="invitation.revoked", obj=invitation)
    return invitation


def invitations_expire(*, tenant: Tenant) -> int:
    """Mark pending invitations past their expiry as expired. Idempotent; returns the count."""
    return Invitation.objects.filter(
        tenant=tenant, status=Invitation.Status.PENDING, expires_at__lte=timezone.now()
    ).update(status=Invitation.Status.EXPIRED)


def api_token_issue(*, tenant: Tenant, actor, membership: Membership, name: str = "") -> str:
    """Create an API token for ``membership`` and return its key; only the digest is kept."""
    if membership.tenant_id != tenant.pk:
        raise Membership.DoesNotExist
    key = generate_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            tenant=tenant,
            membership=membership,
            name=name,
            prefix=key[:8],
            digest=digest_key(key),
        )
        audit(tenant=tenant, actor=actor, action="api_token.issued", obj=token)
    return key


def api_token_revoke(*, tenant: Tenant, actor, token: ApiToken) -> bool:
    """Stop ``token`` from authenticating. Idempotent: returns whether it was still active."""
    if token.tenant_id != tenant.pk:
        raise ApiToken.DoesNotExist
    now = timezone.now()
    with transaction.atomic():
        updated = ApiToken.objects.filter(
            tenant=tenant, pk=token.pk, revoked_at__isnull=True
        ).update(revoked_at=now)
        if updated:
            token.revoked_at = now
            audit(tenant=tenant, actor=actor, action="api_token.revoked", obj=token)
    return bool(updated)
