"""The inventory's operations: merging an import into the assets of an establishment, and reading them.

Merge rule. Each record of a file is the asset of the same establishment that it matches first:

1. one of its MAC addresses is a MAC of the asset;
2. else its serial number is the asset's (case and surrounding spaces ignored);
3. else its hostname is the asset's (case and a final dot ignored);
4. else one of its IP addresses is an IP of the asset (the one seen with it most recently, when an
   address moved from one asset to another);
5. else, only for a record that has none of the above (an SBOM that names a product), its name is
   the asset's name (case ignored).

A record that matches nothing creates an asset. Records are matched against the assets created by
the earlier records of the same file too, so a file never makes duplicates. When a later key points
to another asset than the one matched (the MAC says A, the hostname says B), the record merges into
A, B is left alone, and the report warns about it: the conflicting value is not moved.

What a record says. A field the file leaves empty changes nothing (an import never erases). A value
the source only guessed (Nmap's OS fingerprint) fills a field no source stated and replaces older
guesses, never a stated value. Addresses and ports are added, and kept up to date with when they were
last seen; a port a newer scan probed and did not find open is removed. Each importer owns the
software it brought: a new SBOM replaces the previous SBOM's list, a new scan re-derives the
software its services show. A vulnerability scanner's report (OpenVAS) replaces the findings its
earlier reports listed for the host (see ``_scanner``).

The whole file is one transaction (a savepoint): it lands whole or leaves nothing. Re-importing the
same file changes no asset: every value, address, port and software is already there, seen at the
same time; only the import itself is logged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from hygie.assets._scanner import merge_findings
from hygie.assets.importers.nmap import software_of_service
from hygie.assets.models import (
    AddressKind,
    Asset,
    AssetAddress,
    AssetImport,
    AssetKind,
    ClinicalCriticality,
    FieldProvenance,
    Importer,
    InstalledSoftware,
    MedicalSubtype,
    NetworkService,
    ScanFinding,
)
from hygie.assets.schemas import (
    ASSET_FIELDS,
    AssetChange,
    AssetDetail,
    AssetOut,
    AssetRecord,
    FieldChange,
    ImportReport,
    ImportSource,
    PortRecord,
    ProvenanceOut,
    ScanFindingOut,
    ServiceOut,
    SoftwareOut,
    SoftwareRecord,
    normalise_mac,
)
from hygie.core.errors import ContentError, ImportRejectedError, Location, NotFoundError
from hygie.core.time import utcnow
from hygie.org import service as org_service

_CHUNK = 500  # ids per IN (...) list


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _text(value: object) -> str | None:
    """How a value is written in the report and the provenance."""
    if value is None:
        return None
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


class _Index:
    """Where each identifying value of the establishment's assets points (asset ids)."""

    def __init__(self) -> None:
        self.mac: dict[str, int] = {}
        self.serial: dict[str, int] = {}
        self.hostname: dict[str, int] = {}
        self.ip: dict[str, int] = {}
        self.name: dict[str, int] = {}

    @classmethod
    def load(cls, session: Session, establishment_id: int) -> _Index:
        index = cls()
        for asset_id, serial, hostname, name in session.execute(
            select(Asset.id, Asset.serial, Asset.hostname, Asset.name)
            .where(Asset.establishment_id == establishment_id)
            .order_by(Asset.id)
        ):
            index.add_keys(asset_id, serial=serial, hostname=hostname, name=name)
        addresses = session.execute(
            select(AssetAddress.asset_id, AssetAddress.kind, AssetAddress.value)
            .join(Asset, Asset.id == AssetAddress.asset_id)
            .where(Asset.establishment_id == establishment_id)
            .order_by(AssetAddress.last_seen, AssetAddress.id)  # the latest holder of an IP wins
        )
        for asset_id, kind, value in addresses:
            index.add_address(asset_id, kind, value)
        return index

    def add_keys(self, asset_id: int, *, serial: str | None, hostname: str | None, name: str | None) -> None:
        if serial:
            self.serial.setdefault(serial.upper(), asset_id)
        if hostname:
            self.hostname.setdefault(hostname, asset_id)
        if name:
            self.name.setdefault(name.lower(), asset_id)

    def add_address(self, asset_id: int, kind: AddressKind, value: str) -> None:
        if kind is AddressKind.MAC:
            self.mac.setdefault(value, asset_id)
        else:
            self.ip[value] = asset_id

    def candidates(self, record: AssetRecord) -> list[tuple[str, int]]:
        """Every (key, asset id) the record points to, strongest key first."""
        found = [("mac", self.mac[m.address]) for m in record.macs if m.address in self.mac]
        if record.serial and record.serial in self.serial:
            found.append(("serial", self.serial[record.serial]))
        if record.hostname and record.hostname in self.hostname:
            found.append(("hostname", self.hostname[record.hostname]))
        found += [("ip", self.ip[ip]) for ip in record.ips if ip in self.ip]
        strong = record.macs or record.serial or record.hostname or record.ips
        if not strong and record.name and record.name.lower() in self.name:
            found.append(("name", self.name[record.name.lower()]))
        return found


