"""REST routes of the maturity assessment: campaigns, answers, evidence, scores, XLSX round trip.

Every route is under ``/api/v1/establishments/{establishment_id}`` and declares its scope: reading
needs ``read``, answering and attaching evidence ``write``, the workbook ``export``, closing a
campaign ``assess``. Every write and every export is written to the audit trail. The helpers here
(``save_answer``, ``store_evidence``, ``export_workbook`` ...) are shared with the pages, so that a
page and the API always do the same thing.

Evidence uploads: 20 MB at most, one of a few document types, checked by extension AND by content
(a ``.pdf`` must start like a PDF, a ``.txt`` must be text and not HTML...). The files are stored by
``assess.service`` under ``HYGIE_HOME/evidence``, never under the web root, and served back only
as attachments, with ``nosniff``, to the establishment that owns them.
"""

from __future__ import annotations

import codecs
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.exceptions import HTTPException

from hygie.assess import service, xlsx
from hygie.assess.evidence import side_by_side
from hygie.assess.models import Answer, Campaign, Evidence
from hygie.assess.schemas import (
    MAX_LEVEL,
    MIN_LEVEL,
    AnswerOut,
    AnswerStatus,
    CampaignOut,
    CampaignPath,
    EvidenceKind,
    EvidenceOut,
    EvidenceReport,
    ImportResult,
    MaturityScore,
    ScoreComparison,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import normalise_language
from hygie.frameworks.loader import Library
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.web.deps import AssessScope, EstablishmentScope, ExportScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.pagination import Page, Pagination, paginate

router = APIRouter(prefix="/api/v1", tags=["assess"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}"
CAMPAIGN = BASE + "/campaigns/{campaign_id}"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The evidence types accepted, by extension, with the content type they are stored and served as.
EVIDENCE_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
    "xlsx": XLSX_TYPE,
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
_SNIFF_BYTES = 64 * 1024
# Markup that a browser could run if it ever rendered the file: refused in a "text" evidence.
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<iframe", b"<?xml", b"<body", b"<object")
_BINARY_MAGIC = (b"MZ", b"\x7fELF", b"PK\x03\x04", b"%PDF", b"\xca\xfe\xba\xbe", b"#!")
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}


class UploadTooLargeError(ValidationError):
    """A file over the limit: HTTP 413 on the API, an inline message on the pages."""


# --- Shapes -------------------------------------------------------------------------------------


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    assessed_on: date
    path: CampaignPath = CampaignPath.FULL
    from_previous: bool = Field(default=False, description="Start from the latest campaign's answers")


class CampaignDetail(CampaignOut):
    closed_at: datetime | None
    answered: int = Field(ge=0, description="Controls of the campaign answered")
    in_scope: int = Field(ge=0, description="Controls the campaign asks")
    completion: float = Field(ge=0, le=100, description="Percent of the controls answered")


class AnswerBody(BaseModel):
    """The fields of ``AnswerIn``. The rules (a level only with status ``level``, a justification
    for ``alternative`` and ``not_applicable``) are checked by the service: 422 when broken."""

    model_config = ConfigDict(extra="forbid")

    status: AnswerStatus
    level: int | None = Field(default=None, ge=MIN_LEVEL, le=MAX_LEVEL)
    justification: str | None = Field(default=None, max_length=4000)
    comment: str | None = Field(default=None, max_length=4000)


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=service.MAX_URL_LENGTH, description="http or https only")
    name: str | None = Field(default=None, max_length=255)


# --- Shared with the pages ----------------------------------------------------------------------


def library() -> Library:
    return get_library()


def campaign_of(scope: EstablishmentScope, campaign_id: int) -> Campaign:
    return service.get_campaign(scope.db, scope.id, campaign_id)


def progress(campaign: Campaign, lib: Library) -> tuple[int, int, float]:
    """(answered, in scope, percent) of a campaign."""
    scope = set(service.scope_of(campaign, lib))
    answered = sum(1 for a in campaign.answers if a.control_id in scope)
    return answered, len(scope), (100 * answered / len(scope) if scope else 0.0)


