from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.frameworks.schema import Dimension
from hygie.org.models import EstablishmentKind
from hygie.plan import service
from hygie.plan.models import ActionStatus, FindingSource, FindingStatus, Severity
from hygie.plan.optimise import optimise
from hygie.plan.roadmap import roadmap_for
from hygie.plan.schemas import FindingIn
from tests.factories import make_establishment
from tests.plan.builders import catalogue, control, library, template

LIB = library(
    control("TEC-PATCH", Dimension.TECHNICAL, weight=3, target=4),
    control("TEC-SEGMENT", Dimension.TECHNICAL, weight=3, target=3),
    control("GOV-PSSI", Dimension.GOVERNANCE, weight=2, target=3),
    control("AWA-PHISHING", Dimension.AWARENESS, weight=2, target=3),
)
CATALOGUE = catalogue(
    template("ACT-PATCH", {"TEC-PATCH": 2}, cost=20_000, days=10, owner_role="it_technician"),
    template("ACT-INVENTORY", {"TEC-SEGMENT": 1}, cost=5_000, days=5),
    template("ACT-SEGMENT", {"TEC-SEGMENT": 2}, cost=30_000, days=20, prerequisites=["ACT-INVENTORY"]),
    template("ACT-PSSI", {"GOV-PSSI": 2}, cost=0, days=10),
)


def finding(key: str, severity: Severity = Severity.HIGH) -> FindingIn:
    return FindingIn(key=key, title=f"Constat {key}", severity=severity, control_ids=["TEC-PATCH"])


def test_upsert_creates_refreshes_resolves_and_reopens(session: Session) -> None:
    est = make_establishment(session)
    first = service.upsert_findings(
        session, est.id, FindingSource.VULNERABILITY, [finding("a"), finding("b")]
    )
    seen_a = first[0].first_seen
    service.upsert_findings(session, est.id, FindingSource.NETWORK, [finding("a")])  # other source, same key

    service.upsert_findings(session, est.id, FindingSource.VULNERABILITY, [finding("a", Severity.LOW)])
    rows = {(f.source, f.key): f for f in service.list_findings(session, est.id, status=None)}
    assert rows[(FindingSource.VULNERABILITY, "a")].status == FindingStatus.OPEN
    assert rows[(FindingSource.VULNERABILITY, "a")].severity == Severity.LOW
    assert rows[(FindingSource.VULNERABILITY, "a")].first_seen == seen_a
    assert rows[(FindingSource.VULNERABILITY, "a")].last_seen >= seen_a
    assert rows[(FindingSource.VULNERABILITY, "b")].status == FindingStatus.RESOLVED
    assert rows[(FindingSource.NETWORK, "a")].status == FindingStatus.OPEN  # untouched by the other source
    assert len(service.list_findings(session, est.id)) == 2

    service.upsert_findings(session, est.id, FindingSource.VULNERABILITY, [finding("a"), finding("b")])
    reopened = service.list_findings(session, est.id, source=FindingSource.VULNERABILITY)
    assert {f.key for f in reopened} == {"a", "b"}


def test_upsert_refuses_duplicates_and_unknown_establishment(session: Session) -> None:
    est = make_establishment(session)
    with pytest.raises(ValidationError, match="duplicate"):
        service.upsert_findings(session, est.id, FindingSource.NETWORK, [finding("a"), finding("a")])
    with pytest.raises(NotFoundError):
        service.upsert_findings(session, 999_999, FindingSource.NETWORK, [finding("a")])


