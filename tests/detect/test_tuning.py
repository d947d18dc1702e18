"""Rule tuning per establishment on real EVTX samples: exclusions, disabled rules, levels, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.core.errors import ContentError, NotFoundError, ValidationError
from hygie.core.settings import Settings
from hygie.detect import service, tuning
from hygie.detect.ingest import ingest_paths
from hygie.detect.models import AlertLevel, TuningKind
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