def campaign_detail(campaign: Campaign, lib: Library) -> CampaignDetail:
    answered, in_scope, completion = progress(campaign, lib)
    return CampaignDetail(
        **CampaignOut.model_validate(campaign).model_dump(),
        closed_at=campaign.closed_at,
        answered=answered,
        in_scope=in_scope,
        completion=completion,
    )


def create_campaign(scope: EstablishmentScope, data: CampaignIn) -> Campaign:
    campaign = service.create_campaign(
        scope.db,
        scope.id,
        data.name,
        data.assessed_on,
        data.path,
        from_previous=data.from_previous,
        library=library(),
    )
    _audit(scope, "campaign.create", "assess_campaign", campaign.id, {"name": campaign.name})
    return campaign


def close_campaign(scope: EstablishmentScope, campaign: Campaign) -> Campaign:
    service.close_campaign(scope.db, campaign)
    _audit(scope, "campaign.close", "assess_campaign", campaign.id, {"name": campaign.name})
    return campaign


def save_answer(scope: EstablishmentScope, campaign: Campaign, control_id: str, data: AnswerBody) -> Answer:
    """Checks (ValidationError: 422) and records one answer, audited."""
    checked = service.answer_in(data.status, data.level, data.justification, data.comment)
    answer = service.record_answer(
        scope.db, campaign, control_id, checked, scope.principal.actor, library=library()
    )
    details = {"campaign_id": campaign.id, "control_id": control_id, "status": answer.status.value}
    _audit(scope, "answer.record", "assess_answer", answer.id, details | {"level": answer.level})
    return answer


def _is_text(sample: bytes) -> bool:
    if sample.startswith(_BINARY_MAGIC) or any(byte in _TEXT_CONTROLS for byte in sample):
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the end of the sample is fine
    except UnicodeDecodeError:
        try:
            sample.decode("cp1252")  # the spreadsheets of French offices still write it
        except UnicodeDecodeError:
            return False
    lowered = sample.lower()
    return not any(tag in lowered for tag in _MARKUP)


def _zip_names(source: BinaryIO) -> tuple[list[str], bytes] | None:
    """The member names of a zip package and its ``mimetype`` member (OpenDocument), or None."""
    try:
        with zipfile.ZipFile(source) as package:
            names = package.namelist()
            mimetype = package.read("mimetype")[:100] if "mimetype" in names else b""
            return names, mimetype
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return None


def sniff(extension: str, source: BinaryIO) -> bool:
    """Does the content match what the extension claims? ``source`` is rewound after."""
    source.seek(0)
    head = source.read(_SNIFF_BYTES)
    source.seek(0)
    try:
        if extension == "pdf":
            return head.startswith(b"%PDF-")
        if extension == "png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        if extension in {"jpg", "jpeg"}:
            return head.startswith(b"\xff\xd8\xff")
        if extension in {"txt", "csv"}:
            return bool(head) and _is_text(head)
        if not head.startswith(b"PK\x03\x04"):
            return False
        package = _zip_names(source)
        if package is None:
            return False
        names, mimetype = package
        if extension == "odt":
            return mimetype == b"application/vnd.oasis.opendocument.text"
        folder = {"xlsx": "xl/", "docx": "word/"}[extension]
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    finally:
        source.seek(0)


def _upload_size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def check_evidence_upload(upload: UploadFile) -> tuple[str, str]:
    """(the file's safe name, its content type), or ValidationError / UploadTooLargeError."""
    name = service.sanitise_file_name(upload.filename or "")
    if _upload_size(upload) > service.MAX_EVIDENCE_BYTES:
        limit = service.MAX_EVIDENCE_BYTES // (1024 * 1024)
        raise UploadTooLargeError(f"{name}: evidence files are limited to {limit} MB")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        accepted = ", ".join(sorted(set(EVIDENCE_TYPES) - {"jpg"}))
        raise ValidationError(f"{name}: this type of file is refused (accepted: {accepted})")
    if not sniff(extension, upload.file):
        raise ValidationError(f"{name}: the content is not a .{extension} file")
    return name, EVIDENCE_TYPES[extension]


