"""API of the action plan: findings with filters, moving actions (audited, raising the index), the
optimisation within budget and its adoption, the roadmap and the budget, isolation and roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.core.time import today
from hygie.demo import accounts as demo_accounts
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Role
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, FindingSource, PlanAction, Severity
from hygie.plan.schemas import FindingIn
from hygie.reports import service as report_service
from tests.factories import make_establishment
from tests.web.conftest import make_user

RSSI = "rssi@saint-aurele.demo"
DIRECTION = "direction@saint-aurele.demo"


def _bearer(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def _demo(session: Session) -> int:
    result = demo_service.build(session, get_library(), inventory=False)
    demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def test_findings_filters_and_pages(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    plan_service.upsert_findings(
        session,
        establishment.id,
        FindingSource.VULNERABILITY,
        [
            FindingIn(key="cve:1@srv-1", title="CVE one", severity=Severity.HIGH),
            FindingIn(key="cve:2@srv-2", title="CVE two", severity=Severity.CRITICAL),
            FindingIn(key="cve:3@srv-3", title="CVE three", severity=Severity.LOW),
        ],
    )
    plan_service.upsert_findings(
        session,
        establishment.id,
        FindingSource.NETWORK,
        [FindingIn(key="flat-network", title="Flat network", severity=Severity.HIGH)],
    )
    # The vulnerability scan no longer reports cve:3: it is resolved.
    plan_service.upsert_findings(
        session,
        establishment.id,
        FindingSource.VULNERABILITY,
        [
            FindingIn(key="cve:1@srv-1", title="CVE one", severity=Severity.HIGH),
            FindingIn(key="cve:2@srv-2", title="CVE two", severity=Severity.CRITICAL),
        ],
    )
    base = f"/api/v1/establishments/{establishment.id}/findings"
    body = client.get(base, headers=headers).json()
    # No campaign: only the stored findings, most severe first, every status.
    assert [f["key"] for f in body["items"]] == ["cve:2@srv-2", "cve:1@srv-1", "flat-network", "cve:3@srv-3"]
    assert body["total"] == 4
    high = client.get(f"{base}?severity=high", headers=headers).json()
    assert [f["key"] for f in high["items"]] == ["cve:1@srv-1", "flat-network"]
    vulns_open = client.get(f"{base}?source=vulnerability&status=open", headers=headers).json()
    assert [f["key"] for f in vulns_open["items"]] == ["cve:2@srv-2", "cve:1@srv-1"]
    resolved = client.get(f"{base}?status=resolved", headers=headers).json()
    assert [f["key"] for f in resolved["items"]] == ["cve:3@srv-3"]
    second = client.get(f"{base}?limit=2&offset=2", headers=headers).json()
    assert [f["key"] for f in second["items"]] == ["flat-network", "cve:3@srv-3"]
    assert (second["total"], second["limit"], second["offset"]) == (4, 2, 2)
    assert client.get(f"{base}?severity=urgent", headers=headers).status_code == 422


def test_demo_findings_come_from_the_assessment(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    body = client.get(
        f"/api/v1/establishments/{establishment_id}/findings?source=assessment&status=open&limit=200",
        headers=_bearer(session, DIRECTION),
    ).json()
    stored = plan_service.list_findings(session, establishment_id, source=FindingSource.ASSESSMENT)
    assert body["total"] == len(stored) > 0
    assert all(f["key"].startswith("control:") for f in body["items"])


def test_move_action_changes_status_and_index(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, RSSI)
    base = f"/api/v1/establishments/{establishment_id}"
    todo = client.get(f"{base}/actions?status=todo", headers=headers).json()
    assert todo["total"] >= 1 and all(a["status"] == "todo" for a in todo["items"])
    # The first planned one (the demo's incident lessons are actions outside the catalogue).
    action = next(a for a in todo["items"] if not a["template_id"].startswith("incident:"))
    before = client.get(f"{base}/candidates", headers=headers).json()
    assert action["template_id"] in [c["template"]["id"] for c in before["candidates"]]
    # The plan works from the measured levels: its index is the measured one the evidence pages and the
    # management report show (one figure everywhere), not the declared one of the maturity report.
    measured = evidence.measured_score(session, establishment_id, get_library())
    report = report_service.maturity_report(session, establishment_id, get_library(), lang="fr")
    assert measured is not None and before["index"] == pytest.approx(measured.global_index)
    assert before["index"] != pytest.approx(report.global_index)  # the demo's facts move it

    response = client.patch(f"{base}/actions/{action['id']}", json={"status": "done"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "done" and response.json()["done_at"] is not None
    after = client.get(f"{base}/candidates", headers=headers).json()
    assert after["index"] > before["index"]
    assert action["template_id"] not in [c["template"]["id"] for c in after["candidates"]]
    measured = evidence.measured_score(session, establishment_id, get_library())
    assert measured is not None and after["index"] == pytest.approx(measured.global_index)
    assert client.get(f"{base}/actions/{action['id']}", headers=headers).json()["status"] == "done"

    [entry] = _audit(session, "plan_action.status")
    rssi = accounts.find_user(session, RSSI)
    assert (entry.actor, entry.object_type, entry.object_id, entry.establishment_id) == (
        f"user:{rssi.id}",
        "plan_action",
        str(action["id"]),
        establishment_id,
    )
    assert entry.details == {"from": "todo", "to": "done"}


def test_action_filters(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, DIRECTION)
    base = f"/api/v1/establishments/{establishment_id}/actions"
    stored = plan_service.list_actions(session, establishment_id)
    every = client.get(f"{base}?limit=200", headers=headers).json()
    assert [a["id"] for a in every["items"]] == [a.id for a in stored]
    assert client.get(f"{base}?status=done", headers=headers).json()["total"] == 1
    assert client.get(f"{base}?status=in_progress", headers=headers).json()["total"] == 1
    quarter = stored[0].quarter
    in_quarter = client.get(f"{base}?quarter={quarter}&limit=200", headers=headers).json()
    assert {a["id"] for a in in_quarter["items"]} == {a.id for a in stored if a.quarter == quarter}
    owner = stored[-1].owner
    owned = client.get(f"{base}?owner={owner}&limit=200", headers=headers).json()
    assert {a["id"] for a in owned["items"]} == {a.id for a in stored if a.owner == owner}
    assert client.get(f"{base}?quarter=2027-Q5", headers=headers).status_code == 422
    roadmap = client.get(f"/api/v1/establishments/{establishment_id}/roadmap", headers=headers).json()
    assert [q["quarter"] for q in roadmap] == sorted({a.quarter for a in stored})
    for q in roadmap:
        rows = [a for a in stored if a.quarter == q["quarter"]]
        assert q["cost"] == sum(a.cost for a in rows)
        assert len(q["actions"]) == len(rows)


def test_management_reads_but_may_not_move(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, DIRECTION)
    base = f"/api/v1/establishments/{establishment_id}"
    action = client.get(f"{base}/actions?status=todo", headers=headers).json()["items"][0]
    response = client.patch(f"{base}/actions/{action['id']}", json={"status": "done"}, headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    adopt = client.post(f"{base}/plan/optimise", json={"budget": 50000, "adopt": True}, headers=headers)
    assert adopt.status_code == 403
    # Optimising without adopting is a reading.
    assert client.post(f"{base}/plan/optimise", json={"budget": 50000}, headers=headers).status_code == 200
    assert client.get(f"{base}/actions/{action['id']}", headers=headers).json()["status"] == "todo"
    assert _audit(session, "plan_action.status") == [] and _audit(session, "plan.adopt") == []


def test_other_establishment_action_is_not_found(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    other = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=other.id)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    action = next(a for a in plan_service.list_actions(session, establishment_id) if _from_catalogue(a))
    # Through the caller's own establishment: the id belongs to another one.
    mine = f"/api/v1/establishments/{other.id}/actions/{action.id}"
    assert client.patch(mine, json={"status": "done"}, headers=headers).status_code == 404
    assert client.get(mine, headers=headers).status_code == 404
    # Through the other establishment's path: not visible, so 404 too.
    theirs = f"/api/v1/establishments/{establishment_id}/actions/{action.id}"
    assert client.patch(theirs, json={"status": "done"}, headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/establishments/{establishment_id}/findings", headers=headers).status_code == 404
    )
    session.refresh(action)
    assert action.status == ActionStatus.TODO


def test_optimise_within_budget_and_adopt_is_audited(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, RSSI)
    url = f"/api/v1/establishments/{establishment_id}/plan/optimise"
    body = client.post(url, json={"budget": 40000, "days": 60, "cost_basis": "high"}, headers=headers).json()
    result, baseline = body["result"], body["greedy"]
    assert result["method"] == "milp" and baseline["method"] == "greedy"
    assert result["budget"] == 40000 and result["cost_basis"] == "high"
    assert 0 < result["total_cost"] <= 40000 and result["total_days"] <= 60
    assert sum(a["cost"] for a in result["chosen"]) == result["total_cost"]
    assert result["index_after"] > result["index_before"]
    assert result["objective"] >= baseline["objective"] - 1e-9  # the optimum is never worse than greedy
    assert {i["template_id"] for i in body["roadmap"]["items"]} == {
        a["template_id"] for a in result["chosen"]
    }
    assert body["adopted"] is None and _audit(session, "plan.adopt") == []

    adopted = client.post(url, json={"budget": 40000, "days": 60, "adopt": True}, headers=headers)
    assert adopted.status_code == 200, adopted.text
    chosen = [a["template_id"] for a in adopted.json()["result"]["chosen"]]
    kept = {a["template_id"] for a in adopted.json()["adopted"]}
    assert kept == set(chosen)
    live = plan_service.list_actions(session, establishment_id)
    assert set(chosen) <= {a.template_id for a in live}
    [entry] = _audit(session, "plan.adopt")
    assert entry.establishment_id == establishment_id and entry.object_type == "plan"
    assert (entry.details or {})["budget"] == 40000
    assert (entry.details or {})["actions"] == [a["template_id"] for a in adopted.json()["adopted"]]
    assert client.post(url, json={"budget": -1}, headers=headers).status_code == 422


def test_budget_and_no_campaign(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session, it_budget=2_000_000, security_budget=150_000)
    make_user(session, role=Role.MANAGEMENT, establishment_id=establishment.id)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    base = f"/api/v1/establishments/{establishment.id}"
    budget = client.get(f"{base}/budget", headers=headers).json()
    assert budget["security_spending"] == 150_000 and budget["share"] == pytest.approx(0.075)
    assert budget["spending_source"] == "security_budget"
    assert client.get(f"{base}/candidates", headers=headers).status_code == 404
    assert client.get(f"{base}/roadmap", headers=headers).json() == []
    assert client.get(f"{base}/actions", headers=headers).json()["total"] == 0


def test_patch_owner_due_date_and_notes(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, RSSI)
    action = next(a for a in plan_service.list_actions(session, establishment_id) if _from_catalogue(a))
    url = f"/api/v1/establishments/{establishment_id}/actions/{action.id}"
    before = (action.owner, action.due_date.isoformat())
    due = date(today().year + 2, 5, 20)  # the second quarter, two years on

    response = client.patch(
        url,
        json={"owner": " Jean Dupont ", "due_date": due.isoformat(), "notes": "Devis demandé"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["owner"], body["due_date"], body["quarter"], body["notes"], body["status"]) == (
        "Jean Dupont",
        due.isoformat(),
        f"{due.year}-Q2",
        "Devis demandé",
        "todo",
    )
    assert client.get(url, headers=headers).json()["notes"] == "Devis demandé"
    [entry] = _audit(session, "plan_action.update")
    assert entry.object_id == str(action.id) and entry.establishment_id == establishment_id
    assert entry.details == {
        "owner": {"from": before[0], "to": "Jean Dupont"},
        "due_date": {"from": before[1], "to": due.isoformat()},
        "notes": {"from": None, "to": "Devis demandé"},
    }
    # The same values again change nothing and record nothing; an empty text removes the notes.
    assert client.patch(
        url, json={"owner": "Jean Dupont", "due_date": due.isoformat()}, headers=headers
    ).is_success
    assert len(_audit(session, "plan_action.update")) == 1
    assert client.patch(url, json={"notes": ""}, headers=headers).json()["notes"] is None
    assert _audit(session, "plan_action.update")[-1].details == {
        "notes": {"from": "Devis demandé", "to": None}
    }
    # Moving it alone is recorded as the board records it; with another field, as an update.
    client.patch(url, json={"status": "in_progress"}, headers=headers)
    assert _audit(session, "plan_action.status")[-1].details == {"from": "todo", "to": "in_progress"}
    client.patch(url, json={"status": "done", "notes": "Fait"}, headers=headers)
    assert _audit(session, "plan_action.update")[-1].details == {
        "status": {"from": "in_progress", "to": "done"},
        "notes": {"from": None, "to": "Fait"},
    }
    session.refresh(action)
    assert action.status == ActionStatus.DONE and action.done_at is not None


def test_patch_refuses_bad_values_and_changes_nothing(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, RSSI)
    action = next(a for a in plan_service.list_actions(session, establishment_id) if _from_catalogue(a))
    url = f"/api/v1/establishments/{establishment_id}/actions/{action.id}"
    stored = (action.status, action.owner, action.due_date, action.notes)
    yesterday = today() - timedelta(days=1)

    both = client.patch(
        url, json={"status": "done", "owner": "  ", "due_date": yesterday.isoformat()}, headers=headers
    )
    assert both.status_code == 422
    error = both.json()["error"]
    assert error["code"] == "validation_error"
    assert (
        "owner:" in error["message"] and "due_date: The due date cannot be in the past." in error["message"]
    )
    far = client.patch(url, json={"due_date": date(today().year + 11, 1, 1).isoformat()}, headers=headers)
    assert far.status_code == 422 and "ten years" in far.json()["error"]["message"]
    assert client.patch(url, json={"notes": "x" * 4001}, headers=headers).status_code == 422
    assert client.patch(url, json={"due_date": "2027-02-30"}, headers=headers).status_code == 422
    assert client.patch(url, json={"colour": "red"}, headers=headers).status_code == 422
    session.refresh(action)
    assert (action.status, action.owner, action.due_date, action.notes) == stored
    assert _audit(session, "plan_action.update") == [] and _audit(session, "plan_action.status") == []
    # Management reads the notes but may not write them.
    refused = client.patch(url, json={"notes": "vu"}, headers=_bearer(session, DIRECTION))
    assert refused.status_code == 403


def _from_catalogue(action: PlanAction) -> bool:
    """A pending action of the optimised plan (the demo's incident lessons are actions outside it)."""
    return action.status == "todo" and not action.template_id.startswith("incident:")
