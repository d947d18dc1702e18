"""ATT&CK coverage: hand-built rule sets and event stores give the expected status of each technique, the
weighted shares, and the findings of the plan (created, kept beside the other detection findings,
resolved once covered)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import coverage, detectors, service, tuning
from hygie.detect.attack_catalogue import Catalogue, load_catalogue
from hygie.detect.coverage import Inventory, Status
from hygie.detect.events import Event, EventWriter
from hygie.detect.sigma.compiler import CompiledRules, compile_text
from hygie.detect.sigma.logsources import SYSMON
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus, Severity
from hygie.plan.schemas import FindingIn
from tests.factories import make_establishment

CATALOGUE = """\
kind: attack-coverage
id: test
title: {fr: Essai, en: Test}
techniques:
  - id: T1003
    tactic: credential-access
    name: {fr: Vol d'identifiants, en: Credential dumping}
    importance: critical
    why: {fr: Les mots de passe., en: The passwords.}
    log_sources: [{product: windows, category: process_access}]
  - id: T1021.002
    tactic: lateral-movement
    name: {fr: Partages SMB, en: SMB shares}
    importance: high
    why: {fr: La propagation., en: The spreading.}
    log_sources: [{product: windows, service: system}, {product: windows, service: security}]
  - id: T1490
    tactic: impact
    name: {fr: Restauration empêchée, en: Inhibit recovery}
    importance: medium
    why: {fr: Les sauvegardes., en: The backups.}
    log_sources: [{product: windows, category: process_creation}]
  - id: T1059.001
    tactic: execution
    name: {fr: PowerShell, en: PowerShell}
    importance: low
    why: {fr: Les scripts., en: The scripts.}
    log_sources: [{product: windows, category: ps_script}, {category: proxy}]
"""

LSASS = "9a0a9f6e-0000-4000-8000-000000000001"
PSEXEC = "9a0a9f6e-0000-4000-8000-000000000002"
VSS = "9a0a9f6e-0000-4000-8000-000000000003"
BRUTE = "9a0a9f6e-0000-4000-8000-000000000004"


def _rule(rule_id: str, title: str, tags: list[str], logsource: str, selection: str) -> str:
    return (
        f"title: {title}\nid: {rule_id}\nstatus: test\nlevel: high\n"
        f"tags: [{', '.join(tags)}]\nlogsource: {logsource}\n"
        f"detection:\n  selection:\n    {selection}\n  condition: selection\n"
    )


def _rules() -> CompiledRules:
    return compile_text(
        _rule(LSASS, "LSASS read", ["attack.credential_access", "attack.t1003.001"],
              "{product: windows, category: process_access}", "TargetImage|endswith: '\\lsass.exe'"),
        _rule(PSEXEC, "PsExec service", ["attack.lateral_movement", "attack.t1021.002"],
              "{product: windows, service: system}", "EventID: 7045"),
        _rule(VSS, "Shadow copies deleted", ["attack.impact", "attack.t1490"],
              "{product: windows, category: process_creation}", "CommandLine|contains: 'delete shadows'"),
    )  # fmt: skip


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    path = tmp_path / "catalogue.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return load_catalogue(path)


SENT = Inventory(
    rows=(
        ("evtx", SYSMON, 10, 5),  # process access: LSASS read
        ("ndjson", "Security", 4688, 7),  # process creation without Sysmon
        ("evtx", "Security", 4624, 40),
    )
)


def _statuses(items: list[coverage.TechniqueCoverage]) -> dict[str, Status]:
    return {t.id: t.status for t in items}


def test_status_per_technique(catalogue: Catalogue) -> None:
    items = coverage.evaluate(catalogue, coverage.candidates(_rules(), ()), SENT)
    assert _statuses(items) == {
        "T1003": Status.COVERED,  # by its sub-technique T1003.001, Sysmon 10 sent
        "T1021.002": Status.NO_LOGS,  # the rule reads System, not sent
        "T1490": Status.COVERED,  # process creation read from Security 4688
        "T1059.001": Status.NO_RULE,
    }
    by_id = {t.id: t for t in items}
    assert [r.id for r in by_id["T1003"].rules] == [LSASS] and by_id["T1003"].rules[0].sent
    lateral = by_id["T1021.002"]
    assert [(f.label, f.detail, f.events) for f in lateral.to_send] == [("windows/system", "System", 0)]
    assert coverage.advice(lateral, "fr") == "envoyer windows/system"
    assert coverage.advice(lateral, "en") == "send windows/system"
    powershell = by_id["T1059.001"]
    assert powershell.rules == () and [s.label for s in powershell.to_send] == ["windows/ps_script", "proxy"]
    assert [s.readable for s in powershell.sources] == [True, False]
    assert coverage.advice(powershell, "en") == "add a rule and send windows/ps_script"
    # A technique whose catalogue sources are sent but no rule reads them: a rule is what is missing.
    sent_security = Inventory(rows=(("evtx", "Security", 4624, 1),))
    lateral_no_rule = coverage.evaluate(catalogue, [], sent_security)[1]
    assert lateral_no_rule.status == Status.NO_RULE
    assert (
        coverage.advice(lateral_no_rule, "en")
        == "add or enable a rule reading windows/security (already sent)"
    )


def test_weighted_shares(catalogue: Catalogue) -> None:
    items = coverage.evaluate(catalogue, coverage.candidates(_rules(), ()), SENT)
    summary = coverage.summarise(1, date(2026, 11, 22), 30, items)
    # Weights critical 4, high 3, medium 2, low 1: T1003 (4) and T1490 (2) covered out of 10.
    assert summary.share == pytest.approx(0.6)
    assert summary.counts == {"covered": 2, "rule_without_logs": 1, "no_rule": 1}
    assert [(t.tactic, t.share) for t in summary.tactics] == [
        ("execution", 0.0),
        ("credential-access", 1.0),
        ("lateral-movement", 0.0),
        ("impact", 1.0),
    ]
    assert [g.id for g in summary.gaps] == ["T1021.002", "T1059.001"]  # the most important first


def test_a_disabled_rule_uncovers_its_technique(catalogue: Catalogue) -> None:
    items = coverage.evaluate(catalogue, coverage.candidates(_rules(), ()), SENT, disabled={LSASS})
    lsass = items[0]
    assert lsass.status == Status.NO_RULE and lsass.rules == () and lsass.disabled == (LSASS,)
    assert coverage.summarise(1, date(2026, 11, 22), 30, items).share == pytest.approx(0.2)


def test_a_source_no_longer_sent_turns_covered_into_rule_without_logs(catalogue: Catalogue) -> None:
    without_sysmon = Inventory(rows=SENT.rows[1:])
    items = coverage.evaluate(catalogue, coverage.candidates(_rules(), ()), without_sysmon)
    lsass = items[0]
    assert lsass.status == Status.NO_LOGS
    assert [(f.label, f.detail) for f in lsass.to_send] == [("windows/process_access", f"{SYSMON} (10)")]


def test_a_correlation_needs_the_logs_of_its_base_rule(catalogue: Catalogue) -> None:
    base = _rule(BRUTE, "Service installed", [], "{product: windows, service: system}", "EventID: 7045")
    correlation = (
        "title: Many services\nid: 9a0a9f6e-0000-4000-8000-000000000005\nlevel: high\n"
        "tags: [attack.t1021.002]\ncorrelation:\n  type: event_count\n  rules: [" + BRUTE + "]\n"
        "  group-by: [Computer]\n  timespan: 10m\n  condition: {gte: 5}\n"
    )
    rules = compile_text(base + "---\n" + correlation)
    found = coverage.candidates(rules, ())
    # The base rule only feeds the correlation (Sigma's generate: false): the correlation is the candidate.
    assert [(c.kind, c.techniques) for c in found] == [(coverage.RuleKind.CORRELATION, ("T1021.002",))]
    assert coverage.evaluate(catalogue, found, SENT)[1].status == Status.NO_LOGS
    system = Inventory(rows=(("evtx", "System", 7045, 3),))
    assert coverage.evaluate(catalogue, found, system)[1].status == Status.COVERED


def test_statistical_detectors_count_through_their_techniques() -> None:
    techniques = {t for rule in detectors.RULES.values() for t in rule.techniques}
    assert techniques  # the detectors tag ATT&CK techniques
    with_techniques = {r.id for r in detectors.RULES.values() if r.techniques}
    assert with_techniques == set(coverage.DETECTOR_FEEDS)  # a new detector must say what it reads
    catalogue = coverage.shipped_catalogue()
    found = coverage.candidates(CompiledRules(digest=""))
    # Backups only in job reports: T1490 covered by the backup detectors alone.
    items = {t.id: t for t in coverage.evaluate(catalogue, found, Inventory(job_reports=2))}
    assert items["T1490"].status == Status.COVERED
    assert {r.id for r in items["T1490"].rules if r.sent} == {
        "hygie-stat-backup-failed",
        "hygie-stat-backup-missing",
    }
    # File writes: either Sysmon 11 or Security 4663 is enough for the mass-write detector.
    assert items["T1486"].status == Status.NO_LOGS
    assert coverage.advice(items["T1486"], "en") == "send windows/file_event or windows/security"
    audit_only = Inventory(rows=(("evtx", "Security", 4663, 9),))
    assert {t.id: t for t in coverage.evaluate(catalogue, found, audit_only)}[
        "T1486"
    ].status == Status.COVERED


# --- With the database and the event store -----------------------------------------------------------

DAY = date(2026, 11, 20)


def _store(
    settings: Settings, establishment_id: int, name: str, events: list[tuple[datetime, str, int]]
) -> None:
    with EventWriter(settings, establishment_id, "evtx", name * 8, name) as writer:
        for index, (ts, channel, code) in enumerate(events):
            writer.add(Event(ts, "SRV-DPI", channel, "p", code, index, "u", "{}", {}, index, index))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def test_summary_reads_the_window_of_the_event_store(
    session: Session, store_settings: Settings, catalogue: Catalogue
) -> None:
    est = make_establishment(session)
    other = make_establishment(session)
    _store(
        store_settings,
        est.id,
        "a1b2c3d4",
        [(_at(DAY), SYSMON, 10), (_at(DAY - timedelta(days=40)), "Security", 4688)],
    )
    _store(store_settings, other.id, "e5f6a7b8", [(_at(DAY), "System", 7045)])  # another hospital's logs
    summary = coverage.coverage_summary(session, est.id, DAY, rules=_rules(), catalogue=catalogue)
    assert coverage.status_of(summary) == {
        "T1003": Status.COVERED,
        "T1021.002": Status.NO_LOGS,
        "T1490": Status.NO_LOGS,  # its 4688 event is 40 days old: outside the 30 days
        "T1059.001": Status.NO_RULE,
    }
    assert summary.events == 1  # the other hospital's event and the old one are not counted
    wider = coverage.coverage_summary(session, est.id, DAY, days=60, rules=_rules(), catalogue=catalogue)
    assert wider.technique("T1490").status == Status.COVERED and wider.events == 2
    before = coverage.coverage_summary(
        session, est.id, DAY - timedelta(days=1), rules=_rules(), catalogue=catalogue
    )
    assert before.technique("T1003").status == Status.NO_LOGS  # the Sysmon event is after that day
    tuning.disable_rule(session, est.id, LSASS, reason="bruyante")
    disabled = coverage.coverage_summary(session, est.id, DAY, rules=_rules(), catalogue=catalogue)
    assert disabled.technique("T1003").status == Status.NO_RULE
    assert disabled.technique("T1003").disabled == (LSASS,)


def _open(session: Session, establishment_id: int) -> dict[str, tuple[Severity, list[str]]]:
    rows = plan_service.list_findings(session, establishment_id, source=FindingSource.DETECTION)
    return {f.key: (f.severity, f.control_ids) for f in rows}


def test_gaps_become_findings_and_are_resolved_once_covered(
    session: Session, store_settings: Settings, catalogue: Catalogue
) -> None:
    est = make_establishment(session)
    _store(store_settings, est.id, "a1b2c3d4", [(_at(DAY), SYSMON, 10), (_at(DAY), "Security", 4688)])
    weakness = FindingIn(
        key=f"{service.WEAKNESS_PREFIX}backup:dpi", title="Sauvegarde", severity=Severity.HIGH
    )
    service.refresh_findings(session, est.id, [weakness])
    coverage.refresh(session, est.id, DAY, rules=_rules(), catalogue=catalogue)
    assert _open(session, est.id) == {
        "weakness:backup:dpi": (Severity.HIGH, []),
        "coverage:T1021.002": (Severity.HIGH, ["INC-DETECT", "TEC-LOGS"]),
        "coverage:T1059.001": (Severity.LOW, ["INC-DETECT"]),
    }
    finding = next(f for f in plan_service.list_findings(session, est.id) if f.key == "coverage:T1021.002")
    assert finding.title == (
        "Technique ATT&CK dont les règles ne reçoivent pas de journaux : T1021.002 Partages SMB "
        "(envoyer windows/system)"
    )
    assert finding.evidence["title_en"].startswith(
        "ATT&CK technique whose rules get no logs: T1021.002 SMB shares"
    )
    assert finding.evidence["rules"] == [PSEXEC] and finding.evidence["send"] == ["windows/system"]
    # The detectors' refresh keeps the coverage findings, as the coverage's keeps the weaknesses.
    service.refresh_findings(session, est.id, [weakness])
    assert set(_open(session, est.id)) == {"weakness:backup:dpi", "coverage:T1021.002", "coverage:T1059.001"}

    _store(store_settings, est.id, "0f0f0f0f", [(_at(DAY), "System", 7045)])
    coverage.refresh(session, est.id, DAY, rules=_rules(), catalogue=catalogue)
    assert set(_open(session, est.id)) == {"weakness:backup:dpi", "coverage:T1059.001"}
    resolved = plan_service.list_findings(session, est.id, status=FindingStatus.RESOLVED)
    assert [f.key for f in resolved] == ["coverage:T1021.002"]


def test_coverage_is_the_measured_level_of_attack_detection(
    session: Session, store_settings: Settings, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INC-DETECT measured from the weighted coverage, by the thresholds of controls.yaml (≥ 0.5 → 3,
    ≥ 0.25 → 2); no log received in the window: not measured at all."""
    from hygie.assess import evidence
    from hygie.frameworks.service import get_library

    monkeypatch.setattr(coverage, "installed_rules", lambda settings: _rules())
    monkeypatch.setattr(coverage, "shipped_catalogue", lambda: catalogue)
    est = make_establishment(session)
    assert "INC-DETECT" not in evidence.measured_levels(session, est.id, DAY, get_library())
    _store(store_settings, est.id, "a1b2c3d4", [(_at(DAY), SYSMON, 10), (_at(DAY), "Security", 4688)])
    measured = evidence.measured_levels(session, est.id, DAY, get_library())["INC-DETECT"]
    # T1003 (4) and T1490 (2) covered out of 10: 0.6.
    assert (measured.level, measured.value, measured.source) == (3, pytest.approx(0.6), "detect")
    assert measured.basis.en.startswith("2/4 ransomware techniques covered, 60% by weight")
    assert [i.en for i in measured.items] == [
        "T1021.002 SMB shares: rule but no logs",
        "T1059.001 PowerShell: no rule",
    ]
    tuning.disable_rule(session, est.id, LSASS, reason="bruyante")  # T1003 no longer covered: 0.2
    assert evidence.measured_levels(session, est.id, DAY, get_library())["INC-DETECT"].level == 1


def test_a_disabled_detector_rule_uncovers_its_technique() -> None:
    catalogue = coverage.shipped_catalogue()
    found = coverage.candidates(CompiledRules(digest=""))
    backups = {"hygie-stat-backup-failed", "hygie-stat-backup-missing"}
    # T1490 is covered by the backup detectors alone (job reports only): disabling one leaves the other.
    one = {
        t.id: t
        for t in coverage.evaluate(catalogue, found, Inventory(job_reports=2), {"hygie-stat-backup-failed"})
    }
    assert one["T1490"].status == Status.COVERED and one["T1490"].disabled == ("hygie-stat-backup-failed",)
    both = {t.id: t for t in coverage.evaluate(catalogue, found, Inventory(job_reports=2), backups)}
    assert both["T1490"].status == Status.NO_RULE and set(both["T1490"].disabled) == backups
