"""The case: opening, isolation, timeline, indicators, evidence, reports sent, lessons → plan."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, Importer
from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today, utcnow
from hygie.incidents import service
from hygie.incidents.clocks import ClockStatus
from hygie.incidents.models import Answer, CaseStatus, ClockKind, EntryKind, IndicatorKind
from hygie.incidents.schemas import (
    CaseUpdate,
    ConclusionIn,
    EntryIn,
    IndicatorIn,
    RequestIn,
    ReviewIn,
    SentIn,
    TaskIn,
)
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from tests.factories import make_establishment
from tests.incidents.conftest import open_ransomware


def _asset(session: Session, establishment_id: int, name: str) -> int:
    assets_service.import_assets(
        session,
        establishment_id,
        [AssetRecord(name=name, ips=["10.1.2.3"], kind=AssetKind.SERVER)],
        ImportSource(importer=Importer.CSV, file_name="inv.csv"),
    )
    return assets_service.list_assets(session, establishment_id)[0].id


def test_open_case_records_the_detection_and_refuses_another_establishments_asset(session: Session) -> None:
    mine, other = make_establishment(session), make_establishment(session)
    own_asset = _asset(session, mine.id, "srv-pacs")
    foreign_asset = _asset(session, other.id, "srv-autre")
    case = open_ransomware(session, mine.id, asset_ids=[own_asset, own_asset])
    assert case.asset_ids == [own_asset]
    assert [(e.kind, e.at) for e in case.entries] == [(EntryKind.DETECTION, case.detected_at)]
    with pytest.raises(NotFoundError):
        open_ransomware(session, mine.id, asset_ids=[foreign_asset])
    with pytest.raises(NotFoundError):
        service.get_case(session, other.id, case.id)
    assert service.list_cases(session, other.id) == []
    with pytest.raises(NotFoundError):
        service.update_case(session, case, CaseUpdate(asset_ids=[foreign_asset]), "x")


def test_times_must_be_in_order(session: Session) -> None:
    establishment = make_establishment(session)
    case = open_ransomware(session, establishment.id)
    with pytest.raises(ValidationError, match="aware"):
        service.update_case(session, case, CaseUpdate(aware_at=case.detected_at - timedelta(minutes=1)), "x")
    with pytest.raises(ValidationError, match="start after"):
        service.update_case(
            session, case, CaseUpdate(started_at=case.detected_at + timedelta(minutes=1)), "x"
        )


def test_status_changes_and_closing_make_the_case_read_only(session: Session) -> None:
    establishment = make_establishment(session)
    case = open_ransomware(session, establishment.id)
    assert service.update_case(session, case, CaseUpdate(status=CaseStatus.CONTAINED), "RSSI") == ["status"]
    assert case.entries[-1].kind == EntryKind.STATUS
    service.close_case(session, case, "RSSI")
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    with pytest.raises(ValidationError, match="closed"):
        service.add_entry(session, case, EntryIn(text="trop tard"), "x")
    service.set_review(session, case, ReviewIn(what_happened="PACS chiffré"))  # the review still may change
    assert case.review_what_happened == "PACS chiffré"


def test_indicators_are_checked_guessed_and_deduplicated(session: Session) -> None:
    case = open_ransomware(session, make_establishment(session).id)
    ip = service.add_indicator(session, case, IndicatorIn(value="203.0.113[.]5"), "x")
    assert (ip.kind, ip.value) == (IndicatorKind.IPV4, "203.0.113.5")
    digest = "A" * 64
    sha = service.add_indicator(session, case, IndicatorIn(value=digest), "x")
    assert (sha.kind, sha.value) == (IndicatorKind.SHA256, "a" * 64)
    url = service.add_indicator(session, case, IndicatorIn(value="hxxps://evil.example[.]org/x"), "x")
    assert (url.kind, url.value) == (IndicatorKind.URL, "https://evil.example.org/x")
    domain = service.add_indicator(session, case, IndicatorIn(value="Evil.Example.ORG"), "x")
    assert (domain.kind, domain.value) == (IndicatorKind.DOMAIN, "evil.example.org")
    with pytest.raises(ValidationError, match="already recorded"):
        service.add_indicator(session, case, IndicatorIn(value="203.0.113.5"), "x")
    with pytest.raises(ValidationError, match="not an IP"):
        service.add_indicator(session, case, IndicatorIn(value="300.1.1.1", kind=IndicatorKind.IPV4), "x")
    with pytest.raises(ValidationError, match="64 hexadecimal"):
        service.add_indicator(session, case, IndicatorIn(value="abc", kind=IndicatorKind.SHA256), "x")
    with pytest.raises(ValidationError, match="e-mail"):
        service.add_indicator(session, case, IndicatorIn(value="pas-un-mail", kind=IndicatorKind.EMAIL), "x")


def test_tasks_with_owner_and_done_on_the_timeline(session: Session) -> None:
    case = open_ransomware(session, make_establishment(session).id)
    task = service.add_task(session, case, TaskIn(title="Isoler le VLAN imagerie", owner="DSI"))
    service.set_task_done(session, case, task.id, True, "DSI")
    assert task.done and task.done_at is not None
    assert case.entries[-1].text == "Tâche faite : Isoler le VLAN imagerie (DSI)"
    with pytest.raises(NotFoundError):
        service.set_task_done(session, case, task.id + 999, True, "DSI")


def test_evidence_is_hashed_stored_once_and_limited(session: Session, evidence_home: Path) -> None:
    case = open_ransomware(session, make_establishment(session).id)
    content = b"note de rancon\n" * 100
    first = service.attach_evidence(session, case, io.BytesIO(content), "rançon.txt", "RSSI")
    second = service.attach_evidence(session, case, io.BytesIO(content), "copie.txt", "RSSI")
    expected = hashlib.sha256(content).hexdigest()
    assert first.sha256 == second.sha256 == expected and first.size == len(content)
    _evidence, path = service.get_evidence(case, first.id)
    assert path == evidence_home / "evidence" / str(case.establishment_id) / "incidents" / expected
    assert path.read_bytes() == content
    assert [p.name for p in path.parent.iterdir()] == [expected]  # no temporary file left
    with pytest.raises(ValidationError, match="refused"):
        service.attach_evidence(session, case, io.BytesIO(b"x"), "../../etc/passwd", "RSSI")
    with pytest.raises(ValidationError, match="empty"):
        service.attach_evidence(session, case, io.BytesIO(b""), "vide.txt", "RSSI")


def test_evidence_over_the_limit_is_refused(
    session: Session, evidence_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_EVIDENCE_BYTES", 10)
    case = open_ransomware(session, make_establishment(session).id)
    with pytest.raises(ValidationError, match="limited"):
        service.attach_evidence(session, case, io.BytesIO(b"x" * 11), "gros.bin", "RSSI")
    assert case.evidence == []
    folder = evidence_home / "evidence" / str(case.establishment_id) / "incidents"
    assert list(folder.iterdir()) == []


def test_marking_a_report_sent_closes_its_clock_and_goes_on_the_timeline(session: Session) -> None:
    establishment = make_establishment(session)  # 1,800 staff: an essential entity
    case = open_ransomware(session, establishment.id)
    clocks = {c.kind: c for c in service.case_clocks(session, case)}
    assert clocks[ClockKind.NIS2_EARLY_WARNING].status == ClockStatus.DUE
    sent_at = utcnow().replace(microsecond=0) - timedelta(hours=1)
    service.mark_sent(
        session, case, ClockKind.NIS2_EARLY_WARNING, SentIn(sent_at=sent_at, reference="CERTFR-123"), "RSSI"
    )
    clocks = {c.kind: c for c in service.case_clocks(session, case)}
    assert (clocks[ClockKind.NIS2_EARLY_WARNING].status, clocks[ClockKind.NIS2_EARLY_WARNING].sent_at) == (
        ClockStatus.DONE,
        sent_at,
    )
    entry = case.entries[-1]
    assert (entry.kind, entry.at, entry.text) == (
        EntryKind.REPORT,
        sent_at,
        "Déclaration envoyée : nis2_early_warning (réf. CERTFR-123)",
    )
    with pytest.raises(ValidationError, match="already"):
        service.mark_sent(session, case, ClockKind.NIS2_EARLY_WARNING, SentIn(), "RSSI")
    service.update_case(session, case, CaseUpdate(patient_data=Answer.NO), "RSSI")
    with pytest.raises(ValidationError, match="does not apply"):
        service.mark_sent(session, case, ClockKind.CNIL, SentIn(), "RSSI")


def test_an_intermediate_report_requested_starts_its_clock(session: Session) -> None:
    case = open_ransomware(session, make_establishment(session).id)
    due = utcnow() + timedelta(days=3)
    service.request_report(session, case, RequestIn(due_at=due), "RSSI")
    clock = {c.kind: c for c in service.case_clocks(session, case)}[ClockKind.NIS2_INTERMEDIATE]
    assert clock.status == ClockStatus.DUE and clock.deadline == due


def test_establishment_deadline_override(session: Session) -> None:
    establishment = make_establishment(session)
    case = open_ransomware(session, establishment.id)
    service.set_deadline(session, establishment.id, ClockKind.CERT_SANTE, 6, "demande de l'ARS")
    sante = {c.kind: c for c in service.case_clocks(session, case)}[ClockKind.CERT_SANTE]
    assert sante.deadline == case.aware_at + timedelta(hours=6)
    with pytest.raises(ValidationError):
        service.set_deadline(session, establishment.id, ClockKind.NIS2_FINAL, 6)
    service.set_deadline(session, establishment.id, ClockKind.CERT_SANTE, None)
    sante = {c.kind: c for c in service.case_clocks(session, case)}[ClockKind.CERT_SANTE]
    assert sante.deadline == case.aware_at + timedelta(hours=24)


def test_small_establishment_has_no_nis2_clock(session: Session) -> None:
    small = make_establishment(session, staff=30, annual_budget=5_000_000, beds=20)
    case = open_ransomware(session, small.id)
    clocks = {c.kind: c for c in service.case_clocks(session, case)}
    assert clocks[ClockKind.NIS2_EARLY_WARNING].status == ClockStatus.NOT_APPLICABLE
    assert clocks[ClockKind.CERT_SANTE].applies


def test_lessons_become_plan_actions_and_findings_on_controls(session: Session) -> None:
    establishment = make_establishment(session)
    case = open_ransomware(session, establishment.id)
    due = today() + timedelta(days=90)
    with_action = service.add_conclusion(
        session,
        case,
        ConclusionIn(
            text="Sauvegardes hors ligne du PACS", control_ids=["CON-BACKUP"], owner="DSI", due_date=due
        ),
        known_controls=["CON-BACKUP", "TEC-MFA"],
    )
    only_finding = service.add_conclusion(
        session,
        case,
        ConclusionIn(text="MFA absente sur le VPN", control_ids=["TEC-MFA"], severity=Severity.HIGH),
    )
    actions = plan_service.list_actions(session, establishment.id)
    assert [(a.id, a.title, a.owner, a.due_date, a.template_id) for a in actions] == [
        (
            with_action.plan_action_id,
            "Sauvegardes hors ligne du PACS",
            "DSI",
            due,
            f"incident:{case.id}:conclusion:{with_action.id}",
        )
    ]
    assert only_finding.plan_action_id is None
    findings = plan_service.list_findings(session, establishment.id, source=FindingSource.INCIDENT)
    by_key = {f.key: f for f in findings}
    assert set(by_key) == {with_action.finding_key, only_finding.finding_key}
    assert by_key[with_action.finding_key].control_ids == ["CON-BACKUP"]
    assert by_key[with_action.finding_key].severity == Severity.CRITICAL  # the incident's
    assert by_key[only_finding.finding_key].severity == Severity.HIGH
    assert by_key[only_finding.finding_key].care_services == ["imaging", "emergency"]
    with pytest.raises(ValidationError, match="unknown control"):
        service.add_conclusion(
            session, case, ConclusionIn(text="x", control_ids=["NOPE"]), known_controls=["TEC-MFA"]
        )
    with pytest.raises(ValidationError, match="both an owner"):
        service.add_conclusion(session, case, ConclusionIn(text="x", owner="DSI"))


def test_export_data_carries_the_case_for_the_sharing_formats(session: Session) -> None:
    establishment = make_establishment(session)
    asset_id = _asset(session, establishment.id, "srv-pacs")
    case = open_ransomware(session, establishment.id, asset_ids=[asset_id])
    service.add_indicator(session, case, IndicatorIn(value="203.0.113.5", comment="C2"), "x")
    export = service.export_data(session, case)
    assert (export.finess, export.case.title, export.case.tlp) == (establishment.finess, case.title, "amber")
    assert [(a.name, a.ips) for a in export.assets] == [("srv-pacs", ["10.1.2.3"])]
    assert [(i.kind, i.value, i.comment) for i in export.case.indicators] == [
        (IndicatorKind.IPV4, "203.0.113.5", "C2")
    ]
    assert {c.kind for c in export.case.clocks} == set(ClockKind)
