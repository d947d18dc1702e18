"""The network page and API: the heat map (CSS classes, no inline style), the violations with their
allowing rules, recording the check (write roles only), isolation between establishments."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.demo import network as demo_network
from hygie.org import accounts, tokens
from hygie.org.models import Role
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user


def _hospital(session: Session, role: Role = Role.RSSI) -> int:
    establishment = make_establishment(session)
    make_user(session, role=role, establishment_id=establishment.id)
    demo_network.build(session, establishment.id)
    return establishment.id


def test_page_shows_heat_map_and_violations(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    page = client.get(f"/e/{establishment_id}/network")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Cloisonnement du réseau</h1>" in html
    assert "style=" not in html
    # Wi-Fi invités → Serveurs: RDP from the guest Wi-Fi, a critical violation: the darkest cell
    assert re.search(
        r'<td class="heat heat-4" title="Wi-Fi invités → Serveurs : tcp/3389 \(RDP\)">'
        r'<a href="/e/\d+/network/pair\?from=Wi-Fi\+invit%C3%A9s&amp;to=Serveurs">1</a></td>',
        html,
    )
    assert 'class="heat heat-1" title="Wi-Fi soins → Serveurs' in html
    assert 'class="heat heat-2" title="Postes de travail → Serveurs' in html  # R20: HTTP in clear
    assert "fw-int FORWARD#2&gt;INVITES#1" in html
    assert (
        "R04 — Les dispositifs médicaux, l&#39;imagerie et le laboratoire n&#39;accèdent pas à internet"
        in html
    )
    assert "fw-int FORWARD#5" in html and "masquée" in html


def test_record_check_needs_write_and_csrf(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    html = client.get(f"/e/{establishment_id}/network").text
    token = csrf_from(html)
    response = client.post(
        f"/e/{establishment_id}/network/check", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/network?recorded=1")
    assert len(plan_service.list_findings(session, establishment_id, source=FindingSource.NETWORK)) == 10


def test_read_only_role_sees_no_record_button(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session, Role.AUDITOR)
    login(client)
    html = client.get(f"/e/{establishment_id}/network").text
    assert "Enregistrer les violations" not in html
    token = csrf_from(html)
    response = client.post(f"/e/{establishment_id}/network/check", data={"csrf_token": token})
    assert response.status_code == 403


def test_api_matrix_and_check(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    other = make_establishment(session, name="CH Ailleurs")
    secret, _row = tokens.create_api_token(
        session, accounts.find_user(session, "rssi@chu-exemple.fr"), "tests"
    )
    client.headers["Authorization"] = f"Bearer {secret}"
    response = client.get(f"/api/v1/establishments/{establishment_id}/network/matrix")
    assert response.status_code == 200, response.text
    matrix = response.json()
    pairs = {(f["source"], f["destination"]): f for f in matrix["flows"]}
    assert pairs[("Biomédical", "Internet")]["rules"] == {"fw-ext FORWARD#9": "tcp/443 (HTTPS)"}
    check = client.get(f"/api/v1/establishments/{establishment_id}/network/check").json()
    assert {v["rule_id"] for v in check["violations"]} == {"R01", "R02", "R04", "R07", "R09", "R20"}
    assert check["findings"] == 0  # reading records nothing
    firewalls = client.get(f"/api/v1/establishments/{establishment_id}/network/firewalls").json()
    assert [(f["name"], f["rule_count"]) for f in firewalls] == [("fw-ext", 14), ("fw-int", 16)]
    assert client.get(f"/api/v1/establishments/{other.id}/network/matrix").status_code == 404
