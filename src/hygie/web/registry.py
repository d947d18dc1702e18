"""Where each domain plugs its API router, its pages router, its templates and its nav items.

A domain ``hygie.<name>`` with ``api.py`` (``router``: an ``APIRouter`` whose paths start with
``/api/v1``) and ``pages.py`` (``router``, and optionally ``NAV``: a tuple of ``NavItem``) is added
with one line in ``registered_domains()``. Its templates live in ``src/hygie/<name>/templates/<name>/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from hygie.core.i18n import N_

SCOPE_MARKER = "__hygie_establishment_scope__"
GROUP_SCOPE_MARKER = "__hygie_group_scope__"


@dataclass(frozen=True)
class NavItem:
    """An entry of the main nav, shown when an establishment is chosen.

    ``label`` is the English msgid (mark it with ``hygie.core.i18n.N_``); ``path`` is relative to
    ``/e/{establishment_id}`` (``"/dashboard"``); items are sorted by ``order``; ``also`` lists
    other paths of the domain whose pages highlight the entry (``("/obsolete",)``).
    """

    label: str
    path: str
    order: int = 100
    also: tuple[str, ...] = ()  # other paths (same form) under which the entry is the current one
    group: str | None = None  # the msgid of a group of NAV_GROUPS; None: the one listing its path


@dataclass(frozen=True)
class NavGroup:
    """A heading of the main nav and the paths of its entries, in the order they are shown."""

    label: str  # English msgid
    paths: tuple[str, ...]


# Thirteen entries do not fit on one line of a laptop: the nav shows these five headings, each with
# its entries under it (a dropdown, and a second row for the heading of the current page). An entry
# no group lists, and that names no group itself, goes under "More" at the end.
NAV_GROUPS = (
    NavGroup(N_("Assess"), ("/dashboard", "/assess", "")),
    NavGroup(N_("Find"), ("/assets", "/network", "/findings")),
    NavGroup(N_("Act"), ("/plan", "/awareness", "/reports")),
    NavGroup(N_("Monitor"), ("/vulnerabilities", "/alerts")),
    NavGroup(N_("Respond"), ("/incidents", "/continuity")),
)
OTHER_GROUP = N_("More")


def group_items(
    items: Iterable[NavItem], groups: Sequence[NavGroup] = NAV_GROUPS
) -> list[tuple[str, list[NavItem]]]:
    """The nav's entries under their headings, headings in the order of ``groups`` (empty ones left
    out), then "More" for the entries no group takes."""
    found: dict[str, list[NavItem]] = {g.label: [] for g in groups}
    rest: list[NavItem] = []
    placed = {path: g.label for g in groups for path in g.paths}
    rank = {path: i for g in groups for i, path in enumerate(g.paths)}
    for item in items:
        label = item.group if item.group in found else placed.get(item.path)
        (found[label] if label else rest).append(item)
    out = [
        (label, sorted(entries, key=lambda i: (rank.get(i.path, len(rank)), i.order, i.label)))
        for label, entries in found.items()
        if entries
    ]
    if rest:
        out.append((OTHER_GROUP, rest))
    return out


@dataclass(frozen=True)
class DomainWeb:
    name: str
    api: APIRouter | None = None
    pages: APIRouter | None = None
    templates: Path | None = None
    nav: tuple[NavItem, ...] = ()


def domain(name: str, api: ModuleType | None = None, pages: ModuleType | None = None) -> DomainWeb:
    """A domain's entry from its ``api`` and ``pages`` modules (either may be missing)."""
    templates = None
    if pages is not None and pages.__file__ is not None:
        folder = Path(pages.__file__).resolve().parent / "templates"
        templates = folder if folder.is_dir() else None
    return DomainWeb(
        name=name,
        api=getattr(api, "router", None),
        pages=getattr(pages, "router", None),
        templates=templates,
        nav=tuple(getattr(pages, "NAV", ())),
    )


def registered_domains() -> list[DomainWeb]:
    """Every domain with web routes. Imported here, not at module level: pages import the web package."""
    from hygie.assess import api as assess_api
    from hygie.assess import pages as assess_pages
    from hygie.assets import api as assets_api
    from hygie.assets import pages as assets_pages
    from hygie.awareness import api as awareness_api
    from hygie.awareness import pages as awareness_pages
    from hygie.continuity import api as continuity_api
    from hygie.continuity import pages as continuity_pages
    from hygie.detect import api as detect_api
    from hygie.detect import pages as detect_pages
    from hygie.frameworks import api as frameworks_api
    from hygie.group import api as group_api
    from hygie.group import pages as group_pages
    from hygie.incidents import api as incidents_api
    from hygie.incidents import pages as incidents_pages
    from hygie.network import api as network_api
    from hygie.network import pages as network_pages
    from hygie.org import api as org_api
    from hygie.org import pages as org_pages
    from hygie.plan import api as plan_api
    from hygie.plan import pages as plan_pages
    from hygie.reports import api as reports_api
    from hygie.reports import pages as reports_pages
    from hygie.vulns import api as vulns_api
    from hygie.vulns import pages as vulns_pages

    return [
        domain("org", org_api, org_pages),
        domain("frameworks", frameworks_api),
        domain("assess", assess_api, assess_pages),
        domain("assets", assets_api, assets_pages),
        domain("network", network_api, network_pages),
        domain("plan", plan_api, plan_pages),
        domain("continuity", continuity_api, continuity_pages),
        domain("reports", reports_api, reports_pages),
        domain("vulns", vulns_api, vulns_pages),
        domain("detect", detect_api, detect_pages),
        domain("awareness", awareness_api, awareness_pages),
        domain("incidents", incidents_api, incidents_pages),
        domain("group", group_api, group_pages),
    ]


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every ``APIRoute``, also those behind an included router (recent FastAPI keeps them nested).

    Domains give their routers full paths (``APIRouter(prefix=...)``) and ``create_app`` includes
    them without a prefix, so a nested route's own path is its real path.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from api_routes(nested.routes)


def unscoped_routes(app: FastAPI) -> list[str]:
    """Routes with ``{establishment_id}`` in their path that do not depend on ``establishment_scope``,
    and routes with ``{group_id}`` that do not depend on ``group_scope``."""
    missing = []
    for route in api_routes(app.routes):
        markers = [
            marker
            for param, marker in (("{establishment_id}", SCOPE_MARKER), ("{group_id}", GROUP_SCOPE_MARKER))
            if param in route.path
        ]
        for marker in markers:
            pending = list(route.dependant.dependencies)
            found = False
            while pending and not found:
                dependant = pending.pop()
                found = hasattr(dependant.call, marker)
                pending.extend(dependant.dependencies)
            if not found:
                missing.append(f"{','.join(sorted(route.methods or ()))} {route.path}")
    return missing
