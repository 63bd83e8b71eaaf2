"""The plug-in points through which the domain apps add to the core.

The core (``spm/``) never imports or names a domain app: the apps depend on it, not the
other way round. Instead each app has a ``plugin.py`` module that the core imports at
start-up (``autodiscover_modules("plugin")`` in ``spm.web``'s ``AppConfig.ready()``, as
Django's admin does with ``admin.py``) and that fills these registries:

==================  =================================================================
``api_routes``      a function ``register(router)`` adding the app's viewsets
``nav_entries``     a ``NavEntry`` per sidebar link
``dashboard_cards`` a ``DashboardCard`` per card on a role's dashboard
``setup_steps``     a ``SetupStep`` per item of the admin's getting-started checklist
``seed_steps``      a ``SeedStep`` that adds the app's data to the demo organisation
``bench_suites``    a ``BenchSuite`` that adds the app's jobs to ``spm_bench``
==================  =================================================================

Page URLs are the one exception: the root URLconf ``include()``s each app's ``urls.py``.

Apps are discovered in ``INSTALLED_APPS`` order, which is the layer order (territories,
quotas, activities, accountability), so seed steps run after the data they build on and
entries appear in a stable order; ``order`` breaks ties where a place matters.

Recipe for a new app: create ``<app>/plugin.py`` and, in it, for example::

    plugins.nav_entries.register(NavEntry("quotas:index", "Quotas", "target", roles=ALL_ROLES))
    plugins.dashboard_cards.register(DashboardCard(roles={Role.REP}, template="quotas/_card.html", load=selectors.rep_card))
    plugins.seed_steps.register(SeedStep("quotas", demo.seed_quotas))
    plugins.bench_suites.register(BenchSuite("quotas", bench.prepare, clean_up=bench.clean_up))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

ALL_ROLES = frozenset({"admin", "manager", "rep"})


class Registry(Generic[T]):
    """An ordered list of plug-in entries, filled once at start-up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[T] = []

    def register(self, entry: T) -> T:
        """Add ``entry`` (idempotent: registering the same entry twice keeps one)."""
        if entry not in self._entries:
            self._entries.append(entry)
        return entry

    def unregister(self, entry: T) -> None:
        self._entries.remove(entry)

    def __iter__(self) -> Iterator[T]:
        entries = list(self._entries)
        if entries and hasattr(entries[0], "order"):
            entries.sort(key=lambda entry: entry.order)  # A stable sort keeps app order.
        return iter(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._entries)} entries>"


@dataclass(frozen=True)
class NavEntry:
    """A sidebar link to ``url_name``, shown to the members whose role is in ``roles``.

    ``section`` is ``"main"`` (the work pages) or ``"admin"`` (the Administration group).
    """

    url_name: str
    label: str
    icon: str
    roles: frozenset[str] = ALL_ROLES
    section: str = "main"
    order: int = 100

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))


@dataclass(frozen=True)
class DashboardCard:
    """A card on the dashboard of each role in ``roles``.

    ``load(tenant=, viewer=)`` reads what the card shows (with a fixed number of queries,
    whatever the size of the team) and returns it; the dashboard renders ``template`` with
    that value as ``card``. ``column`` is ``"main"`` (wide) or ``"side"``.
    """

    key: str
    template: str
    load: Callable[..., Any]
    roles: frozenset[str] = ALL_ROLES
    column: str = "main"
    order: int = 100

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))


@dataclass(frozen=True)
class SetupStep:
    """An item of the admin's getting-started checklist; ``is_done(tenant=)`` says if done."""

    title: str
    description: str
    url_name: str
    action: str
    is_done: Callable[..., bool]
    order: int = 100


@dataclass(frozen=True)
class SeedStep:
    """Adds an app's demo data to the organisation ``seed_demo`` builds.

    ``run(org=)`` receives the seeded organisation (``spm.demo.seed.SeededOrg``: its tenant,
    its admin, managers and reps). ``seed_demo`` calls every step in registration order
    (the layer order, so a step finds the data of the apps it builds on), inside the
    tenant's scope and inside its one transaction: a step that fails leaves nothing
    behind. Must be idempotent, like ``seed_demo`` itself.
    """

    app_label: str
    run: Callable[..., None]


@dataclass(frozen=True)
class BenchOption:
    """A size an app's bench suite needs, offered by ``spm_bench`` as ``--<name> N``.

    The core knows only the sizes every suite shares (reps, months); what an app builds
    (accounts, territories…) is the app's to declare. Values outside ``minimum``…
    ``maximum`` are refused before anything is built, with the reason given here.
    """

    name: str
    default: int
    help: str
    minimum: int = 1
    maximum: int | None = None
    minimum_reason: str = ""
    maximum_reason: str = ""


@dataclass(frozen=True)
class BenchSuite:
    """An app's part of ``spm_bench``.

    ``prepare(bench)`` adds the app's synthetic data to the bench organisation
    (``spm.demo.bench.BenchOrg``, inside its tenant's scope) and returns a
    ``spm.demo.bench.BenchPlan``: a few words on what it built, for the report, and its
    jobs as ``(name, run)`` pairs, where ``run()`` measures one job and returns its
    ``JobResult``. ``options`` are the sizes it reads from ``bench.sizes``.
    ``clean_up(tenant=)`` deletes the app's rows of the bench organisation before the core
    deletes the rest (suites are cleaned up in reverse order, the later layers first).
    """

    app_label: str
    prepare: Callable[..., Any]
    options: tuple[BenchOption, ...] = ()
    clean_up: Callable[..., None] | None = None


api_routes: Registry[Callable[[Any], None]] = Registry("api_routes")
nav_entries: Registry[NavEntry] = Registry("nav_entries")
dashboard_cards: Registry[DashboardCard] = Registry("dashboard_cards")
setup_steps: Registry[SetupStep] = Registry("setup_steps")
seed_steps: Registry[SeedStep] = Registry("seed_steps")
bench_suites: Registry[BenchSuite] = Registry("bench_suites")