def _derived_name(record: AssetRecord) -> str:
    for value in (record.hostname, *record.ips, *(m.address for m in record.macs), record.serial):
        if value:
            return value[:200]
    return "?"


def _check(records: Sequence[AssetRecord], source: ImportSource) -> None:
    problems = [
        ContentError(
            "nothing identifies the asset (no MAC, serial, hostname, IP or name); for an SBOM, "
            "give --hostname",
            Location(source.file_name, record.line, None if record.line else f"record {number}"),
        )
        for number, record in enumerate(records, start=1)
        if not record.identified
    ]
    if problems:
        raise ImportRejectedError(source.file_name, problems)


class _Merge:
    """One import in progress: the index, the assets it touched and what changed on each."""

    def __init__(self, session: Session, establishment_id: int, batch: AssetImport) -> None:
        self.session = session
        self.establishment_id = establishment_id
        self.batch = batch
        self.index = _Index.load(session, establishment_id)
        self.assets: dict[int, Asset] = {}
        self.created: set[int] = set()
        self.changes: dict[int, list[FieldChange]] = {}
        self.matched_on: dict[int, str] = {}
        self.origins: dict[int, dict[str, bool]] = {}
        self.provenance: list[tuple[int, str, str | None, bool]] = []
        self.findings_written: dict[int, set[tuple[str, str]]] = {}  # by handle: see merge_findings
        self.warnings: list[str] = []

    def preload(self, records: Iterable[AssetRecord]) -> None:
        """Loads at once the assets the records match, with their addresses, software, ports and
        provenance (a few queries, whatever the number of records)."""
        ids = sorted({found[0][1] for r in records if (found := self.index.candidates(r))})
        for chunk in _chunks(ids):
            query = (
                select(Asset)
                .where(Asset.id.in_(chunk))
                .options(
                    selectinload(Asset.addresses),
                    selectinload(Asset.software),
                    selectinload(Asset.services),
                    selectinload(Asset.provenance),
                    selectinload(Asset.scan_findings),
                )
            )
            for asset in self.session.scalars(query):
                self.assets[asset.id] = asset

    def _asset(self, handle: int) -> Asset:
        if handle not in self.assets:
            asset = self.session.get(Asset, handle)
            if asset is None:  # pragma: no cover -- the index was read in this transaction
                raise NotFoundError(f"no asset {handle}")
            self.assets[handle] = asset
        return self.assets[handle]

    def _name(self, handle: int) -> str:
        """An asset in a warning: its id, or for one this import creates, its name."""
        return f"asset {handle}" if handle > 0 else f"new asset {self.assets[handle].name!r}"

    def merge(self, record: AssetRecord, importer: Importer) -> None:
        """Merges one record. New assets get a negative handle until the import's single flush:
        flushing each one would rescan the whole session every time (quadratic on big files)."""
        found = self.index.candidates(record)
        where = f"{self.batch.file_name}, line {record.line}" if record.line else self.batch.file_name
        if found:
            key, handle = found[0]
            asset = self._asset(handle)
            self.matched_on.setdefault(handle, key)
            for other_key, other in found[1:]:
                if other != handle:
                    self.warnings.append(
                        f"{where}: matched {self._name(handle)} by {key}, but its {other_key} belongs to "
                        f"{self._name(other)}: that {other_key} was left where it is"
                    )
            conflicts = {k for k, i in found if i != handle}
        else:
            # Empty collections given, so that filling them does not query a new asset's rows
            # (provenance rows are inserted apart, see write_provenance).
            asset = Asset(
                establishment_id=self.establishment_id,
                name=_derived_name(record),
                addresses=[],
                software=[],
                services=[],
                scan_findings=[],
            )
            self.session.add(asset)
            handle = -(len(self.created) + 1)
            self.assets[handle] = asset
            self.created.add(handle)
            if record.name is None:
                record = record.model_copy(update={"name": asset.name, "guessed": record.guessed | {"name"}})
            conflicts = set()
        changes = self.changes.setdefault(handle, [])
        changes += self._fields(asset, handle, record, conflicts)
        changes += self._addresses(asset, handle, record)
        changes += self._services(asset, record)
        changes += self._software(asset, record, importer)
        written = self.findings_written.setdefault(handle, set())
        changes += merge_findings(asset, record, importer, self.batch, self.warnings, written)
        if record.observed_at and (asset.last_seen is None or record.observed_at > asset.last_seen):
            asset.last_seen = record.observed_at
        if changes and handle not in self.created:
            asset.updated_at = self.batch.imported_at
        self.index.add_keys(handle, serial=asset.serial, hostname=asset.hostname, name=asset.name)
        for address in asset.addresses:
            self.index.add_address(handle, address.kind, address.value)

    def _fields(
        self, asset: Asset, handle: int, record: AssetRecord, conflicts: set[str]
    ) -> list[FieldChange]:
        if handle not in self.origins:  # field → whether its current value was only guessed
            self.origins[handle] = {p.field: p.guessed for p in asset.provenance}
        origins = self.origins[handle]
        changes: list[FieldChange] = []
        for field in ASSET_FIELDS:
            new = getattr(record, field)
            if new is None or field in conflicts:
                continue
            guessed = field in record.guessed
            was_guessed = origins.get(field)  # None: no source ever gave this field
            if guessed and was_guessed is False:
                continue  # a guess never replaces what a source stated
            old = getattr(asset, field)
            if old == new and was_guessed is not None and (not was_guessed or guessed):
                continue
            if old != new:
                changes.append(FieldChange(field=field, old=_text(old), new=_text(new)))
                setattr(asset, field, new)
            self.provenance.append((handle, field, _text(new), guessed))
            origins[field] = guessed
        return changes

    def write_provenance(self) -> None:
        """Inserts the provenance rows in one statement (after the flush that gave new assets their id):
        a field per asset per import is the largest table an import writes."""
        if not self.provenance:
            return
        rows = [
            {
                "asset_id": self.assets[handle].id,
                "field": field,
                "value": value,
                "import_id": self.batch.id,
                "guessed": guessed,
            }
            for handle, field, value, guessed in self.provenance
        ]
        self.session.execute(insert(FieldProvenance), rows)
        for handle in {handle for handle, *_ in self.provenance}:
            self.session.expire(self.assets[handle], ["provenance"])

    def _addresses(self, asset: Asset, handle: int, record: AssetRecord) -> list[FieldChange]:
        seen = record.observed_at
        first = seen or self.batch.imported_at
        current = {(a.kind, a.value): a for a in asset.addresses}
        changes: list[FieldChange] = []
        wanted: list[tuple[AddressKind, str, str | None]] = [(AddressKind.IP, ip, None) for ip in record.ips]
        wanted += [(AddressKind.MAC, m.address, m.vendor) for m in record.macs]
        for kind, value, vendor in wanted:
            if kind is AddressKind.MAC and self.index.mac.get(value, handle) != handle:
                continue  # the MAC of another asset: warned about in merge()
            row = current.get((kind, value))
            if row is None:
                row = AssetAddress(
                    kind=kind,
                    value=value,
                    vendor=vendor,
                    import_id=self.batch.id,
                    first_seen=first,
                    last_seen=first,
                )
                asset.addresses.append(row)
                current[(kind, value)] = row
                changes.append(FieldChange(field=kind.value, new=value))
                continue
            if vendor and row.vendor != vendor:
                changes.append(FieldChange(field=f"{kind.value} {value} vendor", old=row.vendor, new=vendor))
                row.vendor = vendor
            if seen and seen > row.last_seen:
                row.last_seen = seen
        return changes

    def _services(self, asset: Asset, record: AssetRecord) -> list[FieldChange]:
        seen = record.observed_at
        first = seen or self.batch.imported_at
        current = {(s.protocol, s.port): s for s in asset.services}
        changes: list[FieldChange] = []
        for port in record.ports:
            row = current.get((port.protocol, port.port))
            label = f"port {port.protocol}/{port.port}"
            if row is None:
                row = NetworkService(
                    protocol=port.protocol,
                    port=port.port,
                    service=port.service,
                    product=port.product,
                    version=port.version,
                    cpe=port.cpe,
                    import_id=self.batch.id,
                    first_seen=first,
                    last_seen=first,
                )
                asset.services.append(row)
                changes.append(FieldChange(field="port", new=_describe_port(row)))
                continue
            before = _describe_port(row)
            for attribute in ("service", "product", "version", "cpe"):
                value = getattr(port, attribute)
                if value is not None and getattr(row, attribute) != value:  # a bare scan erases nothing
                    setattr(row, attribute, value)
            if _describe_port(row) != before:
                changes.append(FieldChange(field=label, old=before, new=_describe_port(row)))
            if seen and seen > row.last_seen:
                row.last_seen = seen
        if record.ports_scanned and seen:
            found = {(p.protocol, p.port) for p in record.ports}
            for row in list(asset.services):
                probed = any(
                    r.protocol == row.protocol and r.first <= row.port <= r.last for r in record.ports_scanned
                )
                if probed and (row.protocol, row.port) not in found and row.last_seen <= seen:
                    asset.services.remove(row)
                    changes.append(FieldChange(field="port", old=_describe_port(row)))
        return changes

    def _software(self, asset: Asset, record: AssetRecord, importer: Importer) -> list[FieldChange]:
        if importer is Importer.NMAP:
            derived = (software_of_service(_port_of(row)) for row in asset.services)
            wanted = {s.key: s for s in derived if s is not None}
        elif importer in (Importer.CYCLONEDX, Importer.GLPI_API):
            wanted = {s.key: s for s in record.software}
        else:
            return []  # the CSV template, GLPI's export and NetBox list no software
        seen = record.observed_at
        first = seen or self.batch.imported_at
        current = {_software_of_row(row).key: row for row in asset.software if row.source is importer}
        changes: list[FieldChange] = []
        for key, software in wanted.items():
            row = current.get(key)
            if row is None:
                asset.software.append(
                    InstalledSoftware(
                        source=importer,
                        name=software.name,
                        version=software.version,
                        vendor=software.vendor,
                        cpe=software.cpe,
                        purl=software.purl,
                        import_id=self.batch.id,
                        first_seen=first,
                        last_seen=first,
                    )
                )
                changes.append(FieldChange(field="software", new=_describe_software(software)))
            elif seen and seen > row.last_seen:
                row.last_seen = seen
        for key, row in current.items():
            if key not in wanted:
                asset.software.remove(row)
                changes.append(FieldChange(field="software", old=_describe_software(_software_of_row(row))))
        return changes

    def report(self, source: ImportSource) -> ImportReport:
        """What the import did, by asset (call after the flush: new assets have their ids then)."""
        report = ImportReport(import_id=self.batch.id, importer=source.importer, file_name=source.file_name)
        for handle, changes in self.changes.items():
            asset = self.assets[handle]
            entry = AssetChange(
                asset_id=asset.id,
                name=asset.name,
                matched_on=None if handle in self.created else self.matched_on.get(handle),
                changes=changes,
            )
            if handle in self.created:
                report.created.append(entry)
            elif changes:
                report.updated.append(entry)
            else:
                report.unchanged.append(entry)
        report.warnings = self.warnings
        return report


