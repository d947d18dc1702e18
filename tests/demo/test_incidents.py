"""The demo's incidents: one closed with its reports and lessons, one open with its clocks running."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hygie.demo import incidents as demo_incidents
from hygie.incidents import service
from hygie.incidents.clocks import ClockStatus
from hygie.incidents.models import CaseStatus, ClockKind
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.factories import make_establishment


def test_demo_incidents(session: Session) -> None:
    establishment = make_establishment(session)
    closed_id, open_id = demo_incidents.build(session, establishment.id)
    closed = service.get_case(session, establishment.id, closed_id)
    assert closed.status == CaseStatus.CLOSED and closed.review_what_failed
    clocks = {c.kind: c.status for c in service.case_clocks(session, closed)}
    assert clocks[ClockKind.NIS2_FINAL] == ClockStatus.DONE and clocks[ClockKind.CNIL] == ClockStatus.DONE
    actions = [
        a
        for a in plan_service.list_actions(session, establishment.id)
        if a.template_id.startswith("incident:")
    ]
    assert len(actions) == 2
    findings = plan_service.list_findings(session, establishment.id, source=FindingSource.INCIDENT)
    assert sorted(c for f in findings for c in f.control_ids) == ["AWA-PHISHING", "INC-CONTACTS", "TEC-MFA"]
    running = {
        c.kind: c.status
        for c in service.case_clocks(session, service.get_case(session, establishment.id, open_id))
    }
    assert running[ClockKind.NIS2_EARLY_WARNING] == ClockStatus.DONE
    assert running[ClockKind.CERT_SANTE] == ClockStatus.OVERDUE  # 24 h assumed, aware 29 h ago
    assert running[ClockKind.NIS2_NOTIFICATION] == ClockStatus.DUE
