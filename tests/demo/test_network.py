"""The demo hospital's network: the check finds exactly the mistakes the story put in its firewalls."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hygie.demo import network as demo_network
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from tests.factories import make_establishment


def test_demo_firewalls_show_their_mistakes(session: Session) -> None:
    establishment = make_establishment(session)
    report = demo_network.build(session, establishment.id)
    found = {(v.rule.id, v.source, v.destination, v.services.describe()) for v in report.violations}
    assert found == {
        ("R01", "Internet", "Serveurs", "tcp/3389 (RDP)"),
        ("R02", "Internet", "Serveurs", "tcp/3389 (RDP)"),
        ("R02", "Wi-Fi invités", "Serveurs", "tcp/3389 (RDP)"),
        ("R09", "Wi-Fi invités", "Serveurs", "tcp/3389 (RDP)"),
        ("R04", "Biomédical", "Internet", "tcp/443 (HTTPS)"),
        ("R07", "Imagerie", "Serveurs", "tcp/445 (SMB)"),
        ("R20", "Postes de travail", "Serveurs", "tcp/80 (HTTP)"),
    }
    pumps = next(v for v in report.violations if v.rule.id == "R04")
    assert set(pumps.allowed_by) == {"fw-ext FORWARD#9"}
    assert [(u.label, u.kind, u.by) for u in report.useless] == [
        ("fw-int FORWARD#2>INVITES#2", "redundant", []),
        ("fw-int FORWARD#5", "shadowed", ["fw-int FORWARD#3"]),
    ]
    assert [(e.port.address, e.port.port, e.severity) for e in report.exposures] == [
        ("10.1.0.40", 3389, "critical")
    ]
    findings = plan_service.list_findings(session, establishment.id, source=FindingSource.NETWORK)
    assert len(findings) == 7 + 1 + 2
    assert sum(f.severity is Severity.CRITICAL for f in findings) == 6
