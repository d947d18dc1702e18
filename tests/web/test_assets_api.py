"""API of the inventory: the list with its filters and pages, an asset with the origin of its fields,
the import (good, wrong, hostile, too large) with its audit entry and history, roles and isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assets import api as assets_api
from hygie.assets import service as assets_service
from hygie.assets.models import Asset, AssetKind, ClinicalCriticality, Importer, MedicalSubtype
from hygie.assets.schemas import AssetRecord, ImportSource, MacRecord
from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Role
from tests.factories import make_establishment
from tests.web.conftest import make_user

DATA = Path(__file__).resolve().parents[1] / "assets" / "data"
CSV_HEADER = (
    "Nom;Nom d'hôte;Adresse IP;Adresse MAC;Type;Sous-type;"
    "Service;Zone réseau;Criticité;Correctifs possibles\n"
)
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<nmaprun><host><hostnames><hostname name="&lol3;"/></hostnames></host></nmaprun>
"""


def _bearer(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def _stock(session: Session, establishment_id: int) -> dict[str, int]:
    """Five assets, hand-made: two pumps (one life-sustaining), a monitor, a server, a workstation."""
    records = [
        AssetRecord(
            name="Pompe Réa 1",
            ips=["10.20.0.11"],
            macs=[MacRecord(address="02:00:00:00:00:01")],
            kind=AssetKind.MEDICAL_DEVICE,
            medical_subtype=MedicalSubtype.INFUSION_PUMP,
            department="Réanimation",
            network_zone="Wi-Fi soins",
            criticality=ClinicalCriticality.LIFE_SUSTAINING,
        ),
        AssetRecord(
            name="Pompe Onco 2",
            ips=["10.20.0.12"],
            kind=AssetKind.MEDICAL_DEVICE,
            medical_subtype=MedicalSubtype.INFUSION_PUMP,
            department="Oncologie",
            network_zone="Wi-Fi soins",
            criticality=ClinicalCriticality.SUPPORT,
        ),
        AssetRecord(
            name="Moniteur Réa 3",
            ips=["10.20.1.3"],
            kind=AssetKind.MEDICAL_DEVICE,
            medical_subtype=MedicalSubtype.PATIENT_MONITOR,
            department="Réanimation",
            network_zone="Biomédical",
            criticality=ClinicalCriticality.LIFE_SUSTAINING,
        ),
        AssetRecord(
            name="DPI-APP01",
            hostname="dpi-app01.ch.local",
            ips=["10.1.0.5"],
            kind=AssetKind.SERVER,
            network_zone="Serveurs",
            os_name="Microsoft Windows Server",
        ),
        AssetRecord(
            name="PC-ADM-0001",
            hostname="pc-adm-0001.ch.local",
            ips=["10.10.0.2"],
            kind=AssetKind.WORKSTATION,
            department="Admissions",
            network_zone="Postes de travail",
        ),
    ]
    source = ImportSource(importer=Importer.CSV, file_name="inventaire.csv")
    report = assets_service.import_assets(session, establishment_id, records, source)
    return {entry.name: entry.asset_id for entry in report.created}


def _rssi(session: Session) -> tuple[int, dict[str, int], dict[str, str]]:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    ids = _stock(session, establishment.id)
    return establishment.id, ids, _bearer(session, "rssi@chu-exemple.fr")


def _names(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [item["name"] for item in body["items"]]


def test_list_filters_and_pages(session: Session, client: TestClient) -> None:
    establishment_id, _ids, headers = _rssi(session)
    base = f"/api/v1/establishments/{establishment_id}/assets"
    everything = client.get(base, headers=headers)
    assert everything.status_code == 200
    assert everything.json()["total"] == 5
    # By name, case ignored.
    assert _names(everything) == ["DPI-APP01", "Moniteur Réa 3", "PC-ADM-0001", "Pompe Onco 2", "Pompe Réa 1"]
    cases = {
        "?kind=medical_device": ["Moniteur Réa 3", "Pompe Onco 2", "Pompe Réa 1"],
        "?medical_subtype=infusion_pump": ["Pompe Onco 2", "Pompe Réa 1"],
        "?criticality=life_sustaining": ["Moniteur Réa 3", "Pompe Réa 1"],
        "?department=r%C3%A9a": ["Moniteur Réa 3", "Pompe Réa 1"],
        "?zone=wi-fi": ["Pompe Onco 2", "Pompe Réa 1"],
        "?q=10.20.0": ["Pompe Onco 2", "Pompe Réa 1"],
        "?q=02-00-00-00-00-01": ["Pompe Réa 1"],  # a MAC typed the Windows way
        "?q=dpi-app01.ch": ["DPI-APP01"],  # the hostname
        "?q=pc-adm": ["PC-ADM-0001"],
        "?kind=medical_device&criticality=life_sustaining&department=Onco": [],
    }
    for query, expected in cases.items():
        response = client.get(base + query, headers=headers)
        assert response.status_code == 200, (query, response.text)
        assert _names(response) == expected, query
        assert response.json()["total"] == len(expected), query
    page = client.get(base + "?limit=2&offset=2", headers=headers).json()
    assert [i["name"] for i in page["items"]] == ["PC-ADM-0001", "Pompe Onco 2"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    # The addresses come with each asset.
    first = everything.json()["items"][-1]
    assert {a["value"] for a in first["addresses"]} == {"10.20.0.11", "02:00:00:00:00:01"}
    refused = client.get(base + "?kind=toaster", headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"


def test_detail_gives_the_origin_of_each_field(session: Session, client: TestClient) -> None:
    establishment_id, ids, headers = _rssi(session)
    response = client.get(
        f"/api/v1/establishments/{establishment_id}/assets/{ids['Pompe Réa 1']}", headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Pompe Réa 1" and body["medical_subtype"] == "infusion_pump"
    origin = {p["field"]: p for p in body["provenance"]}
    assert set(origin) == {"name", "kind", "medical_subtype", "department", "network_zone", "criticality"}
    assert origin["criticality"]["value"] == "life_sustaining"
    assert origin["criticality"]["file_name"] == "inventaire.csv"
    assert origin["criticality"]["importer"] == "csv" and origin["criticality"]["guessed"] is False
    assert body["services"] == [] and body["software"] == []


def test_another_establishments_asset_is_not_found(session: Session, client: TestClient) -> None:
    establishment_id, ids, headers = _rssi(session)
    other = make_establishment(session, name="CH voisin")
    theirs = _stock(session, other.id)
    # Their asset under our establishment: missing, not forbidden.
    mixed = client.get(
        f"/api/v1/establishments/{establishment_id}/assets/{theirs['Pompe Réa 1']}", headers=headers
    )
    assert mixed.status_code == 404 and mixed.json()["error"]["code"] == "not_found"
    # Their establishment: missing too, whatever the route.
    for path in ("", f"/{theirs['Pompe Réa 1']}", "/imports"):
        response = client.get(f"/api/v1/establishments/{other.id}/assets{path}", headers=headers)
        assert response.status_code == 404, path
        assert "CH voisin" not in response.text
    assert ids  # ours exist


def _audit(session: Session) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "asset.import").order_by(AuditEntry.id)
    return list(session.scalars(query))


def test_import_a_csv_then_a_scan_then_the_history(session: Session, client: TestClient) -> None:
    establishment_id, _ids, headers = _rssi(session)
    base = f"/api/v1/establishments/{establishment_id}/assets"
    text = (
        CSV_HEADER
        + "Pompe Réa 9;;10.20.0.19;02:00:00:00:00:09;Dispositif médical;Pompe à perfusion;"
        + "Réanimation;;Vital;non\n"
    )
    response = client.post(
        base + "/import", headers=headers, files={"file": ("biomed.csv", text.encode(), "text/csv")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["name"] for c in body["created"]] == ["Pompe Réa 9"]
    assert body["updated"] == [] and body["importer"] == "csv" and body["file_name"] == "biomed.csv"
    created = session.get(Asset, body["created"][0]["asset_id"])
    assert created is not None and created.establishment_id == establishment_id
    assert created.criticality is ClinicalCriticality.LIFE_SUSTAINING and created.patchable.value == "no"
    # The same import as the CLI's audit entry, with the caller.
    entry = _audit(session)[-1]
    user = accounts.find_user(session, "rssi@chu-exemple.fr")
    assert entry.actor == f"user:{user.id}" and entry.object_id == str(body["import_id"])
    assert entry.details["created"] == 1 and entry.details["file"] == "biomed.csv"
    # A scan: the format from its content, merged into what exists.
    scan = client.post(
        base + "/import",
        headers=headers,
        files={"file": ("ward_scan.xml", (DATA / "ward_scan.xml").read_bytes(), "application/xml")},
    )
    assert scan.status_code == 200, scan.text
    assert scan.json()["importer"] == "nmap"
    history = client.get(base + "/imports", headers=headers).json()
    assert [i["file_name"] for i in history["items"]] == ["ward_scan.xml", "biomed.csv", "inventaire.csv"]
    assert history["items"][1]["created"] == 1 and history["total"] == 3


def test_wrong_file_lists_its_problems_and_imports_nothing(session: Session, client: TestClient) -> None:
    establishment_id, _ids, headers = _rssi(session)
    base = f"/api/v1/establishments/{establishment_id}/assets"
    text = CSV_HEADER + "Bon;;10.20.0.50;;serveur;;;;;\n" + "Mauvais;;10.20.0.999;;grille-pain;;;;;\n"
    response = client.post(
        base + "/import", headers=headers, files={"file": ("faux.csv", text.encode(), "text/csv")}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    where = {(d["line"], d["field"]) for d in error["details"]}
    assert {line for line, _field in where} == {3}
    assert len(error["details"]) == 2  # the IP and the kind, both on line 3
    assert client.get(base, headers=headers).json()["total"] == 5  # the good line was not imported
    assert _audit(session) == []


def test_hostile_and_oversized_files(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    establishment_id, _ids, headers = _rssi(session)
    url = f"/api/v1/establishments/{establishment_id}/assets/import"
    bomb = client.post(url, headers=headers, files={"file": ("bomb.xml", BOMB.encode(), "application/xml")})
    assert bomb.status_code == 422 and "XML bomb" in bomb.text
    # A name that tries to leave its folder keeps its last part only.
    sneaky = client.post(
        url, headers=headers, files={"file": ("../../etc/x.csv", b"\x00\x01garbage", "text/csv")}
    )
    assert sneaky.status_code == 422 and "../" not in sneaky.json()["error"]["message"]
    monkeypatch.setattr(assets_api, "MAX_WEB_IMPORT_BYTES", 1000)
    big = client.post(url, headers=headers, files={"file": ("big.csv", b"a;b\n" * 400, "text/csv")})
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    empty = client.post(url, headers=headers, files={"file": ("vide.csv", b"", "text/csv")})
    assert empty.status_code == 422 and "empty" in empty.text
    hostname = client.post(
        url,
        headers=headers,
        data={"format": "csv", "hostname": "srv"},
        files={"file": ("x.csv", CSV_HEADER.encode(), "text/csv")},
    )
    assert hostname.status_code == 422 and "CycloneDX" in hostname.text
    assert client.get(url.replace("/import", ""), headers=headers).json()["total"] == 5


@pytest.mark.parametrize("role", [Role.MANAGEMENT, Role.AUDITOR])
def test_read_only_roles_read_but_may_not_import(session: Session, client: TestClient, role: Role) -> None:
    establishment = make_establishment(session)
    ids = _stock(session, establishment.id)
    make_user(session, email="lecture@chu-exemple.fr", role=role, establishment_id=establishment.id)
    headers = _bearer(session, "lecture@chu-exemple.fr")
    base = f"/api/v1/establishments/{establishment.id}/assets"
    assert client.get(base, headers=headers).json()["total"] == 5
    assert client.get(f"{base}/{ids['DPI-APP01']}", headers=headers).status_code == 200
    refused = client.post(
        base + "/import", headers=headers, files={"file": ("x.csv", CSV_HEADER.encode(), "text/csv")}
    )
    assert refused.status_code == 403
    assert len(assets_service.list_imports(session, establishment.id)) == 1
