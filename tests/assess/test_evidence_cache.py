"""The providers' readings are kept for the transaction while nothing they read changes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hygie.assess import evidence, evidence_cache
from hygie.assess import service as assess_service
from hygie.assess.evidence_rules import Reading
from hygie.assess.schemas import AnswerIn
from hygie.assets.models import Asset, AssetKind
from hygie.core.settings import get_settings
from hygie.core.time import today
from hygie.detect import evidence as detect_evidence
from hygie.detect.events import STORE_LISTENERS, write_manifest
from hygie.frameworks.schema import Text
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from hygie.plan.schemas import FindingIn
from tests.factories import make_establishment

Calls = Counter[tuple[int, date]]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """The only provider: ``vulns.patched_share`` = the establishment's assets / 4, each call counted
    by (establishment, day). The registry is given back as it was after the test."""
    counted: Calls = Counter()

    def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
        counted[establishment_id, on] += 1
        assets = session.scalar(
            select(func.count()).select_from(Asset).where(Asset.establishment_id == establishment_id)
        )
        words = Text(fr=f"{assets} actifs", en=f"{assets} assets")
        return [Reading("vulns.patched_share", (assets or 0) / 4, on, words)]

    monkeypatch.setattr(evidence, "PROVIDER_MODULES", ())
    monkeypatch.setattr(evidence, "_PROVIDERS", {})
    evidence.register("vulns", measure)
    return counted


def asset(session: Session, eid: int, name: str) -> Asset:
    row = Asset(establishment_id=eid, name=name, kind=AssetKind.WORKSTATION)
    session.add(row)
    return row


def patched(session: Session, eid: int, on: date | None = None) -> float | None:
    return evidence.measured_levels(session, eid, on, get_library())["TEC-PATCH"].value


def test_read_once_then_again_after_a_flush_of_what_it_reads(session: Session, calls: Calls) -> None:
    eid = make_establishment(session).id
    asset(session, eid, "poste-1")
    session.flush()
    day = today()
    assert patched(session, eid) == 0.25
    assert patched(session, eid) == 0.25  # the plan, then the report: one reading
    assert calls[eid, day] == 1
    # A second asset flushed: the inventory is one of the tables a provider reads.
    asset(session, eid, "poste-2")
    session.flush()
    assert patched(session, eid) == 0.5
    assert calls[eid, day] == 2
    assert patched(session, eid) == 0.5
    assert calls[eid, day] == 2
    # Changed and flushed (an UPDATE), then deleted through a statement: read again each time.
    row = asset(session, eid, "poste-3")
    session.flush()
    assert patched(session, eid) == 0.75
    row.name = "poste-3 renommé"
    session.flush()
    assert patched(session, eid) == 0.75
    assert calls[eid, day] == 4
    session.execute(delete(Asset).where(Asset.id == row.id))
    assert patched(session, eid) == 0.5
    assert calls[eid, day] == 5


def test_answers_and_findings_keep_the_readings_actions_do_not(session: Session, calls: Calls) -> None:
    eid = make_establishment(session).id
    asset(session, eid, "poste-1")
    session.flush()
    library = get_library()
    assert patched(session, eid) == 0.25
    campaign = assess_service.create_campaign(session, eid, name="2026", assessed_on=today(), library=library)
    answer = AnswerIn(status="level", level=4)
    assess_service.record_answer(session, campaign, "TEC-PATCH", answer, "rssi", library=library)
    session.flush()
    assert patched(session, eid) == 0.25
    finding = FindingIn(
        key="fw:1", title="Pare-feu à revoir", severity=Severity.HIGH, control_ids=["TEC-PATCH"]
    )
    plan_service.upsert_findings(session, eid, FindingSource.NETWORK, [finding])
    session.flush()
    assert patched(session, eid) == 0.25
    # refresh_assessment_findings reads, writes findings, and the plan reads again: one reading.
    plan_service.refresh_assessment_findings(session, eid, library, {"TEC-PATCH": 4})
    session.flush()
    states, _ = plan_service.plan_inputs(session, eid, library, {"TEC-PATCH": 4})
    assert states["TEC-PATCH"].level == 1  # 0.25: under 0.7, at least 0.001 → 1 (facts of today)
    found = plan_service.list_findings(session, eid, source=FindingSource.ASSESSMENT)
    assert [f.evidence["level"] for f in found if f.key == "control:TEC-PATCH"] == [1]
    assert calls[eid, today()] == 1
    # An action of the plan is read by the continuity provider (a lesson's action): read again.
    plan_service.add_action(
        session, eid, key="lesson:1", title="Tester la restauration", owner="DSI", due_date=today()
    )
    session.flush()
    assert patched(session, eid) == 0.25
    assert calls[eid, today()] == 2


def test_pending_changes_are_read_not_kept(session: Session, calls: Calls) -> None:
    eid = make_establishment(session).id
    session.flush()
    asset(session, eid, "poste-1")
    with session.no_autoflush:  # pending: the provider's query may not flush it
        assert evidence.readings(session, eid)["vulns.patched_share"][1].value == 0.0
        assert evidence.readings(session, eid)["vulns.patched_share"][1].value == 0.0
    assert calls[eid, today()] == 2
    # With autoflush the pending asset is flushed by the provider's own query, and seen.
    asset(session, eid, "poste-2")
    assert patched(session, eid) == 0.5
    assert calls[eid, today()] == 3
    assert patched(session, eid) == 0.5
    assert calls[eid, today()] == 4  # kept from now on: nothing pending any more
    assert patched(session, eid) == 0.5
    assert calls[eid, today()] == 4


def test_commit_rollback_and_savepoints(session: Session, calls: Calls) -> None:
    eid = make_establishment(session).id
    session.commit()
    day = today()
    assert patched(session, eid) == 0.0
    session.commit()
    assert patched(session, eid) == 0.0
    assert calls[eid, day] == 2  # the next transaction reads again
    session.rollback()
    assert patched(session, eid) == 0.0
    assert calls[eid, day] == 3
    # A savepoint released keeps the readings; one rolled back drops them (its asset is gone).
    with session.begin_nested():
        assert patched(session, eid) == 0.0
    assert calls[eid, day] == 3
    savepoint = session.begin_nested()
    asset(session, eid, "poste-1")
    assert patched(session, eid) == 0.25  # pending: read (its query flushes the asset), not kept
    assert patched(session, eid) == 0.25
    assert patched(session, eid) == 0.25
    assert calls[eid, day] == 5
    savepoint.rollback()
    assert patched(session, eid) == 0.0
    assert calls[eid, day] == 6


def test_one_entry_per_establishment_and_day(session: Session, calls: Calls) -> None:
    first = make_establishment(session).id
    second = make_establishment(session).id
    asset(session, second, "poste-1")
    session.flush()
    day = today()
    earlier = day - timedelta(days=10)
    assert patched(session, first) == 0.0
    assert patched(session, second) == 0.25
    assert patched(session, first, earlier) == 0.0
    for _ in range(2):
        patched(session, first)
        patched(session, second)
        patched(session, first, earlier)
    assert calls == {(first, day): 1, (second, day): 1, (first, earlier): 1}


def test_facts_changed_outside_the_database(session: Session, calls: Calls, evidence_home: Path) -> None:
    eid = make_establishment(session).id
    session.flush()
    patched(session, eid)
    evidence_cache.outside_facts_changed()
    patched(session, eid)
    patched(session, eid)
    assert calls[eid, today()] == 2
    # An ingestion in this process saves the store's manifest: the coverage is read again (the
    # detection provider subscribes the cache to the store; the store knows no domain).
    assert evidence_cache.outside_facts_changed in STORE_LISTENERS and detect_evidence.SOURCE == "detect"
    write_manifest(get_settings(), eid, {})
    patched(session, eid)
    patched(session, eid)
    assert calls[eid, today()] == 3
    evidence_cache.forget(session)
    patched(session, eid)
    assert calls[eid, today()] == 4


def test_tables_that_keep_the_readings() -> None:
    keeps = evidence_cache.keeps_readings
    assert keeps("plan_finding") and keeps("assess_answer") and keeps("reports_snapshot")
    assert keeps("org_audit_entry") and keeps("org_audit_head")
    # plan_action: the continuity provider reads the actions of the lessons learned.
    assert not keeps("plan_action") and not keeps("plan_findings_new") and not keeps("assets_asset")
    assert not keeps("org_establishment") and not keeps("some_future_table")
