"""Rule tuning per establishment on real EVTX samples: exclusions, disabled rules, levels, isolation; the
checks of the statistical detectors' tuning and its application to hand-built detections."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.core.errors import ContentError, NotFoundError, ValidationError
from hygie.core.settings import Settings
from hygie.detect import service, tuning
from hygie.detect.detectors import files, logons
from hygie.detect.detectors.base import Detection, Explanation, Rule
from hygie.detect.ingest import ingest_paths
from hygie.detect.models import AlertLevel, EntityField, RuleTuning, TuningKind
from tests.detect.alerts_data import HACKTOOL, NAMED_PIPE, PSEXESVC, SUSP_PSEXEC, evtx_files, rules_folder
from tests.factories import make_establishment


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return rules_folder(tmp_path / "rules")


def _run(session: Session, settings: Settings, establishment_id: int, folder: Path, cache: Path) -> int:
    rules = tuning.tuned_rules(session, establishment_id, [folder], cache)
    return service.run_detection(session, settings, establishment_id, rules).hits


def _alerts(session: Session, establishment_id: int) -> dict[str, tuple[str, AlertLevel]]:
    return {a.rule_id: (a.host, a.level) for a in service.list_alerts(session, establishment_id)}


def test_exclusion_of_a_host_removes_its_alerts_and_not_another_establishments(
    session: Session, store_settings: Settings, folder: Path, tmp_path: Path
) -> None:
    tuned, other = make_establishment(session), make_establishment(session)
    for est in (tuned, other):
        assert ingest_paths(store_settings, est.id, evtx_files(), "auto").events == 35
    # IEWIN7 is the known admin host: excluded from every Windows rule (case ignored).
    exclusion = tuning.add_exclusion(
        session, tuned.id, "Computer", "iewin7", author="rssi", reason="poste d'administration"
    )
    assert (exclusion.kind, exclusion.rule_id, exclusion.created_by) == (TuningKind.FILTER, "any", "rssi")
    cache = tmp_path / "cache"
    # 9 hits without it: 4 named pipes and 3 PsExec on IEWIN7, 1 on PC04, 1 on MSEDGEWIN10.
    assert _run(session, store_settings, tuned.id, folder, cache) == 2
    assert _alerts(session, tuned.id) == {
        HACKTOOL: ("PC04.example.corp", AlertLevel.HIGH),
        PSEXESVC: ("MSEDGEWIN10", AlertLevel.MEDIUM),
    }
    assert _run(session, store_settings, other.id, folder, cache) == 9
    assert len(_alerts(session, other.id)) == 4
    assert tuning.list_tunings(session, other.id) == []


def test_exclusion_for_one_rule_keeps_the_hosts_other_alerts(
    session: Session, store_settings: Settings, folder: Path, tmp_path: Path
) -> None:
    est = make_establishment(session)
    ingest_paths(store_settings, est.id, evtx_files(), "auto")
    tuning.add_exclusion(session, est.id, "Computer", "IEWIN7", rule_id=NAMED_PIPE)
    assert _run(session, store_settings, est.id, folder, tmp_path / "cache") == 5
    assert set(_alerts(session, est.id)) == {SUSP_PSEXEC, HACKTOOL, PSEXESVC}
    assert _alerts(session, est.id)[SUSP_PSEXEC][0] == "IEWIN7"


def test_disable_enable_and_level(
    session: Session, store_settings: Settings, folder: Path, tmp_path: Path
) -> None:
    est = make_establishment(session)
    ingest_paths(store_settings, est.id, evtx_files(), "auto")
    cache = tmp_path / "cache"
    first = tuning.disable_rule(session, est.id, HACKTOOL, author="rssi")
    assert tuning.disable_rule(session, est.id, HACKTOOL) is first  # once
    tuning.set_level(session, est.id, PSEXESVC, AlertLevel.HIGH)
    level = tuning.set_level(session, est.id, PSEXESVC, AlertLevel.CRITICAL, reason="serveur du bloc")
    assert [t.kind for t in tuning.list_tunings(session, est.id)] == [TuningKind.DISABLE, TuningKind.LEVEL]
    assert level.level == AlertLevel.CRITICAL
    assert _run(session, store_settings, est.id, folder, cache) == 8
    alerts = _alerts(session, est.id)
    assert HACKTOOL not in alerts
    assert alerts[PSEXESVC] == ("MSEDGEWIN10", AlertLevel.CRITICAL)
    assert tuning.enable_rule(session, est.id, HACKTOOL) is not None
    assert tuning.enable_rule(session, est.id, HACKTOOL) is None
    assert _run(session, store_settings, est.id, folder, cache) == 9
    assert _alerts(session, est.id)[HACKTOOL] == ("PC04.example.corp", AlertLevel.HIGH)


def test_bad_filter_is_refused_and_nothing_stored(session: Session, tmp_path: Path) -> None:
    est = make_establishment(session)
    path = tmp_path / "admin.yml"
    path.write_text(
        "title: admin\nlogsource:\n  product: windows\nfilter:\n  rules: any\n  sel: {Computer: A}\n"
    )
    with pytest.raises(ContentError) as caught:
        tuning.add_filter(session, est.id, path.read_text(), file=str(path))
    assert str(caught.value).startswith(f"{path}, line 4: ")
    assert tuning.list_tunings(session, est.id) == []
    with pytest.raises(ValidationError):
        tuning.disable_rule(session, est.id, " ")


def test_removing_is_scoped_to_the_establishment(session: Session) -> None:
    est, other = make_establishment(session), make_establishment(session)
    item = tuning.add_exclusion(session, est.id, "Computer", "ADMIN-PC")
    with pytest.raises(NotFoundError):
        tuning.remove_tuning(session, other.id, item.id)
    assert tuning.remove_tuning(session, est.id, item.id).id == item.id
    assert tuning.list_tunings(session, est.id) == []


# --- Statistical detectors ------------------------------------------------------------------------------


def _detection(rule: Rule, host: str, user: str = "", level: AlertLevel | None = None) -> Detection:
    moment = datetime(2026, 2, 23, 10, tzinfo=UTC)
    return Detection(rule, host, user, moment, moment, 1, (1,), Explanation("x"), level=level)


def test_detector_rule_ids_are_checked(session: Session) -> None:
    est = make_establishment(session)
    with pytest.raises(ValidationError, match=r"^rule: no statistical detector rule 'hygie-stat-nope'"):
        tuning.disable_rule(session, est.id, "hygie-stat-nope")
    with pytest.raises(ValidationError, match=r"^rule: "):
        tuning.set_level(session, est.id, "hygie-stat-nope", AlertLevel.LOW)
    # A Sigma filter cannot name a detector, an entity exclusion cannot name a Sigma rule.
    with pytest.raises(ValidationError, match="hygie rules exclude-entity"):
        tuning.add_exclusion(session, est.id, "Computer", "SRV", rule_id=files.MASS_WRITES.id)
    with pytest.raises(ValidationError, match=r"^rule: 'proc_creation_win_x' is not a statistical detector"):
        tuning.add_entity_exclusion(session, est.id, "host", "SRV", rule_id="proc_creation_win_x")
    with pytest.raises(ValidationError, match=r"^field: 'Computer', host or user"):
        tuning.add_entity_exclusion(session, est.id, "Computer", "SRV")
    with pytest.raises(ValidationError, match=r"^value: "):
        tuning.add_entity_exclusion(session, est.id, "host", "  ")
    assert tuning.list_tunings(session, est.id) == []
    item = tuning.add_entity_exclusion(session, est.id, "host", " SRV-BACKUP ", rule_id=files.MASS_WRITES.id)
    assert (item.kind, item.rule_id, item.entity_field, item.entity_value) == (
        TuningKind.ENTITY,
        "hygie-stat-mass-file-writes",
        EntityField.HOST,
        "SRV-BACKUP",
    )
    assert (
        tuning.add_entity_exclusion(session, est.id, "host", "srv-backup", rule_id=files.MASS_WRITES.id)
        is item
    )
    everywhere = tuning.add_entity_exclusion(session, est.id, EntityField.USER, "adm-astreinte")
    assert everywhere.rule_id == "any" and everywhere is not item
    assert tuning.disable_rule(session, est.id, logons.OFF_HOURS.id).rule_id == "hygie-stat-offhours-admin"


def test_tune_detections_by_hand() -> None:
    backup, pc = "SRV-BACKUP", "PC-7"
    detections = [
        _detection(files.MASS_WRITES, backup),
        _detection(files.MASS_WRITES, pc),
        _detection(files.RANSOM_NAMES, backup),
        _detection(logons.OFF_HOURS, "DC1", "Adm-Astreinte"),
        _detection(logons.OFF_HOURS, "DC1", "adm-x", level=AlertLevel.HIGH),
        _detection(logons.FIRST_SEEN, pc, "alice"),
    ]
    tunings = [
        RuleTuning(kind=TuningKind.ENTITY, rule_id=files.MASS_WRITES.id, entity_field=EntityField.HOST,
                   entity_value="srv-backup"),
        RuleTuning(kind=TuningKind.ENTITY, rule_id="any", entity_field=EntityField.USER,
                   entity_value="ADM-ASTREINTE"),
        RuleTuning(kind=TuningKind.LEVEL, rule_id=logons.OFF_HOURS.id, level=AlertLevel.LOW),
        RuleTuning(kind=TuningKind.DISABLE, rule_id=logons.FIRST_SEEN.id),
        RuleTuning(kind=TuningKind.DISABLE, rule_id="some-sigma-rule"),
    ]  # fmt: skip
    kept = tuning.tune_detections(detections, tunings)
    assert [(d.rule.id, d.host, d.user, d.effective_level) for d in kept] == [
        ("hygie-stat-mass-file-writes", pc, "", AlertLevel.HIGH),
        ("hygie-stat-ransom-file-names", backup, "", AlertLevel.CRITICAL),  # excluded from one rule only
        ("hygie-stat-offhours-admin", "DC1", "adm-x", AlertLevel.LOW),  # the override wins over high
    ]
    assert tuning.tune_detections(detections, []) == detections
