"""The incidents' API and pages: open, clocks, forms, drafts, isolation, read-only roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import stix2
from fastapi.testclient import TestClient
from pymisp import MISPEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.incidents import api as incidents_api
from hygie.incidents import service
from hygie.incidents.models import ClockKind
from hygie.incidents.schemas import IndicatorIn, SentIn
from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Role
from tests.factories import make_establishment
from tests.incidents.conftest import open_ransomware
from tests.web.conftest import csrf_from, login, make_user


def _api(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def test_api_opens_an_incident_and_counts_its_clocks(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    headers = _api(session, "rssi@chu-exemple.fr")
    base = f"/api/v1/establishments/{establishment.id}/incidents"
    detected = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    body = {
        "title": "Déni de service sur le portail patients",
        "category": "ddos",
        "severity": "medium",
        "detected_at": detected.isoformat(),
        "patient_data": "no",
    }
    created = client.post(base, json=body, headers=headers)
    assert created.status_code == 201, created.text
    case = created.json()
    clocks = {c["kind"]: c for c in case["clocks"]}
    assert clocks["nis2_early_warning"]["status"] == "overdue"  # 24 h passed 6 h ago
    assert clocks["nis2_early_warning"]["remaining_seconds"] < -6 * 3600 + 60
    assert clocks["cnil"]["status"] == "not_applicable"
    assert "entre pas dans le champ" not in clocks["nis2_early_warning"]["assumption"]
    one = f"{base}/{case['id']}"
    assert (
        client.post(f"{one}/indicators", json={"value": "198.51.100.9"}, headers=headers).status_code == 201
    )
    sent = client.post(f"{one}/clocks/nis2_early_warning/sent", json={"reference": "R-1"}, headers=headers)
    assert {c["kind"]: c["status"] for c in sent.json()}["nis2_early_warning"] == "done"
    draft = client.get(f"{one}/clocks/nis2_notification/draft", headers=headers)
    assert draft.status_code == 200 and "198.51.100.9" in draft.text and "Déni de service" in draft.text
    listed = client.get(base, headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["title"] == body["title"]
    exported = client.get(f"{one}/export", headers=headers).json()
    assert exported["reports_sent"].keys() == {"nis2_early_warning"}
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "incident")))
    assert {
        "incident.open",
        "incident.indicator",
        "incident.report_sent",
        "incident.draft",
        "incident.export",
    } <= actions
    bad = client.post(base, json=body | {"detected_at": "2026-03-01T10:00:00"}, headers=headers)
    assert bad.status_code == 422  # a naive time is refused
    # An instant UTC cannot hold (year 1 at +01:00) is a 422 naming the field, not a 500 when stored.
    early = client.post(base, json=body | {"started_at": "0001-01-01T00:00:00+01:00"}, headers=headers)
    assert early.status_code == 422 and "started_at" in early.text and "out of range" in early.text
    moved = client.post(base, json=body | {"detected_at": "2026-03-01T10:00:00+01:00"}, headers=headers)
    assert moved.status_code == 201 and moved.json()["detected_at"].startswith("2026-03-01T09:00:00")


def test_another_establishments_incident_looks_missing(session: Session, client: TestClient) -> None:
    mine, other = make_establishment(session), make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, mine.id)
    foreign = open_ransomware(session, other.id)
    headers = _api(session, "rssi@chu-exemple.fr")
    response = client.get(f"/api/v1/establishments/{mine.id}/incidents/{foreign.id}", headers=headers)
    assert response.status_code == 404


def test_incident_page_shows_overdue_clocks_and_saves_forms(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    detected = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=40)
    case = open_ransomware(session, establishment.id, detected_at=detected, aware_at=detected)
    service.mark_sent(
        session, case, ClockKind.NIS2_EARLY_WARNING, SentIn(sent_at=detected + timedelta(hours=3)), "x"
    )
    login(client)
    page = client.get(f"/e/{establishment.id}/incidents/{case.id}")
    assert page.status_code == 200
    html = page.text
    assert "clock-banner" in html and "Signalement santé (CERT Santé)" in html  # overdue (24 h assumed)
    assert "en retard de 16 h" in html
    token = csrf_from(html)
    base = f"/e/{establishment.id}/incidents/{case.id}"
    saved = client.post(
        f"{base}/timeline", data={"text": "Appel du CERT Santé", "kind": "communication", "csrf_token": token}
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("#timeline")
    refused = client.post(f"{base}/indicators", data={"value": "abc", "kind": "sha256", "csrf_token": token})
    assert refused.status_code == 422 and "Rien n'a été enregistré" in refused.text
    sent = client.post(
        f"{base}/clocks/cert_sante/sent", data={"sent_at": "", "reference": "SIG-1", "csrf_token": token}
    )
    assert sent.status_code == 303
    again = client.get(base).text
    assert "Appel du CERT Santé" in again and "clock-banner" not in again
    listing = client.get(f"/e/{establishment.id}/incidents").text
    assert "Rançongiciel sur le PACS" in listing
    pdf = client.get(f"{base}/clocks/cert_sante/draft?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_open_form_and_management_reads_only(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    make_user(session, "dg@chu-exemple.fr", Role.MANAGEMENT, establishment.id)
    login(client)
    token = csrf_from(client.get(f"/e/{establishment.id}/incidents").text)
    opened = client.post(
        f"/e/{establishment.id}/incidents",
        data={
            "title": "Panne du DPI",
            "category": "outage",
            "severity": "high",
            "detected_at": "2026-10-25T02:30",
            "care_services": ["emergency", "pharmacy"],
            "csrf_token": token,
        },
    )
    assert opened.status_code == 303
    [case] = service.list_cases(session, establishment.id)
    # 02:30 on the night the clocks go back: the first one, summer time (00:30 UTC).
    assert case.detected_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert case.care_services == ["emergency", "pharmacy"]
    client.cookies.clear()
    login(client, "dg@chu-exemple.fr")
    page = client.get(f"/e/{establishment.id}/incidents/{case.id}").text
    assert "Panne du DPI" in page and 'method="post"' not in page.split("<main", 1)[1]


def test_the_establishment_sets_its_own_delay(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    case = open_ransomware(session, establishment.id)
    login(client)
    page = client.get(f"/e/{establishment.id}/incidents").text
    assert "Délais comptés par Hygie" in page
    saved = client.post(
        f"/e/{establishment.id}/incidents/deadlines",
        data={"clock": "cert_sante", "hours": "12", "note": "consigne ARS", "csrf_token": csrf_from(page)},
    )
    assert saved.status_code == 303
    sante = {c.kind: c for c in service.case_clocks(session, case)}[ClockKind.CERT_SANTE]
    assert sante.deadline == case.aware_at + timedelta(hours=12)
    refused = client.post(
        f"/e/{establishment.id}/incidents/deadlines",
        data={"clock": "nis2_final", "hours": "12", "csrf_token": csrf_from(page)},
    )
    assert refused.status_code == 422


def test_api_shares_the_case_and_imports_indicators(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    headers = _api(session, "rssi@chu-exemple.fr")
    case = open_ransomware(session, establishment.id)
    service.add_indicator(session, case, IndicatorIn(value="185.220.101.47", comment="C2"), "RSSI")
    url = f"/api/v1/establishments/{establishment.id}/incidents/{case.id}/export"
    stix = client.get(url, params={"format": "stix"}, headers=headers)
    assert stix.status_code == 200
    assert stix.headers["content-type"].startswith("application/stix+json")
    assert stix.headers["content-disposition"] == f'attachment; filename="incident-{case.id}-stix.json"'
    bundle = stix2.parse(stix.text, allow_custom=False)
    assert [o.pattern for o in bundle.objects if o.type == "indicator"] == [
        "[ipv4-addr:value = '185.220.101.47']"
    ]
    misp = client.get(url, params={"format": "misp", "tlp": "red"}, headers=headers)
    event = MISPEvent()
    event.load(misp.text)
    assert [t.name for t in event.tags] == ["tlp:red"]
    iris = client.get(url, params={"format": "iris"}, headers=headers)
    assert iris.status_code == 200
    assert iris.headers["content-disposition"].endswith('-iris.json"')
    assert client.get(url, headers=headers).json()["case"]["id"] == case.id
    assert client.get(url, params={"format": "docx"}, headers=headers).status_code == 422

    target = open_ransomware(session, establishment.id, title="Second")
    imported = f"/api/v1/establishments/{establishment.id}/incidents/{target.id}/indicators/import"
    files = {"file": ("bundle.json", stix.content, "application/json")}
    response = client.post(imported, files=files, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"source": "bundle.json", "added": 1, "duplicates": 0, "unread": []}
    again = client.post(imported, files=files, headers=headers).json()
    assert (again["added"], again["duplicates"]) == (0, 1)

    hostile = client.post(
        imported, files={"file": ("x.json", b'{"type": "bundle", "objects": 3}')}, headers=headers
    )
    assert hostile.status_code == 422
    assert "objects" in hostile.json()["error"]["message"]
    session.refresh(target)
    assert [i.value for i in target.indicators] == ["185.220.101.47"]
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(target.id))))
    assert actions.count("incident.indicators_import") == 2


def test_sharing_routes_keep_to_the_establishment(session: Session, client: TestClient) -> None:
    mine = make_establishment(session)
    other = make_establishment(session, name="CH Voisin", finess="690000880")
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, mine.id)
    headers = _api(session, "rssi@chu-exemple.fr")
    foreign = open_ransomware(session, other.id)
    base = f"/api/v1/establishments/{mine.id}/incidents/{foreign.id}"
    assert client.get(base + "/export", params={"format": "stix"}, headers=headers).status_code == 404
    files = {"file": ("b.json", b'{"type": "bundle", "objects": []}')}
    assert client.post(base + "/indicators/import", files=files, headers=headers).status_code == 404
    theirs = f"/api/v1/establishments/{other.id}/incidents/{foreign.id}/export"
    assert client.get(theirs, headers=headers).status_code in (403, 404)


def test_import_over_the_limit_is_413_and_adds_nothing(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    headers = _api(session, "rssi@chu-exemple.fr")
    case = open_ransomware(session, establishment.id)
    monkeypatch.setattr(incidents_api, "MAX_SHARED_FILE_BYTES", 100)
    event = {"Event": {"info": "x", "Attribute": [{"type": "domain", "value": "evil.example.org"}] * 5}}
    url = f"/api/v1/establishments/{establishment.id}/incidents/{case.id}/indicators/import"
    response = client.post(url, files={"file": ("e.json", str(event).encode())}, headers=headers)
    assert response.status_code == 413
    session.refresh(case)
    assert case.indicators == []


def test_incident_page_shares_and_imports(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "rssi@chu-exemple.fr", Role.RSSI, establishment.id)
    case = open_ransomware(session, establishment.id)
    service.add_indicator(session, case, IndicatorIn(value="evil.example.org"), "RSSI")
    target = open_ransomware(session, establishment.id, title="Second")
    login(client, "rssi@chu-exemple.fr")
    page = client.get(f"/e/{establishment.id}/incidents/{case.id}").text
    base = f"/e/{establishment.id}/incidents/{case.id}"
    for fmt in ("stix", "misp", "iris"):
        assert f'href="{base}/share?format={fmt}"' in page
    misp = client.get(base + "/share", params={"format": "misp"})
    assert misp.status_code == 200
    assert misp.headers["content-disposition"] == f'attachment; filename="incident-{case.id}-misp.json"'

    target_page = f"/e/{establishment.id}/incidents/{target.id}"
    token = csrf_from(client.get(target_page).text)
    files = {"file": ("event.json", misp.content, "application/json")}
    done = client.post(target_page + "/indicators/import", data={"csrf_token": token}, files=files)
    assert done.status_code == 200
    assert "event.json : 1 ajouté(s), 0 déjà présent(s), 0 non lu(s)." in done.text
    refused = client.post(
        target_page + "/indicators/import",
        data={"csrf_token": token},
        files={"file": ("bad.json", b"not json", "application/json")},
    )
    assert refused.status_code == 422
    assert "bad.json" in refused.text
    no_token = client.post(target_page + "/indicators/import", files=files)
    assert no_token.status_code in (400, 403)
    session.refresh(target)
    assert [i.value for i in target.indicators] == ["evil.example.org"]


def test_who_may_share_and_who_may_import(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "direction@chu-exemple.fr", Role.MANAGEMENT, establishment.id)
    make_user(session, "tech@chu-exemple.fr", Role.TECHNICIAN, establishment.id)
    case = open_ransomware(session, establishment.id)
    base = f"/e/{establishment.id}/incidents/{case.id}"
    login(client, "direction@chu-exemple.fr")  # may export, may not write
    page = client.get(base).text
    assert f'href="{base}/share?format=stix"' in page
    assert "/indicators/import" not in page
    response = client.post(
        base + "/indicators/import",
        data={"csrf_token": csrf_from(page)},
        files={"file": ("b.json", b'{"type": "bundle", "objects": []}', "application/json")},
    )
    assert response.status_code == 403
    client.cookies.clear()
    login(client, "tech@chu-exemple.fr")  # may write, may not export
    page = client.get(base).text
    assert "/share?format=" not in page
    assert f'action="{base}/indicators/import"' in page
    assert client.get(base + "/share", params={"format": "stix"}).status_code == 403
