"""REST routes of awareness: training sessions, phishing campaigns, the overview per department.

Imports read an upload with the same readers and the same service as ``hygie awareness`` and record
the same audit entry; the pages call ``import_trainings_upload`` and ``import_phishing_upload`` too.
GoPhish's API is read by the CLI only (``import-gophish``): its key never goes through the web.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile, status
from fastapi.responses import Response

from hygie.assess import evidence
from hygie.awareness import service, trainings_csv
from hygie.awareness.gophish import campaign_name, parse_csv, read_mapping
from hygie.awareness.models import RecordSource, TrainingSession
from hygie.awareness.schemas import (
    AwarenessOverview,
    PhishingCampaignOut,
    TrainingImportReport,
    TrainingIn,
    TrainingOut,
)
from hygie.core.errors import ValidationError
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.forms import upload_name
from hygie.web.pagination import Page, Pagination, paginate
from hygie.web.security import MAX_BODY_BYTES

router = APIRouter(prefix="/api/v1", tags=["awareness"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/awareness"
# The request body's own limit, less room for the form around the file.
MAX_WEB_IMPORT_BYTES = MAX_BODY_BYTES - 64 * 1024


class UploadTooLargeError(ValidationError):
    """A file over the web's limit: HTTP 413 on the API, an inline message on the pages."""


def facts_changed(scope: EstablishmentScope) -> None:
    """After a write: the assessment's evidence gaps brought up to date with the new facts."""
    evidence.refresh_latest(scope.db, scope.id, get_library())


@contextmanager
def saved(upload: UploadFile) -> Iterator[Path]:
    """The upload in a temporary file under its own (cleaned) name, refused over the web's limit."""
    name = upload_name(upload.filename, "import.csv")
    with tempfile.TemporaryDirectory(prefix="hygie-awareness-") as folder:
        path = Path(folder) / name
        written = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                written += len(chunk)
                if written > MAX_WEB_IMPORT_BYTES:
                    limit = MAX_WEB_IMPORT_BYTES // (1024 * 1024)
                    raise UploadTooLargeError(f"{name}: the file is over {limit} MB")
                out.write(chunk)
        yield path


def import_trainings_upload(scope: EstablishmentScope, upload: UploadFile) -> TrainingImportReport:
    """Reads a training CSV and records its sessions, all or nothing, with an audit entry."""
    with saved(upload) as path:
        sessions = trainings_csv.parse(path, MAX_WEB_IMPORT_BYTES)
        report = service.import_trainings(scope.db, scope.id, sessions, path.name)
    audit.record_for(
        scope.db,
        scope.principal,
        action="awareness.training.import",
        object_type="awareness_training",
        establishment_id=scope.id,
        details=report.model_dump(),
    )
    facts_changed(scope)
    return report


def import_phishing_upload(
    scope: EstablishmentScope,
    upload: UploadFile,
    name: str | None = None,
    launched_on: date | None = None,
    mapping: UploadFile | None = None,
) -> PhishingCampaignOut:
    """Reads a GoPhish CSV export (and a mapping file) and stores the campaign's counts."""
    with saved(upload) as path:
        results = parse_csv(path, MAX_WEB_IMPORT_BYTES)
    departments: dict[str, str] = {}
    if mapping is not None and mapping.filename:
        with saved(mapping) as path:
            departments = read_mapping(path, MAX_WEB_IMPORT_BYTES)
    file_name = upload_name(upload.filename, "import.csv")
    campaign = service.import_phishing(
        scope.db,
        scope.id,
        (name or "").strip() or campaign_name(file_name),
        results,
        source=RecordSource.GOPHISH_CSV,
        mapping=departments,
        launched_on=launched_on,
        file_name=file_name,
    )
    out = service.campaign_out(campaign)
    audit.record_for(
        scope.db,
        scope.principal,
        action="awareness.phishing.import",
        object_type="phishing_campaign",
        object_id=campaign.id,
        establishment_id=scope.id,
        details={"name": out.name, "source": out.source.value, "recipients": out.totals.recipients},
    )
    facts_changed(scope)
    return out