def _describe_port(row: NetworkService) -> str:
    words = [f"{row.protocol}/{row.port}", row.service, row.product, row.version]
    return " ".join(w for w in words if w)


def _port_of(row: NetworkService) -> PortRecord:
    return PortRecord(
        protocol=row.protocol,
        port=row.port,
        service=row.service,
        product=row.product,
        version=row.version,
        cpe=row.cpe,
    )


def _software_of_row(row: InstalledSoftware) -> SoftwareRecord:
    return SoftwareRecord(name=row.name, version=row.version, vendor=row.vendor, cpe=row.cpe, purl=row.purl)


def _describe_software(software: SoftwareRecord) -> str:
    return " ".join(w for w in (software.name, software.version) if w)


def import_assets(
    session: Session, establishment_id: int, records: Sequence[AssetRecord], source: ImportSource
) -> ImportReport:
    """Merges the records of one file into the establishment's inventory, in one transaction.

    Raises NotFoundError for an unknown establishment and ImportRejectedError (nothing stored) for
    a record that nothing identifies.
    """
    org_service.get_establishment(session, establishment_id)
    _check(records, source)
    with session.begin_nested():
        batch = AssetImport(
            establishment_id=establishment_id,
            importer=source.importer,
            file_name=source.file_name,
            sha256=source.sha256,
            imported_at=utcnow(),
        )
        session.add(batch)
        session.flush()
        merge = _Merge(session, establishment_id, batch)
        merge.preload(records)
        with session.no_autoflush:
            for record in records:
                merge.merge(record, source.importer)
        session.flush()
        merge.write_provenance()
        report = merge.report(source)
        batch.created, batch.updated = len(report.created), len(report.updated)
        batch.unchanged = len(report.unchanged)
        session.flush()
    return report


