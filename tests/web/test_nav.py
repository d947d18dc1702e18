"""The main nav in groups: every entry under one heading, each page showing its heading and its
own entry as current (second row), the other headings' entries in CSS dropdowns, no script."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.org.models import Role
from hygie.web.registry import NAV_GROUPS, OTHER_GROUP, NavGroup, NavItem, group_items
from tests.factories import make_establishment
from tests.web.conftest import login, make_user


def test_every_entry_of_the_app_has_a_heading_and_none_is_left_over(app: FastAPI) -> None:
    items: list[NavItem] = app.state.nav
    grouped = group_items(items)
    assert [label for label, _ in grouped] == [g.label for g in NAV_GROUPS]  # no "More"
    assert sorted(i.path for _, entries in grouped for i in entries) == sorted(i.path for i in items)
    assert max(len(entries) for _, entries in grouped) <= 4


def test_an_entry_no_group_lists_goes_under_more_and_one_may_choose_its_group() -> None:
    groups = (NavGroup("Find", ("/assets", "/network")),)
    items = [
        NavItem("Network", "/network", order=27),
        NavItem("Inventory", "/assets", order=25),
        NavItem("Radio", "/radio", order=5),
        NavItem("Maps", "/maps", order=99, group="Find"),
    ]
    assert [(label, [i.path for i in entries]) for label, entries in group_items(items, groups)] == [
        ("Find", ["/assets", "/network", "/maps"]),  # the group's order, then the others by order
        (OTHER_GROUP, ["/radio"]),
    ]


def _nav(html: str) -> str:
    found = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)
    assert found, "no main nav"
    return found.group(0)


def test_each_page_shows_its_heading_and_its_entry_as_current(
    session: Session, client: TestClient, app: FastAPI
) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    login(client)
    base = f"/e/{establishment.id}"
    for label, entries in group_items(app.state.nav):
        for item in entries:
            page = client.get(f"{base}{item.path}?lang=en", follow_redirects=True)
            assert page.status_code == 200, (item.path, page.status_code)
            nav = _nav(page.text)
            assert "style=" not in nav and "<script" not in nav
            current_groups = re.findall(
                r'<a class="nav-group-link" href="[^"]+" aria-current="true">([^<]+)</a>', nav
            )
            assert current_groups == [label], item.path
            current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', nav)
            # a label is escaped in the page ("ATT&amp;CK coverage")
            assert [(href, html.unescape(text)) for href, text in current] == [
                (f"{base}{item.path}", item.label)
            ], item.path
            # the second row lists the current heading's entries; the others drop down
            second = re.search(r'<ul class="nav-sub">(.*?)</ul>', nav, re.S)
            assert second and re.findall(r'href="([^"]+)"', second.group(1)) == [
                f"{base}{i.path}" for i in entries
            ]
            assert nav.count('<ul class="nav-menu">') == len(NAV_GROUPS) - 1


def test_a_heading_links_to_its_first_entry_and_lists_the_others(
    session: Session, client: TestClient
) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    login(client)
    nav = _nav(client.get(f"/e/{establishment.id}/dashboard?lang=fr").text)
    assert re.findall(r'<a class="nav-group-link" href="[^"]+"[^>]*>([^<]+)</a>', nav) == [
        "Évaluer",
        "Trouver",
        "Agir",
        "Surveiller",
        "Répondre",
    ]
    find = re.search(r'href="([^"]+)"[^>]*>Trouver</a>\s*<ul class="nav-menu">(.*?)</ul>', nav, re.S)
    assert find and find.group(1) == f"/e/{establishment.id}/assets"
    assert re.findall(r">([^<]+)</a>", find.group(2)) == ["Inventaire", "Réseau", "Faiblesses"]
