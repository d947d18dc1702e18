"""Pages of the inventory: the list with its filters and pages (plain GET, no script), the medical
devices by department, an asset with the origin of its fields, the import form (good, wrong and
hostile files), read-only roles and isolation, in French and English."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.assets import api as assets_api
from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, ClinicalCriticality, Importer, MedicalSubtype, Patchable
from hygie.assets.schemas import AssetRecord, ImportSource, ScanFindingRecord
from hygie.org.models import Role
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user
from tests.web.test_assets_api import BOMB, CSV_HEADER, _stock

WORKSTATIONS = 52  # with the five of _stock: 57 assets, two pages of 50


def _hospital(session: Session, role: Role = Role.RSSI) -> tuple[int, dict[str, int]]:
    establishment = make_establishment(session)
    make_user(session, role=role, establishment_id=establishment.id)
    ids = _stock(session, establishment.id)
    records = [
        AssetRecord(name=f"PC-SOINS-{n:03d}", ips=[f"10.10.1.{n}"], kind=AssetKind.WORKSTATION)
        for n in range(1, WORKSTATIONS + 1)
    ]
    records.append(
        AssetRecord(
            name="Respirateur Réa 7",
            ips=["10.20.1.7"],
            kind=AssetKind.MEDICAL_DEVICE,
            medical_subtype=MedicalSubtype.VENTILATOR,
            department="Réanimation",
            criticality=ClinicalCriticality.LIFE_SUSTAINING,
            patchable=Patchable.NO,
            internet_exposed=True,
        )
    )
    source = ImportSource(importer=Importer.NMAP, file_name="scan-soins.xml")
    report = assets_service.import_assets(session, establishment.id, records, source)
    ids |= {entry.name: entry.asset_id for entry in report.created}
    return establishment.id, ids


def _rows(html: str) -> list[str]:
    """The names of the assets listed, in order."""
    return re.findall(r'<td><a href="/e/\d+/assets/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Inventaire", "Dispositif médical", "Criticité clinique", "Page suivante", "Vital"]),
        ("en", ["Inventory", "Medical device", "Clinical criticality", "Next page", "Life-sustaining"]),
    ],
)
def test_inventory_in_both_languages_with_counts_and_pages(
    session: Session, client: TestClient, lang: str, words: list[str]
) -> None:
    establishment_id, _ids = _hospital(session)
    login(client)
    page = client.get(f"/e/{establishment_id}/assets?lang={lang}")
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    for word in words:
        assert word in text, word
    assert f'<html lang="{lang}">' in text
    assert len(_rows(text)) == 50
    # Counts by kind: 4 medical devices, 53 workstations, 1 server, 58 in all.
    counts = dict(re.findall(r'<span class="count">([\d\s\u202f]+)</span> ([^<]+)</a>', text))
    assert counts["58"].strip() in {"actifs en tout", "assets in all"}
    assert counts["4"].strip() in {"Dispositif médical", "Medical device"}
    assert counts["53"].strip() in {"Poste de travail", "Workstation"}
    # The nav has the inventory, current here.
    assert f'<a href="/e/{establishment_id}/assets" aria-current="page">' in text
    second = client.get(f"/e/{establishment_id}/assets?page=2&lang={lang}")
    assert len(_rows(second.text)) == 8
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


def test_filters_are_a_plain_form_kept_across_pages(session: Session, client: TestClient) -> None:
    establishment_id, _ids = _hospital(session)
    login(client)
    base = f"/e/{establishment_id}/assets"
    life = client.get(f"{base}?kind=medical_device&criticality=life_sustaining")
    assert _rows(life.text) == ["Moniteur Réa 3", "Pompe Réa 1", "Respirateur Réa 7"]
    assert '<option value="life_sustaining" selected>' in life.text
    assert _rows(client.get(f"{base}?q=10.10.1.5").text) == [f"PC-SOINS-{n:03d}" for n in (5, *range(50, 53))]
    assert _rows(client.get(f"{base}?department=onco&subtype=infusion_pump").text) == ["Pompe Onco 2"]
    assert _rows(client.get(f"{base}?zone=serveurs").text) == ["DPI-APP01"]
    workstations = client.get(f"{base}?kind=workstation")
    assert "page 1 sur 2" in workstations.text
    assert f'href="{base}?kind=workstation&amp;page=2"' in workstations.text
    assert len(_rows(client.get(f"{base}?kind=workstation&page=2").text)) == 3
    none = client.get(f"{base}?q=introuvable")
    assert _rows(none.text) == [] and "Aucun actif ne correspond à ces filtres." in none.text
    assert client.get(f"{base}?kind=toaster").status_code == 422
    assert client.get(f"{base}?page=0").status_code == 422


def test_medical_devices_by_department(session: Session, client: TestClient) -> None:
    establishment_id, ids = _hospital(session)
    login(client)
    page = client.get(f"/e/{establishment_id}/assets/medical")
    assert page.status_code == 200
    text = page.text
    # Two departments with devices, Oncologie then Réanimation (alphabetical).
    headings = re.findall(r'<h2 id="dept-\d+-title">([^<]+?) <span', text)
    assert headings == ["Oncologie", "Réanimation"]
    reanimation = text[text.index('id="dept-2"') :]
    # By type in Réanimation: a pump, a monitor, a ventilator; one of them cannot be patched.
    assert reanimation.count('<th scope="row">') == 3
    critical = reanimation[reanimation.index('class="critical-list"') :]
    assert f'href="/e/{establishment_id}/assets/{ids["Respirateur Réa 7"]}"' in critical
    assert "Pompe Réa 1" not in critical  # life-sustaining, but its patchability is unknown
    assert "exposé sur internet" in critical
    summary = re.findall(r'<p class="big-figure">(\d+)</p>', text)
    assert summary == ["4", "1", "1"]


def test_asset_page_shows_where_each_value_comes_from(session: Session, client: TestClient) -> None:
    establishment_id, ids = _hospital(session)
    login(client)
    page = client.get(f"/e/{establishment_id}/assets/{ids['Pompe Réa 1']}")
    assert page.status_code == 200
    row = re.search(r"Criticité clinique</th>\s*<td>([^<]+)</td>\s*<td>(.+?)</td>", page.text, re.S)
    assert row is not None
    assert row.group(1) == "Vital"
    assert "Inventaire CSV" in row.group(2) and "inventaire.csv" in row.group(2) and "déclaré" in row.group(2)
    assert "02:00:00:00:00:01" in page.text
    vent = client.get(f"/e/{establishment_id}/assets/{ids['Respirateur Réa 7']}?lang=en")
    assert "Life-sustaining device that cannot be patched" in vent.text
    assert "This asset is exposed to the internet." in vent.text
    assert "Nmap scan" in vent.text and "scan-soins.xml" in vent.text


def _import(client: TestClient, establishment_id: int, name: str, content: bytes, **data: str) -> object:
    token = csrf_from(client.get(f"/e/{establishment_id}/assets/import").text)
    return client.post(
        f"/e/{establishment_id}/assets/import",
        data={"csrf_token": token, **data},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_import_through_the_page(session: Session, client: TestClient) -> None:
    establishment_id, ids = _hospital(session, Role.TECHNICIAN)
    login(client)
    form = client.get(f"/e/{establishment_id}/assets/import")
    assert 'enctype="multipart/form-data"' in form.text and "scan-soins.xml" in form.text
    text = CSV_HEADER + (
        "Pompe Réa 1;;10.20.0.11;;;;Réanimation;VLAN-REA;;non\n"
        "Pompe Réa 8;;10.20.0.18;;Dispositif médical;Pompe à perfusion;Réanimation;;Vital;non\n"
    )
    done = _import(client, establishment_id, "biomed.csv", text.encode())
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    html = done.text  # type: ignore[attr-defined]
    assert "Inventaire CSV — 1 créé(s), 1 mis à jour, 0 inchangé(s)" in html
    assert f'href="/e/{establishment_id}/assets/{ids["Pompe Réa 1"]}"' in html
    # The change of the updated pump, in words: zone and patchability.
    assert "Zone réseau : Wi-Fi soins → VLAN-REA" in html
    assert "Peut être corrigé (MDS2) : Inconnu → Non" in html or "(MDS2) : Inconnu → Non" in html
    history = client.get(f"/e/{establishment_id}/assets/import").text
    assert history.index("biomed.csv") < history.index("scan-soins.xml")


def test_wrong_and_hostile_files_through_the_page(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    establishment_id, _ids = _hospital(session)
    login(client)
    before = len(assets_service.list_imports(session, establishment_id))
    wrong = CSV_HEADER + "Bon;;10.0.0.1;;serveur;;;;;\nMauvais;;10.0.0.300;;grille-pain;;;;;\n"
    refused = _import(client, establishment_id, "faux.csv", wrong.encode())
    assert refused.status_code == 422  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    assert "2 problèmes, rien n'a été importé" in html
    assert html.count("<li>ligne 3, champ ") == 2
    bomb = _import(client, establishment_id, "bomb.xml", BOMB.encode())
    assert bomb.status_code == 422 and "XML bomb" in bomb.text  # type: ignore[attr-defined]
    missing = client.post(
        f"/e/{establishment_id}/assets/import",
        data={"csrf_token": csrf_from(html)},
    )
    assert missing.status_code == 422 and "Choisissez un fichier à importer." in missing.text
    monkeypatch.setattr(assets_api, "MAX_WEB_IMPORT_BYTES", 100)
    big = _import(client, establishment_id, "gros.csv", b"x" * 200)
    assert big.status_code == 413 and "gros.csv" in big.text  # type: ignore[attr-defined]
    assert len(assets_service.list_imports(session, establishment_id)) == before
    assert len(assets_service.list_assets(session, establishment_id)) == 58


def test_management_reads_without_the_form(session: Session, client: TestClient) -> None:
    establishment_id, ids = _hospital(session, Role.MANAGEMENT)
    login(client)
    for path in ("", "/medical", f"/{ids['DPI-APP01']}", "/import"):
        assert client.get(f"/e/{establishment_id}/assets{path}").status_code == 200, path
    page = client.get(f"/e/{establishment_id}/assets/import")
    assert 'type="file"' not in page.text
    assert "Seuls le RSSI et les techniciens peuvent importer des fichiers." in page.text
    refused = _import(client, establishment_id, "x.csv", CSV_HEADER.encode())
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_another_establishment_stays_out_of_sight(session: Session, client: TestClient) -> None:
    establishment_id, _ids = _hospital(session)
    other = make_establishment(session, name="CH de la Rive")
    theirs = _stock(session, other.id)
    login(client)
    assert client.get(f"/e/{establishment_id}/assets/{theirs['DPI-APP01']}").status_code == 404
    for path in ("", "/medical", "/import", f"/{theirs['DPI-APP01']}"):
        response = client.get(f"/e/{other.id}/assets{path}")
        assert response.status_code == 404, path
        assert "CH de la Rive" not in response.text


def test_asset_page_lists_the_scanners_findings(session: Session, client: TestClient) -> None:
    establishment_id, _ids = _hospital(session)
    findings = [
        ScanFindingRecord(
            nvt_oid="1.3.6.1.4.1.25623.1.0.100001",
            name="OpenSSH obsolète",
            port="22/tcp",
            severity=7.5,
            threat="High",
            qod=80,
            cves=("CVE-2023-38408", "CVE-2024-6387"),
            solution_type="VendorFix",
        ),
        ScanFindingRecord(
            nvt_oid="1.3.6.1.4.1.25623.1.0.100002",
            name="Liste des services",
            port="general/tcp",
            severity=0.0,
            threat="Log",
        ),
    ]
    record = AssetRecord(name="srv-dpi", ips=["10.0.0.40"], kind=AssetKind.SERVER, scan_findings=findings)
    source = ImportSource(importer=Importer.OPENVAS, file_name="greenbone.xml")
    asset_id = assets_service.import_assets(session, establishment_id, [record], source).created[0].asset_id
    login(client)
    page = client.get(f"/e/{establishment_id}/assets/{asset_id}")
    section = page.text.split('id="scan-title"', 1)[1].split("</section>", 1)[0]
    rows = [
        [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1], re.S)
    ]
    assert rows == [
        [
            ["OpenSSH", "obsolète", "CVE-2023-38408,", "CVE-2024-6387"],
            ["22/tcp"],
            ["Élevée", "7,5"],
            ["80", "%"],  # a non-breaking space between them
            ["Correctif", "du", "fabricant"],
        ],
        [["Liste", "des", "services"], ["general/tcp"], ["Journal", "0,0"], ["–"], ["–"]],
    ]
    assert 'class="badge badge-high">Élevée' in section and 'class="badge badge-info">Journal' in section
    english = client.get(f"/e/{establishment_id}/assets/{asset_id}?lang=en").text
    assert "Vulnerability scanner findings" in english and "Maker&#39;s fix" in english
    plain = client.get(f"/e/{establishment_id}/assets/{_ids['Pompe Réa 1']}?lang=en").text
    assert "No vulnerability scanner report on this asset." in plain
