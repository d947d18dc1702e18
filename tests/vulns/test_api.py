"""API of the audit: a scan against the installed snapshot (and the clear error without one), the
results in order with each filter, one result with its decision and its finding, the obsolete
systems, the snapshot's status, and establishments kept apart."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.org.models import AuditEntry, Role
from tests.factories import make_establishment
from tests.vulns.web_support import ORDER, Hospital, hospital, snapshot_home, with_snapshot
from tests.web.conftest import make_app

__all__ = ["snapshot_home", "with_snapshot"]  # fixtures


@pytest.fixture
def client(session: Session, with_snapshot: Path) -> TestClient:
    return TestClient(make_app(session), base_url="https://testserver")


def _base(h: Hospital) -> str:
    return f"/api/v1/establishments/{h.id}"


def _scanned(session: Session, client: TestClient) -> Hospital:
    h = hospital(session)
    response = client.post(_base(h) + "/vulnerabilities/scan", headers=h.headers)
    assert response.status_code == 200, response.text
    return h


def _listed(client: TestClient, h: Hospital, **params: Any) -> list[tuple[str, str]]:
    response = client.get(_base(h) + "/vulnerabilities", headers=h.headers, params=params)
    assert response.status_code == 200, response.text
    return [
        (i["cve_id"] or i["advisory_id"] or i["eol_cycle"], i["asset_name"]) for i in response.json()["items"]
    ]


def test_scan_reports_what_it_found_and_is_audited(session: Session, client: TestClient) -> None:
    h = hospital(session)
    response = client.post(_base(h) + "/vulnerabilities/scan", headers=h.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["assets"], report["results"], report["new"], report["gone"]) == (4, 12, 12, 0)
    assert report["by_priority"] == {"act": 3, "attend": 5, "track*": 1, "track": 3}
    assert report["needs_review"] == 6  # the pump's six advisory CVEs: its firmware cannot be compared
    assert report["snapshot_id"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "vulns.scan")).one()
    assert entry.establishment_id == h.id and entry.details["results"] == 12
    again = client.post(_base(h) + "/vulnerabilities/scan", headers=h.headers).json()
    assert (again["results"], again["new"], again["gone"]) == (12, 0, 0)


def test_scan_without_a_snapshot_says_what_to_do(
    session: Session, hygie_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(make_app(session), base_url="https://testserver")
    h = hospital(session)
    response = client.post(_base(h) + "/vulnerabilities/scan", headers=h.headers)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "no_feed_snapshot"
    assert "hygie feeds update" in error["message"] and "hygie feeds import" in error["message"]
    assert client.get(_base(h) + "/vulnerabilities", headers=h.headers).json()["total"] == 0
    status = client.get("/api/v1/feeds", headers=h.headers).json()
    assert status["snapshot_id"] is None and {f["state"] for f in status["feeds"]} == {"missing"}


def test_results_are_ordered_by_priority_then_kev_epss_cvss(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    assert _listed(client, h) == ORDER
    page = client.get(
        _base(h) + "/vulnerabilities", headers=h.headers, params={"limit": 5, "offset": 5}
    ).json()
    assert page["total"] == 12 and (page["limit"], page["offset"]) == (5, 5)
    assert [i["cve_id"] or i["eol_cycle"] for i in page["items"]] == [c for c, _a in ORDER[5:10]]


# (query, what it must list, in order), all on one scan (a scan per case would cost a minute).
FILTERS: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    ({"priority": "act"}, ORDER[:3]),
    ({"priority": ["act", "track*"]}, [*ORDER[:3], ORDER[8]]),
    ({"kind": "eol"}, [ORDER[8]]),
    ({"status": "needs_review"}, [*ORDER[3:8], ORDER[11]]),
    ({"kev": "true"}, ORDER[:3]),
    ({"kev": "false", "priority": "act"}, []),
    ({"medical": "true"}, [*ORDER[3:8], *ORDER[9:12]]),
    ({"department": "réa"}, [*ORDER[3:8], ORDER[9], ORDER[11]]),
    ({"department": "CARDIO"}, [ORDER[10]]),
    ({"zone": "dmz"}, [ORDER[1]]),
    ({"zone": "bureau", "kind": "cve"}, [ORDER[0], ORDER[2]]),
    ({"q": "log4j"}, [ORDER[0]]),  # the package URL of the component
    ({"q": "MIRTH"}, [ORDER[1]]),  # the asset's name (and the CPE)
    ({"q": "cve-2019"}, [ORDER[2]]),
    ({"q": "poste", "priority": "act"}, [ORDER[0], ORDER[2]]),
]


def test_each_filter_filters(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    for params, expected in FILTERS:
        assert _listed(client, h, **params) == expected, params


def test_asset_filter_and_bad_values(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    on_mirth = _listed(client, h, asset_id=h.assets["mirth-01"])
    assert on_mirth == [ORDER[1]]
    bad = client.get(_base(h) + "/vulnerabilities", headers=h.headers, params={"priority": "urgent"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


def test_one_result_with_its_decision_actions_and_finding(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    items = client.get(_base(h) + "/vulnerabilities", headers=h.headers).json()["items"]
    mirth = next(i for i in items if i["cve_id"] == "CVE-2023-43208")
    response = client.get(_base(h) + f"/vulnerabilities/{mirth['id']}", headers=h.headers)
    assert response.status_code == 200
    detail = response.json()
    assert (detail["priority"], detail["kev"], detail["cvss3"], detail["epss"]) == ("act", True, 9.8, 0.94316)
    assert "Exploitation : active — catalogue KEV de la CISA" in detail["sentences"]
    assert [a["code"] for a in detail["action_texts"]] == ["patch", "remove_exposure"]
    assert detail["action_texts"][0]["text"].startswith("Appliquer le correctif")
    assert detail["compensating"] is False
    assert detail["kev_entry"]["date_added"] == "2024-05-20" and detail["kev_entry"]["ransomware"] is True
    finding = detail["finding"]
    assert finding["severity"] == "critical" and finding["status"] == "open"
    assert finding["control_ids"] == ["TEC-PATCH", "TEC-EXPOSURE"]
    first_seen = date.fromisoformat(detail["first_seen"][:10])
    assert finding["due"] == (first_seen + timedelta(days=7)).isoformat()
    english = client.get(_base(h) + f"/vulnerabilities/{mirth['id']}?lang=en", headers=h.headers).json()
    assert "Exploitation: active — CISA KEV catalogue" in english["sentences"]

    pump = next(i for i in items if i["cve_id"] == "CVE-2022-26390")
    pump_detail = client.get(_base(h) + f"/vulnerabilities/{pump['id']}", headers=h.headers).json()
    assert pump_detail["compensating"] is True
    assert [a["code"] for a in pump_detail["action_texts"]] == ["isolate", "restrict_access", "ask_maker"]
    assert pump_detail["kev_entry"] is None and pump_detail["finding"]["control_ids"] == [
        "TEC-PATCH",
        "TEC-BIOMED",
    ]


def test_obsolete_systems(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    page = client.get(_base(h) + "/obsolete", headers=h.headers).json()
    assert page["total"] == 1
    (item,) = page["items"]
    assert (item["kind"], item["eol_product"], item["eol_cycle"], item["eol_date"]) == (
        "eol",
        "windows",
        "7-sp1",
        "2020-01-14",
    )
    assert item["actions"] == ["replace_or_upgrade"]
    assert client.get(_base(h) + "/obsolete?medical=true", headers=h.headers).json()["total"] == 0


def test_feeds_status_for_any_signed_in_user(session: Session, client: TestClient) -> None:
    h = hospital(session, role=Role.AUDITOR)
    status = client.get("/api/v1/feeds", headers=h.headers)
    assert status.status_code == 200
    body = status.json()
    feeds = {f["feed"]: f for f in body["feeds"]}
    assert body["snapshot_id"] and feeds["kev"]["state"] == "ok" and feeds["kev"]["age_days"] == 0
    assert feeds["kev"]["rows"] > 0 and feeds["certfr"]["state"] == "missing"
    assert client.get("/api/v1/feeds").status_code == 401
    # An auditor reads but may not scan.
    assert client.post(_base(h) + "/vulnerabilities/scan", headers=h.headers).status_code == 403


def test_another_establishments_result_is_not_found(session: Session, client: TestClient) -> None:
    mine = _scanned(session, client)
    theirs = hospital(session, email="rssi@autre.fr")
    client.post(_base(theirs) + "/vulnerabilities/scan", headers=theirs.headers)
    their_items = client.get(_base(theirs) + "/vulnerabilities", headers=theirs.headers).json()["items"]
    their_id = their_items[0]["id"]
    # Their result through my establishment: missing, as if it did not exist.
    response = client.get(_base(mine) + f"/vulnerabilities/{their_id}", headers=mine.headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # Their establishment with my token: missing too, and nothing of theirs in my lists.
    assert client.get(_base(theirs) + "/vulnerabilities", headers=mine.headers).status_code == 404
    mine_ids = {
        i["id"] for i in client.get(_base(mine) + "/vulnerabilities", headers=mine.headers).json()["items"]
    }
    assert their_id not in mine_ids
    empty = make_establishment(session)
    assert client.get(f"/api/v1/establishments/{empty.id}/obsolete", headers=mine.headers).status_code == 404
