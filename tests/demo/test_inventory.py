"""The demo hospital's inventory: 3,000 assets of which 800 medical devices, the same every time,
imported through the assets service so that every field has a real origin."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, ClinicalCriticality, Importer, MedicalSubtype, Patchable
from hygie.demo import inventory
from tests.factories import make_establishment


def test_generation_is_deterministic_and_sized_like_a_450_bed_hospital() -> None:
    first, second = inventory.generate(), inventory.generate()
    assert [r.model_dump() for r in first.inventory] == [r.model_dump() for r in second.inventory]
    assert [r.model_dump() for r in first.scan] == [r.model_dump() for r in second.scan]
    assert inventory.generate(seed=1).scan != first.scan  # the seed matters
    kinds = Counter(r.kind for r in first.inventory)
    assert kinds == {
        AssetKind.MEDICAL_DEVICE: 800,
        AssetKind.WORKSTATION: 1700,
        AssetKind.NETWORK: 175,
        AssetKind.IOT: 150,
        AssetKind.OTHER: 100,
        AssetKind.SERVER: 63,
    }
    # Every identifying value is unique: nothing merges by accident.
    for key in ("name", "serial"):
        values = [getattr(r, key) for r in first.inventory if getattr(r, key)]
        assert len(values) == len(set(values)), key
    ips = [ip for r in first.inventory for ip in r.ips]
    macs = [m.address for r in first.inventory for m in r.macs]
    assert len(ips) == len(set(ips)) == len(macs) == len(set(macs)) == 2988
    # The scan sees known addresses again, and twelve hosts nobody declared.
    unknown = [r for r in first.scan if not set(r.ips) & set(ips)]
    assert len(unknown) == inventory.SHADOW == 12 and all(not r.hostname for r in unknown)
    assert all(m.address.startswith("02:") for r in first.scan for m in r.macs)  # never a real maker's block


def test_imported_inventory_tells_the_story(session: Session) -> None:
    establishment = make_establishment(session)
    summary = inventory.build(session, establishment.id)
    assert (summary.assets, summary.medical_devices) == (3000, 800)  # the scan's 12 unknown hosts included
    counts = assets_service.counts_by_kind(session, establishment.id)
    assert counts[AssetKind.OTHER] == 112
    devices = assets_service.medical_devices(session, establishment.id)
    departments = {d.department for d in devices}
    assert {"Réanimation", "Urgences", "Bloc opératoire", "Imagerie médicale", "Laboratoire"} <= departments
    assert {"Cardiologie", "Pédiatrie et néonatologie", "Maternité", "Oncologie", "Pharmacie"} <= departments
    # Life-sustaining and not patchable, by hand from the table: Réanimation's old pumps (24), old
    # monitors (6) and ventilators (22), the other ventilators (6 + 6 + 4), anaesthesia machines (14).
    critical = [
        d
        for d in devices
        if d.criticality is ClinicalCriticality.LIFE_SUSTAINING and d.patchable is Patchable.NO
    ]
    assert len(critical) == 24 + 6 + 22 + 6 + 6 + 4 + 14
    subtypes = Counter(d.medical_subtype for d in devices)
    assert subtypes[MedicalSubtype.VENTILATOR] == 22 + 6 + 6 + 4
    assert subtypes[MedicalSubtype.DIALYSIS_MACHINE] == 20
    # Past their end of support: the Windows 7 workstations, the 2008 R2 servers.
    assets = assets_service.list_assets(session, establishment.id)
    win7 = [a for a in assets if a.kind is AssetKind.WORKSTATION and a.os_name and "Windows 7" in a.os_name]
    assert len(win7) == inventory.WIN7_WORKSTATIONS
    old_servers = {a.name for a in assets if a.os_version == "2008 R2"}
    assert {"PHARMA01", "RDP-PRESTATAIRE", "BADGE01", "GTC01", "VM-APP-08"} <= old_servers
    assert all(a.end_of_support == date(2020, 1, 14) for a in assets if a.os_version == "2008 R2")
    exposed = {a.name for a in assets if a.internet_exposed}
    assert {"MAIL01", "PORTAIL-PATIENTS", "RDP-PRESTATAIRE", "vpn-01", "fw-ext-01"} <= exposed
    # Provenance is real: a value stated by the inventory, ports seen by the scan, two imports.
    imports = assets_service.list_imports(session, establishment.id)
    assert [(i.importer, i.file_name) for i in imports] == [
        (Importer.NMAP, inventory.SCAN_FILE),
        (Importer.CSV, inventory.INVENTORY_FILE),
    ]
    assert (imports[1].created, imports[0].created, imports[0].updated) == (2988, 12, summary.scanned - 12)
    rdp = next(a for a in assets if a.name == "RDP-PRESTATAIRE")
    detail = assets_service.asset_detail(session, establishment.id, rdp.id)
    assert [(s.port, s.service) for s in detail.services] == [(3389, "ms-wbt-server")]
    origin = {p.field: p for p in detail.provenance}
    assert origin["os_version"].file_name == inventory.INVENTORY_FILE and not origin["os_version"].guessed
