"""The network pages added around the heat map: the zone graph (server-side SVG, links to each
pair), a pair's detail, and the upload of a firewall's configuration (form and API): valid and
refused files, CSRF, roles, another establishment's ids."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.demo import network as demo_network
from hygie.network import service
from hygie.network.importers import read_firewall
from hygie.network.models import FirewallFormat
from hygie.org import accounts, tokens
from hygie.org.models import Role
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user

# A small laboratory firewall: the lab analysers reach the LIS, and a Telnet left open from the
# workstations to the analysers (R20 finds it, and R06 since workstations are not servers).
LAB_RULES = "\n".join(
    (
        "*filter",
        ":FORWARD DROP [0:0]",
        "-A FORWARD -s 10.22.0.0/16 -d 10.1.0.32 -p tcp --dport 2575"
        ' -m comment --comment "automates" -j ACCEPT',
        "-A FORWARD -s 10.10.0.0/16 -d 10.22.0.0/16 -p tcp --dport 23"
        ' -m comment --comment "maintenance" -j ACCEPT',
        "COMMIT",
        "",
    )
)


def _hospital(session: Session, role: Role = Role.RSSI) -> int:
    establishment = make_establishment(session)
    make_user(session, role=role, establishment_id=establishment.id)
    demo_network.build(session, establishment.id)
    return establishment.id


def _upload(client: TestClient, establishment_id: int, content: str, **fields: str) -> object:
    token = csrf_from(client.get(f"/e/{establishment_id}/network").text)
    return client.post(
        f"/e/{establishment_id}/network/import",
        data={"csrf_token": token, **fields},
        files={"file": (fields.pop("file_name", "fw-labo.rules"), content.encode(), "text/plain")},
    )


# --- The graph -----------------------------------------------------------------------------------


def test_graph_draws_every_zone_and_flow_with_links_and_red_violations(
    session: Session, client: TestClient
) -> None:
    establishment_id = _hospital(session)
    login(client)
    overview = client.get(f"/e/{establishment_id}/network").text
    assert f'href="/e/{establishment_id}/network/graph"' in overview
    page = client.get(f"/e/{establishment_id}/network/graph")
    assert page.status_code == 200
    html = page.text
    assert "style=" not in html and "<script>" not in html  # no inline style or script (CSP)
    svg = re.search(r"<svg [^>]*class=\"zone-graph\".*?</svg>", html, re.S)
    assert svg
    # the 15 zones of the demo, each a box coloured by its kind
    assert len(re.findall(r'<g class="zone kind-', svg.group(0))) == 15
    assert '<g class="zone kind-guest_wifi"><title>Wi-Fi invités</title>' in svg.group(0)
    # RDP from the guest Wi-Fi to the servers: one service, a red edge linking to the pair
    guest = re.search(
        r'<a href="/e/\d+/network/pair\?from=Wi-Fi\+invit%C3%A9s&amp;to=Serveurs" class="edge edge-bad w1" '
        r'aria-label="Wi-Fi invités → Serveurs : tcp/3389 \(RDP\) — enfreint la politique">',
        svg.group(0),
    )
    assert guest
    # workstations → servers on 80 and 443 (and LDAP…): within R-rules but HTTP is R20, red too;
    # care Wi-Fi → servers on 443 only: grey, thin
    assert re.search(r'from=Wi-Fi\+soins&amp;to=Serveurs" class="edge edge-ok w1"', svg.group(0))
    edges = re.findall(r'<a href="[^"]+" class="edge (edge-ok|edge-bad) ', svg.group(0))
    zones = {z.name for z in service.list_zones(session, establishment_id)}
    flows = [
        (s, d)
        for (s, d), f in _analysis(session, establishment_id).flows.items()
        if s != d and f.allowed and {s, d} <= zones  # not the firewalls' own INPUT columns
    ]
    assert len(edges) == len(flows)
    assert edges.count("edge-bad") == len(
        {(v.source, v.destination) for v in _violations(session, establishment_id)}
    )
    # the text list beside it gives the same flows to a screen reader
    assert html.count('<li class="flow-bad">') == edges.count("edge-bad")


def _analysis(session: Session, establishment_id: int):  # type: ignore[no-untyped-def]
    return service.analyse_establishment(session, establishment_id)[1]


def _violations(session: Session, establishment_id: int):  # type: ignore[no-untyped-def]
    return service.run_check(session, establishment_id, record=False).violations


def test_graph_without_zones_says_how_to_load_them(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    login(client)
    html = client.get(f"/e/{establishment.id}/network/graph").text
    assert "Aucune zone" in html and "<svg" not in html.split("<main", 1)[1]


# --- A pair's detail -----------------------------------------------------------------------------


def test_pair_shows_services_rules_and_violations(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    page = client.get(f"/e/{establishment_id}/network/pair", params={"from": "Biomédical", "to": "Internet"})
    assert page.status_code == 200
    html = page.text
    assert "<h1>Biomédical → Internet</h1>" in html
    assert "tcp/443 (HTTPS)" in html
    assert "<code>fw-ext FORWARD#9</code>" in html and "pompes a perfusion vers le cloud du fabricant" in html
    assert "<code>fw-ext.rules:" in html  # where the rule is in its file
    assert "R04 — Les dispositifs médicaux" in html
    # the matrix cell of the pair links here
    overview = client.get(f"/e/{establishment_id}/network").text
    assert (
        f'<a href="/e/{establishment_id}/network/pair?from=Biom%C3%A9dical&amp;to=Internet">1</a>' in overview
    )


def test_pair_of_unknown_zones_or_of_another_establishment_is_refused(
    session: Session, client: TestClient
) -> None:
    establishment_id = _hospital(session)
    other = make_establishment(session, name="CH Ailleurs")
    demo_network.build(session, other.id)
    login(client)
    params = {"from": "Biomédical", "to": "Internet"}
    assert (
        client.get(f"/e/{establishment_id}/network/pair", params={"from": "X", "to": "Internet"}).status_code
        == 404
    )
    assert client.get(f"/e/{other.id}/network/pair", params=params).status_code in (403, 404)
    assert client.get(f"/e/{other.id}/network/graph").status_code in (403, 404)
    # No pair given: the graph, to pick one.
    bare = client.get(f"/e/{establishment_id}/network/pair", follow_redirects=False)
    assert (bare.status_code, bare.headers["location"]) == (303, f"/e/{establishment_id}/network/graph")


# --- The upload ----------------------------------------------------------------------------------


def test_form_lists_every_format_the_service_reads(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    html = client.get(f"/e/{establishment_id}/network").text
    options = re.findall(
        r'<option value="([^"]*)">', html.split('name="format"', 1)[1].split("</select>", 1)[0]
    )
    assert options == ["", *(f.value for f in service.firewall_formats())]
    assert service.firewall_formats() == list(FirewallFormat)
    assert 'enctype="multipart/form-data"' in html


def test_upload_loads_the_rules_and_shows_the_check_after_it(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    before = len(_violations(session, establishment_id))
    response = _upload(client, establishment_id, LAB_RULES, firewall="fw-labo", format="iptables")
    assert response.status_code == 200, response.text
    html = response.text
    assert "Pare-feu fw-labo chargé" in html
    assert "2 règles importées (fw-labo.rules)" in html
    assert "Zones que ses règles relient : Laboratoire, Postes de travail, Serveurs." in html
    after = len(_violations(session, establishment_id))
    assert after == before + 2  # R20 Telnet and R11 (Telnet is remote administration) into the lab
    assert f"{after} violations (avant : {before})" in html
    firewall = service.find_firewall(session, establishment_id, "fw-labo")
    assert [r.comment for r in firewall.rules] == ["automates", "maintenance"]
    assert firewall.file_name == "fw-labo.rules"


def test_upload_guesses_the_format_and_names_the_firewall_after_the_file(
    session: Session, client: TestClient
) -> None:
    establishment_id = _hospital(session)
    login(client)
    response = _upload(client, establishment_id, LAB_RULES, file_name="../../etc/fw-labo2.rules")
    assert response.status_code == 200, response.text
    firewall = service.find_firewall(session, establishment_id, "fw-labo2")
    assert firewall.source_format is FirewallFormat.IPTABLES and firewall.file_name == "fw-labo2.rules"


def test_refused_file_names_the_file_and_line_and_changes_nothing(
    session: Session, client: TestClient
) -> None:
    establishment_id = _hospital(session)
    login(client)
    wrong = LAB_RULES.replace("-d 10.1.0.32", "-d 10.1.0.320")
    response = _upload(client, establishment_id, wrong, firewall="fw-int", format="iptables")
    assert response.status_code == 422
    html = response.text
    assert "Le fichier n’a pas été importé : rien n’a changé." in html or "rien n" in html
    assert re.search(r"<code>fw-labo\.rules</code>, ligne 3", html), html.split("alert-error", 1)[1][:600]
    # fw-int keeps its 16 rules
    assert len(service.find_firewall(session, establishment_id, "fw-int").rules) == 16


def test_rules_naming_an_unknown_zone_are_refused_whole(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    csv_text = "source;destination;service;action\nPostes de travail;Zone inconnue;tcp/443;allow\n"
    response = _upload(
        client, establishment_id, csv_text, firewall="fw-int", format="csv", file_name="flux.csv"
    )
    assert response.status_code == 422, response.text
    assert "Zone inconnue" in response.text and "<code>flux.csv</code>" in response.text
    assert len(service.find_firewall(session, establishment_id, "fw-int").rules) == 16


def test_upload_without_file_or_with_a_wrong_interface_map(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    login(client)
    token = csrf_from(client.get(f"/e/{establishment_id}/network").text)
    response = client.post(f"/e/{establishment_id}/network/import", data={"csrf_token": token})
    assert response.status_code == 422 and "Choisissez un fichier" in response.text
    response = _upload(client, establishment_id, LAB_RULES, interfaces="wan0")
    assert response.status_code == 422 and "INTERFACE=ZONE" in response.text
    response = _upload(client, establishment_id, LAB_RULES, format="cisco-9000")
    assert response.status_code == 422


def test_upload_needs_csrf_write_role_and_own_establishment(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    other = make_establishment(session, name="CH Ailleurs")
    login(client)
    files = {"file": ("fw.rules", LAB_RULES.encode(), "text/plain")}
    no_token = client.post(f"/e/{establishment_id}/network/import", files=files)
    assert no_token.status_code == 403
    token = csrf_from(client.get(f"/e/{establishment_id}/network").text)
    elsewhere = client.post(f"/e/{other.id}/network/import", data={"csrf_token": token}, files=files)
    assert elsewhere.status_code in (403, 404)
    assert service.list_firewalls(session, other.id) == []


def test_read_only_role_has_no_form_and_cannot_post(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session, Role.AUDITOR)
    login(client)
    html = client.get(f"/e/{establishment_id}/network").text
    assert "/network/import" not in html
    token = csrf_from(html)
    files = {"file": ("fw.rules", LAB_RULES.encode(), "text/plain")}
    response = client.post(f"/e/{establishment_id}/network/import", data={"csrf_token": token}, files=files)
    assert response.status_code == 403


# --- The API -------------------------------------------------------------------------------------


def test_api_upload_answers_with_the_check_or_the_problems(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    other = make_establishment(session, name="CH Ailleurs")
    secret, _row = tokens.create_api_token(
        session, accounts.find_user(session, "rssi@chu-exemple.fr"), "tests"
    )
    client.headers["Authorization"] = f"Bearer {secret}"
    base = f"/api/v1/establishments/{establishment_id}/network"
    assert client.get(base + "/formats").json() == [f.value for f in FirewallFormat]
    files = {"file": ("fw-labo.rules", LAB_RULES.encode(), "text/plain")}
    response = client.post(
        base + "/firewalls", data={"firewall": "fw-labo", "format": "iptables"}, files=files
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["firewall"], body["rules"], body["source_format"]) == ("fw-labo", 2, "iptables")
    assert body["zones"] == ["Laboratoire", "Postes de travail", "Serveurs"]
    assert {v["rule_id"] for v in body["check"]["violations"]} >= {"R20", "R11"}
    wrong = {"file": ("fw-labo.rules", LAB_RULES.replace("10.1.0.32", "10.1.0.320").encode(), "text/plain")}
    refused = client.post(base + "/firewalls", data={"firewall": "fw-labo"}, files=wrong)
    assert refused.status_code == 422
    detail = refused.json()["error"]["details"][0]
    assert (detail["file"], detail["line"]) == ("fw-labo.rules", 3)
    assert len(service.find_firewall(session, establishment_id, "fw-labo").rules) == 2
    elsewhere = client.post(f"/api/v1/establishments/{other.id}/network/firewalls", files=files)
    assert elsewhere.status_code == 404


def test_expired_permits_are_listed_on_the_network_page(session: Session, client: TestClient) -> None:
    establishment_id = _hospital(session)
    aerleon = Path(__file__).parent.parent / "network" / "data" / "aerleon"
    parsed = read_firewall(aerleon / "chu-core.yaml", "chu-core", definitions=[aerleon / "def"])
    service.import_firewall(session, establishment_id, parsed, with_zones=True)
    login(client)
    page = client.get(f"/e/{establishment_id}/network").text
    assert "Règles d'ouverture expirées toujours en place (1)" in page
    assert (
        "chu-core BIOMED_IN/vendor-update" in page and "2024-03-31" in page and "fournisseur-pompes" in page
    )
