"""Operations of the maturity assessment; the only writer of the ``assess_*`` tables.

Every read goes through the establishment: a campaign of another establishment is "not found".
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
import unicodedata
from datetime import date
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import pydantic
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from hygie.assess import scoring
from hygie.assess.models import Answer, Campaign, Evidence
from hygie.assess.schemas import (
    AnswerIn,
    AnswerStatus,
    AnswerValue,
    CampaignPath,
    CampaignStatus,
    EvidenceKind,
    MaturityScore,
    ScoreComparison,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.settings import get_settings
from hygie.core.time import utcnow
from hygie.frameworks.loader import Library, default_library
from hygie.frameworks.schema import Control
from hygie.org import service as org_service

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_URL_LENGTH = 2000
_CHUNK = 1024 * 1024

__all__ = [
    "MAX_EVIDENCE_BYTES",
    "answer_in",
    "answers_detail",
    "answers_of",
    "attach_evidence_file",
    "attach_evidence_link",
    "campaign_score",
    "close_campaign",
    "compare_campaigns",
    "copy_answers",
    "create_campaign",
    "delete_evidence",
    "evidence_path",
    "get_answer",
    "get_campaign",
    "latest_campaign",
    "levels_of",
    "list_campaigns",
    "next_unanswered",
    "path_controls",
    "previous_campaign",
    "record_answer",
    "sanitise_file_name",
    "scope_of",
]


# --- Campaigns ----------------------------------------------------------------------------------


def create_campaign(
    session: Session,
    establishment_id: int,
    name: str,
    assessed_on: date,
    path: CampaignPath = CampaignPath.FULL,
    *,
    from_previous: bool = False,
    library: Library | None = None,
) -> Campaign:
    """A new open campaign; with ``from_previous``, the latest campaign's answers are its start."""
    org_service.get_establishment(session, establishment_id)  # NotFoundError for an unknown id
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("a campaign name has 1 to 200 characters")
    twin = session.scalar(
        select(Campaign).where(
            Campaign.establishment_id == establishment_id,
            Campaign.name == name,
            Campaign.assessed_on == assessed_on,
        )
    )
    if twin is not None:
        raise ValidationError(f"campaign #{twin.id} already has the name {name!r} and the date {assessed_on}")
    previous = _latest_or_none(session, establishment_id) if from_previous else None
    if from_previous and previous is None:
        raise ValidationError(f"establishment {establishment_id} has no previous campaign to start from")
    library = library or _default_library()
    campaign = Campaign(
        establishment_id=establishment_id, name=name, assessed_on=assessed_on, path=CampaignPath(path)
    )
    # The questions are fixed when the campaign opens: a referential imported later does not change them.
    campaign.control_ids = [c.id for c in path_controls(campaign, library)]
    session.add(campaign)
    session.flush()
    if previous is not None:
        copy_answers(session, previous, campaign, library)
    return campaign


