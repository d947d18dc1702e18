"""The "ATT&CK coverage" page and API: the matrix by tactic with its coloured cells and links, the detail
of what to send, French and English, the refresh of the plan's findings (CSRF, writers only, audited),
isolation between establishments; the link from the precursor-signals page."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.core.time import today
from hygie.detect.events import Event, EventWriter
from hygie.org import accounts, audit, tokens
from hygie.org.models import Role
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user

PSEXEC_SERVICE = "f4652382-32e2-5cb3-82f9-8bc3cb5f4f47"  # Hygie's own rules/psexec_service.yml


def _security_events(settings: Settings, establishment_id: int) -> None:
    """Yesterday's process creation (4688) and logon (4624): Security only, no Sysmon, no System log."""
    ts = datetime.combine(today() - timedelta(days=1), time(9), tzinfo=UTC)
    with EventWriter(settings, establishment_id, "evtx", "ab" * 32, "security.evtx") as writer:
        for index, code in enumerate((4688, 4624)):
            writer.add(Event(ts, "SRV-DPI", "Security", "Microsoft-Windows-Security-Auditing", code, index,
                             "jdupont", "{}", {"EventID": str(code)}, index, index))  # fmt: skip


def test_page_matrix_detail_languages_and_refresh(
    session: Session, client: TestClient, store: Settings
) -> None:
    est = make_establishment(session)
    other = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=est.id)
    _security_events(store, est.id)
    login(client)

    page = client.get(f"/e/{est.id}/detection/coverage")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Couverture ATT&CK</h1>" in html and "Aucun journal reçu" not in html, html[
        html.find("<h1") : html.find("<h1") + 200
    ]
    assert "style=" not in html, html[html.find("style=") - 300 : html.find("style=") + 100]
    # Its entry under "Surveiller", the current one.
    assert f'<a href="/e/{est.id}/detection/coverage" aria-current="page">Couverture ATT&amp;CK</a>' in html
    assert html.count('class="cov-cell ') == 31
    assert html.count('class="cov-cell cov-covered"') == 7 and html.count('class="cov-cell cov-no-logs"') == 4
    assert '<h3 id="tactic-lateral-movement">Mouvement latéral' in html
    # A cell leads to the technique's row: its rule (to the tuning page) and the source to send.
    assert 'href="#T1021.002"' in html and '<tr id="T1021.002">' in html
    row = html[html.index('<tr id="T1021.002">') : html.index("</tr>", html.index('<tr id="T1021.002">'))]
    assert (
        f'href="/e/{est.id}/rules?rule={PSEXEC_SERVICE}"' in row and "Service de type PsExec installé" in row
    )
    assert (
        "règle sans journaux" in row
        and "envoyer windows/system" in row
        and "<code>windows/system</code>" in row
    )
    assert "détecteur statistique" in html  # the logon detectors cover T1078
    assert '<p class="big-figure">27\xa0%</p>' in html  # 26 of 95 weighted, rounded

    english = client.get(f"/e/{est.id}/detection/coverage?lang=en").text
    assert "<h1>ATT&CK coverage</h1>" in english and "rule but no logs" in english
    assert "Lateral movement" in english and "send windows/system" in english

    signals = client.get(f"/e/{est.id}/alerts").text
    assert f'href="/e/{est.id}/detection/coverage"' in signals

    assert (
        plan_service.list_findings(session, est.id, source=FindingSource.DETECTION) == []
    )  # reading writes nothing
    refused = client.post(f"/e/{est.id}/detection/coverage/findings", data={})
    assert refused.status_code in {400, 403}
    done = client.post(
        f"/e/{est.id}/detection/coverage/findings",
        data={"csrf_token": csrf_from(html)},
        follow_redirects=False,
    )
    assert (
        done.status_code == 303 and done.headers["location"] == f"/e/{est.id}/detection/coverage?refreshed=1"
    )
    keys = {f.key for f in plan_service.list_findings(session, est.id, source=FindingSource.DETECTION)}
    assert len(keys) == 24 and "coverage:T1021.002" in keys and "coverage:T1490" not in keys
    assert "Les constats du plan sont à jour" in client.get(done.headers["location"]).text
    actions = [e.action for e in audit.list_entries(session, establishment_ids={est.id})]
    assert "coverage.refresh" in actions
    assert client.get(f"/e/{other.id}/detection/coverage").status_code == 404


def test_page_refresh_is_for_writers_only(session: Session, client: TestClient, store: Settings) -> None:
    est = make_establishment(session)
    make_user(session, role=Role.AUDITOR, establishment_id=est.id)
    login(client)
    page = client.get(f"/e/{est.id}/detection/coverage")
    assert page.status_code == 200 and "Mettre à jour les constats du plan" not in page.text
    assert "Aucun journal reçu ces 30 jours" in page.text  # nothing sent at all: said plainly
    refused = client.post(
        f"/e/{est.id}/detection/coverage/findings", data={"csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 403


def test_api_coverage_and_refresh(session: Session, client: TestClient, store: Settings) -> None:
    est = make_establishment(session)
    other = make_establishment(session)
    user = make_user(session, role=Role.RSSI, establishment_id=est.id)
    _security_events(store, est.id)
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, user.email), "tests")
    client.headers["Authorization"] = f"Bearer {secret}"

    url = f"/api/v1/establishments/{est.id}/detection/coverage"
    data = client.get(url, params={"lang": "en"}).json()
    assert data["on"] == today().isoformat() and data["days"] == 30 and data["events"] == 2
    assert data["counts"] == {"covered": 7, "rule_without_logs": 4, "no_rule": 20}
    assert data["share"] == round(26 / 95, 4)
    lateral = next(t for t in data["tactics"] if t["id"] == "lateral-movement")
    # T1021.001 (critical, covered), T1021.002 (critical, no logs), T1570 (medium, no rule): 4 of 10.
    assert lateral["name"] == "Lateral movement" and lateral["share"] == 0.4
    smb = next(t for t in lateral["techniques"] if t["id"] == "T1021.002")
    assert smb["status"] == "rule_without_logs" and [s["source"] for s in smb["to_send"]] == [
        "windows/system"
    ]
    # Older logs only: a 1-day window ending two days ago sees nothing sent.
    before = client.get(url, params={"days": 1, "on": (today() - timedelta(days=2)).isoformat()}).json()
    assert before["counts"]["covered"] == 0
    assert client.get(url, params={"days": 0}).status_code == 422
    assert client.get(f"/api/v1/establishments/{other.id}/detection/coverage").status_code == 404

    refreshed = client.post(url + "/findings")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["gaps"] == data["gaps"]
    keys = {f.key for f in plan_service.list_findings(session, est.id, source=FindingSource.DETECTION)}
    assert keys == {f"coverage:{g}" for g in data["gaps"]}
