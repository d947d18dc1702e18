"""API of the referential library: the five shipped referentials, ANSSI's 42 measures with their
mappings, the controls; any signed-in caller reads it, an anonymous one gets 401."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.frameworks.service import get_library
from hygie.org import accounts, tokens
from hygie.org.models import Role
from tests.factories import make_establishment
from tests.web.conftest import make_user


def _headers(session: Session) -> dict[str, str]:
    establishment = make_establishment(session)
    make_user(session, role=Role.AUDITOR, establishment_id=establishment.id)
    user = accounts.find_user(session, "rssi@chu-exemple.fr")
    secret, _row = tokens.create_api_token(session, user, "tests")
    return {"Authorization": f"Bearer {secret}"}


def test_lists_the_five_shipped_referentials(session: Session, client: TestClient) -> None:
    headers = _headers(session)
    body = client.get("/api/v1/frameworks", headers=headers).json()
    shipped = [r for r in body["items"] if r["origin"] == "shipped"]
    assert sorted(r["id"] for r in shipped) == ["anssi-hygiene", "care", "hicp", "hph-cpg", "nis2-art21"]
    anssi = next(r for r in shipped if r["id"] == "anssi-hygiene")
    assert anssi["requirement_count"] == 42 and anssi["provider"] == "ANSSI"
    assert client.get("/api/v1/frameworks").status_code == 401


def test_anssi_detail_has_its_42_measures_and_mappings(session: Session, client: TestClient) -> None:
    headers = _headers(session)
    response = client.get("/api/v1/frameworks/anssi-hygiene", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert len(body["requirements"]) == 42
    assert len({r["id"] for r in body["requirements"]}) == 42
    library = get_library()
    first = library.referentials["anssi-hygiene"].requirements[0]
    got = body["requirements"][0]
    assert got["id"] == first.id
    assert [m["control"] for m in got["mappings"]] == [m.control for m in first.mappings]
    assert all(m["control"] in library.controls for r in body["requirements"] for m in r["mappings"])
    missing = client.get("/api/v1/frameworks/iso-27001", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_controls_with_dimension_filter(session: Session, client: TestClient) -> None:
    headers = _headers(session)
    library = get_library()
    every = client.get("/api/v1/controls?limit=200", headers=headers).json()
    assert every["total"] == len(library.controls)
    assert [c["id"] for c in every["items"]] == [c.id for c in library.full_path()]
    governance = client.get("/api/v1/controls?dimension=governance&limit=200", headers=headers).json()
    expected = [c.id for c in library.full_path() if c.dimension == "governance"]
    assert [c["id"] for c in governance["items"]] == expected and expected
    assert client.get("/api/v1/controls?dimension=nothing", headers=headers).status_code == 422