def test_findings_from_levels_severity_from_gap_times_weight() -> None:
    found = {
        f.key: f
        for f in service.findings_from_levels(
            LIB, {"TEC-PATCH": 1, "TEC-SEGMENT": 3, "GOV-PSSI": 2, "AWA-PHISHING": None}
        )
    }
    assert set(found) == {"control:TEC-PATCH", "control:GOV-PSSI", "control:AWA-PHISHING"}
    patch = found["control:TEC-PATCH"]
    assert patch.title == "Contrôle TEC-PATCH (Titre TEC-PATCH) au niveau 1 pour une cible de 4"
    assert patch.severity == Severity.HIGH  # gap 3 x weight 3 = 9
    assert patch.control_ids == ["TEC-PATCH"]
    assert found["control:GOV-PSSI"].severity == Severity.LOW  # 1 x 2
    assert found["control:AWA-PHISHING"].severity == Severity.MEDIUM  # unanswered: 3 x 2
    assert "non évalué" in found["control:AWA-PHISHING"].title
    assert service.severity_of(3, 5) == Severity.CRITICAL


def test_plan_adopted_then_done_action_moves_levels_and_findings(session: Session) -> None:
    est = make_establishment(session)
    levels: dict[str, int | None] = {"TEC-PATCH": 1, "TEC-SEGMENT": 0, "GOV-PSSI": 1}
    states, candidates = service.plan_inputs(session, est.id, LIB, levels, CATALOGUE)
    assert {c.template.id for c in candidates} == {"ACT-PATCH", "ACT-INVENTORY", "ACT-SEGMENT", "ACT-PSSI"}
    result = optimise(states, candidates, budget=60_000, days=50)
    plan = roadmap_for(result, date(2027, 1, 1), quarters=2)
    adopted = service.adopt_plan(session, est.id, result, plan)
    assert {a.template_id for a in adopted} == {a.template_id for a in result.chosen}
    assert all(a.status == ActionStatus.TODO for a in adopted)
    patch = next(a for a in adopted if a.template_id == "ACT-PATCH")
    assert patch.owner == "it_technician" and patch.cost == 20_000

    service.refresh_assessment_findings(session, est.id, LIB, levels, CATALOGUE)
    assert "control:TEC-PATCH" in {f.key for f in service.list_findings(session, est.id)}

    service.set_status(session, est.id, patch.id, ActionStatus.DONE)
    assert patch.done_at is not None
    assert service.completed_raises(session, est.id, CATALOGUE) == {"TEC-PATCH": 2}
    states, candidates = service.plan_inputs(session, est.id, LIB, levels, CATALOGUE)
    assert states["TEC-PATCH"].level == 3
    assert "ACT-PATCH" not in {c.template.id for c in candidates}
    # Level 3 for a target of 4: the finding is still open, now at gap 1 x weight 3 = low.
    service.refresh_assessment_findings(session, est.id, LIB, levels, CATALOGUE)
    [patch_finding] = [f for f in service.list_findings(session, est.id) if f.key == "control:TEC-PATCH"]
    assert patch_finding.severity == Severity.LOW and "niveau 3" in patch_finding.title

    service.set_status(session, est.id, patch.id, ActionStatus.IN_PROGRESS)
    assert patch.done_at is None and service.completed_raises(session, est.id, CATALOGUE) == {}


def test_adopting_again_keeps_done_and_cancels_dropped_todo(session: Session) -> None:
    est = make_establishment(session)
    levels: dict[str, int | None] = {"TEC-PATCH": 1, "TEC-SEGMENT": 0, "GOV-PSSI": 1}
    states, candidates = service.plan_inputs(session, est.id, LIB, levels, CATALOGUE)
    big = optimise(states, candidates, budget=100_000)
    first = service.adopt_plan(session, est.id, big, roadmap_for(big, date(2027, 1, 1)))
    pssi = next(a for a in first if a.template_id == "ACT-PSSI")
    service.set_status(session, est.id, pssi.id, ActionStatus.DONE)

    states, candidates = service.plan_inputs(session, est.id, LIB, levels, CATALOGUE)
    small = optimise(states, candidates, budget=20_000)
    assert {a.template_id for a in small.chosen} == {"ACT-PATCH"}
    service.adopt_plan(session, est.id, small, roadmap_for(small, date(2028, 1, 1)))
    statuses = {
        a.template_id: a.status for a in service.list_actions(session, est.id, include_cancelled=True)
    }
    assert statuses == {
        "ACT-PATCH": ActionStatus.TODO,
        "ACT-PSSI": ActionStatus.DONE,
        "ACT-INVENTORY": ActionStatus.CANCELLED,
        "ACT-SEGMENT": ActionStatus.CANCELLED,
    }
    assert {a.template_id for a in service.list_actions(session, est.id)} == {"ACT-PATCH", "ACT-PSSI"}
    patch = next(a for a in service.list_actions(session, est.id) if a.template_id == "ACT-PATCH")
    assert patch.quarter == "2028-Q1"


