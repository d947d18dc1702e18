"""API: Bearer tokens, isolation by establishment, pagination, one JSON error shape."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import ContentError, ImportRejectedError, Location, NotFoundError
from hygie.org import tokens
from hygie.org.models import AuditEntry, Role, User
from hygie.web.errors import describe
from tests.factories import make_establishment
from tests.web.conftest import login, make_app, make_user


def _bearer(session: Session, user: User) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, user, "tests")
    return {"Authorization": f"Bearer {secret}"}


def test_api_needs_a_bearer_token(client: TestClient, session: Session) -> None:
    user = make_user(session)
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json() == {
        "error": {"code": "unauthenticated", "message": "a valid API token is required", "details": []}
    }
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer hyg_wrong"}).status_code == 401
    response = client.get("/api/v1/me", headers=_bearer(session, user))
    assert response.status_code == 200
    assert response.json()["email"] == "rssi@chu-exemple.fr"


def test_a_session_cookie_does_not_open_the_api(client: TestClient, session: Session) -> None:
    make_user(session)
    login(client)
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me").status_code == 401  # cookies never authenticate /api: no CSRF there


def test_another_establishment_is_a_404_in_api_and_pages(client: TestClient, session: Session) -> None:
    mine = make_establishment(session, name="CH Mine")
    theirs = make_establishment(session, name="CH Theirs")
    user = make_user(session, role=Role.RSSI, establishment_id=mine.id)
    headers = _bearer(session, user)

    assert client.get(f"/api/v1/establishments/{mine.id}", headers=headers).json()["name"] == "CH Mine"
    hidden = client.get(f"/api/v1/establishments/{theirs.id}", headers=headers)
    missing = client.get("/api/v1/establishments/999999", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"

    login(client)
    assert client.get(f"/e/{mine.id}").status_code == 200
    page = client.get(f"/e/{theirs.id}")
    assert page.status_code == 404
    assert "CH Theirs" not in page.text
    assert "Page introuvable" in page.text


def test_establishments_are_paginated_and_filtered(client: TestClient, session: Session) -> None:
    names = ["CH Alpha", "CH Bravo", "CH Charlie"]
    visible = [make_establishment(session, name=n) for n in names]
    make_establishment(session, name="CH Aaa hidden")
    user = make_user(session)
    from hygie.org.accounts import grant_role

    for establishment in visible:
        grant_role(session, user, Role.AUDITOR, establishment_id=establishment.id)
    headers = _bearer(session, user)

    page = client.get("/api/v1/establishments?limit=1&offset=1", headers=headers).json()
    assert page["total"] == 3 and page["limit"] == 1 and page["offset"] == 1
    assert [e["name"] for e in page["items"]] == ["CH Bravo"]
    everything = client.get("/api/v1/establishments", headers=headers).json()
    assert [e["name"] for e in everything["items"]] == names
    assert everything["limit"] == 50
    assert client.get("/api/v1/establishments?offset=3", headers=headers).json()["items"] == []
    for bad in ("limit=0", "limit=201", "offset=-1"):
        error = client.get(f"/api/v1/establishments?{bad}", headers=headers)
        assert error.status_code == 422, bad
        assert error.json()["error"]["code"] == "validation_error"
        assert error.json()["error"]["details"][0]["field"] == "query." + bad.split("=")[0]
    assert client.get("/api/v1/establishments?limit=200", headers=headers).status_code == 200


def test_tokens_are_created_listed_revoked_and_audited(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = _bearer(session, user)
    created = client.post("/api/v1/me/tokens", json={"name": "backup script"}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("hyg_") and body["token"].startswith(body["prefix"])
    listed = client.get("/api/v1/me/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["tests", "backup script"]
    assert all("token" not in t for t in listed)

    invalid = client.post("/api/v1/me/tokens", json={"name": ""}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"][0]["field"] == "body.name"

    new_headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me", headers=new_headers).status_code == 200
    assert client.delete(f"/api/v1/me/tokens/{body['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=new_headers).status_code == 401
    assert client.delete("/api/v1/me/tokens/999999", headers=headers).status_code == 404
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["token.create", "token.revoke"]


def test_another_users_token_cannot_be_revoked(client: TestClient, session: Session) -> None:
    alice = make_user(session, "alice@chu-exemple.fr")
    bob = make_user(session, "bob@chu-exemple.fr")
    _secret, bobs = tokens.create_api_token(session, bob, "bob's")
    response = client.delete(f"/api/v1/me/tokens/{bobs.id}", headers=_bearer(session, alice))
    assert response.status_code == 404
    assert bobs.revoked_at is None


def test_domain_errors_map_to_one_shape() -> None:
    status, info = describe(NotFoundError("no asset 4"))
    assert (status, info.code, info.message) == (404, "not_found", "no asset 4")
    problems = [
        ContentError("unknown column 'ip'", Location("hosts.csv", 1, "ip")),
        ContentError("not a date", Location("hosts.csv", 7, "last_seen")),
    ]
    status, info = describe(ImportRejectedError("hosts.csv", problems))
    assert status == 422 and info.code == "import_rejected"
    assert [(d.file, d.line, d.field, d.message) for d in info.details] == [
        ("hosts.csv", 1, "ip", "unknown column 'ip'"),
        ("hosts.csv", 7, "last_seen", "not a date"),
    ]


def test_an_unexpected_error_is_a_500_without_internals(session: Session) -> None:
    app = make_app(session)
    broken = APIRouter()

    @broken.get("/api/v1/broken")
    def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.include_router(broken)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        response = client.get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internal detail" not in response.text
    assert "content-security-policy" in response.headers


def test_openapi_is_generated_under_api_v1(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "Hygie"
    assert "/api/v1/establishments/{establishment_id}" in spec["paths"]
    assert "/login" not in spec["paths"]  # pages are not API
    assert client.get("/api/v1/docs").status_code == 200