# --- Reading ---------------------------------------------------------------------------------------


def assets_query(
    establishment_id: int,
    *,
    kind: AssetKind | None = None,
    department: str | None = None,
    medical_subtype: MedicalSubtype | None = None,
    criticality: ClinicalCriticality | None = None,
    zone: str | None = None,
    text: str | None = None,
) -> Select[Asset]:
    """The establishment's assets with these filters, by name (a statement, for pages of it).

    ``department`` and ``zone`` match a part of the value, ``text`` a part of the name, hostname,
    or of one IP or MAC address (case ignored; a MAC may be typed with dashes or without separators).
    """
    query = (
        select(Asset)
        .where(Asset.establishment_id == establishment_id)
        .options(selectinload(Asset.addresses))
        .order_by(func.lower(Asset.name), Asset.id)
    )
    if kind is not None:
        query = query.where(Asset.kind == kind)
    if medical_subtype is not None:
        query = query.where(Asset.medical_subtype == medical_subtype)
    if criticality is not None:
        query = query.where(Asset.criticality == criticality)
    if department:
        query = query.where(func.lower(Asset.department).contains(department.lower(), autoescape=True))
    if zone:
        query = query.where(func.lower(Asset.network_zone).contains(zone.lower(), autoescape=True))
    if text and text.strip():
        words = {text.strip().lower()}
        with contextlib.suppress(ValueError):  # a MAC typed with dashes or without separators
            words.add(normalise_mac(text))
        address = select(AssetAddress.asset_id).where(
            or_(*(AssetAddress.value.contains(w, autoescape=True) for w in words))
        )
        query = query.where(
            or_(
                func.lower(Asset.name).contains(text.strip().lower(), autoescape=True),
                func.lower(Asset.hostname).contains(text.strip().lower(), autoescape=True),
                Asset.id.in_(address),
            )
        )
    return query


