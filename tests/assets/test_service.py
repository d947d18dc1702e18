"""Merging imports into the inventory (SQLite and PostgreSQL): the merge keys in their order, the
change report, idempotent re-imports, provenance, one transaction, and one establishment's assets
out of another's reach."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hygie.assets import service
from hygie.assets.importers import read_file
from hygie.assets.models import (
    Asset,
    AssetAddress,
    AssetImport,
    AssetKind,
    FieldProvenance,
    Importer,
    InstalledSoftware,
    MedicalSubtype,
    NetworkService,
)
from hygie.assets.schemas import AssetRecord, ImportReport, ImportSource, PortRange
from hygie.core.errors import ImportRejectedError, NotFoundError
from tests.factories import make_establishment

DATA = Path(__file__).parent / "data"
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def _import(session: Session, establishment_id: int, path: Path, **options: Any) -> ImportReport:
    parsed = read_file(path, **options)
    return service.import_assets(session, establishment_id, parsed.records, parsed.source)


def _records(
    session: Session, establishment_id: int, *records: dict[str, Any], importer: Importer = Importer.CSV
) -> ImportReport:
    source = ImportSource(importer=importer, file_name=f"{importer.value}-file")
    return service.import_assets(
        session, establishment_id, [AssetRecord.model_validate(r) for r in records], source
    )


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(table)) or 0
        for table in (Asset, AssetAddress, InstalledSoftware, NetworkService, FieldProvenance)
    )


def _changes(report: ImportReport, asset_id: int) -> dict[str, tuple[str | None, str | None]]:
    entry = next(e for e in [*report.created, *report.updated] if e.asset_id == asset_id)
    return {c.field: (c.old, c.new) for c in entry.changes}


def test_scan_then_inventory_merge_by_mac_and_hostname(session: Session) -> None:
    chu = make_establishment(session)
    scan = _import(session, chu.id, DATA / "ward_scan.xml")
    assert [e.name for e in scan.created] == ["pump-rea-12.chu.local", "irm-console.chu.local"]
    pump_id, console_id = (e.asset_id for e in scan.created)

    inventory = _import(session, chu.id, DATA / "inventory_fr.csv")
    assert [(e.asset_id, e.matched_on) for e in inventory.updated] == [
        (pump_id, "mac"),
        (console_id, "hostname"),
    ]
    assert len(inventory.created) == 1 and inventory.created[0].name.startswith("=HYPERLINK")
    pump = _changes(inventory, pump_id)
    assert pump["name"] == ("pump-rea-12.chu.local", "Pompe Réa 12")
    assert pump["kind"] == ("other", "medical_device")
    assert pump["serial"] == (None, "SN-77001")
    assert pump["patchable"] == ("unknown", "no")
    assert "ip" not in pump and "mac" not in pump  # already known from the scan
    console = _changes(inventory, console_id)
    assert console["kind"] == ("workstation", "medical_device")  # the scan's guess gives way
    assert console["os_name"] == ("Microsoft Windows 7 SP1", "Windows 7")
    assert session.scalar(select(func.count()).select_from(Asset)) == 3


def test_reimporting_the_same_files_changes_nothing(session: Session) -> None:
    chu = make_establishment(session)
    _import(session, chu.id, DATA / "ward_scan.xml")
    _import(session, chu.id, DATA / "inventory_fr.csv")
    _import(session, chu.id, DATA / "ward_scan.xml")
    before = _counts(session)
    assets = {a.id: (a.updated_at, a.last_seen, a.kind, a.os_name) for a in session.scalars(select(Asset))}
    for path in ("ward_scan.xml", "inventory_fr.csv", "ward_scan.xml"):
        report = _import(session, chu.id, DATA / path)
        assert report.created == [] and report.updated == [] and report.warnings == []
        assert len(report.unchanged) == (2 if path.endswith("xml") else 3)
    assert _counts(session) == before
    session.expire_all()
    assert {
        a.id: (a.updated_at, a.last_seen, a.kind, a.os_name) for a in session.scalars(select(Asset))
    } == assets
    imports = session.scalars(select(AssetImport).order_by(AssetImport.id)).all()
    assert [(i.importer, i.created, i.updated, i.unchanged) for i in imports][-3:] == [
        (Importer.NMAP, 0, 0, 2),
        (Importer.CSV, 0, 0, 3),
        (Importer.NMAP, 0, 0, 2),
    ]


def test_mac_wins_over_serial_and_the_serial_is_not_moved(session: Session) -> None:
    chu = make_establishment(session)
    first = _records(
        session,
        chu.id,
        {"name": "A", "macs": [{"address": "00:00:00:00:00:0a"}]},
        {"name": "B", "serial": "S-1"},
    )
    a_id, b_id = (e.asset_id for e in first.created)
    report = _records(
        session, chu.id, {"macs": [{"address": "00-00-00-00-00-0A"}], "serial": "s-1", "model": "X"}
    )
    (entry,) = report.updated
    assert (entry.asset_id, entry.matched_on) == (a_id, "mac")
    assert {c.field for c in entry.changes} == {"model"}  # the serial of B stays B's
    assert report.warnings == [
        f"csv-file: matched asset {a_id} by mac, but its serial belongs to asset {b_id}: "
        "that serial was left where it is"
    ]
    assert service.get_asset(session, chu.id, a_id).serial is None


def test_serial_wins_over_hostname(session: Session) -> None:
    chu = make_establishment(session)
    first = _records(
        session, chu.id, {"name": "A", "serial": "S-1"}, {"name": "B", "hostname": "b.chu.local"}
    )
    a_id, _ = (e.asset_id for e in first.created)
    report = _records(session, chu.id, {"serial": "S-1", "hostname": "B.CHU.LOCAL.", "ips": ["10.0.0.7"]})
    (entry,) = report.updated
    assert (entry.asset_id, entry.matched_on) == (a_id, "serial")
    assert _changes(report, a_id) == {"ip": (None, "10.0.0.7")}
    assert service.get_asset(session, chu.id, a_id).hostname is None


def test_hostname_wins_over_ip_and_ip_alone_merges(session: Session) -> None:
    chu = make_establishment(session)
    first = _records(session, chu.id, {"hostname": "a.chu.local"}, {"name": "B", "ips": ["10.0.0.2"]})
    a_id, b_id = (e.asset_id for e in first.created)
    assert first.created[0].name == "a.chu.local"  # no name given: the hostname stands for it
    by_hostname = _records(session, chu.id, {"hostname": "a.chu.local", "ips": ["10.0.0.2"]})
    assert [(e.asset_id, e.matched_on) for e in by_hostname.updated] == [(a_id, "hostname")]
    # The address moved to A (DHCP): the next IP-only record is A, the one seen with it last.
    by_ip = _records(session, chu.id, {"ips": ["10.0.0.2"], "location": "Urgences"})
    assert [(e.asset_id, e.matched_on) for e in by_ip.updated] == [(a_id, "ip")]
    assert service.get_asset(session, chu.id, b_id).location is None


def test_one_file_never_makes_duplicates(session: Session) -> None:
    chu = make_establishment(session)
    report = _records(
        session,
        chu.id,
        {"name": "Pompe 1", "macs": [{"address": "00:00:00:00:00:01"}]},
        {"serial": "P-1", "macs": [{"address": "00:00:00:00:00:01"}]},
        {"name": "Pompe 1", "serial": "P-1", "department": "Réa"},
    )
    assert len(report.created) == 1 and report.updated == []
    (asset,) = service.list_assets(session, chu.id)
    assert (asset.name, asset.serial, asset.department) == ("Pompe 1", "P-1", "Réa")


def test_a_record_with_only_a_name_merges_on_it(session: Session) -> None:
    chu = make_establishment(session)
    _import(session, chu.id, DATA.parents[3] / "shared/data/scans/cyclonedx/log4j.json")
    again = _import(session, chu.id, DATA.parents[3] / "shared/data/scans/cyclonedx/log4j.json")
    assert again.created == [] and [e.matched_on for e in again.unchanged] == ["name"]


def test_an_import_never_erases_and_a_guess_never_replaces_a_statement(session: Session) -> None:
    chu = make_establishment(session)
    stated = {"hostname": "h.chu.local", "kind": "medical_device", "os_name": "Windows 7", "owner": "Biomed"}
    (created,) = _records(session, chu.id, stated).created
    guess = {
        "hostname": "h.chu.local",
        "kind": "server",
        "os_name": "Linux",
        "os_version": "4.X",
        "guessed": {"kind", "os_name", "os_version"},
    }
    report = _records(session, chu.id, guess, importer=Importer.NMAP)
    assert _changes(report, created.asset_id) == {"os_version": (None, "4.X")}  # only the empty field
    newer_guess = {**guess, "os_version": "5.X"}
    report = _records(session, chu.id, newer_guess, importer=Importer.NMAP)
    assert _changes(report, created.asset_id) == {"os_version": ("4.X", "5.X")}  # a guess replaces a guess
    asset = service.get_asset(session, chu.id, created.asset_id)
    assert (asset.kind, asset.os_name, asset.owner) == (AssetKind.MEDICAL_DEVICE, "Windows 7", "Biomed")


def test_provenance_of_each_field(session: Session) -> None:
    chu = make_establishment(session)
    scan = _import(session, chu.id, DATA / "ward_scan.xml")
    _import(session, chu.id, DATA / "inventory_fr.csv")
    console_id = scan.created[1].asset_id
    origin = {p.field: p for p in service.provenance_of(session, chu.id, console_id)}
    assert (origin["kind"].importer, origin["kind"].file_name, origin["kind"].value) == (
        Importer.CSV,
        "inventory_fr.csv",
        "medical_device",
    )
    assert (origin["os_cpe"].importer, origin["os_cpe"].guessed) == (Importer.NMAP, True)
    assert (origin["hostname"].importer, origin["hostname"].guessed) == (Importer.NMAP, False)
    assert "firmware" not in origin  # never stated
    history = session.scalars(
        select(FieldProvenance).where(FieldProvenance.asset_id == console_id, FieldProvenance.field == "kind")
    ).all()
    assert [(p.value, p.guessed) for p in history] == [("workstation", True), ("medical_device", False)]
    detail = service.asset_detail(session, chu.id, console_id)
    assert [s.product for s in detail.services] == [
        "Microsoft Windows netbios-ssn",
        "Microsoft Windows 7 - 10 microsoft-ds",
        "DCMTK",
    ]
    assert [p.field for p in detail.provenance][:3] == ["name", "hostname", "kind"]


def _scan(ports: list[int], at: datetime, scanned: tuple[int, int] | None = (1, 1024)) -> dict[str, Any]:
    return {
        "ips": ["10.0.0.5"],
        "ports": [
            {"protocol": "tcp", "port": p, "service": "svc", "product": f"Product{p}", "version": "1.0"}
            for p in ports
        ],
        "ports_scanned": [PortRange(protocol="tcp", first=scanned[0], last=scanned[1])] if scanned else None,
        "observed_at": at,
    }


def test_ports_a_newer_scan_probed_and_did_not_find_are_removed(session: Session) -> None:
    chu = make_establishment(session)
    (created,) = _records(
        session, chu.id, _scan([22, 80, 8080], MONDAY, (1, 65535)), importer=Importer.NMAP
    ).created
    # Tuesday's scan probed 1-1024 only: 80 is closed now, 8080 was not probed and stays.
    report = _records(session, chu.id, _scan([22], TUESDAY), importer=Importer.NMAP)
    assert [(c.field, c.old, c.new) for c in report.updated[0].changes] == [
        ("port", "tcp/80 svc Product80 1.0", None),
        ("software", "Product80 1.0", None),
    ]
    asset = service.get_asset(session, chu.id, created.asset_id)
    assert sorted(s.port for s in asset.services) == [22, 8080]
    assert sorted(s.name for s in asset.software) == ["Product22", "Product8080"]
    assert asset.last_seen == TUESDAY
    # An older scan closes nothing that a newer one saw.
    older = _records(session, chu.id, _scan([], MONDAY), importer=Importer.NMAP)
    assert older.updated == [] and len(older.unchanged) == 1


def test_a_new_sbom_replaces_the_previous_one_and_leaves_scan_software(session: Session) -> None:
    chu = make_establishment(session)
    _records(session, chu.id, _scan([22], MONDAY), importer=Importer.NMAP)
    sbom = {
        "ips": ["10.0.0.5"],
        "software": [
            {"name": "log4j-core", "version": "2.13.2", "purl": "pkg:maven/o/log4j-core@2.13.2"},
            {"name": "zlib", "version": "1.2.11"},
        ],
    }
    _records(session, chu.id, sbom, importer=Importer.CYCLONEDX)
    upgraded = {
        **sbom,
        "software": [
            {"name": "log4j-core", "version": "2.17.1", "purl": "pkg:maven/o/log4j-core@2.17.1"},
            {"name": "zlib", "version": "1.2.11"},
        ],
    }
    report = _records(session, chu.id, upgraded, importer=Importer.CYCLONEDX)
    assert [(c.old, c.new) for c in report.updated[0].changes] == [
        (None, "log4j-core 2.17.1"),
        ("log4j-core 2.13.2", None),
    ]
    (asset,) = service.list_assets(session, chu.id)
    assert sorted((s.source.value, s.name, s.version) for s in asset.software) == [
        ("cyclonedx", "log4j-core", "2.17.1"),
        ("cyclonedx", "zlib", "1.2.11"),
        ("nmap", "Product22", "1.0"),
    ]


def test_the_whole_file_or_nothing(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    chu = make_establishment(session)
    before = _counts(session)
    calls = 0
    original = service._Merge._addresses

    def failing(self: Any, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return original(self, *args)

    monkeypatch.setattr(service._Merge, "_addresses", failing)
    with pytest.raises(RuntimeError):
        _import(session, chu.id, DATA / "ward_scan.xml")
    assert _counts(session) == before
    assert session.scalar(select(func.count()).select_from(AssetImport)) == 0


def test_a_record_that_identifies_nothing_rejects_the_file(session: Session) -> None:
    chu = make_establishment(session)
    with pytest.raises(ImportRejectedError) as caught:
        _records(session, chu.id, {"name": "ok"}, {"department": "Réa"})
    assert "record 2: nothing identifies the asset" in str(caught.value)
    assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_establishments_are_kept_apart(session: Session) -> None:
    a, b = make_establishment(session), make_establishment(session)
    (mine,) = _records(session, a.id, {"name": "Pompe", "macs": [{"address": "00:00:00:00:00:01"}]}).created
    (theirs,) = _records(session, b.id, {"name": "Pompe", "macs": [{"address": "00:00:00:00:00:01"}]}).created
    assert mine.asset_id != theirs.asset_id  # the same MAC in another establishment is another asset
    with pytest.raises(NotFoundError):
        service.get_asset(session, b.id, mine.asset_id)
    with pytest.raises(NotFoundError):
        service.asset_detail(session, b.id, mine.asset_id)
    with pytest.raises(NotFoundError):
        service.provenance_of(session, b.id, mine.asset_id)
    assert [x.id for x in service.list_assets(session, b.id)] == [theirs.asset_id]
    with pytest.raises(NotFoundError):
        _records(session, 999_999, {"name": "x"})


def test_list_filters(session: Session) -> None:
    chu = make_establishment(session)
    _import(session, chu.id, DATA / "inventory_fr.csv")
    names = lambda **f: [a.name for a in service.list_assets(session, chu.id, **f)]  # noqa: E731
    assert names(kind=AssetKind.MEDICAL_DEVICE) == ["Console IRM", "Pompe Réa 12"]
    assert names(department="réanim") == ["Pompe Réa 12"]
    assert names(department="IMAGERIE") == ["Console IRM"]
    assert names(medical_subtype=MedicalSubtype.INFUSION_PUMP) == ["Pompe Réa 12"]
    assert names(kind=AssetKind.NETWORK) == []
    assert [i.file_name for i in service.list_imports(session, chu.id)] == ["inventory_fr.csv"]
