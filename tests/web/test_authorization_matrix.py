"""Every route × every role × own/other establishment, generated from the app's routes.

The expectation comes from the code: the ``establishment_scope(Action.X)`` a route declares and
``org.access.PERMISSIONS``. With B's id (an establishment the caller has no role in) every role
gets a 404, never a 200 or a 403; with A's id a role whose permissions hold the action gets past the
check (anything but 401/403/404/5xx), the others get a 403. With A's id and an object of B in the
path ("mixed"), the object must look missing. A new route is covered as soon as it is registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hygie.core.settings import Settings
from hygie.core.time import today
from hygie.org import accounts, tokens
from hygie.org import service as org_service
from hygie.org.access import GROUP_VIEW_ROLES, PERMISSIONS, Action
from hygie.org.models import Role
from hygie.web.app import create_app
from hygie.web.registry import SCOPE_MARKER, api_routes
from tests.conftest import BACKENDS
from tests.web.conftest import PASSWORD, login, page_csrf
from tests.web.world import OTHER_NAME, OWNED_PARAMS, World, engine_for, signed_in, world_on

_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Reachable without an account: the sign-in (and single sign-on), the language switch, the static
# files (and the icon) and the API docs.
PUBLIC = (
    re.compile(r"^/$"),
    re.compile(r"^/login$"),
    re.compile(r"^/login/oidc(/callback)?$"),
    re.compile(r"^/logout$"),
    re.compile(r"^/lang/"),
    re.compile(r"^/static/"),
    re.compile(r"^/favicon\.ico$"),
    re.compile(r"^/api/v1/(openapi\.json|docs)$"),
)
# Minimal valid bodies for writes (JSON for /api, forms for pages); any other write gets an empty
# body, and its 422 still proves the authorisation check was passed (it runs before the body's).
JSON_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/establishments/{establishment_id}/actions/{action_id}"): {"status": "in_progress"},
    ("POST", "/api/v1/establishments/{establishment_id}/plan/optimise"): {"budget": 50_000},
    ("POST", "/api/v1/establishments/{establishment_id}/alerts/{alert_id}/triage"): {"status": "in_progress"},
    ("POST", "/api/v1/establishments/{establishment_id}/awareness/trainings"): {
        "held_on": "2026-06-01",
        "topic": "Matrice",
        "format": "classroom",
        "department": "Urgences",
        "staff_category": "nursing",
        "invited": 4,
        "completed": 3,
    },
}
FORMS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/e/{establishment_id}/plan/actions/{action_id}/status"): {"status": "in_progress"},
    ("POST", "/e/{establishment_id}/plan/adopt"): {"budget": "50000"},
    ("POST", "/e/{establishment_id}/alerts/{alert_id}/triage"): {"status": "in_progress", "note": "matrice"},
    ("POST", "/e/{establishment_id}/plan/actions/{action_id}"): {
        "status": "in_progress",
        "owner": "rssi",
        "due_date": (today() + timedelta(days=30)).isoformat(),
        "notes": "matrice",
    },
}
# Files sent with a write (multipart, beside the JSON body or the form above).
INVENTORY = b"Nom;Adresse IP;Type\nsrv-matrice;10.99.0.1;serveur\n"
TRAININGS = (
    b"date;topic;format;department;staff_category;invited;completed\n"
    b"2026-06-01;x;classroom;Urgences;nursing;4;3\n"
)
PHISHING = (
    b"id,status,ip,latitude,longitude,send_date,reported,modified_date,email,first_name,last_name,position\n"
    b"r1,Clicked Link,,0,0,2026-03-10T08:00:00Z,false,2026-03-10T08:00:00Z,a@m.fr,A,A,Urgences\n"
)
FILES: dict[tuple[str, str], dict[str, tuple[str, bytes, str]]] = {
    ("POST", "/api/v1/establishments/{establishment_id}/assets/import"): {
        "file": ("matrice.csv", INVENTORY, "text/csv")
    },
    ("POST", "/e/{establishment_id}/assets/import"): {"file": ("matrice.csv", INVENTORY, "text/csv")},
    ("POST", "/api/v1/establishments/{establishment_id}/awareness/trainings/import"): {
        "file": ("formations.csv", TRAININGS, "text/csv")
    },
    ("POST", "/e/{establishment_id}/awareness/trainings/import"): {
        "file": ("formations.csv", TRAININGS, "text/csv")
    },
    ("POST", "/api/v1/establishments/{establishment_id}/awareness/phishing/import"): {
        "file": ("Matrice - Results.csv", PHISHING, "text/csv")
    },
    ("POST", "/e/{establishment_id}/awareness/phishing/import"): {
        "file": ("Matrice - Results.csv", PHISHING, "text/csv")
    },
}


def scope_action(route: APIRoute) -> Action | None:
    """The action of the ``establishment_scope`` the route depends on (None: it has none)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        action = getattr(dependant.call, SCOPE_MARKER, None)
        if action is not None:
            return Action(action)
        pending.extend(dependant.dependencies)
    return None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    action: Action | None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _endpoints() -> list[Endpoint]:
    # Collected from the real app: a route registered by any domain lands in the matrix by itself.
    app = create_app(Settings(), session_factory=lambda: None)  # type: ignore[arg-type,return-value]
    found = {
        Endpoint(method, route.path, scope_action(route))
        for route in api_routes(app.routes)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    }
    return sorted(found, key=lambda e: (e.path, e.method))


