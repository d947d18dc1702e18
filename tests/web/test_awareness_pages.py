"""The awareness page: department table, trend chart, imports through the forms, read-only roles."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.awareness import service
from hygie.awareness.gophish import GophishResults
from hygie.awareness.models import RecordSource
from hygie.org.models import Role
from tests.awareness.test_gophish import RESULTS
from tests.awareness.test_service import recipients
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user


def _post(client: TestClient, est: int, path: str, files: dict[str, tuple[str, bytes, str]]) -> object:
    token = csrf_from(client.get(f"/e/{est}/awareness").text)
    return client.post(f"/e/{est}/awareness/{path}", data={"csrf_token": token}, files=files)


def test_department_table_and_trend(session: Session, client: TestClient) -> None:
    est = make_establishment(session).id
    make_user(session, role=Role.MANAGEMENT, establishment_id=est)
    spring = GophishResults(recipients("Urgences", 10, 5, 1), date(2026, 3, 10))
    autumn = GophishResults(recipients("Urgences", 10, 1, 4), date(2026, 10, 6))
    service.import_phishing(session, est, "Printemps", spring, source=RecordSource.GOPHISH_CSV)
    service.import_phishing(session, est, "Automne", autumn, source=RecordSource.GOPHISH_CSV)
    login(client)
    page = client.get(f"/e/{est}/awareness")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Sensibilisation</h1>" in html
    assert "Par service" in html and "Urgences" in html
    assert "-40 pts" in html and "+30 pts" in html  # click 50 % → 10 %, report 10 % → 40 %
    assert 'class="trend"' in html or "svg" in html
    assert "Importer une campagne GoPhish" not in html  # management reads only
    one = client.get(f"/e/{est}/awareness", params={"department": "Urgences"})
    assert "Évolution au fil des campagnes : Urgences" in one.text


def test_imports_through_the_forms(session: Session, client: TestClient) -> None:
    est = make_establishment(session).id
    make_user(session, role=Role.TECHNICIAN, establishment_id=est)
    login(client)
    assert "Importer une campagne GoPhish" in client.get(f"/e/{est}/awareness").text
    done = _post(
        client, est, "phishing/import", {"file": ("Colis - Results.csv", RESULTS.encode(), "text/csv")}
    )
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert "Campagne importée : Colis (7 destinataires)" in done.text  # type: ignore[attr-defined]
    bad = (
        "date;topic;format;department;staff_category;invited;completed\n2026-01-01;x;hologram;A;medical;1;1\n"
    )
    refused = _post(client, est, "trainings/import", {"file": ("f.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "ligne 2" in refused.text and "hologram" in refused.text  # type: ignore[attr-defined]