def list_assets(
    session: Session,
    establishment_id: int,
    *,
    kind: AssetKind | None = None,
    department: str | None = None,
    medical_subtype: MedicalSubtype | None = None,
    criticality: ClinicalCriticality | None = None,
) -> list[Asset]:
    """The establishment's assets, by name; ``department`` matches a part of it, case ignored."""
    query = assets_query(
        establishment_id,
        kind=kind,
        department=department,
        medical_subtype=medical_subtype,
        criticality=criticality,
    )
    return list(session.scalars(query))


def counts_by_kind(session: Session, establishment_id: int) -> dict[AssetKind, int]:
    """How many assets of each kind the establishment has (kinds without any left out)."""
    rows = session.execute(
        select(Asset.kind, func.count())
        .where(Asset.establishment_id == establishment_id)
        .group_by(Asset.kind)
    )
    return {AssetKind(kind): count for kind, count in rows}


def medical_devices(session: Session, establishment_id: int) -> list[Asset]:
    """The establishment's medical devices (without their child rows), by department then name."""
    query = (
        select(Asset)
        .where(Asset.establishment_id == establishment_id, Asset.kind == AssetKind.MEDICAL_DEVICE)
        .order_by(func.lower(Asset.department), func.lower(Asset.name), Asset.id)
    )
    return list(session.scalars(query))


