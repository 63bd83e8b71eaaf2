"""Territory pages outside the admin: a member's own territories and the balance report.

Territories and accounts are assigned in the admin site; these pages only read. Views
parse and authorise, call selectors, and render. Another organisation's objects never
reach a query: every selector filters by the active tenant.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.text import slugify

from spm.tenancy.models import Role
from spm.tenancy.views import role_required
from spm.web.exports import csv_download

from . import selectors
from .models import Account, TerritoryMember
from .tree import tree_order

ACCOUNTS_PER_PAGE = 50

# Sort keys people may ask for, and the columns behind them. The primary key breaks ties
# so that pagination is stable.
ACCOUNT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "pk"),
    "potential": ("annual_potential", "name", "pk"),
    "industry": ("industry", "name", "pk"),
    "territory": ("territory__name", "name", "pk"),
}
DEFAULT_SORT = "name"


@dataclass(frozen=True)
class AccountQuery:
    """The search, filter and sort of the accounts table, as read from the query string."""

    search: str = ""
    territory_id: int | None = None
    sort: str = DEFAULT_SORT
    descending: bool = False

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    @property
    def is_filtered(self) -> bool:
        return bool(self.search or self.territory_id)

    def order_by(self) -> list[str]:
        prefix = "-" if self.descending else ""
        return [f"{prefix}{column}" for column in ACCOUNT_SORTS[self.sort]]


def parse_account_query(params, *, allowed_territory_ids: set[int]) -> AccountQuery:
    """Read ``q``, ``territory`` and ``sort``. An unknown sort key falls back to name.

    A territory that is not among ``allowed_territory_ids`` (another organisation's,
    or one the member does not work) is a 404, like any object outside what they see.
    """
    search = params.get("q", "").strip()[: selectors.ACCOUNT_SEARCH_MAX_LENGTH]
    raw_sort = params.get("sort", "").strip()
    descending = raw_sort.startswith("-")
    sort = raw_sort.removeprefix("-")
    if sort not in ACCOUNT_SORTS:
        sort, descending = DEFAULT_SORT, False

    territory_id = None
    raw_territory = params.get("territory", "").strip()
    if raw_territory:
        if not raw_territory.isdigit() or int(raw_territory) not in allowed_territory_ids:
            raise Http404("No such territory among yours.")
        territory_id = int(raw_territory)
    return AccountQuery(search=search, territory_id=territory_id, sort=sort, descending=descending)


def filter_accounts(accounts: QuerySet[Account], query: AccountQuery) -> QuerySet[Account]:
    accounts = selectors.account_search(accounts, query.search)
    if query.territory_id:
        accounts = accounts.filter(territory_id=query.territory_id)
    return accounts.order_by(*query.order_by())


def sort_columns(query: AccountQuery) -> dict[str, dict]:
    """For each sortable column: the ``sort`` value its header links to, and its state.

    Clicking the column the table is sorted by reverses it; another column starts
    ascending, except potential, which people want largest first.
    """
    columns = {}
    for key in ACCOUNT_SORTS:
        if key == query.sort:
            direction = "descending" if query.descending else "ascending"
            next_param = key if query.descending else f"-{key}"
        else:
            direction = None
            next_param = f"-{key}" if key == "potential" else key
        columns[key] = {"param": next_param, "direction": direction}
    return columns


def _admin_territories_url() -> str:
    try:
        return reverse("admin:territories_territory_changelist")
    except NoReverseMatch:
        return reverse("admin:index")


@role_required(Role.ADMIN, Role.MANAGER, Role.REP)
def mine(request: HttpRequest) -> HttpResponse:
    """The member's territories active today and, below, the accounts in them."""
    tenant, viewer = request.tenant, request.membership
    today = tenant.today()

    links: list[TerritoryMember] = list(
        selectors.active_territory_members(tenant=tenant, on=today)
        .filter(member=viewer)
        .order_by("territory__name", "start_date")
    )
    stats = {
        territory.pk: territory
        for territory in selectors.territories_of_member(tenant=tenant, member=viewer, on=today)
    }
    territory_ids = {link.territory_id for link in links}
    query = parse_account_query(request.GET, allowed_territory_ids=territory_ids)

    accounts = filter_accounts(
        selectors.accounts_visible_to(tenant=tenant, viewer=viewer, on=today).filter(
            territory_id__in=territory_ids
        ),
        query,
    )
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))

    context = {
        "today": today,
        "page": page,
        "query": query,
        "columns": sort_columns(query),
        "has_territories": bool(links),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "territories/_accounts_table.html", context)

    territories = [
        {
            "link": link,
            "territory": link.territory,
            "account_count": stats[link.territory_id].account_count
            if link.territory_id in stats
            else 0,
            "total_potential": stats[link.territory_id].total_potential
            if link.territory_id in stats
            else Decimal("0.00"),
        }
        for link in links
    ]
    context |= {
        "territories": territories,
        "territory_choices": sorted(
            {link.territory for link in links}, key=lambda territory: territory.name
        ),
        "total_accounts": sum(row["account_count"] for row in territories),
        "total_potential": sum((row["total_potential"] for row in territories), Decimal("0.00")),
        "admin_url": _admin_territories_url() if viewer.is_admin else None,
    }
    return render(request, "territories/mine.html", context)


