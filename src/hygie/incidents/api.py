"""REST routes of the incidents: the cases, their timeline, tasks, indicators and evidence, the
regulatory clocks with the drafts of the reports, the closing review, and the case's export.

Every write is recorded in the audit trail (``incident.*``). The pages call the same helpers.
The sharing formats (STIX 2.1, MISP, DFIR-IRIS) plug into ``export_case`` (see its docstring).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse, Response

from hygie.assess.service import sanitise_file_name
from hygie.core.errors import ValidationError
from hygie.core.settings import get_settings
from hygie.frameworks.loader import default_library
from hygie.incidents import drafts, service, sharing_bridge
from hygie.incidents.models import Case, CaseStatus, ClockKind
from hygie.incidents.schemas import (
    CaseDetail,
    CaseIn,
    CaseOut,
    CaseUpdate,
    ClockOut,
    ConclusionIn,
    ConclusionOut,
    DeadlineIn,
    EntryIn,
    EntryOut,
    EvidenceOut,
    IndicatorImportOut,
    IndicatorIn,
    IndicatorOut,
    RequestIn,
    ReviewIn,
    SentIn,
    TaskIn,
    TaskOut,
)
from hygie.incidents.sharing_bridge import ExportFormat, ImportFormat
from hygie.org import accounts, audit
from hygie.web.deps import EstablishmentScope, ExportScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.pagination import Page, Pagination, paginate

router = APIRouter(prefix="/api/v1", tags=["incidents"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/incidents"
ONE = BASE + "/{incident_id}"
# A STIX bundle or MISP event shared between teams is a few MB at most.
MAX_SHARED_FILE_BYTES = 20 * 1024 * 1024


def record(scope: EstablishmentScope, case: Case, action: str, **details: object) -> None:
    audit.record_for(
        scope.db,
        scope.principal,
        action=action,
        object_type="incident",
        object_id=case.id,
        establishment_id=scope.id,
        details=dict(details) or None,
    )


def author(scope: EstablishmentScope) -> str:
    """The caller as the timeline shows it: the account's display name."""
    actor = scope.principal.actor
    return accounts.actor_names(scope.db, [actor])[actor]


def lang_of(scope: EstablishmentScope) -> str:
    del scope  # the API speaks the server's language (HYGIE_LANG); the drafts take ?lang=
    return get_settings().lang


def known_controls() -> list[str]:
    return list(default_library(get_settings().library_dir).controls)


def open_incident(scope: EstablishmentScope, data: CaseIn) -> Case:
    case = service.open_case(scope.db, scope.id, data, author(scope))
    record(scope, case, "incident.open", title=case.title)
    return case


def upload_evidence(scope: EstablishmentScope, case: Case, upload: UploadFile) -> EvidenceOut:
    stored = service.attach_evidence(
        scope.db, case, upload.file, upload.filename or "", author(scope), upload.content_type
    )
    record(scope, case, "incident.evidence", sha256=stored.sha256, name=stored.name)
    return EvidenceOut.model_validate(stored)


def add_conclusion(scope: EstablishmentScope, case: Case, data: ConclusionIn) -> ConclusionOut:
    made = service.add_conclusion(scope.db, case, data, known_controls=known_controls())
    record(scope, case, "incident.conclusion", action_id=made.plan_action_id, finding=made.finding_key)
    return ConclusionOut.model_validate(made)


def draft_response(scope: EstablishmentScope, case: Case, kind: ClockKind, fmt: str, lang: str) -> Response:
    prepared = service.draft_for(scope.db, case, kind, lang)
    record(scope, case, "incident.draft", clock=kind.value, format=fmt)
    name = f"incident-{case.id}-{kind.value}"
    if fmt == "pdf":
        return Response(
            drafts.render_pdf(prepared, lang),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return PlainTextResponse(
        drafts.render_text(prepared, lang),
        headers={"Content-Disposition": f'attachment; filename="{name}.txt"'},
    )


class UploadTooLargeError(ValidationError):
    """A shared file over the limit: HTTP 413 on the API, an inline message on the pages."""


def export_response(
    scope: EstablishmentScope, case: Case, fmt: ExportFormat, tlp: str | None = None
) -> Response:
    """The export file, recorded in the audit trail, as a download named after the case."""
    lang = lang_of(scope)
    text = sharing_bridge.export_text(service.export_data(scope.db, case, lang), fmt, tlp, lang)
    record(scope, case, "incident.export", format=fmt.value)
    media_type, suffix = sharing_bridge.MEDIA_TYPES[fmt]
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="incident-{case.id}-{suffix}"'},
    )