def test_status_of_another_establishments_action_is_not_found(session: Session) -> None:
    mine, other = make_establishment(session), make_establishment(session)
    levels: dict[str, int | None] = {"GOV-PSSI": 0}
    states, candidates = service.plan_inputs(session, other.id, LIB, levels, CATALOGUE)
    result = optimise(states, candidates, budget=10_000)
    [action] = service.adopt_plan(session, other.id, result, roadmap_for(result, date(2027, 1, 1)))
    with pytest.raises(NotFoundError):
        service.set_status(session, mine.id, action.id, ActionStatus.DONE)
    with pytest.raises(NotFoundError):
        service.set_status(session, other.id, action.id + 1000, ActionStatus.DONE)


def test_budget_position_against_national_range_and_peers(session: Session) -> None:
    est = make_establishment(session, it_budget=4_000_000, security_budget=240_000)  # 6 %
    alone = service.budget_position(session, est.id)
    assert alone.share == pytest.approx(0.06)
    assert alone.reference_min == 0.05 and alone.reference_max == 0.10 and not alone.reference_verified
    assert alone.peer_median is None and alone.peer_count == 0
    assert alone.peer_note is not None and "Trop peu" in alone.peer_note.fr
    assert "dans la fourchette nationale" in alone.verdict.fr and "6,0\xa0%" in alone.verdict.fr
    assert "within the recommended national range" in alone.verdict.en

    for security in (40_000, 80_000, 160_000):  # 2 %, 4 %, 8 % of 2 M€
        make_establishment(session, it_budget=2_000_000, security_budget=security)
    make_establishment(session, it_budget=2_000_000, security_budget=1_000_000, kind=EstablishmentKind.CLINIC)
    make_establishment(session, it_budget=2_000_000)  # no security budget: not a peer
    position = service.budget_position(session, est.id)
    assert position.peer_count == 3 and position.peer_median == pytest.approx(0.04)
    assert "au-dessus de la médiane des établissements comparables (4,0\xa0%)" in position.verdict.fr


def test_budget_position_from_the_plan_or_unknown(session: Session) -> None:
    low = make_establishment(session, it_budget=1_000_000)
    unknown = service.budget_position(session, low.id)
    assert unknown.share is None and unknown.spending_source == "unknown"
    assert "Impossible" in unknown.verdict.fr
    levels: dict[str, int | None] = {"TEC-PATCH": 1}
    states, candidates = service.plan_inputs(session, low.id, LIB, levels, CATALOGUE)
    result = optimise(states, candidates, budget=20_000)
    service.adopt_plan(session, low.id, result, roadmap_for(result, date(2027, 1, 1)))
    from_plan = service.budget_position(session, low.id)
    assert from_plan.spending_source == "plan" and from_plan.share == pytest.approx(0.02)
    assert "sous la recommandation nationale" in from_plan.verdict.fr


def test_levels_from_assessment_says_what_to_do_until_assess_exists(session: Session) -> None:
    est = make_establishment(session)
    with pytest.raises(NotFoundError, match="assessment"):
        service.levels_from_assessment(session, est.id, LIB)