def internet_exposed_assets(session: Session, establishment_id: int) -> list[Asset]:
    """The assets the inventory says are exposed to the internet, with their addresses and open
    ports loaded (the network domain compares them with the segmentation policy)."""
    query = (
        select(Asset)
        .where(Asset.establishment_id == establishment_id, Asset.internet_exposed.is_(True))
        .options(selectinload(Asset.addresses), selectinload(Asset.services))
        .order_by(func.lower(Asset.name), Asset.id)
    )
    return list(session.scalars(query))


def get_asset(session: Session, establishment_id: int, asset_id: int) -> Asset:
    """The asset, if it belongs to the establishment (NotFoundError otherwise, the same for both)."""
    asset = session.scalar(
        select(Asset).where(Asset.id == asset_id, Asset.establishment_id == establishment_id)
    )
    if asset is None:
        raise NotFoundError(f"no asset {asset_id} in establishment {establishment_id}")
    return asset


def provenance_of(session: Session, establishment_id: int, asset_id: int) -> list[ProvenanceOut]:
    """Where the current value of each field comes from (the latest import that set it)."""
    asset = get_asset(session, establishment_id, asset_id)
    latest: dict[str, FieldProvenance] = {p.field: p for p in asset.provenance}
    order = {field: rank for rank, field in enumerate(ASSET_FIELDS)}
    return [
        ProvenanceOut(
            field=p.field,
            value=p.value,
            importer=p.origin.importer,
            file_name=p.origin.file_name,
            imported_at=p.origin.imported_at,
            guessed=p.guessed,
        )
        for p in sorted(latest.values(), key=lambda p: order.get(p.field, len(order)))
    ]


def asset_detail(session: Session, establishment_id: int, asset_id: int) -> AssetDetail:
    """The asset with its addresses, open ports, software, scanner findings and the origin of each
    field's value."""
    asset = get_asset(session, establishment_id, asset_id)
    return AssetDetail(
        **AssetOut.model_validate(asset).model_dump(),
        software=[SoftwareOut.model_validate(s) for s in asset.software],
        services=[ServiceOut.model_validate(s) for s in asset.services],
        provenance=provenance_of(session, establishment_id, asset_id),
        scan_findings=[
            ScanFindingOut.model_validate(f)
            for f in sorted(asset.scan_findings, key=lambda f: (-f.severity, f.port, f.nvt_oid))
        ],
    )


def scan_findings(session: Session, establishment_id: int, *, min_severity: float = 0.0) -> list[ScanFinding]:
    """What vulnerability scanners reported on the establishment's assets (severity at least
    ``min_severity``), by asset then most severe first."""
    query = (
        select(ScanFinding)
        .join(Asset, Asset.id == ScanFinding.asset_id)
        .where(Asset.establishment_id == establishment_id, ScanFinding.severity >= min_severity)
        .order_by(ScanFinding.asset_id, ScanFinding.severity.desc(), ScanFinding.id)
    )
    return list(session.scalars(query))


def list_imports(session: Session, establishment_id: int) -> list[AssetImport]:
    """The files imported into the establishment's inventory, latest first."""
    query = (
        select(AssetImport)
        .where(AssetImport.establishment_id == establishment_id)
        .order_by(AssetImport.imported_at.desc(), AssetImport.id.desc())
    )
    return list(session.scalars(query))


def audit_details(report: ImportReport, source: ImportSource) -> dict[str, Any]:
    """What the audit trail keeps of an import, whether it came from the CLI or the web."""
    return {
        "file": source.file_name,
        "importer": source.importer.value,
        "sha256": source.sha256,
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
    }