def import_upload(
    scope: EstablishmentScope, case: Case, upload: UploadFile, fmt: ImportFormat = ImportFormat.AUTO
) -> sharing_bridge.ImportResult:
    """Copies the upload (within the limit, whatever it claims) and adds its indicators."""
    name = sanitise_file_name(upload.filename or "indicators.json")
    with tempfile.TemporaryDirectory(prefix="hygie-indicators-") as folder:
        path = Path(folder) / name
        size = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_SHARED_FILE_BYTES:
                    limit = MAX_SHARED_FILE_BYTES // (1024 * 1024)
                    raise UploadTooLargeError(f"{name}: a shared file is limited to {limit} MB")
                out.write(chunk)
        result = sharing_bridge.import_indicators(scope.db, case, path, author(scope), fmt)
    record(
        scope,
        case,
        "incident.indicators_import",
        file=name,
        added=len(result.added),
        duplicates=result.duplicates,
        unread=len(result.unread),
    )
    return result


# --- Routes ----------------------------------------------------------------------------------


@router.get(BASE, response_model=Page[CaseOut])
def list_incidents(scope: ReadScope, pages: Pagination, status: CaseStatus | None = None) -> Page[CaseOut]:
    """The incidents, the latest first."""
    rows, total = paginate(scope.db, service.cases_query(scope.id, status), pages)
    return Page[CaseOut](
        items=[CaseOut.model_validate(c) for c in rows], total=total, limit=pages.limit, offset=pages.offset
    )


@router.post(BASE, response_model=CaseDetail, status_code=201)
def post_incident(scope: WriteScope, data: CaseIn) -> CaseDetail:
    """Opens an incident; its clocks start from ``aware_at`` (the detection time when not given)."""
    return service.detail(scope.db, open_incident(scope, data), lang_of(scope))


@router.get(ONE, response_model=CaseDetail)
def get_incident(scope: ReadScope, incident_id: int) -> CaseDetail:
    """The incident with its timeline, tasks, indicators, evidence, conclusions and clocks."""
    return service.detail(scope.db, service.get_case(scope.db, scope.id, incident_id), lang_of(scope))


@router.patch(ONE, response_model=CaseDetail)
def patch_incident(scope: WriteScope, incident_id: int, data: CaseUpdate) -> CaseDetail:
    case = service.get_case(scope.db, scope.id, incident_id)
    changed = service.update_case(scope.db, case, data, author(scope))
    if changed:
        record(scope, case, "incident.update", fields=changed)
    return service.detail(scope.db, case, lang_of(scope))


@router.post(ONE + "/close", response_model=CaseDetail)
def close_incident(scope: WriteScope, incident_id: int) -> CaseDetail:
    case = service.get_case(scope.db, scope.id, incident_id)
    service.close_case(scope.db, case, author(scope))
    record(scope, case, "incident.close")
    return service.detail(scope.db, case, lang_of(scope))


@router.post(ONE + "/timeline", response_model=EntryOut, status_code=201)
def post_entry(scope: WriteScope, incident_id: int, data: EntryIn) -> EntryOut:
    case = service.get_case(scope.db, scope.id, incident_id)
    entry = service.add_entry(scope.db, case, data, author(scope))
    record(scope, case, "incident.timeline", kind=entry.kind.value)
    return EntryOut.model_validate(entry)


@router.post(ONE + "/tasks", response_model=TaskOut, status_code=201)
def post_task(scope: WriteScope, incident_id: int, data: TaskIn) -> TaskOut:
    case = service.get_case(scope.db, scope.id, incident_id)
    task = service.add_task(scope.db, case, data)
    record(scope, case, "incident.task", title=task.title)
    return TaskOut.model_validate(task)


@router.post(ONE + "/tasks/{task_id}/done", response_model=TaskOut)
def post_task_done(scope: WriteScope, incident_id: int, task_id: int, done: bool = True) -> TaskOut:
    case = service.get_case(scope.db, scope.id, incident_id)
    task = service.set_task_done(scope.db, case, task_id, done, author(scope))
    record(scope, case, "incident.task_done", task=task.id, done=done)
    return TaskOut.model_validate(task)


@router.post(ONE + "/indicators", response_model=IndicatorOut, status_code=201)
def post_indicator(scope: WriteScope, incident_id: int, data: IndicatorIn) -> IndicatorOut:
    """Adds an indicator, checked for its kind (guessed when not given) and "refanged"."""
    case = service.get_case(scope.db, scope.id, incident_id)
    indicator = service.add_indicator(scope.db, case, data, author(scope))
    record(scope, case, "incident.indicator", kind=indicator.kind.value)
    return IndicatorOut.model_validate(indicator)


@router.post(ONE + "/evidence", response_model=EvidenceOut, status_code=201)
def post_evidence(scope: WriteScope, incident_id: int, file: Annotated[UploadFile, File()]) -> EvidenceOut:
    """Stores a file once per content, its SHA-256 computed on upload (20 MB at most)."""
    return upload_evidence(scope, service.get_case(scope.db, scope.id, incident_id), file)


@router.get(
    ONE + "/evidence/{file_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file as stored"}},
)
def get_evidence(scope: ExportScope, incident_id: int, file_id: int) -> FileResponse:
    case = service.get_case(scope.db, scope.id, incident_id)
    evidence, path = service.get_evidence(case, file_id)
    record(scope, case, "incident.evidence_download", file=evidence.id)
    return FileResponse(path, filename=evidence.name, media_type="application/octet-stream")


