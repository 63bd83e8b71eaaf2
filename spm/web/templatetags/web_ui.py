"""Small template helpers for the application shell: navigation items, icons, avatars."""

from django import template
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from spm import plugins

register = template.Library()


@register.simple_tag
def icon(name: str, extra_class: str = "") -> str:
    """An icon from the sprite in static/img/icons.svg, hidden from screen readers."""
    classes = f"icon {extra_class}".strip()
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        classes,
        static("img/icons.svg"),
        name,
    )


def is_active_path(path: str, href: str) -> bool:
    """The root page is active only on itself; any other item also on the pages below it."""
    if href == "/":
        return path == "/"
    return path == href or path.startswith(href.rstrip("/") + "/")


@register.inclusion_tag("partials/nav_item.html", takes_context=True)
def nav_item(context, url_name: str, label: str, icon_name: str, external: bool = False) -> dict:
    """One sidebar link, marked active (class and aria-current) when it holds the current page."""
    try:
        href = reverse(url_name)
    except NoReverseMatch:
        # A route that does not exist in this deployment simply has no nav item.
        return {"href": None}
    request = context.get("request")
    path = getattr(request, "path", "")
    return {
        "href": href,
        "label": label,
        "icon_name": icon_name,
        "active": is_active_path(path, href),
        "external": external,
    }


@register.simple_tag(takes_context=True)
def plugin_nav_entries(context, section: str) -> list[plugins.NavEntry]:
    """The apps' sidebar links of ``section`` that the active membership's role may see."""
    membership = context.get("membership")
    if membership is None:
        return []
    return [
        entry
        for entry in plugins.nav_entries
        if entry.section == section and membership.role in entry.roles
    ]


@register.filter
def initials(user) -> str:
    """Up to two initials from a user's name, or the first letter of their email."""
    name = (getattr(user, "name", "") or "").strip()
    if name:
        parts = name.split()
        letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
        return letters.upper()
    email = getattr(user, "email", "") or "?"
    return email[0].upper()


@register.filter
def role_badge_class(role: str) -> str:
    return f"badge badge-{role}" if role in {"admin", "manager", "rep"} else "badge"


@register.simple_tag
def date_range(start, end) -> str:
    """A compact inclusive range: "4 Mar 2026", "2–6 Mar 2026", "28 Feb – 3 Mar 2026"."""
    if start == end:
        return f"{start.day} {start:%b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


@register.filter
def days_until(day, today) -> str:
    """ "today", "tomorrow", "in 5 days" or "5 days ago" between two dates."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"