def test_deriving_the_assessments_findings_again_writes_nothing_unless_changed(session: Session) -> None:
    # Pages and the API refresh them before each read: an unchanged refresh must not be a write.
    est = make_establishment(session)
    levels: dict[str, int | None] = {"TEC-PATCH": 1, "TEC-SEGMENT": 0, "GOV-PSSI": 1}
    first = service.refresh_assessment_findings(session, est.id, LIB, levels, CATALOGUE)
    seen = {f.key: f.last_seen for f in first}
    writes: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        again = service.refresh_assessment_findings(session, est.id, LIB, levels, CATALOGUE)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert writes == []
    assert {f.key: f.last_seen for f in again} == seen

    levels["TEC-PATCH"] = 3  # a real change is written, and only then is last_seen moved
    moved = {f.key: f for f in service.refresh_assessment_findings(session, est.id, LIB, levels, CATALOGUE)}
    assert moved["control:TEC-PATCH"].severity == Severity.LOW
    assert moved["control:TEC-PATCH"].last_seen > seen["control:TEC-PATCH"]
    assert moved["control:GOV-PSSI"].last_seen == seen["control:GOV-PSSI"]


def test_update_action_checks_every_field_then_changes_what_differs(session: Session) -> None:
    est = make_establishment(session)
    levels: dict[str, int | None] = {"GOV-PSSI": 0}
    states, candidates = service.plan_inputs(session, est.id, LIB, levels, CATALOGUE)
    result = optimise(states, candidates, budget=10_000)
    [action] = service.adopt_plan(session, est.id, result, roadmap_for(result, date(2027, 1, 1)))
    assert (action.due_date, action.quarter, action.notes) == (date(2027, 3, 31), "2027-Q1", None)
    on = date(2027, 6, 15)  # the action is overdue by then

    # Everything wrong at once, every problem named, nothing changed.
    with pytest.raises(service.ActionEditError) as refused:
        service.update_action(
            session, est.id, action.id, status=ActionStatus.DONE, owner=" ", due_date=date(2027, 6, 14),
            notes="x" * 4001, on=on,
        )  # fmt: skip
    assert refused.value.problems == {
        "owner": service.OWNER_REQUIRED,
        "due_date": service.DUE_IN_PAST,
        "notes": service.NOTES_TOO_LONG,
    }
    assert isinstance(refused.value, ValidationError)
    assert (action.status, action.owner, action.due_date) == (ActionStatus.TODO, "rssi", date(2027, 3, 31))
    assert service.edit_problems(action, due_date=date(2037, 6, 16), on=on) == {
        "due_date": service.DUE_TOO_FAR
    }
    # An overdue date left as it is does not stop the other changes.
    assert service.edit_problems(action, due_date=date(2027, 3, 31), notes="relancé", on=on) == {}

    same, changes = service.update_action(
        session,
        est.id,
        action.id,
        owner="Jean Dupont ",
        due_date=date(2027, 7, 1),
        notes=" Devis reçu ",
        on=on,
    )
    assert same is action and (action.owner, action.due_date, action.quarter, action.notes) == (
        "Jean Dupont",
        date(2027, 7, 1),
        "2027-Q3",  # the quarter follows the due date
        "Devis reçu",
    )
    assert changes == {
        "owner": ("rssi", "Jean Dupont"),
        "due_date": ("2027-03-31", "2027-07-01"),
        "notes": (None, "Devis reçu"),
    }
    _, nothing = service.update_action(
        session, est.id, action.id, owner="Jean Dupont", notes="Devis reçu", on=on
    )
    assert nothing == {}
    _, done = service.update_action(session, est.id, action.id, status=ActionStatus.DONE, notes="", on=on)
    assert done == {"status": ("todo", "done"), "notes": ("Devis reçu", None)}
    assert action.done_at is not None and action.notes is None
    with pytest.raises(NotFoundError):
        service.update_action(session, make_establishment(session).id, action.id, notes="x")
