"""REST routes of the inventory: the assets with filters, one asset with the origin of each field,
an import (one file, all of it or nothing) and the history of imports.

The import reads the upload with the same readers and the same service as ``hygie assets import``
and records the same audit entry; the pages call ``import_upload`` too.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from pydantic import Field
from sqlalchemy import Select
from sqlalchemy.orm import Session

from hygie.assets import service
from hygie.assets.importers import read_file
from hygie.assets.models import Asset, AssetKind, ClinicalCriticality, Importer, MedicalSubtype
from hygie.assets.schemas import AssetDetail, AssetOut, ImportOut, ImportReport
from hygie.core.errors import ContentError, ImportRejectedError, Location, ValidationError
from hygie.org import audit
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.forms import upload_name
from hygie.web.pagination import Page, Pagination, paginate
from hygie.web.security import MAX_BODY_BYTES

router = APIRouter(prefix="/api/v1", tags=["assets"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/assets"

# What comes through the web: the request body's own limit, less room for the form around the file.
# Larger scans are imported with ``hygie assets import`` (its limit is MAX_IMPORT_BYTES).
MAX_WEB_IMPORT_BYTES = MAX_BODY_BYTES - 64 * 1024
HOSTNAME_ONLY_FOR_SBOM = "hostname: names the asset of a CycloneDX SBOM only"


class ImportOutcome(ImportReport):
    """The import's report, with the reader's notes (columns ignored, hosts skipped…)."""

    notes: list[str] = Field(default_factory=list)


class UploadTooLargeError(ValidationError):
    """A file over the web's limit: HTTP 413 on the API, an inline message on the pages."""


@dataclass
class Filters:
    """The inventory's filters, as the API's query and the page's form give them."""

    kind: AssetKind | None = None
    medical_subtype: MedicalSubtype | None = None
    criticality: ClinicalCriticality | None = None
    department: str | None = None
    zone: str | None = None
    q: str | None = None


def filtered(establishment_id: int, filters: Filters) -> Select[Asset]:
    return service.assets_query(
        establishment_id,
        kind=filters.kind,
        medical_subtype=filters.medical_subtype,
        criticality=filters.criticality,
        department=filters.department,
        zone=filters.zone,
        text=filters.q,
    )


def _upload_size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def import_upload(
    scope: EstablishmentScope,
    upload: UploadFile,
    importer: Importer | None = None,
    hostname: str | None = None,
) -> ImportOutcome:
    """Reads an uploaded file and merges it into the inventory, all of it or nothing, and records it
    in the audit trail. ImportRejectedError (every problem, by line and field), UploadTooLargeError."""
    name = upload_name(upload.filename, "import")
    hostname = (hostname or "").strip() or None
    if hostname and importer not in (None, Importer.CYCLONEDX):
        raise ValidationError(HOSTNAME_ONLY_FOR_SBOM)
    size = _upload_size(upload)
    if size > MAX_WEB_IMPORT_BYTES:
        limit = MAX_WEB_IMPORT_BYTES // (1024 * 1024)
        raise UploadTooLargeError(
            f"{name}: the file is over {limit} MB: import it with `hygie assets import` on the server"
        )
    with tempfile.TemporaryDirectory(prefix="hygie-assets-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        parsed = read_file(path, importer, hostname=hostname, max_bytes=MAX_WEB_IMPORT_BYTES)
    if hostname and parsed.source.importer is not Importer.CYCLONEDX:
        raise ImportRejectedError(name, [ContentError(HOSTNAME_ONLY_FOR_SBOM, Location(name))])
    report = service.import_assets(scope.db, scope.id, parsed.records, parsed.source)
    audit.record_for(
        scope.db,
        scope.principal,
        action="asset.import",
        object_type="asset_import",
        object_id=report.import_id,
        establishment_id=scope.id,
        details=service.audit_details(report, parsed.source),
    )
    return ImportOutcome(**report.model_dump(), notes=parsed.warnings)


def imports_of(db: Session, establishment_id: int) -> list[ImportOut]:
    return [ImportOut.model_validate(i) for i in service.list_imports(db, establishment_id)]


# --- Routes -------------------------------------------------------------------------------------


@router.get(BASE, response_model=Page[AssetOut])
def list_assets(
    scope: ReadScope,
    pages: Pagination,
    kind: Annotated[AssetKind | None, Query(description="Only this kind of asset")] = None,
    medical_subtype: Annotated[MedicalSubtype | None, Query(description="Only this type of device")] = None,
    criticality: Annotated[ClinicalCriticality | None, Query(description="Clinical criticality")] = None,
    department: Annotated[
        str | None, Query(max_length=200, description="Part of the care department")
    ] = None,
    zone: Annotated[str | None, Query(max_length=100, description="Part of the network zone")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name, hostname, IP or MAC")] = None,
) -> Page[AssetOut]:
    """The establishment's assets by name, with their addresses."""
    filters = Filters(kind, medical_subtype, criticality, department, zone, q)
    rows, total = paginate(scope.db, filtered(scope.id, filters), pages)
    items = [AssetOut.model_validate(a) for a in rows]
    return Page[AssetOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.get(BASE + "/imports", response_model=Page[ImportOut])
def list_imports(scope: ReadScope, pages: Pagination) -> Page[ImportOut]:
    """The files imported into the inventory, latest first, with what each created and updated."""
    rows = imports_of(scope.db, scope.id)
    window = rows[pages.offset : pages.offset + pages.limit]
    return Page[ImportOut](items=window, total=len(rows), limit=pages.limit, offset=pages.offset)


@router.post(
    BASE + "/import",
    response_model=ImportOutcome,
    responses={413: {"description": "File over the web's limit (20 MB)"}},
)
def import_file(
    scope: WriteScope,
    file: Annotated[
        UploadFile,
        File(description="Nmap XML, CSV inventory, CycloneDX SBOM (JSON/XML) or OpenVAS report (XML/CSV)"),
    ],
    file_format: Annotated[
        Importer | None, Form(alias="format", description="Format (guessed from the content otherwise)")
    ] = None,
    hostname: Annotated[
        str | None, Form(max_length=255, description="CycloneDX: the asset the SBOM describes")
    ] = None,
) -> ImportOutcome:
    """Imports one file: every asset of it, or nothing and a 422 listing every problem with its line."""
    try:
        return import_upload(scope, file, file_format, hostname)
    except UploadTooLargeError as exc:
        raise HTTPException(413, detail=str(exc)) from exc


@router.get(BASE + "/{asset_id}", response_model=AssetDetail)
def get_asset(scope: ReadScope, asset_id: int) -> AssetDetail:
    """An asset with its addresses, open ports, software and where each field's value comes from."""
    return service.asset_detail(scope.db, scope.id, asset_id)
