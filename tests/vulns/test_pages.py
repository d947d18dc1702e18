"""Pages of the audit: the list by priority with its chips, filters and pages (plain GET), the "Run
the audit" form (CSRF, write roles only, the clear reason without a snapshot), one result told step
by step, the obsolete systems, the medical devices' urgent counts, both languages, isolation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, Importer
from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.org.models import Role
from hygie.vulns import service
from hygie.vulns.labels import reason_text
from tests.vulns.web_support import ORDER, Hospital, hospital, snapshot_home, with_snapshot
from tests.web.conftest import csrf_from, login, make_app

__all__ = ["snapshot_home", "with_snapshot"]  # fixtures


@pytest.fixture
def client(session: Session, with_snapshot: Path) -> TestClient:
    return TestClient(make_app(session), base_url="https://testserver", follow_redirects=False)


def _scan(client: TestClient, h: Hospital) -> str:
    """Runs the audit through the page's form; returns the page it redirects to."""
    page = client.get(f"/e/{h.id}/vulnerabilities")
    response = client.post(f"/e/{h.id}/vulnerabilities/scan", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _listed(html: str) -> list[str]:
    return re.findall(r'<a href="/e/\d+/vulnerabilities/\d+" class="vuln-id">([^<]+)</a>', html)


def _scanned(session: Session, client: TestClient, role: Role = Role.RSSI) -> Hospital:
    h = hospital(session, role=role)
    login(client)
    _scan(client, h)
    return h


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Vulnérabilités", "Agir", "Traiter", "Lancer l'audit", "Instantané du", "Que faire"]),
        ("en", ["Vulnerabilities", "Act", "Attend", "Run the audit", "Snapshot of", "What to do"]),
    ],
)
def test_list_by_priority_in_both_languages(
    session: Session, client: TestClient, lang: str, words: list[str]
) -> None:
    h = _scanned(session, client)
    page = client.get(f"/e/{h.id}/vulnerabilities?lang={lang}")
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    for word in words:
        assert word in text, word
    # The end of life is on the obsolete systems' page, not here: 11 vulnerabilities, most urgent first.
    assert _listed(text) == [c for c, _a in ORDER if not c[0].isdigit()]
    chips = re.findall(r'<span class="count">(\d+)</span> <span class="badge badge-(\w+)">', text)
    assert chips == [("3", "critical"), ("5", "high"), ("0", "medium"), ("3", "low")]
    assert f'<a href="/e/{h.id}/obsolete">' in text  # "1 end of life …: see the obsolete systems"
    # The nav has the audit, current here; the asset links to its page; EPSS in percent, KEV badge.
    assert re.search(rf'<a href="/e/{h.id}/vulnerabilities" aria-current="page">', text)
    assert f'<a href="/e/{h.id}/assets/{h.assets["mirth-01"]}">mirth-01</a>' in text
    assert re.search(r"94,3\s%" if lang == "fr" else r"94\.3%", text)  # a narrow space in French
    assert '<span class="badge badge-critical">KEV</span>' in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("priority=act", ["CVE-2021-44228", "CVE-2023-43208", "CVE-2019-0708"]),
        ("kev=1&priority=attend", []),
        ("medical=1&priority=track", ["CVE-2022-26390", "CVE-2099-1000", "CVE-2020-12039"]),
        ("review=1&priority=track", ["CVE-2020-12039"]),
        ("department=cardio", ["CVE-2099-1000"]),
        ("zone=dmz", ["CVE-2023-43208"]),
        ("q=log4j", ["CVE-2021-44228"]),
        ("kind=eol", ["Windows 7 SP1"]),
    ],
)
def test_filters_filter(session: Session, client: TestClient, query: str, expected: list[str]) -> None:
    h = _scanned(session, client)
    page = client.get(f"/e/{h.id}/vulnerabilities?{query}")
    assert page.status_code == 200
    assert _listed(page.text) == expected


