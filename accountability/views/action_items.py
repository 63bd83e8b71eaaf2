"""The "My action items" page and its actions (DESIGN 4.6).

Everyone opens their own page: what they owe (overdue, due soon, later, done recently)
and what others owe them (open items about them owned by someone else; for managers,
the open items their reporting tree owns). Adding, completing, dropping and reopening go
through ``accountability.services.action_items``, which decides who may; a refusal is a
403 for an item the caller sees, a 404 for one they do not (another organisation's
included).

htmx gets the lists block back (``accountability/_action_items.html``), swapped in place;
a plain form is redirected to the page, so everything works without JavaScript.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from spm.tenancy.models import Membership, Role
from spm.tenancy.versioning import StaleVersion
from spm.tenancy.views import role_required

from ..selectors import action_items as selectors
from ..services import action_items as services

EVERYONE = (Role.ADMIN, Role.MANAGER, Role.REP)


def _id(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value.isdigit() or not 0 < int(value) < 2**63:
        return None
    return int(value)


def _version(request: HttpRequest) -> int | None:
    return _id(request.POST.get("version"))


def _context(request: HttpRequest, *, notice: str = "", errors=None, added=None) -> dict:
    tenant, viewer = request.tenant, request.membership
    page = selectors.action_items_page(tenant=tenant, viewer=viewer)
    members = selectors.member_choices(tenant=tenant, viewer=viewer)
    owners = selectors.owner_choices(tenant=tenant, members=members)
    # A rep (about themselves) owns what they add; a manager picks within the services' rule.
    choices = []
    for member in members:
        allowed = (
            [viewer] if member.pk == viewer.pk and viewer.role == Role.REP else owners[member.pk]
        )
        choices.append((member, allowed))
    owner_options = {}
    for _member, allowed in choices:
        for person in allowed:
            owner_options[person.pk] = person
    return {
        "page": page,
        "viewer": viewer,
        "choices": choices,
        "owner_options": sorted(
            owner_options.values(), key=lambda p: (p.pk != viewer.pk, p.name.lower())
        ),
        "notice": notice,
        "errors": errors or {},
        "added": added or {},
        "min_date": page.today.isoformat(),
        "default_due": (page.today + dt.timedelta(days=7)).isoformat(),
    }


def _answer(request: HttpRequest, *, notice: str = "", problem: str = "") -> HttpResponse:
    if request.htmx:
        context = _context(request, notice=notice, errors={"general": [problem]} if problem else {})
        return render(
            request, "accountability/_action_items.html", context, status=400 if problem else 200
        )
    if problem:
        messages.error(request, problem)
    elif notice:
        messages.success(request, notice)
    return redirect(reverse("accountability:action_items"))


@role_required(*EVERYONE)
def action_items(request: HttpRequest) -> HttpResponse:
    return render(request, "accountability/action_items.html", _context(request))


@role_required(*EVERYONE)
@require_POST
def action_item_add(request: HttpRequest) -> HttpResponse:
    """Add an item about a member one may add for, owned by someone the services allow."""
    tenant, viewer = request.tenant, request.membership
    posted = {key: request.POST.get(key, "") for key in ("member", "owner", "title", "due_date")}
    errors: dict[str, list[str]] = {}
    people = {
        person.pk: person
        for person in Membership.objects.filter(
            tenant=tenant,
            pk__in=[i for i in (_id(posted["member"]), _id(posted["owner"])) if i is not None],
        )
    }
    member = people.get(_id(posted["member"]))
    owner = people.get(_id(posted["owner"]))
    if member is None:
        errors["member"] = ["Choose whom the item is about."]
    if owner is None:
        errors["owner"] = ["Choose who will do it."]
    try:
        due = dt.date.fromisoformat(posted["due_date"].strip())
    except ValueError:
        errors["due_date"] = ["Give the due date as YYYY-MM-DD."]
        due = None
    if not errors:
        try:
            item = services.action_item_create(
                tenant=tenant,
                actor=viewer,
                member=member,
                owner=owner,
                title=posted["title"],
                due_date=due,
            )
        except PermissionDenied as refusal:
            errors["general"] = [str(refusal)]
        except ValidationError as error:
            errors.update(error.message_dict)
            if "__all__" in errors:
                errors["general"] = errors.pop("__all__")
        else:
            return _answer(request, notice=f"Added “{item.title}”.")
    context = _context(request, errors=errors, added=posted)
    return render(request, "accountability/action_items.html", context, status=400)


def _item(request: HttpRequest, pk: int):
    item = selectors.visible_action_item(tenant=request.tenant, viewer=request.membership, pk=pk)
    if item is None:
        raise Http404("No such action item.")
    return item


def _act(request: HttpRequest, pk: int, write, done: str) -> HttpResponse:
    item = _item(request, pk)
    try:
        saved = write(
            tenant=request.tenant, actor=request.membership, item=item, version=_version(request)
        )
    except StaleVersion as stale:
        return _answer(request, problem=f"“{stale.current.title}”: {stale.message}")
    except ValidationError as error:
        return _answer(request, problem=" ".join(error.messages))
    return _answer(request, notice=done.format(title=saved.title))


@role_required(*EVERYONE)
@require_POST
def action_item_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the owner marks the item done."""
    return _act(request, pk, services.action_item_complete, "Done: “{title}”.")


@role_required(*EVERYONE)
@require_POST
def action_item_drop(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.action_item_drop, "Dropped “{title}”.")


@role_required(*EVERYONE)
@require_POST
def action_item_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.action_item_reopen, "Reopened “{title}”.")