ENDPOINTS = _endpoints()
SCOPED = [e for e in ENDPOINTS if "establishment_id" in e.params]
PRIVATE = [e for e in ENDPOINTS if not any(p.match(e.path) for p in PUBLIC)]
ROLES = list(Role)


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    engine = engine_for(request.param, _engines, tmp_path_factory.mktemp(request.param))
    with world_on(engine, tmp_path_factory.mktemp("home")) as built:
        yield built


@pytest.fixture(scope="module")
def clients(world: World) -> Iterator[dict[str, TestClient]]:
    """One API client (tokens per request) and one signed-in page client per role."""
    app = world.app()
    opened = {"api": TestClient(app, base_url="https://testserver", follow_redirects=False)}
    opened["anonymous"] = TestClient(app, base_url="https://testserver", follow_redirects=False)
    for role in ROLES:
        opened[role.value] = signed_in(app, role)
    yield opened
    for client in opened.values():
        client.close()


def _url(endpoint: Endpoint, values: dict[str, str]) -> str:
    missing = [p for p in endpoint.params if p not in values]
    assert not missing, f"{endpoint}: no sample value for {missing}: add one in tests/web/world.py _samples"
    return _PARAM.sub(lambda m: values[m.group(1)], endpoint.path)


def key_of(endpoint: Endpoint) -> tuple[str, str]:
    return endpoint.method, endpoint.path


def _call(
    clients: dict[str, TestClient], world: World, endpoint: Endpoint, role: Role | None, url: str
) -> Any:
    key = endpoint.method, endpoint.path
    if endpoint.is_api:
        client = clients["api"]
        headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role else {}
        if key in FILES:
            return client.request(endpoint.method, url, headers=headers, files=FILES[key])
        body = JSON_BODIES.get(key, {}) if endpoint.method in {"POST", "PUT", "PATCH"} else None
        return client.request(endpoint.method, url, headers=headers, json=body)
    client = clients[role.value if role else "anonymous"]
    if endpoint.method == "GET":
        return client.get(url)
    data = {**FORMS.get(key, {}), "csrf_token": page_csrf(client, "/login" if role is None else "/account")}
    return client.request(endpoint.method, url, data=data, files=FILES.get(key))


def _values(world: World, side: str) -> dict[str, str]:
    own, other = world.samples[world.a], world.samples[world.b]
    if side == "own":
        return {**own, "establishment_id": str(world.a)}
    if side == "other":
        return {**other, "establishment_id": str(world.b)}
    # mixed: A's establishment, B's objects
    return {**own, **{k: v for k, v in other.items() if k in OWNED_PARAMS}, "establishment_id": str(world.a)}


def _cases() -> Iterator[Any]:
    for endpoint in SCOPED:
        sides = ["own", "other"] + (["mixed"] if OWNED_PARAMS & set(endpoint.params) else [])
        for role in ROLES:
            for side in sides:
                yield pytest.param(endpoint, role, side, id=f"{endpoint}-{role.value}-{side}")


@pytest.mark.parametrize(("endpoint", "role", "side"), list(_cases()))
def test_establishment_route(
    world: World, clients: dict[str, TestClient], endpoint: Endpoint, role: Role, side: str
) -> None:
    assert endpoint.action is not None, f"{endpoint} has no establishment_scope"
    allowed = endpoint.action in PERMISSIONS[role]
    url = _url(endpoint, _values(world, side))
    with world.savepoint():
        response = _call(clients, world, endpoint, role, url)
    status = response.status_code
    where = f"{endpoint} as {role.value} ({side}: {url}) -> {status} {response.text[:300]}"
    if side == "other" or (side == "mixed" and allowed):
        # A write whose body we cannot fill is refused (422) before the handler looks the object up.
        unfilled = endpoint.method != "GET" and key_of(endpoint) not in JSON_BODIES | FORMS | FILES
        assert status == 404 or (side == "mixed" and unfilled and status == 422), where
        assert OTHER_NAME not in response.text, where
        if endpoint.is_api and status == 404:
            assert response.json()["error"]["code"] == "not_found", where
    elif not allowed:
        assert status == 403, where
    else:
        assert status < 500 and status not in {401, 403, 404}, where
        if 300 <= status < 400:
            assert not response.headers["location"].startswith("/login"), where


