"""The "Precursor signals" pages and the alerts API: counts, filters, detail with events, triage with
CSRF (write roles only), escalation to an incident, isolation between establishments."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import service
from hygie.detect.ingest import ingest_paths
from hygie.detect.models import AlertStatus
from hygie.detect.sigma.compiler import compile_paths
from hygie.org import accounts, tokens
from hygie.org.models import Role
from tests.detect.alerts_data import HACKTOOL, PSEXESVC, evtx_files, rules_folder
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user


def _hospital(session: Session, settings: Settings, tmp_path: Path, role: Role = Role.RSSI) -> int:
    establishment = make_establishment(session)
    make_user(session, role=role, establishment_id=establishment.id)
    ingest_paths(settings, establishment.id, evtx_files(), "auto")
    rules = compile_paths([rules_folder(tmp_path / "rules")])
    assert service.run_detection(session, settings, establishment.id, rules).created == 4
    return establishment.id


def test_pages_counts_filters_detail_triage_escalate(
    session: Session, client: TestClient, store: Settings, tmp_path: Path
) -> None:
    eid = _hospital(session, store, tmp_path)
    login(client)
    page = client.get(f"/e/{eid}/alerts")
    assert page.status_code == 200, page.text
    assert "<h1>Signaux précurseurs</h1>" in page.text and "style=" not in page.text
    assert page.text.count(f'href="/e/{eid}/alerts/') == 4
    medium = client.get(f"/e/{eid}/alerts?level=medium").text
    assert medium.count(f'href="/e/{eid}/alerts/') == 1 and "PsExec Service Execution" in medium

    alerts = {a.rule_id: a for a in service.list_alerts(session, eid)}
    mimikatz = alerts[HACKTOOL]
    detail = client.get(f"/e/{eid}/alerts/{mimikatz.id}").text
    assert "HackTool - Generic Process Access" in detail and "T1003.001" in detail
    assert "PC04.example.corp" in detail and "sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx" in detail

    refused = client.post(f"/e/{eid}/alerts/{mimikatz.id}/triage", data={"status": "true_positive"})
    assert refused.status_code in {400, 403}
    token = csrf_from(detail)
    done = client.post(
        f"/e/{eid}/alerts/{mimikatz.id}/triage",
        data={"csrf_token": token, "status": "true_positive", "note": "confirmé"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(mimikatz)
    assert (mimikatz.status, mimikatz.note) == (AlertStatus.TRUE_POSITIVE, "confirmé")
    escalated = client.post(
        f"/e/{eid}/alerts/{mimikatz.id}/escalate", data={"csrf_token": token}, follow_redirects=False
    )
    assert escalated.status_code == 303
    session.refresh(mimikatz)
    assert escalated.headers["location"] == f"/e/{eid}/incidents/{mimikatz.case_id}"


def test_api_counts_list_detail_and_isolation(
    session: Session, client: TestClient, store: Settings, tmp_path: Path
) -> None:
    eid = _hospital(session, store, tmp_path)
    other = make_establishment(session)
    secret, _row = tokens.create_api_token(
        session, accounts.find_user(session, "rssi@chu-exemple.fr"), "tests"
    )
    client.headers["Authorization"] = f"Bearer {secret}"
    counts = client.get(f"/api/v1/establishments/{eid}/alerts/counts").json()
    assert counts["level"]["high"] == 3 and counts["status"]["new"] == 4
    listed = client.get(f"/api/v1/establishments/{eid}/alerts", params={"level": "medium"}).json()
    assert listed["total"] == 1 and listed["items"][0]["rule_id"] == PSEXESVC
    alert_id = listed["items"][0]["id"]
    detail = client.get(f"/api/v1/establishments/{eid}/alerts/{alert_id}").json()
    assert detail["user"] == "NT AUTHORITY\\SYSTEM" and len(detail["events"]) == 1
    assert client.get(f"/api/v1/establishments/{other.id}/alerts/{alert_id}").status_code in {403, 404}
    triaged = client.post(
        f"/api/v1/establishments/{eid}/alerts/{alert_id}/triage",
        json={"status": "false_positive", "note": "admin"},
    )
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["status"] == "false_positive"
    assert client.get(f"/api/v1/establishments/{eid}/alerts/counts").json()["status"]["false_positive"] == 1
