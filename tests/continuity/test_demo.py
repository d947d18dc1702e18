"""The demo hospital's continuity part, without the inventory (the fast build)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hygie.continuity import service
from hygie.continuity.impact import Verdict
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource


def test_the_demo_has_services_dependencies_backups_one_never_tested_and_two_exercises(
    session: Session,
) -> None:
    eid = demo_service.build(session, get_library(), inventory=False).establishment_id
    ready = {row.name: r.verdict for row, r in service.readiness(session, eid)}
    assert len(ready) == 8
    assert ready["Admissions"] == Verdict.WITHIN  # GAP 3 h and AD 3 h within 24 h
    assert ready["Imagerie médicale"] == Verdict.OVER  # the PACS restored in 16 h, RTO 8 h
    assert ready["Laboratoire"] == Verdict.UNKNOWN  # the SIL was never restore-tested
    statuses = service.backup_statuses(session, eid)
    never = [s.application.name for s in statuses if s.facts.last_restore is None]
    assert never == ["SIL"]
    assert service.assets_of(session, eid) == {}  # no inventory, no asset links
    assert len(service.list_exercises(session, eid)) == 2
    kinds = {a.kind for a in service.alarms(session, eid)}
    assert {"job_failed", "restore_never_tested"} <= kinds
    keys = {f.key for f in plan_service.list_findings(session, eid, source=FindingSource.CONTINUITY)}
    assert "exercise:none" not in keys and any(k.startswith("rto:") for k in keys)
