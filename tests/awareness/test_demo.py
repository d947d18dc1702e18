"""The demo's awareness: two campaigns, the second better in most departments, the pharmacy worse."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.awareness import service
from hygie.demo import awareness as demo_awareness
from hygie.demo.inventory import CARE_DEPARTMENTS, OFFICES
from tests.factories import make_establishment


def test_demo_awareness(session: Session) -> None:
    est = make_establishment(session).id
    demo_awareness.build(session, est)
    view = service.overview(session, est, date(2026, 11, 1))
    assert view.campaigns == 2
    changes = {d.department: d.click_change for d in view.departments if d.click_change is not None}
    assert set(changes) == set(demo_awareness.RESULTS)
    worse = sorted(name for name, change in changes.items() if change > 0)
    assert worse == ["Pharmacie"]
    assert changes["Urgences"] == -17.5  # 14/40 → 7/40
    named = {d.department for d in view.departments}
    assert named <= set(CARE_DEPARTMENTS) | set(OFFICES)
    keys = {f.key for f in service.refresh_findings(session, est, date(2026, 11, 1))}
    assert "phishing:clicked:Pharmacie" in keys and "phishing:submitted:Pharmacie" in keys
    assert "phishing:clicked:Urgences" not in keys  # 17.5 %: under the threshold now
    assert "training:completion-category:technical" in keys  # 9 of 16
