"""Tables of the inventory: assets, their addresses, software and open ports, and where each fact came from.

Lifecycle. An asset is created by the first import that names it, then merged into by later imports
(``service.import_assets``: MAC, then serial, then hostname, then IP; see its docstring). It is never
deleted by an import: a device missing from a new scan may be switched off, not gone.

Provenance. Every import is one row of ``assets_import`` (importer, file name, checksum, when). Each
time a scalar field of an asset takes a value, a row of ``assets_provenance`` records the field, the
value, the import that brought it and whether that import only guessed it (Nmap's OS fingerprint, a
name derived from an address): the latest row of a field says where its current value comes from, the
earlier rows are its history. Child rows (addresses, software, ports) carry their own ``import_id``
and first/last seen instead: they are created or removed whole, never edited field by field, so one
origin per row says the same with far fewer rows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow


class AssetKind(StrEnum):
    SERVER = "server"
    WORKSTATION = "workstation"
    NETWORK = "network"
    MEDICAL_DEVICE = "medical_device"
    IOT = "iot"  # building and connected objects: cameras, access control, HVAC, nurse call…
    OTHER = "other"


class MedicalSubtype(StrEnum):
    INFUSION_PUMP = "infusion_pump"
    PATIENT_MONITOR = "patient_monitor"
    IMAGING_MODALITY = "imaging_modality"
    PACS = "pacs"
    LAB_ANALYSER = "lab_analyser"
    VENTILATOR = "ventilator"
    ANAESTHESIA_MACHINE = "anaesthesia_machine"
    DIALYSIS_MACHINE = "dialysis_machine"
    OTHER = "other"


class ClinicalCriticality(StrEnum):
    """What a failure of the asset does to patients (mission and well-being in SSVC terms)."""

    LIFE_SUSTAINING = "life_sustaining"
    DIAGNOSTIC = "diagnostic"
    SUPPORT = "support"
    NONE = "none"


class Patchable(StrEnum):
    """MDS2 CSUP: can security updates be installed on the device."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class PatchedBy(StrEnum):
    MAKER = "maker"
    ESTABLISHMENT = "establishment"


class AddressKind(StrEnum):
    IP = "ip"
    MAC = "mac"


class Importer(StrEnum):
    """The reader an import went through."""

    NMAP = "nmap"
    CSV = "csv"
    CYCLONEDX = "cyclonedx"
    GLPI = "glpi"  # a search-result export of GLPI (CSV)
    GLPI_API = "glpi_api"  # GLPI's REST API (apirest.php), read live
    NETBOX = "netbox"  # NetBox's REST API, read live with pynetbox
    OPENVAS = "openvas"  # a Greenbone/OpenVAS report (XML, or its CSV export)


