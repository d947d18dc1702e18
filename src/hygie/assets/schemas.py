"""Shapes of the inventory at the edges: what an importer reads, what an import reports, what is shown."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime

from packageurl import PackageURL
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hygie.assets.models import (
    AddressKind,
    AssetKind,
    ClinicalCriticality,
    Importer,
    MedicalSubtype,
    Patchable,
    PatchedBy,
)

_MAC_DIGITS = re.compile(r"[0-9a-f]{12}")


def normalise_mac(value: str) -> str:
    """``00-1A-2B-3C-4D-5E``, ``001a.2b3c.4d5e`` or ``001A2B3C4D5E`` → ``00:1a:2b:3c:4d:5e``."""
    digits = re.sub(r"[\s:.\-]", "", value).lower()
    if not _MAC_DIGITS.fullmatch(digits):
        raise ValueError(f"not a MAC address: {value!r}")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def normalise_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"not an IP address: {value!r}") from None


def normalise_hostname(value: str) -> str:
    return value.strip().rstrip(".").lower()


def normalise_serial(value: str) -> str:
    return value.strip().upper()


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class MacRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    vendor: str | None = None

    @field_validator("address")
    @classmethod
    def _mac(cls, value: str) -> str:
        return normalise_mac(value)


class SoftwareRecord(BaseModel):
    """A piece of software as a source names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=300)
    version: str | None = Field(default=None, max_length=200)
    vendor: str | None = Field(default=None, max_length=200)
    cpe: str | None = Field(default=None, max_length=500)
    purl: str | None = None

    @field_validator("purl")
    @classmethod
    def _purl(cls, value: str | None) -> str | None:
        """The canonical form, so that the same package written two ways is one piece of software."""
        if not value:
            return None
        try:
            return str(PackageURL.from_string(value.strip()).to_string())
        except ValueError as exc:
            raise ValueError(f"not a package URL (purl): {value!r}: {exc}") from None

    @property
    def key(self) -> str:
        """What identifies it on one asset: its purl, else its CPE, else its name and version."""
        if self.purl:
            return f"purl:{self.purl}"
        if self.cpe:
            return f"cpe:{self.cpe}"
        return f"name:{self.name.lower()}@{self.version or ''}"


class PortRecord(BaseModel):
    """An open port and what answered on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: str = Field(pattern=r"^(tcp|udp|sctp)$")
    port: int = Field(ge=0, le=65535)
    service: str | None = Field(default=None, max_length=100)
    product: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, max_length=200)
    cpe: str | None = Field(default=None, max_length=500)


class PortRange(BaseModel):
    """Ports a scan probed: an open port absent from a later scan that probed it is closed now."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: str
    first: int = Field(ge=0, le=65535)
    last: int = Field(ge=0, le=65535)


