"""What a signed-in page gets to render itself inside the layout (header, switcher, nav)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from hygie.core.i18n import gettext
from hygie.org.access import Principal
from hygie.org.models import Establishment, User
from hygie.web.deps import CurrentPrincipal, CurrentUser, Db, visible, visible_group_list
from hygie.web.registry import NavItem, group_items
from hygie.web.templating import render, request_language


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class NavGroupLink:
    """A heading of the nav: it links to its first entry and is current when one of them is."""

    label: str
    href: str
    current: bool
    links: list[NavLink]


@dataclass
class Layout:
    request: Request
    db: Session
    principal: Principal
    user: User

    @property
    def lang(self) -> str:
        return request_language(self.request)

    def _(self, message: str) -> str:
        return gettext(message, self.lang)

    def nav(self, establishment: Establishment | None) -> list[NavLink]:
        if establishment is None:
            return []
        items: list[NavItem] = self.request.app.state.nav
        path = self.request.url.path
        links = []
        for item in items:
            href = f"/e/{establishment.id}{item.path}"
            current = any(_within(path, f"/e/{establishment.id}", p) for p in (item.path, *item.also))
            links.append(NavLink(gettext(item.label, self.lang), href, current))
        return links

    def nav_groups(self, establishment: Establishment | None) -> list[NavGroupLink]:
        if establishment is None:
            return []
        items: list[NavItem] = self.request.app.state.nav
        links = dict(zip(items, self.nav(establishment), strict=True))
        groups = []
        for label, entries in group_items(items):
            members = [links[item] for item in entries]
            groups.append(
                NavGroupLink(
                    gettext(label, self.lang), members[0].href, any(m.current for m in members), members
                )
            )
        return groups

    def render(
        self, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
    ) -> HTMLResponse:
        """``template`` inside base.html; the establishment of the path (if any) is the current one."""
        establishment: Establishment | None = getattr(self.request.state, "establishment", None)
        values: dict[str, Any] = {
            "current_user": self.user,
            "establishments": visible(self.db, self.principal),
            "establishment": establishment,
            # The groups whose consolidated view the caller may open (a role on the group itself).
            "group_views": visible_group_list(self.db, self.principal),
            "current_group": getattr(self.request.state, "group", None),
            "nav": self.nav(establishment),
            "nav_groups": self.nav_groups(establishment),
        }
        values.update(context or {})
        return render(self.request, template, values, status_code=status_code)


def _within(path: str, base: str, item_path: str) -> bool:
    """``path`` is the item's page or below it; the establishment's own page ("") is current on
    itself only, not on every page below it."""
    href = base + item_path
    return path == href or (item_path != "" and path.startswith(href + "/"))


def page_layout(request: Request, db: Db, principal: CurrentPrincipal, user: CurrentUser) -> Layout:
    return Layout(request=request, db=db, principal=principal, user=user)


PageLayout = Annotated[Layout, Depends(page_layout)]