# --- Balance report ---------------------------------------------------------------------


def _tree_order(rows: list[selectors.BalanceRow]) -> list[selectors.BalanceRow]:
    """Rows with each parent followed by its children (alphabetical within a level).

    A territory whose parent is not in the report (inactive) is shown at the top level.
    """
    ordered = tree_order(
        rows,
        key=lambda row: row.territory.pk,
        parent=lambda row: row.territory.parent_id,
        sort_key=lambda row: row.territory.name.lower(),
    )
    for row, depth in ordered:
        row.depth = depth
    return [row for row, _ in ordered]


def balance_status(row: selectors.BalanceRow) -> str:
    """One word for a row: ``no_owner``, ``over``, ``under`` or ``balanced``."""
    if not row.owners:
        return "no_owner"
    if row.flagged:
        return "over" if row.deviation_pct > 0 else "under"
    return "balanced"


STATUS_LABELS = {
    "no_owner": "No owner",
    "over": "Over-loaded",
    "under": "Under-loaded",
    "balanced": "Within range",
}


BALANCE_COLUMNS = [
    "territory",
    "parent",
    "accounts",
    "total_potential",
    "owners",
    "potential_per_owner",
    "deviation_pct",
    "status",
]


def _balance_csv(rows: list[selectors.BalanceRow], *, tenant, today) -> HttpResponse:
    names = {row.territory.pk: row.territory.name for row in rows}
    lines = (
        [
            row.territory.name,
            names.get(row.territory.parent_id, ""),
            row.account_count,
            row.total_potential.quantize(Decimal("0.01")),
            "; ".join(owner.name for owner in row.owners),
            None
            if row.potential_per_owner is None
            else row.potential_per_owner.quantize(Decimal("0.01")),
            None
            if row.deviation_pct is None
            else Decimal(row.deviation_pct).quantize(Decimal("0.1")),
            STATUS_LABELS[balance_status(row)],
        ]
        for row in rows
    )
    filename = f"territory-balance-{slugify(tenant.slug)}-{today:%Y-%m-%d}.csv"
    return csv_download(filename, BALANCE_COLUMNS, lines)


@role_required(Role.ADMIN, Role.MANAGER)
def balance(request: HttpRequest) -> HttpResponse:
    """Potential per owner in every active territory, against the organisation's mean."""
    tenant = request.tenant
    today = tenant.today()
    rows, mean = selectors.territory_balance(tenant=tenant, on=today)
    rows = _tree_order(rows)
    if request.GET.get("format") == "csv":
        return _balance_csv(rows, tenant=tenant, today=today)

    report = [{"row": row, "status": balance_status(row)} for row in rows]
    charted = [row for row in rows if row.potential_per_owner is not None]
    chart = {
        "labels": [row.territory.name for row in charted],
        "values": [str(row.potential_per_owner) for row in charted],
        "flagged": [row.flagged for row in charted],
        "mean": None if mean is None else str(mean),
        "currency": tenant.currency,
    }
    counts = {status: 0 for status in STATUS_LABELS}
    for item in report:
        counts[item["status"]] += 1
    context = {
        "today": today,
        "report": report,
        "mean": mean,
        "tolerance": selectors.BALANCE_TOLERANCE_PCT,
        "upper": None if mean is None else mean * (1 + selectors.BALANCE_TOLERANCE_PCT / 100),
        "lower": None if mean is None else mean * (1 - selectors.BALANCE_TOLERANCE_PCT / 100),
        "counts": counts,
        "chart": chart,
        "admin_url": _admin_territories_url() if request.membership.is_admin else None,
    }
    return render(request, "territories/balance.html", context)