def test_chips_keep_the_other_filters_and_count_within_them(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    page = client.get(f"/e/{h.id}/vulnerabilities?medical=1&priority=attend").text
    # Medical devices only: no Act, 5 Attend (the pump's advisories), 3 Track (pump ×2, infuso).
    chips = re.findall(r'<span class="count">(\d+)</span> <span class="badge badge-(\w+)">', page)
    assert chips == [("0", "critical"), ("5", "high"), ("0", "medium"), ("3", "low")]
    assert f'href="/e/{h.id}/vulnerabilities?priority=track&amp;medical=1"' in page
    assert 'aria-current="true"><span class="count">5</span>' in page
    assert 'name="medical" value="1" checked' in page


def test_pages_of_fifty(session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from hygie.vulns import pages

    monkeypatch.setattr(pages, "PER_PAGE", 4)
    h = _scanned(session, client)
    first = client.get(f"/e/{h.id}/vulnerabilities?medical=1").text
    assert _listed(first) == ["CVE-2020-12041", "CVE-2020-12045", "CVE-2020-12040", "CVE-2020-12043"]
    assert "page 1 sur 2" in first
    next_href = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_href and next_href.group(1) == f"/e/{h.id}/vulnerabilities?medical=1&amp;page=2"
    second = client.get(next_href.group(1).replace("&amp;", "&")).text
    assert _listed(second) == ["CVE-2020-12047", "CVE-2022-26390", "CVE-2099-1000", "CVE-2020-12039"]
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_audit_button_runs_the_scan_and_says_what_it_did(session: Session, client: TestClient) -> None:
    h = hospital(session)
    login(client)
    before = client.get(f"/e/{h.id}/vulnerabilities").text
    assert "Aucun audit n'a encore été lancé" in before.replace("&#39;", "'")
    assert f'action="/e/{h.id}/vulnerabilities/scan"' in before
    location = _scan(client, h)
    assert location == f"/e/{h.id}/vulnerabilities?scanned=12&new=12&gone=0&to_review=6"
    after = client.get(location).text
    assert "Audit terminé : 12 résultat(s), 12 nouveau(x), 0 disparu(s), 6 à vérifier." in after
    assert len(service.list_results(session, h.id)) == 12
    # Without the CSRF token, nothing runs.
    refused = client.post(f"/e/{h.id}/vulnerabilities/scan", data={})
    assert refused.status_code == 403


def test_without_a_snapshot_the_page_says_what_to_do(
    session: Session, hygie_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(make_app(session), base_url="https://testserver", follow_redirects=False)
    h = hospital(session)
    login(client)
    page = client.get(f"/e/{h.id}/vulnerabilities")
    text = page.text.replace("&#39;", "'")
    assert "Aucun instantané des flux de vulnérabilités n'est encore installé" in text
    assert "/vulnerabilities/scan" not in text  # no button that could only fail
    response = client.post(f"/e/{h.id}/vulnerabilities/scan", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 409
    assert 'id="scan-error"' in response.text and "hygie feeds import" in response.text


def test_read_only_roles_see_no_button_and_cannot_scan(session: Session, client: TestClient) -> None:
    h = hospital(session, role=Role.AUDITOR)
    login(client)
    page = client.get(f"/e/{h.id}/vulnerabilities")
    assert page.status_code == 200 and "/vulnerabilities/scan" not in page.text
    response = client.post(f"/e/{h.id}/vulnerabilities/scan", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 403
    assert service.list_results(session, h.id) == []


def test_one_result_told_step_by_step(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    mirth = next(r for r in service.list_results(session, h.id) if r.cve_id == "CVE-2023-43208")
    page = client.get(f"/e/{h.id}/vulnerabilities/{mirth.id}")
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    steps = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="decision-value">([^<]+)</td>'
        r"\s*<td>([^<]+?)\s*(?:<|</td>)",
        text,
    )
    assert steps[:3] == [
        ("Exploitation", "active", "catalogue KEV de la CISA"),
        ("Automatisable", "oui", "CISA Vulnrichment"),
        ("Impact technique", "total", "CISA Vulnrichment"),
    ]
    assert steps[-1][0] == "Exposition à internet"
    assert "Table de décision coordinateur de la CISA : Agir." in text
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" in text and re.search(r"94,3\s%", text)
    assert "au catalogue depuis le 20 mai 2024" in text and "utilisée par des rançongiciels" in text
    assert "version 4.4.0 dans &lt;4.4.1" in text  # the match basis, component and version (in French)
    assert "cpe:2.3:a:nextgen:mirth_connect:4.4.0" in text
    assert "Appliquer le correctif" in text and "Supprimer son exposition à internet" in text
    assert "TEC-PATCH, TEC-EXPOSURE" in text  # its weakness in the plan
    assert f'<a href="/e/{h.id}/assets/{h.assets["mirth-01"]}">mirth-01</a>' in text

    pump = next(r for r in service.list_results(session, h.id) if r.cve_id == "CVE-2022-26390")
    words = client.get(f"/e/{h.id}/vulnerabilities/{pump.id}?lang=en").text.replace("&#39;", "'")
    assert "Compensating measures" in words and "cannot be patched by the establishment" in words
    assert "Isolate the device in a dedicated network zone" in words
    assert "Apply the fix" not in words


def test_obsolete_systems_by_product_with_their_assets(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    page = client.get(f"/e/{h.id}/obsolete")
    assert page.status_code == 200
    text = page.text
    assert "Windows 7 SP1" in text and "14 janvier 2020" in text
    assert f'<a href="/e/{h.id}/assets/{h.assets["poste-w7"]}">poste-w7</a>' in text
    eol = service.obsolete(session, h.id)[0]
    assert f'href="/e/{h.id}/vulnerabilities/{eol.id}"' in text


def test_obsolete_groups_put_medical_devices_first() -> None:
    from datetime import date

    from hygie.assets.models import Asset, AssetKind
    from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind, VulnResult
    from hygie.vulns.pages import obsolete_groups
    from hygie.vulns.ssvc import Priority

    class Words:
        lang = "en"

        def _(self, message: str) -> str:
            return message

    def asset(number: int, name: str, kind: AssetKind, maker: str | None = None) -> Asset:
        return Asset(id=number, name=name, kind=kind, maker=maker, model="X-1" if maker else None)

    def result(number: int, product: str, cycle: str, end: date, asset_id: int) -> VulnResult:
        return VulnResult(
            id=number,
            asset_id=asset_id,
            kind=ResultKind.EOL,
            basis=MatchBasis.MAKER if product == "maker" else MatchBasis.EOL,
            status=MatchStatus.AFFECTED,
            eol_product=product,
            eol_cycle=cycle,
            eol_date=end,
            priority=Priority.TRACK_STAR,
            explanation={"match": {"label": "7 SP1"} if product == "windows" else {}},
        )

    assets = {
        1: asset(1, "zz-poste", AssetKind.WORKSTATION),
        2: asset(2, "aa-poste", AssetKind.WORKSTATION),
        3: asset(3, "pompe", AssetKind.MEDICAL_DEVICE, maker="Acme"),
        4: asset(4, "moniteur", AssetKind.MEDICAL_DEVICE),
        5: asset(5, "pompe-2", AssetKind.MEDICAL_DEVICE, maker="Acme"),
    }
    rows = [
        result(10, "windows", "7-sp1", date(2020, 1, 14), 1),
        result(11, "windows", "7-sp1", date(2020, 1, 14), 2),
        result(12, "maker", "", date(2025, 6, 1), 3),
        result(13, "windows", "7-sp1", date(2020, 1, 14), 4),
        result(14, "maker", "", date(2024, 6, 1), 5),
    ]
    groups = obsolete_groups(rows, assets, Words(), 1)  # type: ignore[arg-type]
    # Both groups hold a medical device: the earlier end first (Windows 7, 2020).
    assert [g["title"] for g in groups] == ["Windows 7 SP1", "Maker's end of support — Acme X-1"]
    assert [m["asset"].name for m in groups[0]["shown"]] == ["moniteur", "aa-poste", "zz-poste"]
    maker = groups[1]
    assert (maker["count"], maker["medical"], maker["dates_differ"]) == (2, 2, True)
    assert (maker["first_end"], maker["last_end"]) == (date(2024, 6, 1), date(2025, 6, 1))


def test_empty_states_before_any_audit(session: Session, client: TestClient) -> None:
    h = hospital(session)
    login(client)
    listing = client.get(f"/e/{h.id}/vulnerabilities?lang=en").text
    assert "No audit has been run for this establishment yet" in listing
    obsolete = client.get(f"/e/{h.id}/obsolete?lang=en").text
    assert "the obsolete systems appear here once it has" in obsolete


def test_medical_devices_page_counts_act_and_attend_by_department(
    session: Session, client: TestClient
) -> None:
    h = _scanned(session, client)
    page = client.get(f"/e/{h.id}/assets/medical").text
    links = re.findall(
        r'<a href="(/e/\d+/vulnerabilities\?[^"]+)" class="urgent-\w+(?: none)?">'
        r'<span class="count">(\d+)</span>',
        page,
    )
    # Réanimation (the pump): no Act, 5 Attend; Cardiologie (infuso-3): none.
    assert (
        f"/e/{h.id}/vulnerabilities?medical=1&amp;priority=attend&amp;department=R%C3%A9animation",
        "5",
    ) in links
    assert (
        f"/e/{h.id}/vulnerabilities?medical=1&amp;priority=act&amp;department=R%C3%A9animation",
        "0",
    ) in links
    assert (
        f"/e/{h.id}/vulnerabilities?medical=1&amp;priority=attend&amp;department=Cardiologie",
        "0",
    ) in links
    attend = next(href for href, count in links if count == "5")
    followed = client.get(attend.replace("&amp;", "&")).text
    assert len(_listed(followed)) == 5


def test_another_establishments_result_is_not_found(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    other = hospital(session, email="rssi@autre.fr")
    service_scan_other(session, other.id)
    theirs = service.list_results(session, other.id)[0]
    assert client.get(f"/e/{h.id}/vulnerabilities/{theirs.id}").status_code == 404
    assert client.get(f"/e/{other.id}/vulnerabilities").status_code == 404
    assert client.get(f"/e/{other.id}/obsolete").status_code == 404


def service_scan_other(session: Session, establishment_id: int) -> None:
    from hygie.vulns.feeds import service as feeds_service
    from hygie.vulns.feeds.read import connect

    snapshot = feeds_service.current_snapshot()
    feeds = connect(snapshot)
    try:
        service.scan(session, establishment_id, db=feeds)
    finally:
        feeds.close()


def _chips(html: str) -> list[tuple[str, str, str]]:
    """The asset page's counts by priority: (count, priority, link)."""
    section = html.split('id="vulns-title"', 1)[1].split("</section>", 1)[0]
    return re.findall(
        r'<a href="([^"]+)"><span class="count">(\d+)</span>\s*(?:<span class="badge[^"]*">([^<]+)</span>)?',
        section.replace("&amp;", "&"),
    )


def test_asset_page_counts_its_vulnerabilities_by_priority(session: Session, client: TestClient) -> None:
    h = _scanned(session, client)
    w7, pump = h.assets["poste-w7"], h.assets["pompe-rea-12"]
    base = f"/e/{h.id}/vulnerabilities?asset="
    # poste-w7: CVE-2021-44228 and CVE-2019-0708 (Act), Windows 7 past its end of life (apart).
    page = client.get(f"/e/{h.id}/assets/{w7}?lang=en")
    assert _chips(page.text) == [
        (f"{base}{w7}", "2", ""),
        (f"{base}{w7}&priority=act", "2", "Act"),
        (f"{base}{w7}&priority=attend", "0", "Attend"),
        (f"{base}{w7}&priority=track%2A", "0", "Track*"),
        (f"{base}{w7}&priority=track", "0", "Track"),
    ]
    assert f'<a href="{base}{w7}&amp;kind=eol">1 end-of-life result</a>' in page.text
    # pompe-rea-12: five Attend and two Track (ORDER); the list filtered on it says the same.
    page = client.get(f"/e/{h.id}/assets/{pump}")
    assert [(n, p) for _href, n, p in _chips(page.text)] == [
        ("7", ""),
        ("0", "Agir"),
        ("5", "Traiter"),
        ("0", "Suivre*"),
        ("2", "Suivre"),
    ]
    assert "kind=eol" not in page.text
    listed = client.get(f"{base}{pump}")
    assert _listed(listed.text) == [cve for cve, asset in ORDER if asset == "pompe-rea-12"]
    summary = service.asset_summary(session, h.id, pump)
    assert (summary.total, summary.eol) == (7, 0)


def test_asset_page_before_any_audit_and_without_results(session: Session, client: TestClient) -> None:
    h = hospital(session)
    source = ImportSource(importer=Importer.CSV, file_name="imprimantes.csv")
    printer = AssetRecord(name="imprimante-1", ips=["10.30.0.9"], kind=AssetKind.OTHER)
    printer_id = assets_service.import_assets(session, h.id, [printer], source).created[0].asset_id
    login(client)
    page = client.get(f"/e/{h.id}/assets/{printer_id}?lang=en")
    assert "No audit has run yet." in page.text and 'class="count"' not in page.text
    service_scan_other(session, h.id)
    page = client.get(f"/e/{h.id}/assets/{printer_id}?lang=en")
    assert "The last audit found no vulnerability on this asset." in page.text
    assert 'class="count"' not in page.text


def test_nav_highlights_vulnerabilities_on_the_obsolete_systems(session: Session, client: TestClient) -> None:
    h = hospital(session)
    login(client)
    for path in ("/vulnerabilities", "/obsolete"):
        page = client.get(f"/e/{h.id}{path}?lang=en")
        current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', page.text)
        assert (f"/e/{h.id}/vulnerabilities", "Vulnerabilities") in current, path
    page = client.get(f"/e/{h.id}/assets?lang=en")
    assert f'<a href="/e/{h.id}/vulnerabilities" aria-current="page">' not in page.text


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        ("version 4.4.0 in <4.4.1", "version 4.4.0 dans <4.4.1"),
        ("any version", "toute version"),
        ("the asset's version is not known", "la version de l'actif n'est pas connue"),
        ("the asset's o platform is not known", "la plateforme (o) de l'actif n'est pas connue"),
        (
            "version 1.14.0 is in release cycle 1.14 of nginx",
            "la version 1.14.0 fait partie du cycle 1.14 de nginx",
        ),
        (
            "version 2.4.1-1 in <2.4.2 (distribution package: fix may be backported)",
            "version 2.4.1-1 dans <2.4.2 (paquet de distribution : le correctif a pu être rétroporté)",
        ),
        ("model 'IP 9000' only resembles 'IP 900'", "le modèle 'IP 9000' ressemble seulement à 'IP 900'"),
        ("a reason nobody wrote a pattern for", "a reason nobody wrote a pattern for"),
    ],
)
def test_matching_reasons_read_in_french(reason: str, french: str) -> None:
    assert reason_text(reason, "fr") == french
    assert reason_text(reason, "en") == reason.replace("fix may", "the fix may")