class AssetImport(Base):
    """One file imported into the inventory of an establishment (a no-op re-import included)."""

    __tablename__ = "assets_import"
    __table_args__ = (Index("ix_assets_import_establishment", "establishment_id", "imported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    importer: Mapped[Importer] = mapped_column(EnumText(Importer, 20))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)


class Asset(Base):
    """A server, workstation, piece of network gear, medical device or connected object."""

    __tablename__ = "assets_asset"
    __table_args__ = (
        Index("ix_assets_asset_establishment_kind", "establishment_id", "kind"),
        Index("ix_assets_asset_establishment_hostname", "establishment_id", "hostname"),
        Index("ix_assets_asset_establishment_serial", "establishment_id", "serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(200))
    hostname: Mapped[str | None] = mapped_column(String(255), default=None)  # lower case, no final dot
    kind: Mapped[AssetKind] = mapped_column(EnumText(AssetKind, 20), default=AssetKind.OTHER)
    medical_subtype: Mapped[MedicalSubtype | None] = mapped_column(EnumText(MedicalSubtype, 30), default=None)
    maker: Mapped[str | None] = mapped_column(String(200), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    serial: Mapped[str | None] = mapped_column(String(100), default=None)
    os_name: Mapped[str | None] = mapped_column(String(200), default=None)
    os_version: Mapped[str | None] = mapped_column(String(100), default=None)
    os_cpe: Mapped[str | None] = mapped_column(String(500), default=None)  # CPE 2.3 formatted string
    firmware: Mapped[str | None] = mapped_column(String(100), default=None)
    location: Mapped[str | None] = mapped_column(String(200), default=None)
    department: Mapped[str | None] = mapped_column(String(200), default=None)  # care department, free text
    network_zone: Mapped[str | None] = mapped_column(String(100), default=None)
    criticality: Mapped[ClinicalCriticality | None] = mapped_column(
        EnumText(ClinicalCriticality, 20), default=None
    )
    owner: Mapped[str | None] = mapped_column(String(200), default=None)
    end_of_support: Mapped[date | None] = mapped_column(Date, default=None)  # the maker's
    # MDS2 facts (medical devices): None where the form is not known.
    patchable: Mapped[Patchable] = mapped_column(EnumText(Patchable, 10), default=Patchable.UNKNOWN)
    patched_by: Mapped[PatchedBy | None] = mapped_column(EnumText(PatchedBy, 20), default=None)
    remote_service: Mapped[bool | None] = mapped_column(Boolean, default=None)
    internet_exposed: Mapped[bool | None] = mapped_column(Boolean, default=None)  # None: not known
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # by a scan or an SBOM

    addresses: Mapped[list[AssetAddress]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="AssetAddress.id"
    )
    software: Mapped[list[InstalledSoftware]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="InstalledSoftware.id"
    )
    services: Mapped[list[NetworkService]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="NetworkService.id"
    )
    provenance: Mapped[list[FieldProvenance]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="FieldProvenance.id"
    )
    scan_findings: Mapped[list[ScanFinding]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="ScanFinding.id"
    )


class AssetAddress(Base):
    """An IP or MAC address of an asset (normalised: compressed IP, lower-case colon MAC)."""

    __tablename__ = "assets_address"
    __table_args__ = (
        UniqueConstraint("asset_id", "kind", "value"),
        Index("ix_assets_address_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))
    kind: Mapped[AddressKind] = mapped_column(EnumText(AddressKind, 5))
    value: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str | None] = mapped_column(String(200), default=None)  # the MAC's OUI owner
    import_id: Mapped[int] = mapped_column(ForeignKey("assets_import.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)

    asset: Mapped[Asset] = relationship(back_populates="addresses")


class InstalledSoftware(Base):
    """A piece of software on an asset, as its source named it (CPE 2.3 and/or purl when known).

    Each importer owns its rows: a new SBOM of an asset replaces what the previous SBOM listed, a new
    scan what the previous scans' services showed; the rows of another importer stay.
    """

    __tablename__ = "assets_software"
    __table_args__ = (Index("ix_assets_software_asset", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))
    source: Mapped[Importer] = mapped_column(EnumText(Importer, 20))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str | None] = mapped_column(String(200), default=None)
    vendor: Mapped[str | None] = mapped_column(String(200), default=None)
    cpe: Mapped[str | None] = mapped_column(String(500), default=None)
    purl: Mapped[str | None] = mapped_column(Text, default=None)
    import_id: Mapped[int] = mapped_column(ForeignKey("assets_import.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)

    asset: Mapped[Asset] = relationship(back_populates="software")


class NetworkService(Base):
    """A port found open by a scan, with what answered on it."""

    __tablename__ = "assets_service"
    __table_args__ = (UniqueConstraint("asset_id", "protocol", "port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))
    protocol: Mapped[str] = mapped_column(String(10))  # tcp, udp, sctp
    port: Mapped[int] = mapped_column(Integer)
    service: Mapped[str | None] = mapped_column(String(100), default=None)
    product: Mapped[str | None] = mapped_column(String(200), default=None)
    version: Mapped[str | None] = mapped_column(String(200), default=None)
    cpe: Mapped[str | None] = mapped_column(String(500), default=None)
    import_id: Mapped[int] = mapped_column(ForeignKey("assets_import.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)

    asset: Mapped[Asset] = relationship(back_populates="services")


class FieldProvenance(Base):
    """A scalar field of an asset took ``value`` from import ``import_id`` (its latest row is current)."""

    __tablename__ = "assets_provenance"
    __table_args__ = (Index("ix_assets_provenance_asset_field", "asset_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(Text, default=None)
    import_id: Mapped[int] = mapped_column(ForeignKey("assets_import.id"))
    guessed: Mapped[bool] = mapped_column(Boolean, default=False)

    asset: Mapped[Asset] = relationship(back_populates="provenance")
    origin: Mapped[AssetImport] = relationship()


class ScanFinding(Base):
    """What a vulnerability scanner (Greenbone/OpenVAS) reported on an asset: one check (NVT) on one
    port. An observation of the scanner, not a conclusion of Hygie: ``hygie.vulns`` prioritises it.

    The scanner owns its rows: a newer report of the host replaces the rows of the earlier ones (a
    finding missing from it is fixed, or no longer seen), the rows of another source stay.
    """

    __tablename__ = "assets_scan_finding"
    __table_args__ = (Index("ix_assets_scan_finding_asset", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))
    source: Mapped[Importer] = mapped_column(EnumText(Importer, 20))
    nvt_oid: Mapped[str] = mapped_column(String(100))  # the check's OID (a CVE id for the CVE scanner)
    name: Mapped[str] = mapped_column(String(500))
    family: Mapped[str | None] = mapped_column(String(200), default=None)
    port: Mapped[str] = mapped_column(String(40))  # as the scanner writes it: 80/tcp, general/tcp
    severity: Mapped[float] = mapped_column(Float)  # CVSS base score; 0 for a log entry
    cvss_vector: Mapped[str | None] = mapped_column(String(200), default=None)
    threat: Mapped[str | None] = mapped_column(String(20), default=None)  # High, Medium, Low, Log
    qod: Mapped[int | None] = mapped_column(Integer, default=None)  # quality of detection, %
    cves: Mapped[list[str]] = mapped_column(JSON, default=list)
    solution_type: Mapped[str | None] = mapped_column(String(40), default=None)  # VendorFix, Mitigation…
    solution: Mapped[str | None] = mapped_column(Text, default=None)
    import_id: Mapped[int] = mapped_column(ForeignKey("assets_import.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    asset: Mapped[Asset] = relationship(back_populates="scan_findings")
