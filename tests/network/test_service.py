"""The network service on both databases: imports replace in one transaction, the check's findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.assets.schemas import AssetRecord, PortRecord
from hygie.core.errors import ImportRejectedError, ValidationError
from hygie.network import service
from hygie.network.importers import read_firewall
from hygie.network.models import ZoneKind
from hygie.network.schemas import ZoneIn
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus, Severity
from tests.factories import make_establishment

DATA = Path(__file__).parent / "data"

ZONES = [
    ZoneIn(name="Internet", kind=ZoneKind.INTERNET),
    ZoneIn(name="DMZ", kind=ZoneKind.DMZ, networks=["10.0.0.0/24"]),
    ZoneIn(name="Serveurs", kind=ZoneKind.SERVERS, networks=["10.1.0.0/16"]),
    ZoneIn(name="Admin", kind=ZoneKind.ADMINISTRATION, networks=["10.2.0.0/16"]),
    ZoneIn(name="Postes", kind=ZoneKind.CLINICAL_WORKSTATIONS, networks=["10.10.0.0/16"]),
    ZoneIn(name="Biomed", kind=ZoneKind.MEDICAL_DEVICES, networks=["10.20.0.0/16"]),
    ZoneIn(name="Invites", kind=ZoneKind.GUEST_WIFI, networks=["10.50.0.0/16"]),
]


def _loaded(session: Session) -> int:
    establishment = make_establishment(session)
    service.replace_zones(session, establishment.id, ZONES)
    parsed = read_firewall(DATA / "fw-int.rules", "fw-int", interfaces={"wlan-guest": "Invites"})
    service.import_firewall(session, establishment.id, parsed)
    return establishment.id


def test_check_turns_violations_into_findings(session: Session) -> None:
    establishment_id = _loaded(session)
    report = service.run_check(session, establishment_id)
    findings = {f.key: f for f in plan_service.list_findings(session, establishment_id)}
    assert set(findings) == {
        "policy:R02:Invites->Serveurs",
        "policy:R09:Invites->Serveurs",
        "policy:R11:Postes->Serveurs",
        "policy:R01:Internet->Serveurs",  # FORWARD#6: DNS to 10.1.0.10 from any source
        "policy:R20:Postes->Serveurs",  # HTTP on tcp/80
        "rule:shadowed:fw-int FORWARD#5",
    }
    r09 = findings["policy:R09:Invites->Serveurs"]
    assert r09.source is FindingSource.NETWORK and r09.severity is Severity.CRITICAL
    assert r09.control_ids == ["TEC-WIFI", "TEC-SEGMENT"]
    assert r09.evidence["allowed_by"] == {"fw-int FORWARD#2>GUEST#1": "tcp/3389 (RDP)"}
    assert findings["rule:shadowed:fw-int FORWARD#5"].evidence["by"] == ["fw-int FORWARD#4"]
    assert report.findings == 6
    # the matrix as the rules decide it; INPUT is towards the firewall itself
    postes = report.analysis.allowed("Postes", "Serveurs")
    assert postes.describe() == "tcp/80,443,3389 (RDP, HTTP, HTTPS); udp/53 (DNS)"
    assert report.analysis.allowed("Admin", "fw-int (self)").describe() == "tcp/22 (SSH)"
    assert not report.analysis.allowed("Admin", "Internet")


def test_reimport_replaces_and_resolves(session: Session, tmp_path: Path) -> None:
    establishment_id = _loaded(session)
    service.run_check(session, establishment_id)
    fixed = tmp_path / "fw-int.rules"
    text = (DATA / "fw-int.rules").read_text().replace("--dport 3389 -m comment", "--dport 443 -m comment")
    fixed.write_text(text)
    parsed = read_firewall(fixed, "fw-int", interfaces={"wlan-guest": "Invites"})
    changes = service.diff_firewall(session, establishment_id, parsed)
    closed = {(d, c.source, c.destination, c.closed.describe()) for d, c in changes if c.closed}
    assert closed == {("FORWARD", "Invites", "Serveurs", "tcp/3389 (RDP)")}
    firewall = service.import_firewall(session, establishment_id, parsed)
    assert len(firewall.rules) == len(parsed.firewall.rules)
    assert len(service.list_firewalls(session, establishment_id)) == 1
    service.run_check(session, establishment_id)
    statuses = {f.key: f.status for f in plan_service.list_findings(session, establishment_id, status=None)}
    assert statuses["policy:R09:Invites->Serveurs"] is FindingStatus.OPEN  # HTTPS still breaks R09
    assert statuses["policy:R02:Invites->Serveurs"] is FindingStatus.RESOLVED


def test_rule_naming_an_unknown_zone_is_a_validation_error(session: Session, tmp_path: Path) -> None:
    establishment = make_establishment(session)
    service.replace_zones(session, establishment.id, ZONES)
    path = tmp_path / "flux.csv"
    path.write_text("source;destination;service;action\nNulle part;Serveurs;SSH;allow\n", encoding="utf-8")
    service.import_firewall(session, establishment.id, read_firewall(path, "matrice"))
    with pytest.raises(ValidationError, match="Nulle part"):
        service.run_check(session, establishment.id)


def test_rejected_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    establishment_id = _loaded(session)
    bad = tmp_path / "bad.rules"
    bad.write_text("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -s nowhere -j ACCEPT\nCOMMIT\n")
    with pytest.raises(ImportRejectedError):
        service.import_firewall(session, establishment_id, read_firewall(bad, "fw-int"))
    assert len(service.find_firewall(session, establishment_id, "fw-int").rules) == 11


def test_exposure_from_scan_and_inventory(session: Session) -> None:
    establishment_id = _loaded(session)
    scan = [
        AssetRecord(ips=["10.0.0.10"], ports=[PortRecord(protocol="tcp", port=443, service="https")]),
        AssetRecord(
            ips=["10.1.0.50"],
            hostname="rds01",
            ports=[PortRecord(protocol="tcp", port=3389, service="ms-wbt-server")],
        ),
    ]
    assert service.import_exposure(session, establishment_id, scan, "outside.xml") == 2
    report = service.run_check(session, establishment_id)
    assert [(e.port.address, e.severity) for e in report.exposures] == [("10.1.0.50", "critical")]
    finding = next(
        f
        for f in plan_service.list_findings(session, establishment_id)
        if f.key == "exposure:10.1.0.50:tcp/3389"
    )
    assert finding.severity is Severity.CRITICAL and finding.control_ids == ["TEC-EXPOSURE"]
    assert finding.title == "Exposé sur internet : tcp/3389 (RDP) sur rds01"