@router.get(ONE + "/clocks", response_model=list[ClockOut])
def get_clocks(scope: ReadScope, incident_id: int) -> list[ClockOut]:
    """The regulatory clocks: deadline, status, what is missing, the assumption each rests on."""
    case = service.get_case(scope.db, scope.id, incident_id)
    return service.detail(scope.db, case, lang_of(scope)).clocks


@router.post(ONE + "/clocks/{clock}/sent", response_model=list[ClockOut])
def post_sent(scope: WriteScope, incident_id: int, clock: ClockKind, data: SentIn) -> list[ClockOut]:
    """Records the report of ``clock`` as sent (on the timeline too)."""
    case = service.get_case(scope.db, scope.id, incident_id)
    service.mark_sent(scope.db, case, clock, data, author(scope))
    record(scope, case, "incident.report_sent", clock=clock.value, reference=data.reference)
    return service.detail(scope.db, case, lang_of(scope)).clocks


@router.post(ONE + "/clocks/nis2_intermediate/request", response_model=list[ClockOut])
def post_request(scope: WriteScope, incident_id: int, data: RequestIn) -> list[ClockOut]:
    """The CSIRT or the authority asks for an intermediate report by ``due_at``."""
    case = service.get_case(scope.db, scope.id, incident_id)
    service.request_report(scope.db, case, data, author(scope))
    record(scope, case, "incident.report_requested")
    return service.detail(scope.db, case, lang_of(scope)).clocks


_DRAFT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/plain": {}, "application/pdf": {}}, "description": "The draft, text or PDF"}
}


@router.get(ONE + "/clocks/{clock}/draft", response_class=Response, responses=_DRAFT_RESPONSES)
def get_draft(
    scope: ExportScope,
    incident_id: int,
    clock: ClockKind,
    format: Annotated[str, Query(pattern="^(txt|pdf)$")] = "txt",
    lang: Annotated[str | None, Query(pattern="^(fr|en)$")] = None,
) -> Response:
    """The draft of the report ``clock`` asks for, from the case's data (text or PDF)."""
    case = service.get_case(scope.db, scope.id, incident_id)
    return draft_response(scope, case, clock, format, lang or lang_of(scope))


@router.put(ONE + "/review", response_model=CaseDetail)
def put_review(scope: WriteScope, incident_id: int, data: ReviewIn) -> CaseDetail:
    """The closing review: what happened, what worked, what did not."""
    case = service.get_case(scope.db, scope.id, incident_id)
    service.set_review(scope.db, case, data)
    record(scope, case, "incident.review")
    return service.detail(scope.db, case, lang_of(scope))


@router.post(ONE + "/conclusions", response_model=ConclusionOut, status_code=201)
def post_conclusion(scope: WriteScope, incident_id: int, data: ConclusionIn) -> ConclusionOut:
    """A conclusion: with an owner and a due date, an action of the plan; with controls, a finding."""
    return add_conclusion(scope, service.get_case(scope.db, scope.id, incident_id), data)


_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The case in the format asked: Hygie's JSON, a STIX 2.1 bundle, a MISP event or a "
        "DFIR-IRIS case",
        "content": {"application/json": {}, "application/stix+json;version=2.1": {}},
    }
}


@router.get(ONE + "/export", response_class=Response, responses=_EXPORT_RESPONSES)
def export_case(
    scope: ExportScope,
    incident_id: int,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
    tlp: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The case as a file to share: Hygie's JSON (default), ``format=stix`` (STIX 2.1 bundle with
    the OASIS incident extension), ``misp`` (MISP event) or ``iris`` (DFIR-IRIS case); ``tlp``
    overrides the case's marking."""
    case = service.get_case(scope.db, scope.id, incident_id)
    return export_response(scope, case, fmt, tlp)


@router.post(ONE + "/indicators/import", response_model=IndicatorImportOut)
def import_indicators(
    scope: WriteScope,
    incident_id: int,
    file: Annotated[UploadFile, File()],
    fmt: Annotated[ImportFormat, Query(alias="format")] = ImportFormat.AUTO,
) -> IndicatorImportOut:
    """Adds the indicators of a STIX bundle or MISP event; a file refused adds nothing (422 saying
    why, 413 over the size limit)."""
    case = service.get_case(scope.db, scope.id, incident_id)
    try:
        return import_upload(scope, case, file, fmt).out()
    except UploadTooLargeError as exc:
        raise HTTPException(413, str(exc)) from None


@router.put("/establishments/{establishment_id}/incident-deadlines", response_model=DeadlineIn)
def put_deadline(scope: WriteScope, data: DeadlineIn) -> DeadlineIn:
    """The establishment's own delay for a clock whose delay the texts leave open (CERT Santé...)."""
    service.set_deadline(scope.db, scope.id, data.clock, data.hours, data.note)
    audit.record_for(
        scope.db,
        scope.principal,
        action="incident.deadline",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details={"clock": data.clock.value, "hours": data.hours},
    )
    return data


__all__ = ["router"]