@pytest.mark.parametrize("endpoint", PRIVATE, ids=str)
def test_private_routes_need_a_caller(
    world: World, clients: dict[str, TestClient], endpoint: Endpoint
) -> None:
    # Authentication comes before any lookup: an id that exists nowhere does as well as a real one.
    values = {p: "1" for p in endpoint.params} | world.samples[world.a] | {"establishment_id": str(world.a)}
    url = _url(endpoint, values)
    with world.savepoint():
        response = _call(clients, world, endpoint, None, url)
    where = f"{endpoint} anonymous -> {response.status_code} {response.text[:300]}"
    if endpoint.is_api:
        assert response.status_code == 401, where
        assert response.json()["error"]["code"] == "unauthenticated", where
    else:
        assert response.status_code in {302, 303, 307}, where
        assert response.headers["location"].startswith("/login"), where


def test_the_matrix_sees_every_domain() -> None:
    # Guards the walk itself: if it stopped seeing included routers, the matrix would pass empty.
    paths = {e.path for e in SCOPED}
    assert "/api/v1/establishments/{establishment_id}/actions/{action_id}" in paths
    assert "/e/{establishment_id}/dashboard" in paths
    assert {e.action for e in SCOPED} >= {Action.READ, Action.WRITE, Action.EXPORT}


# --- Routes of a group's (GHT's) consolidated view ------------------------------------------------
# Only a role on the group itself opens them (org.access.require_group): the world's users, whose roles
# are in establishment A only, get a 404 on A's own group, as for a group that does not exist; a group's
# admin, RSSI, management and auditor get the view, its technician a 403 (it knows the group exists).

GROUP_SCOPED = [e for e in ENDPOINTS if "group_id" in e.params]
UNKNOWN_GROUP = "987654"


@dataclass
class GroupWorld:
    group_id: int
    tokens: dict[Role, str]
    clients: dict[Role, TestClient]


@pytest.fixture(scope="module")
def group_world(world: World) -> Iterator[GroupWorld]:
    session = world.session()
    establishment = org_service.get_establishment(session, world.a)
    if establishment.group_id is None:
        org_service.set_group(session, establishment, "GHT Matrice")
    group_id = establishment.group_id
    assert group_id is not None
    issued = {}
    for role in ROLES:
        user = accounts.create_user(
            session, f"groupe-{role.value}@matrice.test", f"Groupe {role.value}", PASSWORD
        )
        accounts.grant_role(session, user, role, group_id=group_id)
        issued[role], _row = tokens.create_api_token(session, user, "matrix")
    session.commit()
    session.close()
    app = world.app()
    clients = {}
    for role in ROLES:
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        login(client, f"groupe-{role.value}@matrice.test", PASSWORD)
        clients[role] = client
    yield GroupWorld(group_id, issued, clients)
    for client in clients.values():
        client.close()


def _group_url(endpoint: Endpoint, group_id: str) -> str:
    return _url(endpoint, {"group_id": group_id, "fmt": "html"})


def _group_call(client: TestClient, token: str, endpoint: Endpoint, url: str) -> Any:
    if endpoint.is_api:
        return client.get(url, headers={"Authorization": f"Bearer {token}"})
    return client.get(url)


def test_the_group_routes_are_found() -> None:
    assert {e.path for e in GROUP_SCOPED} >= {"/g/{group_id}", "/api/v1/groups/{group_id}"}
    assert all(e.method == "GET" for e in GROUP_SCOPED)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", GROUP_SCOPED, ids=str)
def test_an_establishment_role_never_opens_its_group(
    world: World, clients: dict[str, TestClient], group_world: GroupWorld, endpoint: Endpoint, role: Role
) -> None:
    for group_id in (str(group_world.group_id), UNKNOWN_GROUP):
        url = _group_url(endpoint, group_id)
        client = clients["api"] if endpoint.is_api else clients[role.value]
        response = _group_call(client, world.tokens[role], endpoint, url)
        where = (
            f"{endpoint} as {role.value} of A only ({url}) -> {response.status_code} {response.text[:300]}"
        )
        assert response.status_code == 404, where
        assert OTHER_NAME not in response.text, where
        if endpoint.is_api:
            assert response.json()["error"]["code"] == "not_found", where


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", GROUP_SCOPED, ids=str)
def test_a_group_role_opens_its_group_only(
    world: World, clients: dict[str, TestClient], group_world: GroupWorld, endpoint: Endpoint, role: Role
) -> None:
    client = clients["api"] if endpoint.is_api else group_world.clients[role]
    token = group_world.tokens[role]
    url = _group_url(endpoint, str(group_world.group_id))
    response = _group_call(client, token, endpoint, url)
    where = f"{endpoint} as the group's {role.value} ({url}) -> {response.status_code} {response.text[:300]}"
    if role in GROUP_VIEW_ROLES:
        assert response.status_code == 200, where
    else:
        assert response.status_code == 403, where
    # B is in no group of A's: its name never shows.
    assert OTHER_NAME not in response.text, where
    missing = _group_call(client, token, endpoint, _group_url(endpoint, UNKNOWN_GROUP))
    assert missing.status_code == 404, f"{endpoint} as the group's {role.value}, unknown group"
