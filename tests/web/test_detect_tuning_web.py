"""The "Detection rules" page and the rule-tunings API: forms with CSRF for writers only, Sigma filters
refused with their line, audit records, isolation between establishments."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import tuning
from hygie.detect.models import AlertLevel, TuningKind
from hygie.org import accounts, tokens
from hygie.org.models import Role
from tests.detect.alerts_data import HACKTOOL, NAMED_PIPE
from tests.factories import make_establishment
from tests.web.conftest import audit_actions, csrf_from, login, make_user


def test_rules_page_lists_adds_and_removes_tunings(
    session: Session, client: TestClient, store: Settings
) -> None:
    est = make_establishment(session)
    other = make_establishment(session)
    user = make_user(session, role=Role.RSSI, establishment_id=est.id)
    tuning.disable_rule(session, other.id, HACKTOOL)  # another hospital's: never shown here
    login(client)
    page = client.get(f"/e/{est.id}/rules?rule={NAMED_PIPE}&host=IEWIN7")
    assert page.status_code == 200, page.text
    assert "<h1>Règles de détection</h1>" in page.text and "style=" not in page.text
    assert "Aucun réglage" in page.text and HACKTOOL not in page.text
    assert f'value="{NAMED_PIPE}"' in page.text and 'value="IEWIN7"' in page.text  # prefilled from an alert
    token = csrf_from(page.text)

    refused = client.post(f"/e/{est.id}/rules/exclusions", data={"field": "Computer", "value": "IEWIN7"})
    assert refused.status_code in {400, 403}
    added = client.post(
        f"/e/{est.id}/rules/exclusions",
        data={
            "csrf_token": token,
            "field": "Computer",
            "value": "IEWIN7",
            "rule_id": NAMED_PIPE,
            "reason": "admin",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == f"/e/{est.id}/rules"
    client.post(
        f"/e/{est.id}/rules/levels", data={"csrf_token": token, "rule_id": HACKTOOL, "level": "critical"}
    )
    client.post(f"/e/{est.id}/rules/disabled", data={"csrf_token": token, "rule_id": "rule-x"})
    items = tuning.list_tunings(session, est.id)
    assert [(t.kind, t.rule_id, t.level) for t in items] == [
        (TuningKind.FILTER, NAMED_PIPE, None),
        (TuningKind.LEVEL, HACKTOOL, AlertLevel.CRITICAL),
        (TuningKind.DISABLE, "rule-x", None),
    ]
    assert items[0].created_by == f"user:{user.id}" and "Computer: IEWIN7" in items[0].filter_yaml
    listed = client.get(f"/e/{est.id}/rules").text
    assert (
        "Exclusion Computer = IEWIN7" in listed
        and "Camille Martin" in listed
        and "critique" in listed
        and "désactivée" in listed
    )

    bad = client.post(
        f"/e/{est.id}/rules/filters",
        data={
            "csrf_token": token,
            "filter_yaml": "title: t\nlogsource:\n  product: windows\nfilter:\n  rules: any\n",
        },
    )
    assert bad.status_code == 422 and "filter_yaml, line 4" in bad.text
    assert "  rules: any\n</textarea>" in bad.text  # what was typed is kept
    assert len(tuning.list_tunings(session, est.id)) == 3

    removed = client.post(
        f"/e/{est.id}/rules/{items[2].id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert (
        client.post(f"/e/{est.id}/rules/{items[2].id}/delete", data={"csrf_token": token}).status_code == 404
    )
    foreign = tuning.list_tunings(session, other.id)[0]
    assert client.post(
        f"/e/{other.id}/rules/{foreign.id}/delete", data={"csrf_token": token}
    ).status_code in {403, 404}
    assert (
        client.post(f"/e/{est.id}/rules/{foreign.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert len(tuning.list_tunings(session, other.id)) == 1
    assert audit_actions(session, est.id) == ["rule.exclude", "rule.level", "rule.disable", "rule.untune"]


def test_read_only_roles_see_the_tuning_without_forms(
    session: Session, client: TestClient, store: Settings
) -> None:
    est = make_establishment(session)
    make_user(session, role=Role.AUDITOR, establishment_id=est.id)
    tuning.add_exclusion(session, est.id, "Computer", "ADMIN-PC")
    login(client)
    page = client.get(f"/e/{est.id}/rules")
    assert page.status_code == 200 and "Exclusion Computer = ADMIN-PC" in page.text
    assert "/rules/exclusions" not in page.text and "/delete" not in page.text
    token = csrf_from(page.text)
    denied = client.post(
        f"/e/{est.id}/rules/exclusions", data={"csrf_token": token, "field": "Computer", "value": "X"}
    )
    assert denied.status_code == 403
    assert len(tuning.list_tunings(session, est.id)) == 1


def test_api_tunings_with_audit_and_isolation(session: Session, client: TestClient, store: Settings) -> None:
    est = make_establishment(session)
    other = make_establishment(session)
    user = make_user(session, role=Role.RSSI, establishment_id=est.id)
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, user.email), "tests")
    client.headers["Authorization"] = f"Bearer {secret}"
    base = f"/api/v1/establishments/{est.id}/rule-tunings"

    created = client.post(base + "/exclusions", json={"field": "Computer", "value": "ADMIN-PC"})
    assert created.status_code == 201, created.text
    assert (created.json()["kind"], created.json()["rule_id"]) == ("filter", "any")
    text = (
        "title: t\nlogsource:\n  product: windows\nfilter:\n  rules: any\n"
        "  sel:\n    Image|bogus: x\n  condition: not sel\n"
    )
    refused = client.post(base + "/filters", json={"filter_yaml": text})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["line"] == 7
    good = client.post(base + "/filters", json={"filter_yaml": text.replace("|bogus", ""), "reason": "outil"})
    assert good.status_code == 201 and good.json()["reason"] == "outil"
    assert client.post(base + "/disabled", json={"rule_id": HACKTOOL}).status_code == 201
    level = client.post(base + "/levels", json={"rule_id": HACKTOOL, "level": "low"})
    assert level.status_code == 201 and level.json()["level"] == "low"
    assert client.post(base + "/levels", json={"rule_id": HACKTOOL, "level": "urgent"}).status_code == 422

    listed = client.get(base).json()
    assert listed["total"] == 4 and [i["kind"] for i in listed["items"]] == [
        "filter",
        "filter",
        "disable",
        "level",
    ]
    assert client.delete(f"{base}/{listed['items'][0]['id']}").status_code == 204
    assert client.get(base).json()["total"] == 3

    assert client.get(f"/api/v1/establishments/{other.id}/rule-tunings").status_code in {403, 404}
    stranger = client.post(
        f"/api/v1/establishments/{other.id}/rule-tunings/disabled", json={"rule_id": HACKTOOL}
    )
    assert stranger.status_code in {403, 404}
    assert tuning.list_tunings(session, other.id) == []
    mine = listed["items"][1]["id"]
    assert client.delete(f"/api/v1/establishments/{other.id}/rule-tunings/{mine}").status_code in {403, 404}
    assert audit_actions(session, est.id) == [
        "rule.exclude",
        "rule.filter",
        "rule.disable",
        "rule.level",
        "rule.untune",
    ]
