"""The awareness controls measured from phishing results and trainings."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.assess.evidence_rules import MeasuredLevel, level_of
from hygie.awareness import evidence as awareness_evidence
from hygie.awareness import service
from hygie.awareness.gophish import GophishResults
from hygie.awareness.models import RecordSource, StaffCategory
from hygie.frameworks.service import get_library
from tests.awareness.test_service import recipients, training
from tests.factories import make_establishment

AS_OF = date(2026, 11, 1)


def measure(session: Session, establishment_id: int, on: date) -> list[MeasuredLevel]:
    return list(evidence.measured_levels(session, establishment_id, on, get_library()).values())


@pytest.mark.parametrize(
    ("click", "report", "level"),
    [(5.0, 30.0, 5), (5.0, 29.0, 4), (10.0, 20.0, 4), (12.0, 0.0, 3), (25.0, 50.0, 2), (26.0, 90.0, 1)],
)
def test_phishing_level_by_the_catalogue_rule(click: float, report: float, level: int) -> None:
    """The thresholds of AWA-PHISHING in controls.yaml (click ≤ 5 % and report ≥ 30 % → 5…)."""
    library = get_library()
    rule = library.controls["AWA-PHISHING"].evidence
    assert rule is not None
    others = {"awareness.phishing_report_rate": report / 100}
    assert level_of(rule, click / 100, others) == level


def test_levels_from_the_latest_campaign_and_the_trainings(session: Session) -> None:
    est = make_establishment(session).id
    assert awareness_evidence.measure(session, est, AS_OF) == []
    assert measure(session, est, AS_OF) == []  # nothing recorded: not measured
    spring = GophishResults(recipients("Urgences", 10, 0, 9), date(2026, 3, 10))
    autumn = GophishResults(
        recipients("Urgences", 10, 1, 4) + recipients("Bloc", 10, 4, 1), date(2026, 10, 6)
    )
    service.import_phishing(
        session, est, "Printemps", spring, source=RecordSource.GOPHISH_CSV, file_name="p.csv"
    )
    service.import_phishing(session, est, "Automne", autumn, source=RecordSource.GOPHISH_API)
    service.import_trainings(session, est, [training("Urgences", 10, 9), training("Bloc", 10, 5)], "f.csv")
    measured = {m.control_id: m for m in measure(session, est, AS_OF)}
    # The latest campaign only: 5 clicks and 5 reports in 20 e-mails (25 %, 25 %) → 2.
    # 14 trained of 20 invited (70 %) → 2.
    assert {k: m.level for k, m in measured.items()} == {"AWA-PHISHING": 2, "AWA-TRAINING": 2}
    assert (
        measured["AWA-PHISHING"].basis.fr
        == "campagne « Automne » du 2026-10-06 : 25 % de clics, 25 % de signalements"
    )
    assert measured["AWA-PHISHING"].measured_at == date(2026, 10, 6)
    assert (
        measured["AWA-TRAINING"].basis.en
        == "14/20 invited staff trained over the 12 months to 2026-06-01 (70 %)"
    )
    assert measured["AWA-TRAINING"].measured_at == date(2026, 6, 1) and not measured["AWA-TRAINING"].stale
    stale = {m.control_id: m.level for m in measure(session, est, date(2027, 12, 1))}
    assert stale == {"AWA-PHISHING": 1, "AWA-TRAINING": 1}


def test_it_staff_from_the_technical_staff_sessions(session: Session) -> None:
    est = make_establishment(session).id
    service.import_trainings(session, est, [training("Urgences", 10, 9)], "f.csv")
    # Sessions recorded, none for the technical staff: AWA-IT-STAFF is not measured.
    assert "AWA-IT-STAFF" not in {m.control_id for m in measure(session, est, AS_OF)}
    old = training("DSI", 4, 4, staff_category=StaffCategory.TECHNICAL, held_on=date(2025, 5, 1))
    service.import_trainings(session, est, [old], "old.csv")
    measured = {m.control_id: m for m in measure(session, est, AS_OF)}
    # The only technical session is 18 months old: → 1.
    assert measured["AWA-IT-STAFF"].level == 1
    # 4/4 trained then (5), but the evidence is over 365 days old: brought down to 1, and it says so.
    assert measured["AWA-IT-STAFF"].stale and measured["AWA-IT-STAFF"].rule_level == 5
    assert measured["AWA-IT-STAFF"].basis.fr.endswith(
        "; preuve du 2025-05-01, plus de 365 jours : niveau ramené à 1"
    )
    recent = [
        training("DSI", 6, 5, staff_category=StaffCategory.TECHNICAL),
        training("Biomédical", 4, 4, staff_category=StaffCategory.TECHNICAL),
    ]
    service.import_trainings(session, est, recent, "it.csv")
    measured = {m.control_id: m for m in measure(session, est, AS_OF)}
    # 9 of 10 technical staff invited in the last 12 months (90 %) → 4; the nurses do not count.
    assert measured["AWA-IT-STAFF"].level == 4
    assert measured["AWA-IT-STAFF"].basis.fr.startswith("9/10 personnels techniques")
    assert measured["AWA-TRAINING"].level == 4  # 18/20 overall (90 %)