def store_evidence(scope: EstablishmentScope, answer: Answer, upload: UploadFile) -> Evidence:
    name, content_type = check_evidence_upload(upload)
    evidence = service.attach_evidence_file(
        scope.db, answer, upload.file, scope.principal.actor, name=name, content_type=content_type
    )
    details = {
        "control_id": answer.control_id,
        "name": name,
        "sha256": evidence.sha256,
        "size": evidence.size,
    }
    _audit(scope, "evidence.upload", "assess_evidence", evidence.id, details)
    return evidence


def add_link(scope: EstablishmentScope, answer: Answer, url: str, name: str | None) -> Evidence:
    evidence = service.attach_evidence_link(scope.db, answer, url, scope.principal.actor, name=name)
    details = {"control_id": answer.control_id, "url": evidence.url}
    _audit(scope, "evidence.link", "assess_evidence", evidence.id, details)
    return evidence


def remove_evidence(scope: EstablishmentScope, campaign: Campaign, evidence_id: int) -> Answer:
    """Removes an evidence of an open campaign (its file too when nothing else names it), audited;
    returns the answer it was attached to."""
    evidence, answer = service.delete_evidence(scope.db, campaign, evidence_id)
    details: dict[str, Any] = {
        "campaign_id": campaign.id,
        "control_id": answer.control_id,
        "kind": evidence.kind.value,
    }
    if evidence.kind == EvidenceKind.FILE:
        details |= {"name": evidence.name, "sha256": evidence.sha256, "size": evidence.size}
    else:
        details |= {"url": evidence.url, "name": evidence.name}
    _audit(scope, "evidence.delete", "assess_evidence", evidence_id, details)
    return answer