def get_campaign(session: Session, establishment_id: int, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.establishment_id != establishment_id:
        raise NotFoundError(f"no campaign {campaign_id} for establishment {establishment_id}")
    return campaign


def list_campaigns(session: Session, establishment_id: int) -> list[Campaign]:
    """The establishment's campaigns in chronological order (the last one is the latest)."""
    query = (
        select(Campaign)
        .where(Campaign.establishment_id == establishment_id)
        .order_by(Campaign.assessed_on, Campaign.id)
    )
    return list(session.scalars(query))


def _latest_or_none(session: Session, establishment_id: int, before: date | None = None) -> Campaign | None:
    query = select(Campaign).where(Campaign.establishment_id == establishment_id)
    if before is not None:
        query = query.where(Campaign.assessed_on < before)
    return session.scalar(query.order_by(Campaign.assessed_on.desc(), Campaign.id.desc()).limit(1))


def latest_campaign(session: Session, establishment_id: int, before: date | None = None) -> Campaign:
    """The most recent campaign (assessed strictly before ``before`` when given)."""
    campaign = _latest_or_none(session, establishment_id, before)
    if campaign is None:
        when = f" before {before.isoformat()}" if before else ""
        raise NotFoundError(f"establishment {establishment_id} has no assessment campaign{when}")
    return campaign


def previous_campaign(session: Session, campaign: Campaign) -> Campaign | None:
    """The campaign just before this one (by date, then creation order)."""
    query = (
        select(Campaign)
        .where(Campaign.establishment_id == campaign.establishment_id, Campaign.id != campaign.id)
        .where(
            (Campaign.assessed_on < campaign.assessed_on)
            | ((Campaign.assessed_on == campaign.assessed_on) & (Campaign.id < campaign.id))
        )
        .order_by(Campaign.assessed_on.desc(), Campaign.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def close_campaign(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(f"campaign {campaign.id} is already closed")
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = utcnow()
    session.flush()
    return campaign


def path_controls(campaign: Campaign, library: Library) -> list[Control]:
    """The controls the campaign asks, in the order they are asked: those fixed when it opened
    (a control since removed from the library is left out), else those of its path."""
    if campaign.control_ids is not None:
        return [library.controls[c] for c in campaign.control_ids if c in library.controls]
    return library.short_path() if campaign.path == CampaignPath.SHORT else library.full_path()


def scope_of(campaign: Campaign, library: Library) -> list[str]:
    """The ids of the controls the campaign asks: the ``controls_in_scope`` of ``scoring.score``."""
    return [c.id for c in path_controls(campaign, library)]


# --- Answers ------------------------------------------------------------------------------------


def answer_in(
    status: AnswerStatus,
    level: int | None = None,
    justification: str | None = None,
    comment: str | None = None,
) -> AnswerIn:
    """An ``AnswerIn``, with the domain's ValidationError instead of Pydantic's."""
    try:
        return AnswerIn(status=status, level=level, justification=justification, comment=comment)
    except pydantic.ValidationError as exc:
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ValidationError(messages) from exc


def _check_answer(campaign: Campaign, control_id: str, data: AnswerIn, library: Library) -> None:
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(f"campaign {campaign.id} is closed: its answers can no longer change")
    if control_id not in library.controls:
        raise ValidationError(f"unknown control {control_id!r}")
    if control_id not in {c.id for c in path_controls(campaign, library)}:
        raise ValidationError(f"control {control_id} is not in the {campaign.path} path of this campaign")
    # Re-checked here: a model built with model_construct skips its validators.
    if data.status in (AnswerStatus.ALTERNATIVE, AnswerStatus.NOT_APPLICABLE) and not data.justification:
        raise ValidationError(f"{control_id}: a justification is mandatory for status {data.status.value!r}")
    if (data.status == AnswerStatus.LEVEL) != (data.level is not None) or not 0 <= (data.level or 0) <= 5:
        raise ValidationError(f"{control_id}: a level 0..5 is given with status 'level', and only then")


def get_answer(session: Session, campaign: Campaign, control_id: str) -> Answer:
    answer = session.scalar(
        select(Answer).where(Answer.campaign_id == campaign.id, Answer.control_id == control_id)
    )
    if answer is None:
        raise NotFoundError(f"control {control_id} has no answer in campaign {campaign.id}")
    return answer


def record_answer(
    session: Session,
    campaign: Campaign,
    control_id: str,
    data: AnswerIn,
    answered_by: str,
    *,
    library: Library | None = None,
) -> Answer:
    """Creates or updates the answer to one control.

    An update that changes nothing keeps the previous ``answered_by``/``answered_at``: they always
    name the last change.
    """
    library = library or _default_library()
    _check_answer(campaign, control_id, data, library)
    answered_by = answered_by.strip()
    if not answered_by:
        raise ValidationError("answered_by is empty: say who answers")
    answer = session.scalar(
        select(Answer).where(Answer.campaign_id == campaign.id, Answer.control_id == control_id)
    )
    fields = {
        "status": data.status,
        "level": data.level,
        "justification": data.justification,
        "comment": data.comment,
    }
    if answer is None:
        answer = Answer(control_id=control_id, **fields)
        campaign.answers.append(answer)
    elif all(getattr(answer, k) == v for k, v in fields.items()):
        return answer
    else:
        for key, value in fields.items():
            setattr(answer, key, value)
    answer.answered_by = answered_by[:200]
    answer.answered_at = utcnow()
    session.flush()
    return answer


def answers_of(campaign: Campaign) -> dict[str, AnswerValue]:
    """What scoring needs of the campaign's answers."""
    return {a.control_id: AnswerValue(status=a.status, level=a.level) for a in campaign.answers}


def answers_detail(campaign: Campaign) -> dict[str, Answer]:
    """The stored answers by control id, with justification, comment, author and evidence."""
    return {a.control_id: a for a in campaign.answers}


def next_unanswered(campaign: Campaign, library: Library) -> Control | None:
    """The first control of the path without an answer: where an interrupted run resumes."""
    answered = {a.control_id for a in campaign.answers}
    return next((c for c in path_controls(campaign, library) if c.id not in answered), None)


def copy_answers(session: Session, source: Campaign, target: Campaign, library: Library) -> int:
    """Copies the source's answers (and evidence) for the controls of the target's path."""
    if source.establishment_id != target.establishment_id:
        raise ValidationError("answers are copied only between campaigns of the same establishment")
    wanted = {c.id for c in path_controls(target, library)}
    existing = {a.control_id for a in target.answers}
    copied = 0
    for old in source.answers:
        if old.control_id not in wanted or old.control_id in existing:
            continue
        new = Answer(
            control_id=old.control_id,
            status=old.status,
            level=old.level,
            justification=old.justification,
            comment=old.comment,
            answered_by=old.answered_by,
            answered_at=old.answered_at,
        )
        new.evidence = [
            Evidence(
                establishment_id=e.establishment_id,
                kind=e.kind,
                url=e.url,
                name=e.name,
                size=e.size,
                sha256=e.sha256,
                content_type=e.content_type,
                added_by=e.added_by,
                added_at=e.added_at,
            )
            for e in old.evidence
        ]
        target.answers.append(new)
        copied += 1
    session.flush()
    return copied


def levels_of(campaign: Campaign, library: Library) -> dict[str, int | None]:
    """Level used by scoring for each control of the path (None: not scored). For the action plan."""
    levels = scoring.scored_levels(library, answers_of(campaign), scope_of(campaign, library))
    return {c.id: levels.get(c.id) for c in path_controls(campaign, library)}


# --- Scores -------------------------------------------------------------------------------------


def campaign_score(session: Session, campaign: Campaign, library: Library) -> MaturityScore:
    del session  # kept in the signature: later scores will read evidence-based findings
    return scoring.score(library, answers_of(campaign), scope_of(campaign, library))


def compare_campaigns(
    session: Session, before: Campaign, after: Campaign, library: Library
) -> ScoreComparison:
    if before.establishment_id != after.establishment_id:
        raise ValidationError("only campaigns of the same establishment are compared")
    return scoring.compare(campaign_score(session, before, library), campaign_score(session, after, library))


# --- Evidence -----------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def sanitise_file_name(name: str) -> str:
    """The original name, made safe to store and show; a name that tries to leave its folder is refused."""
    if "\x00" in name or "/" in name or "\\" in name or name.strip() in {"", ".", ".."}:
        raise ValidationError(f"file name {name!r} is refused: no folders, no '..', no NUL")
    cleaned = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", name)).strip().lstrip(".")
    if not cleaned:
        raise ValidationError(f"file name {name!r} is refused: nothing left once cleaned")
    stem, dot, suffix = cleaned.rpartition(".")
    if len(cleaned) > 200:  # keep the extension, it tells the content type
        cleaned = (stem[: 190 - len(suffix)] + dot + suffix) if dot else cleaned[:200]
    return cleaned


def evidence_path(establishment_id: int, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValidationError(f"not a SHA-256 digest: {sha256!r}")
    return get_settings().evidence_dir / str(int(establishment_id)) / sha256


def attach_evidence_file(
    session: Session,
    answer: Answer,
    source: Path | BinaryIO,
    added_by: str,
    *,
    name: str | None = None,
    content_type: str | None = None,
) -> Evidence:
    """Stores a file under ``evidence_dir/<establishment>/<sha256>`` and attaches it to the answer."""
    if isinstance(source, Path):
        if not source.is_file():
            raise ValidationError(f"{source} is not a file")
        if source.stat().st_size > MAX_EVIDENCE_BYTES:
            raise ValidationError(f"{source.name}: evidence files are limited to 20 MB")
        name = source.name if name is None else name
        with source.open("rb") as handle:
            return attach_evidence_file(
                session, answer, handle, added_by, name=name, content_type=content_type
            )
    if name is None:
        raise ValidationError("an evidence file needs a name")
    clean_name = sanitise_file_name(name)
    campaign = answer.campaign
    folder = get_settings().evidence_dir / str(campaign.establishment_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    # Written to a temporary file beside the target, then renamed: never a half-written evidence.
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > MAX_EVIDENCE_BYTES:
                    raise ValidationError(f"{clean_name}: evidence files are limited to 20 MB")
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        target = evidence_path(campaign.establishment_id, sha256)
        if target.exists():
            Path(temporary).unlink()
        else:
            Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    guessed = content_type or mimetypes.guess_type(clean_name)[0] or "application/octet-stream"
    evidence = Evidence(
        establishment_id=campaign.establishment_id,
        kind=EvidenceKind.FILE,
        name=clean_name,
        size=size,
        sha256=sha256,
        content_type=guessed[:200],
        added_by=added_by.strip()[:200] or "?",
    )
    answer.evidence.append(evidence)
    session.flush()
    return evidence


def attach_evidence_link(
    session: Session, answer: Answer, url: str, added_by: str, *, name: str | None = None
) -> Evidence:
    """Attaches a link (http or https only) to the answer."""
    url = url.strip()
    parts = urlsplit(url)
    if (
        parts.scheme.lower() not in {"http", "https"}
        or not parts.hostname
        or len(url) > MAX_URL_LENGTH
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        raise ValidationError(f"evidence link {url[:100]!r} refused: an http(s) address is expected")
    campaign = answer.campaign
    evidence = Evidence(
        establishment_id=campaign.establishment_id,
        kind=EvidenceKind.LINK,
        url=url,
        name=name.strip()[:255] if name else None,
        added_by=added_by.strip()[:200] or "?",
    )
    answer.evidence.append(evidence)
    session.flush()
    return evidence


def delete_evidence(session: Session, campaign: Campaign, evidence_id: int) -> tuple[Evidence, Answer]:
    """Removes an evidence row of the campaign (a file attached by mistake, a dead link).

    The stored file goes too when no other evidence row of the establishment names the same
    content (a copied campaign, the same file attached twice share it), and only once the
    transaction commits: a rollback brings the row back, and its file is still there. A closed
    campaign is read-only. Returns the removed row (for the caller's audit entry) and the answer it
    was attached to.
    """
    evidence = session.get(Evidence, evidence_id)
    if (
        evidence is None
        or evidence.establishment_id != campaign.establishment_id
        or evidence.answer.campaign_id != campaign.id
    ):
        raise NotFoundError(f"no evidence {evidence_id} in campaign {campaign.id}")
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(f"campaign {campaign.id} is closed: its evidence can no longer change")
    answer = evidence.answer
    answer.evidence.remove(evidence)  # delete-orphan: the row goes at the flush
    session.flush()
    if evidence.kind == EvidenceKind.FILE and evidence.sha256:
        _release_after_commit(session, evidence.establishment_id, evidence.sha256)
    return evidence, answer


# Files whose last evidence row was deleted in the session's transaction: (establishment, sha256).
_RELEASED = "hygie.assess.released_files"
_DOOMED = "hygie.assess.doomed_files"


def _release_after_commit(session: Session, establishment_id: int, sha256: str) -> None:
    if not event.contains(session, "before_commit", _find_unreferenced):
        event.listen(session, "before_commit", _find_unreferenced)
        event.listen(session, "after_commit", _remove_unreferenced)
        event.listen(session, "after_transaction_end", _forget_released)
    session.info.setdefault(_RELEASED, set()).add((establishment_id, sha256))


def _find_unreferenced(session: Session) -> None:
    # Checked just before the commit, when SQL still runs: a savepoint rolled back since the
    # deletion, or the same content attached again, keeps the file.
    doomed = []
    for establishment_id, sha256 in sorted(session.info.pop(_RELEASED, set())):
        count = session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.establishment_id == establishment_id, Evidence.sha256 == sha256)
        )
        if not count:
            doomed.append(evidence_path(establishment_id, sha256))
    session.info[_DOOMED] = doomed


def _remove_unreferenced(session: Session) -> None:
    for path in session.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


def _forget_released(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended without a commit: keep the files
        session.info.pop(_RELEASED, None)
        session.info.pop(_DOOMED, None)


def _default_library() -> Library:
    return default_library(get_settings().library_dir)
