"""Operations on incidents; the only writer of the ``incident_*`` tables.

Every function takes the establishment's id or a case already fetched through ``get_case`` (which
refuses another establishment's case as "not found"). Timestamps are aware UTC datetimes.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hygie.assess.service import MAX_EVIDENCE_BYTES, sanitise_file_name
from hygie.assets import service as assets_service
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.settings import get_settings
from hygie.core.time import utcnow
from hygie.incidents import clocks as clock_rules
from hygie.incidents import drafts
from hygie.incidents.drafts import Draft
from hygie.incidents.models import (
    Case,
    CaseStatus,
    ClockKind,
    Conclusion,
    DeadlineOverride,
    Entry,
    EntryKind,
    EvidenceFile,
    Indicator,
    Report,
    Severity,
    Task,
)
from hygie.incidents.schemas import (
    AssetRef,
    CaseDetail,
    CaseExport,
    CaseIn,
    CaseUpdate,
    ConclusionIn,
    EntryIn,
    IndicatorIn,
    RequestIn,
    ReviewIn,
    SentIn,
    TaskIn,
    guess_kind,
    normalise_indicator,
)
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from hygie.plan.models import Severity as FindingSeverity
from hygie.plan.schemas import FindingIn

_CHUNK = 1024 * 1024
MAX_EVIDENCE_MB = MAX_EVIDENCE_BYTES // (1024 * 1024)
FINDING_SEVERITY = {
    Severity.CRITICAL: FindingSeverity.CRITICAL,
    Severity.HIGH: FindingSeverity.HIGH,
    Severity.MEDIUM: FindingSeverity.MEDIUM,
    Severity.LOW: FindingSeverity.LOW,
}

__all__ = [
    "add_conclusion",
    "add_entry",
    "add_indicator",
    "add_task",
    "attach_evidence",
    "case_clocks",
    "cases_query",
    "close_case",
    "deadline_overrides",
    "detail",
    "draft_for",
    "evidence_file",
    "export_data",
    "get_case",
    "get_evidence",
    "list_cases",
    "mark_sent",
    "open_case",
    "request_report",
    "set_deadline",
    "set_review",
    "set_task_done",
    "update_case",
]


def _author(name: str) -> str:
    return name.strip()[:200] or "?"


def _check_assets(session: Session, establishment_id: int, asset_ids: Sequence[int]) -> list[int]:
    """The ids, each checked to be an asset of this establishment (another's is "not found")."""
    for asset_id in asset_ids:
        assets_service.get_asset(session, establishment_id, asset_id)
    return list(dict.fromkeys(asset_ids))


def _check_times(detected_at: datetime, aware_at: datetime, started_at: datetime | None) -> None:
    if aware_at < detected_at:
        raise ValidationError("the establishment cannot be aware of the incident before it was detected")
    if started_at is not None and started_at > detected_at:
        raise ValidationError("the incident cannot start after it was detected")
    if detected_at > utcnow():
        raise ValidationError("the detection time is in the future")


def _record(
    session: Session, case: Case, kind: EntryKind, text: str, author: str, at: datetime | None = None
) -> Entry:
    entry = Entry(at=at or utcnow(), author=_author(author), kind=kind, text=text)
    case.entries.append(entry)
    session.flush()
    return entry


# --- The case ----------------------------------------------------------------------------------


def open_case(session: Session, establishment_id: int, data: CaseIn, author: str) -> Case:
    org_service.get_establishment(session, establishment_id)
    aware_at = data.aware_at or data.detected_at
    _check_times(data.detected_at, aware_at, data.started_at)
    values = data.model_dump(exclude={"aware_at", "asset_ids", "care_services"})
    case = Case(
        establishment_id=establishment_id,
        aware_at=aware_at,
        asset_ids=_check_assets(session, establishment_id, data.asset_ids),
        care_services=[c.value for c in dict.fromkeys(data.care_services)],
        status=CaseStatus.OPEN,
        created_by=_author(author),
        created_at=utcnow(),
        **values,
    )
    session.add(case)
    session.flush()
    _record(session, case, EntryKind.DETECTION, f"Incident ouvert : {data.title}", author, data.detected_at)
    return case


def cases_query(establishment_id: int, status: CaseStatus | None = None) -> Select[Case]:
    query = select(Case).where(Case.establishment_id == establishment_id)
    if status is not None:
        query = query.where(Case.status == status)
    return query.order_by(Case.aware_at.desc(), Case.id.desc())


def list_cases(session: Session, establishment_id: int, status: CaseStatus | None = None) -> list[Case]:
    return list(session.scalars(cases_query(establishment_id, status)))


def get_case(session: Session, establishment_id: int, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.establishment_id != establishment_id:
        raise NotFoundError(f"no incident {case_id} in establishment {establishment_id}")
    return case


def _writable(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(f"incident {case.id} is closed: only its closing review may change")


def update_case(session: Session, case: Case, changes: CaseUpdate, author: str) -> list[str]:
    """Changes the given fields; a change of status goes on the timeline. Returns the changed names."""
    _writable(case)
    values = changes.model_dump(exclude_unset=True)
    if values.get("status") == CaseStatus.CLOSED:
        raise ValidationError("an incident is closed with close_case (it records the review)")
    if "asset_ids" in values:
        values["asset_ids"] = _check_assets(session, case.establishment_id, values["asset_ids"] or [])
    if "care_services" in values:
        values["care_services"] = [str(c) for c in dict.fromkeys(values["care_services"] or [])]
    nullable = {"started_at", "persons_affected"}
    values = {k: v for k, v in values.items() if v is not None or k in nullable}
    _check_times(
        values.get("detected_at", case.detected_at),
        values.get("aware_at", case.aware_at),
        values.get("started_at", case.started_at),
    )
    changed = []
    for name, value in values.items():
        if getattr(case, name) != value:
            if name == "status":
                _record(session, case, EntryKind.STATUS, f"Statut : {case.status.value} → {value}", author)
            setattr(case, name, value)
            changed.append(name)
    session.flush()
    return changed


def close_case(session: Session, case: Case, author: str, at: datetime | None = None) -> Case:
    _writable(case)
    case.status = CaseStatus.CLOSED
    case.closed_at = at or utcnow()
    _record(session, case, EntryKind.STATUS, "Incident clos", author, case.closed_at)
    return case


# --- Timeline, tasks, indicators ---------------------------------------------------------------


def add_entry(session: Session, case: Case, data: EntryIn, author: str) -> Entry:
    _writable(case)
    if data.at is not None and data.at > utcnow():
        raise ValidationError("a timeline entry cannot be dated in the future")
    return _record(session, case, data.kind, data.text.strip(), author, data.at)


def add_task(session: Session, case: Case, data: TaskIn) -> Task:
    _writable(case)
    task = Task(title=data.title.strip(), owner=data.owner.strip(), due_at=data.due_at, done=False)
    case.tasks.append(task)
    session.flush()
    return task


def set_task_done(session: Session, case: Case, task_id: int, done: bool, author: str) -> Task:
    task = next((t for t in case.tasks if t.id == task_id), None)
    if task is None:
        raise NotFoundError(f"no task {task_id} in incident {case.id}")
    _writable(case)
    if task.done != done:
        task.done = done
        task.done_at = utcnow() if done else None
        if done:
            _record(session, case, EntryKind.ACTION, f"Tâche faite : {task.title} ({task.owner})", author)
    session.flush()
    return task


def add_indicator(session: Session, case: Case, data: IndicatorIn, author: str) -> Indicator:
    """Checks the value for its kind (guessed when not given) and adds it; a duplicate is refused."""
    _writable(case)
    kind = data.kind or guess_kind(data.value)
    try:
        value = normalise_indicator(kind, data.value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if any(i.kind == kind and i.value == value for i in case.indicators):
        raise ValidationError(f"indicator {kind.value} {value[:80]} is already recorded")
    indicator = Indicator(kind=kind, value=value, comment=data.comment.strip(), added_by=_author(author))
    case.indicators.append(indicator)
    session.flush()
    return indicator


# --- Evidence ----------------------------------------------------------------------------------


def evidence_file(establishment_id: int, sha256: str) -> Path:
    """Where a content is stored: a folder of its own, apart from the assessment's evidence (whose
    clean-up removes files no assessment row names)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValidationError(f"not a SHA-256 digest: {sha256!r}")
    return get_settings().evidence_dir / str(int(establishment_id)) / "incidents" / sha256


def attach_evidence(
    session: Session,
    case: Case,
    source: BinaryIO,
    name: str,
    added_by: str,
    content_type: str | None = None,
) -> EvidenceFile:
    """Stores the file once per content (SHA-256 computed while it is written), 20 MB at most."""
    _writable(case)
    clean_name = sanitise_file_name(name)
    folder = evidence_file(case.establishment_id, "0" * 64).parent
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > MAX_EVIDENCE_BYTES:
                    raise ValidationError(f"{clean_name}: evidence files are limited to {MAX_EVIDENCE_MB} MB")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError(f"{clean_name}: the file is empty")
        sha256 = digest.hexdigest()
        target = evidence_file(case.establishment_id, sha256)
        if target.exists():
            Path(temporary).unlink()
        else:
            Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    guessed = content_type or mimetypes.guess_type(clean_name)[0] or "application/octet-stream"
    evidence = EvidenceFile(
        establishment_id=case.establishment_id,
        name=clean_name,
        size=size,
        sha256=sha256,
        content_type=guessed[:200],
        added_by=_author(added_by),
    )
    case.evidence.append(evidence)
    _record(session, case, EntryKind.NOTE, f"Preuve ajoutée : {clean_name} (SHA-256 {sha256})", added_by)
    return evidence


def get_evidence(case: Case, evidence_id: int) -> tuple[EvidenceFile, Path]:
    evidence = next((e for e in case.evidence if e.id == evidence_id), None)
    if evidence is None:
        raise NotFoundError(f"no evidence {evidence_id} in incident {case.id}")
    return evidence, evidence_file(case.establishment_id, evidence.sha256)


# --- Clocks and reports ------------------------------------------------------------------------


def deadline_overrides(session: Session, establishment_id: int) -> dict[ClockKind, DeadlineOverride]:
    rows = session.scalars(
        select(DeadlineOverride).where(DeadlineOverride.establishment_id == establishment_id)
    )
    return {row.clock: row for row in rows}


def set_deadline(
    session: Session, establishment_id: int, clock: ClockKind, hours: int | None, note: str = ""
) -> DeadlineOverride | None:
    """The establishment's own delay for a clock (None: back to Hygie's default)."""
    org_service.get_establishment(session, establishment_id)
    if clock not in clock_rules.OVERRIDABLE:
        raise ValidationError(f"the delay of {clock.value} is not counted in hours and cannot be changed")
    row = deadline_overrides(session, establishment_id).get(clock)
    if hours is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if not 1 <= hours <= 24 * 31:
        raise ValidationError("a delay is between 1 hour and 31 days")
    if row is None:
        row = DeadlineOverride(establishment_id=establishment_id, clock=clock)
        session.add(row)
    row.hours = hours
    row.note = note.strip()[:500]
    session.flush()
    return row


def facts_of(case: Case) -> clock_rules.CaseFacts:
    return clock_rules.CaseFacts(
        aware_at=case.aware_at,
        patient_data=case.patient_data,
        persons_affected=case.persons_affected,
        high_risk_to_persons=case.high_risk_to_persons,
        significant=case.significant,
        malicious=case.malicious,
        cross_border=case.cross_border,
        description=case.description,
        care_services=tuple(case.care_services),
        care_impact=case.care_impact,
        measures=case.measures,
        root_cause=case.root_cause,
        indicators=len(case.indicators),
    )


def case_clocks(session: Session, case: Case, now: datetime | None = None) -> list[clock_rules.Clock]:
    establishment = org_service.get_establishment(session, case.establishment_id)
    category = org_service.nis2_status(establishment).category
    reports = {
        r.clock: clock_rules.Sent(sent_at=r.sent_at, requested_at=r.requested_at, due_at=r.due_at)
        for r in case.reports
    }
    overrides = {k: v.hours for k, v in deadline_overrides(session, case.establishment_id).items()}
    return clock_rules.compute(facts_of(case), category, reports, now or utcnow(), overrides)


def _report(case: Case, clock: ClockKind) -> Report:
    report = next((r for r in case.reports if r.clock == clock), None)
    if report is None:
        report = Report(clock=clock)
        case.reports.append(report)
    return report


def mark_sent(session: Session, case: Case, clock: ClockKind, data: SentIn, author: str) -> Report:
    """Records that the report of ``clock`` was sent (when, by whom, the authority's reference), on
    the timeline too. A clock that does not apply to the case is refused."""
    current = {c.kind: c for c in case_clocks(session, case)}[clock]
    if not current.applies:
        raise ValidationError(f"{clock.value} does not apply to incident {case.id}")
    sent_at = data.sent_at or utcnow()
    if sent_at > utcnow() or sent_at < case.detected_at:
        raise ValidationError("a report is sent after the detection and not in the future")
    report = _report(case, clock)
    if report.sent_at is not None:
        raise ValidationError(
            f"{clock.value} was already recorded as sent on {report.sent_at:%Y-%m-%d %H:%M} UTC"
        )
    report.sent_at = sent_at
    report.sent_by = _author(author)
    report.reference = data.reference.strip()
    text = f"Déclaration envoyée : {clock.value}" + (
        f" (réf. {report.reference})" if report.reference else ""
    )
    _record(session, case, EntryKind.REPORT, text, author, sent_at)
    return report


def request_report(session: Session, case: Case, data: RequestIn, author: str) -> Report:
    """The CSIRT or the authority asks for an intermediate report by ``due_at``."""
    requested_at = data.requested_at or utcnow()
    if data.due_at <= requested_at:
        raise ValidationError("the intermediate report is due after it is asked for")
    report = _report(case, ClockKind.NIS2_INTERMEDIATE)
    report.requested_at = requested_at
    report.due_at = data.due_at
    _record(
        session,
        case,
        EntryKind.COMMUNICATION,
        f"Rapport intermédiaire NIS2 demandé pour le {data.due_at:%Y-%m-%d %H:%M} UTC",
        author,
        requested_at,
    )
    return report


# --- Lessons learned ---------------------------------------------------------------------------


def set_review(session: Session, case: Case, data: ReviewIn) -> Case:
    """The closing review: may be written while the case is contained, and after it is closed."""
    case.review_what_happened = data.what_happened.strip()
    case.review_what_worked = data.what_worked.strip()
    case.review_what_failed = data.what_failed.strip()
    session.flush()
    return case


def _incident_findings(session: Session, establishment_id: int) -> list[FindingIn]:
    """Every finding the incidents of the establishment report (upsert resolves the others)."""
    findings = []
    rows = session.scalars(
        select(Conclusion)
        .join(Case, Conclusion.case_id == Case.id)
        .where(Case.establishment_id == establishment_id, Conclusion.finding_key.is_not(None))
        .order_by(Conclusion.id)
    )
    for conclusion in rows:
        case = conclusion.case
        findings.append(
            FindingIn(
                key=conclusion.finding_key or "",
                title=f"Retour d'expérience « {case.title[:150]} » : {conclusion.text[:300]}",
                severity=FindingSeverity(conclusion.finding_severity or FINDING_SEVERITY[case.severity]),
                control_ids=list(conclusion.control_ids),
                asset_refs=[str(a) for a in case.asset_ids],
                care_services=list(case.care_services),
                evidence={"incident_id": case.id, "conclusion_id": conclusion.id},
            )
        )
    return findings


def add_conclusion(
    session: Session, case: Case, data: ConclusionIn, known_controls: Sequence[str] | None = None
) -> Conclusion:
    """A conclusion of the review. With an owner and a due date it becomes an action of the plan
    (keyed ``incident:<case>:conclusion:<id>``); with controls, a finding of source ``incident`` on
    them. ``known_controls``: the library's control ids, to refuse a typo."""
    controls = list(dict.fromkeys(c.strip() for c in data.control_ids if c.strip()))
    if known_controls is not None:
        unknown = sorted(set(controls) - set(known_controls))
        if unknown:
            raise ValidationError(f"unknown control(s): {', '.join(unknown)}")
    if (data.owner is None) != (data.due_date is None):
        raise ValidationError("an action of the plan needs both an owner and a due date")
    conclusion = Conclusion(
        text=data.text.strip(),
        control_ids=controls,
        owner=data.owner.strip() if data.owner else None,
        due_date=data.due_date,
        finding_severity=data.severity.value if data.severity else None,
    )
    case.conclusions.append(conclusion)
    session.flush()
    key = f"incident:{case.id}:conclusion:{conclusion.id}"
    if conclusion.owner and conclusion.due_date:
        action = plan_service.add_action(
            session,
            case.establishment_id,
            key=key,
            title=conclusion.text,
            owner=conclusion.owner,
            due_date=conclusion.due_date,
            notes=f"Retour d'expérience de l'incident n° {case.id} « {case.title} »",
        )
        conclusion.plan_action_id = action.id
    if controls:
        conclusion.finding_key = key
        session.flush()
        plan_service.upsert_findings(
            session,
            case.establishment_id,
            FindingSource.INCIDENT,
            _incident_findings(session, case.establishment_id),
        )
    session.flush()
    return conclusion


# --- For the sharing formats -------------------------------------------------------------------


def detail(session: Session, case: Case, lang: str = "fr", now: datetime | None = None) -> CaseDetail:
    from hygie.incidents.views import clock_out  # the clocks in the reader's language

    out = CaseDetail.model_validate(case)
    out.clocks = [clock_out(c, lang, now or utcnow()) for c in case_clocks(session, case, now)]
    return out


def export_data(session: Session, case: Case, lang: str = "fr") -> CaseExport:
    """The case with everything an export carries: the establishment, the assets named, the reports
    sent. The sharing formats (STIX 2.1, MISP, DFIR-IRIS) are built from this and nothing else."""
    establishment = org_service.get_establishment(session, case.establishment_id)
    assets = []
    for asset_id in case.asset_ids:
        asset = assets_service.get_asset(session, case.establishment_id, asset_id)
        ips = [a.value for a in asset.addresses if a.kind.value != "mac"]
        assets.append(AssetRef(id=asset.id, name=asset.name, hostname=asset.hostname, ips=ips))
    return CaseExport(
        establishment_id=establishment.id,
        establishment_name=establishment.name,
        finess=establishment.finess,
        case=detail(session, case, lang),
        assets=assets,
        reports_sent={r.clock.value: r.sent_at for r in case.reports if r.sent_at is not None},
    )


def draft_for(
    session: Session, case: Case, kind: ClockKind, lang: str = "fr", now: datetime | None = None
) -> Draft:
    """The draft of the report ``kind`` asks for, from the case as it stands."""
    clock = {c.kind: c for c in case_clocks(session, case, now)}[kind]
    establishment = org_service.get_establishment(session, case.establishment_id)
    return drafts.build(case, establishment, org_service.nis2_status(establishment, lang), clock, lang, now)