def evidence_download(scope: EstablishmentScope, evidence_id: int) -> FileResponse:
    """The file as an attachment, only for the establishment that owns it (another: 404)."""
    evidence = scope.db.get(Evidence, evidence_id)
    if evidence is None or evidence.establishment_id != scope.id or evidence.kind != EvidenceKind.FILE:
        raise NotFoundError(f"no evidence file {evidence_id} for establishment {scope.id}")
    path = service.evidence_path(scope.id, evidence.sha256 or "")
    if not path.is_file():
        raise NotFoundError(f"the file of evidence {evidence_id} is missing from the evidence folder")
    served = evidence.content_type if evidence.content_type in EVIDENCE_TYPES.values() else None
    return FileResponse(
        path,
        media_type=served or "application/octet-stream",
        filename=evidence.name or f"evidence-{evidence.id}",
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def export_workbook(scope: EstablishmentScope, campaign: Campaign, lang: str) -> Response:
    lang = normalise_language(lang)
    with tempfile.TemporaryDirectory(prefix="hygie-export-") as folder:
        path = xlsx.export_campaign(campaign, library(), lang, Path(folder) / "questionnaire.xlsx")
        content = path.read_bytes()
    _audit(scope, "campaign.export", "assess_campaign", campaign.id, {"format": "xlsx", "lang": lang})
    filename = f"questionnaire-{scope.establishment.finess}-{campaign.id}.xlsx"
    return Response(
        content,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def import_workbook(scope: EstablishmentScope, campaign: Campaign, upload: UploadFile) -> ImportResult:
    """Records a filled-in workbook; ImportRejectedError (every problem, with its cell) otherwise."""
    name = service.sanitise_file_name(upload.filename or "questionnaire.xlsx")
    if _upload_size(upload) > xlsx.MAX_WORKBOOK_BYTES:
        raise UploadTooLargeError(f"{name}: the workbook is larger than 20 MB")
    if not name.lower().endswith(".xlsx") or not sniff("xlsx", upload.file):
        raise ValidationError(f"{name}: an .xlsx workbook exported by Hygie is expected")
    with tempfile.TemporaryDirectory(prefix="hygie-import-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        result = xlsx.import_campaign(scope.db, campaign, library(), path, scope.principal.actor)
    _audit(scope, "campaign.import", "assess_campaign", campaign.id, result.model_dump() | {"file": name})
    return result


def _audit(
    scope: EstablishmentScope, action: str, object_type: str, object_id: int, details: dict[str, Any]
) -> None:
    audit.record_for(
        scope.db,
        scope.principal,
        action=action,
        object_type=object_type,
        object_id=object_id,
        establishment_id=scope.id,
        details=details,
    )


def _too_large(exc: UploadTooLargeError) -> HTTPException:
    return HTTPException(413, detail=str(exc))


# --- Routes -------------------------------------------------------------------------------------


@router.get(BASE + "/campaigns", response_model=Page[CampaignDetail])
def list_campaigns(scope: ReadScope, pages: Pagination) -> Page[CampaignDetail]:
    """The establishment's campaigns, most recent first, with their completion."""
    statement = (
        select(Campaign)
        .where(Campaign.establishment_id == scope.id)
        .order_by(Campaign.assessed_on.desc(), Campaign.id.desc())
    )
    rows, total = paginate(scope.db, statement, pages)
    lib = library()
    return Page[CampaignDetail](
        items=[campaign_detail(r, lib) for r in rows], total=total, limit=pages.limit, offset=pages.offset
    )


@router.post(BASE + "/campaigns", response_model=CampaignDetail, status_code=status.HTTP_201_CREATED)
def new_campaign(scope: WriteScope, data: CampaignIn) -> CampaignDetail:
    return campaign_detail(create_campaign(scope, data), library())


@router.get(CAMPAIGN, response_model=CampaignDetail)
def get_campaign(scope: ReadScope, campaign_id: int) -> CampaignDetail:
    return campaign_detail(campaign_of(scope, campaign_id), library())


@router.post(CAMPAIGN + "/close", response_model=CampaignDetail)
def close(scope: AssessScope, campaign_id: int) -> CampaignDetail:
    """Closes the campaign: its answers can no longer change (``assess`` permission)."""
    return campaign_detail(close_campaign(scope, campaign_of(scope, campaign_id)), library())


@router.get(CAMPAIGN + "/answers", response_model=Page[AnswerOut])
def list_answers(scope: ReadScope, campaign_id: int, pages: Pagination) -> Page[AnswerOut]:
    """The campaign's answers by control id, with their evidence."""
    campaign = campaign_of(scope, campaign_id)
    statement = select(Answer).where(Answer.campaign_id == campaign.id).order_by(Answer.control_id)
    rows, total = paginate(scope.db, statement, pages)
    return Page[AnswerOut](
        items=[AnswerOut.model_validate(r) for r in rows], total=total, limit=pages.limit, offset=pages.offset
    )


@router.get(CAMPAIGN + "/answers/{control_id}", response_model=AnswerOut)
def get_answer(scope: ReadScope, campaign_id: int, control_id: str) -> AnswerOut:
    answer = service.get_answer(scope.db, campaign_of(scope, campaign_id), control_id)
    return AnswerOut.model_validate(answer)


@router.put(CAMPAIGN + "/answers/{control_id}", response_model=AnswerOut)
def put_answer(scope: WriteScope, campaign_id: int, control_id: str, data: AnswerBody) -> AnswerOut:
    """Creates or replaces the answer to one control (422 when a rule is broken)."""
    answer = save_answer(scope, campaign_of(scope, campaign_id), control_id, data)
    return AnswerOut.model_validate(answer)


@router.post(
    CAMPAIGN + "/answers/{control_id}/evidence",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    responses={413: {"description": "File over 20 MB"}},
)
def upload_evidence(
    scope: WriteScope, campaign_id: int, control_id: str, file: Annotated[UploadFile, File()]
) -> EvidenceOut:
    """Attaches a file (pdf, png, jpeg, txt, csv, xlsx, docx, odt; 20 MB at most) to an answer."""
    answer = service.get_answer(scope.db, campaign_of(scope, campaign_id), control_id)
    try:
        return EvidenceOut.model_validate(store_evidence(scope, answer, file))
    except UploadTooLargeError as exc:
        raise _too_large(exc) from exc


@router.post(
    CAMPAIGN + "/answers/{control_id}/links", response_model=EvidenceOut, status_code=status.HTTP_201_CREATED
)
def link_evidence(scope: WriteScope, campaign_id: int, control_id: str, data: LinkIn) -> EvidenceOut:
    """Attaches a link (http or https) to an answer."""
    answer = service.get_answer(scope.db, campaign_of(scope, campaign_id), control_id)
    return EvidenceOut.model_validate(add_link(scope, answer, data.url, data.name))


@router.delete(
    CAMPAIGN + "/evidence/{evidence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={204: {"description": "Removed"}},
)
def delete_evidence(scope: WriteScope, campaign_id: int, evidence_id: int) -> Response:
    """Removes an evidence (file or link) of an answer of an open campaign (422 once it is closed).

    The stored file is removed with it unless another evidence of the establishment holds the same
    content (a campaign started from this one, the same file attached twice).
    """
    remove_evidence(scope, campaign_of(scope, campaign_id), evidence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    BASE + "/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={200: {"description": "The file, as an attachment"}},
)
def download_evidence(scope: ReadScope, evidence_id: int) -> FileResponse:
    return evidence_download(scope, evidence_id)


@router.get(CAMPAIGN + "/score", response_model=MaturityScore)
def score(scope: ReadScope, campaign_id: int) -> MaturityScore:
    return service.campaign_score(scope.db, campaign_of(scope, campaign_id), library())


@router.get(BASE + "/evidence", response_model=EvidenceReport)
def declared_and_measured(scope: ReadScope) -> EvidenceReport:
    """Declared and measured side by side: for every control the data speak to, the declared level
    (latest campaign, plan's actions done since), the measured one, the rule of the control catalogue,
    the evidence listed, its date and whether it is stale; the global index both ways."""
    return side_by_side(scope.db, scope.id, library())


@router.get(CAMPAIGN + "/comparison", response_model=ScoreComparison)
def comparison(
    scope: ReadScope,
    campaign_id: int,
    before: Annotated[int | None, Query(description="Campaign compared with (default: the previous)")] = None,
) -> ScoreComparison:
    """How the campaign moved since another one of the establishment (the previous by default)."""
    after = campaign_of(scope, campaign_id)
    if before is None:
        earlier = service.previous_campaign(scope.db, after)
        if earlier is None:
            raise NotFoundError(f"campaign {campaign_id} has no previous campaign to compare with")
    else:
        earlier = campaign_of(scope, before)
    return service.compare_campaigns(scope.db, earlier, after, library())


@router.get(
    CAMPAIGN + "/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}, "description": "The questionnaire workbook"}},
)
def export_xlsx(
    scope: ExportScope,
    campaign_id: int,
    lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
) -> Response:
    """The questionnaire as a workbook to fill in offline (texts neutralised against formulas)."""
    return export_workbook(scope, campaign_of(scope, campaign_id), lang)


@router.post(CAMPAIGN + "/import", response_model=ImportResult)
def import_xlsx(scope: WriteScope, campaign_id: int, file: Annotated[UploadFile, File()]) -> ImportResult:
    """Records a filled-in workbook: every answer, or none and a 422 listing every problem."""
    try:
        return import_workbook(scope, campaign_of(scope, campaign_id), file)
    except UploadTooLargeError as exc:
        raise _too_large(exc) from exc