class ScanFindingRecord(BaseModel):
    """One check of a vulnerability scanner that reported something on the host (see ScanFinding)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nvt_oid: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=500)
    family: str | None = Field(default=None, max_length=200)
    port: str = Field(min_length=1, max_length=40)
    severity: float = Field(ge=0, le=10)
    cvss_vector: str | None = Field(default=None, max_length=200)
    threat: str | None = Field(default=None, max_length=20)
    qod: int | None = Field(default=None, ge=0, le=100)
    cves: tuple[str, ...] = ()
    solution_type: str | None = Field(default=None, max_length=40)
    solution: str | None = None
    seen_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.nvt_oid, self.port)


# The scalar fields of an asset that a record may state, in the order they are shown.
ASSET_FIELDS: tuple[str, ...] = (
    "name",
    "hostname",
    "kind",
    "medical_subtype",
    "maker",
    "model",
    "serial",
    "os_name",
    "os_version",
    "os_cpe",
    "firmware",
    "location",
    "department",
    "network_zone",
    "criticality",
    "owner",
    "end_of_support",
    "patchable",
    "patched_by",
    "remote_service",
    "internet_exposed",
)


class AssetRecord(BaseModel):
    """One asset as one file describes it. ``None`` means "this file does not say", never "empty"."""

    model_config = ConfigDict(extra="forbid")

    line: int | None = None  # where the record starts in its file, for error messages
    name: str | None = Field(default=None, max_length=200)
    hostname: str | None = Field(default=None, max_length=255)
    ips: list[str] = Field(default_factory=list)
    macs: list[MacRecord] = Field(default_factory=list)
    kind: AssetKind | None = None
    medical_subtype: MedicalSubtype | None = None
    maker: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    serial: str | None = Field(default=None, max_length=100)
    os_name: str | None = Field(default=None, max_length=200)
    os_version: str | None = Field(default=None, max_length=100)
    os_cpe: str | None = Field(default=None, max_length=500)
    firmware: str | None = Field(default=None, max_length=100)
    location: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    network_zone: str | None = Field(default=None, max_length=100)
    criticality: ClinicalCriticality | None = None
    owner: str | None = Field(default=None, max_length=200)
    end_of_support: date | None = None
    patchable: Patchable | None = None
    patched_by: PatchedBy | None = None
    remote_service: bool | None = None
    internet_exposed: bool | None = None
    software: list[SoftwareRecord] = Field(default_factory=list)
    ports: list[PortRecord] = Field(default_factory=list)
    # Ports the scan probed (None: not known, so no port is taken as closed).
    ports_scanned: list[PortRange] | None = None
    # Fields the source only guessed (an OS fingerprint): they never replace a value a source stated.
    guessed: frozenset[str] = frozenset()
    observed_at: datetime | None = None  # when the scan ran or the SBOM was made
    scan_findings: list[ScanFindingRecord] = Field(default_factory=list)  # a vulnerability scanner's

    @field_validator(
        "name",
        "hostname",
        "maker",
        "model",
        "serial",
        "os_name",
        "os_version",
        "os_cpe",
        "firmware",
        "location",
        "department",
        "network_zone",
        "owner",
        mode="before",
    )
    @classmethod
    def _strip(cls, value: object) -> object:
        value = _blank_to_none(value)
        return value.strip() if isinstance(value, str) else value

    @field_validator("hostname")
    @classmethod
    def _hostname(cls, value: str | None) -> str | None:
        return normalise_hostname(value) if value else None

    @field_validator("serial")
    @classmethod
    def _serial(cls, value: str | None) -> str | None:
        return normalise_serial(value) if value else None

    @field_validator("ips")
    @classmethod
    def _ips(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_ip(v) for v in values))

    @property
    def identified(self) -> bool:
        """Whether anything can tell this asset apart: a MAC, serial, hostname, IP or name."""
        return bool(self.macs or self.serial or self.hostname or self.ips or self.name)


class ImportSource(BaseModel):
    """Which reader and which file an import comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    importer: Importer
    file_name: str = Field(min_length=1, max_length=500)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class FieldChange(BaseModel):
    """One change to an asset: a field from ``old`` to ``new``, or an address, software or port
    added (``old`` is None) or removed (``new`` is None)."""

    field: str
    old: str | None = None
    new: str | None = None


class AssetChange(BaseModel):
    asset_id: int
    name: str
    matched_on: str | None = None  # mac, serial, hostname, ip or name; None for a new asset
    changes: list[FieldChange] = Field(default_factory=list)


class ImportReport(BaseModel):
    """What an import did: assets created, updated (each change), and left as they were."""

    import_id: int
    importer: Importer
    file_name: str
    created: list[AssetChange] = Field(default_factory=list)
    updated: list[AssetChange] = Field(default_factory=list)
    unchanged: list[AssetChange] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ProvenanceOut(BaseModel):
    field: str
    value: str | None
    importer: Importer
    file_name: str
    imported_at: datetime
    guessed: bool


class AddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: AddressKind
    value: str
    vendor: str | None
    first_seen: datetime
    last_seen: datetime


class SoftwareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source: Importer
    name: str
    version: str | None
    vendor: str | None
    cpe: str | None
    purl: str | None


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    protocol: str
    port: int
    service: str | None
    product: str | None
    version: str | None
    cpe: str | None


class ScanFindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source: Importer
    nvt_oid: str
    name: str
    family: str | None
    port: str
    severity: float
    cvss_vector: str | None
    threat: str | None
    qod: int | None
    cves: list[str]
    solution_type: str | None
    solution: str | None
    seen_at: datetime


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    establishment_id: int
    name: str
    hostname: str | None
    kind: AssetKind
    medical_subtype: MedicalSubtype | None
    maker: str | None
    model: str | None
    serial: str | None
    os_name: str | None
    os_version: str | None
    os_cpe: str | None
    firmware: str | None
    location: str | None
    department: str | None
    network_zone: str | None
    criticality: ClinicalCriticality | None
    owner: str | None
    end_of_support: date | None
    patchable: Patchable
    patched_by: PatchedBy | None
    remote_service: bool | None
    internet_exposed: bool | None
    created_at: datetime
    updated_at: datetime
    last_seen: datetime | None
    addresses: list[AddressOut] = Field(default_factory=list)


class AssetDetail(AssetOut):
    """An asset with its software, ports, a scanner's findings and the origin of each field's value."""

    software: list[SoftwareOut] = Field(default_factory=list)
    services: list[ServiceOut] = Field(default_factory=list)
    provenance: list[ProvenanceOut] = Field(default_factory=list)
    scan_findings: list[ScanFindingOut] = Field(default_factory=list)  # most severe first


class ImportOut(BaseModel):
    """One file imported into the inventory, with its counts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    importer: Importer
    file_name: str
    sha256: str | None
    imported_at: datetime
    created: int
    updated: int
    unchanged: int