def record_training(scope: EstablishmentScope, data: TrainingIn) -> TrainingSession:
    """One training session entered by hand (API or page), audited; the evidence gaps follow."""
    row = service.add_training(scope.db, scope.id, data)
    audit.record_for(
        scope.db,
        scope.principal,
        action="awareness.training.add",
        object_type="awareness_training",
        object_id=row.id,
        establishment_id=scope.id,
    )
    facts_changed(scope)
    return row


def remove_training(scope: EstablishmentScope, training_id: int) -> None:
    service.delete_training(scope.db, scope.id, training_id)
    audit.record_for(
        scope.db,
        scope.principal,
        action="awareness.training.delete",
        object_type="awareness_training",
        object_id=training_id,
        establishment_id=scope.id,
    )
    facts_changed(scope)


def _too_large(exc: UploadTooLargeError) -> HTTPException:
    return HTTPException(413, detail=str(exc))


# --- Routes -------------------------------------------------------------------------------------


@router.get(BASE, response_model=AwarenessOverview)
def get_overview(scope: ReadScope) -> AwarenessOverview:
    """Per department: training completion over twelve months, the latest phishing rates and their
    trend across campaigns; per staff category: completion."""
    return service.overview(scope.db, scope.id)


@router.get(BASE + "/trainings", response_model=Page[TrainingOut])
def list_trainings(scope: ReadScope, pages: Pagination) -> Page[TrainingOut]:
    """The training sessions, latest first."""
    rows, total = paginate(scope.db, service.trainings_query(scope.id), pages)
    items = [TrainingOut.model_validate(r) for r in rows]
    return Page[TrainingOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.post(BASE + "/trainings", response_model=TrainingOut, status_code=status.HTTP_201_CREATED)
def add_training(scope: WriteScope, body: TrainingIn) -> TrainingOut:
    """Records one training session with its invited and completed counts."""
    return TrainingOut.model_validate(record_training(scope, body))


@router.delete(BASE + "/trainings/{training_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_training(scope: WriteScope, training_id: int) -> Response:
    """Removes a training session recorded by mistake."""
    remove_training(scope, training_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    BASE + "/trainings/import",
    response_model=TrainingImportReport,
    responses={413: {"description": "File over the web's limit (20 MB)"}},
)
def import_trainings(
    scope: WriteScope,
    file: Annotated[UploadFile, File(description="Training CSV (one line per session or per person)")],
) -> TrainingImportReport:
    """Imports a training CSV: every session of it, or nothing and a 422 listing every problem."""
    try:
        return import_trainings_upload(scope, file)
    except UploadTooLargeError as exc:
        raise _too_large(exc) from exc


@router.get(BASE + "/phishing", response_model=Page[PhishingCampaignOut])
def list_phishing(scope: ReadScope, pages: Pagination) -> Page[PhishingCampaignOut]:
    """The phishing campaigns, latest first, with their counts and rates per department."""
    rows, total = paginate(scope.db, service.campaigns_query(scope.id), pages)
    items = [service.campaign_out(c) for c in rows]
    return Page[PhishingCampaignOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.post(
    BASE + "/phishing/import",
    response_model=PhishingCampaignOut,
    responses={413: {"description": "File over the web's limit (20 MB)"}},
)
def import_phishing(
    scope: WriteScope,
    file: Annotated[UploadFile, File(description="GoPhish export: Results or Raw Events CSV")],
    name: Annotated[
        str | None, Form(max_length=200, description="Campaign name (the file's otherwise)")
    ] = None,
    launched_on: Annotated[date | None, Form(description="Launch day (the first sending otherwise)")] = None,
    mapping: Annotated[
        UploadFile | None, File(description="CSV: e-mail address or GoPhish position → department")
    ] = None,
) -> PhishingCampaignOut:
    """Imports a GoPhish campaign; a campaign of the same name is replaced. Only counts per
    department are kept: no address, no name."""
    try:
        return import_phishing_upload(scope, file, name, launched_on, mapping)
    except UploadTooLargeError as exc:
        raise _too_large(exc) from exc
