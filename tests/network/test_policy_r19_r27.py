"""R19 (logging into critical zones), R20 (cleartext between zones, exception records), R26 (each
subnet in one zone, no internal subnet outside the zones) and R27 (medical devices in their zones):
each with a violating and a compliant case, on hand-made rule sets; then through the service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, Importer
from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.core.errors import ContentError
from hygie.network import service
from hygie.network.importers import ParsedFirewall
from hygie.network.models import FirewallFormat, ZoneKind
from hygie.network.policy import Device, check, check_inventory, default_policy, load_policy
from hygie.network.reachability import Action, RuleSetSpec, RuleSpec, ZoneSpec, analyse
from hygie.network.schemas import FirewallIn, RuleIn, ZoneIn
from hygie.network.services import parse_service
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.factories import make_establishment

ZONES = (
    ZoneSpec("Internet", "internet"),
    ZoneSpec("DMZ", "dmz", ("10.0.0.0/24",)),
    ZoneSpec("Serveurs", "servers", ("10.1.0.0/16",)),
    ZoneSpec("Admin", "administration", ("10.2.0.0/16",)),
    ZoneSpec("Postes", "clinical_workstations", ("10.10.0.0/16",)),
    ZoneSpec("Biomed", "medical_devices", ("10.20.0.0/16",)),
    ZoneSpec("Imagerie", "imaging", ("10.21.0.0/16",)),
)


def _rule(label: str, sources: str, destinations: str, *services: str, log: bool | None = None) -> RuleSpec:
    return RuleSpec(
        label,
        Action.ALLOW,
        (sources,),
        (destinations,),
        tuple(parse_service(s) for s in services),
        log=log,
    )


def _violations(
    *rules: RuleSpec, policy_text: str | None = None, today: date | None = None
) -> set[tuple[str, ...]]:
    analysis = analyse(ZONES, [RuleSetSpec("fw", "FORWARD", rules)])
    policy = default_policy()
    found = check(policy, ZONES, analysis, rules={r.label: r for r in rules}, today=today)
    return {(v.rule.id, v.source, v.destination, v.services.describe(), *sorted(v.allowed_by)) for v in found}


# --- R19 ---------------------------------------------------------------------------------------


def test_r19_a_permit_into_a_critical_zone_that_does_not_log_is_reported() -> None:
    found = _violations(
        _rule("fw#1", "Serveurs", "Biomed", "tcp/2575", log=False),
        _rule("fw#2", "Postes", "Serveurs", "tcp/443", log=False),  # servers: not a critical kind
    )
    assert {v for v in found if v[0] == "R19"} == {
        ("R19", "Serveurs", "Biomed", "tcp/2575 (HL7-MLLP)", "fw#1")
    }


def test_r19_logging_rules_and_rules_that_do_not_say_pass() -> None:
    found = _violations(
        _rule("fw#1", "Serveurs", "Biomed", "tcp/2575", log=True),
        _rule("fw#2", "Serveurs", "Imagerie", "tcp/104"),  # log None: the file does not tell
    )
    assert not {v for v in found if v[0] == "R19"}


def test_r19_names_only_the_silent_rule_of_a_pair() -> None:
    found = _violations(
        _rule("fw#1", "Admin", "Biomed", "tcp/22", log=True),
        _rule("fw#2", "Admin", "Biomed", "tcp/443", log=False),
    )
    assert {v for v in found if v[0] == "R19"} == {("R19", "Admin", "Biomed", "tcp/443 (HTTPS)", "fw#2")}


# --- R20 ---------------------------------------------------------------------------------------


def test_r20_cleartext_between_zones_is_reported() -> None:
    found = _violations(
        _rule("fw#1", "Postes", "Serveurs", "tcp/80", "tcp/443"),
        _rule("fw#2", "Admin", "Serveurs", "tcp/23", "udp/161"),
    )
    r20 = {v for v in found if v[0] == "R20"}
    assert r20 == {
        ("R20", "Postes", "Serveurs", "tcp/80 (HTTP)", "fw#1"),
        ("R20", "Admin", "Serveurs", "tcp/23 (TELNET); udp/161 (SNMP)", "fw#2"),
    }


def test_r20_encrypted_protocols_and_the_internet_edge_pass() -> None:
    found = _violations(
        _rule("fw#1", "Postes", "Serveurs", "tcp/443", "tcp/636"),
        _rule("fw#2", "Internet", "DMZ", "tcp/80"),  # a redirect to HTTPS: not between internal zones
    )
    assert not {v for v in found if v[0] == "R20"}


POLICY_WITH_EXCEPTION = """
rules: []
cleartext:
  - id: R20
    title: {fr: "En clair", en: "Cleartext"}
    severity: medium
    controls: [TEC-ENCRYPT]
    services: {tags: [cleartext]}
    exceptions:
      - {from: [Imagerie], to: [Serveurs], services: {names: [FTP]}, reason: "modalité ancienne",
         until: 2027-06-30}
"""


def test_r20_an_exception_record_covers_its_flow_until_it_expires(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_WITH_EXCEPTION, encoding="utf-8")
    policy = load_policy(path)
    rules = (_rule("fw#1", "Imagerie", "Serveurs", "tcp/21", "tcp/23"),)
    analysis = analyse(ZONES, [RuleSetSpec("fw", "FORWARD", rules)])

    def found(day: date) -> set[tuple[str, str]]:
        return {(v.source, v.services.describe()) for v in check(policy, ZONES, analysis, today=day)}

    # FTP (tcp/20-21) is covered; Telnet has no record
    assert found(date(2027, 6, 30)) == {("Imagerie", "tcp/23 (TELNET)")}
    assert found(date(2027, 7, 1)) == {("Imagerie", "tcp/21,23 (TELNET, FTP)")}


def test_r20_an_exception_without_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        POLICY_WITH_EXCEPTION.replace('reason: "modalité ancienne"', 'reason: ""'), encoding="utf-8"
    )
    with pytest.raises(ContentError) as caught:
        load_policy(path)
    assert "reason" in str(caught.value.location.field)


# --- R26 ---------------------------------------------------------------------------------------


def _r26(zones: tuple[ZoneSpec, ...], *rules: RuleSpec) -> list[tuple[str, list[str]]]:
    return [
        (m.subject, m.zones) for m in check_inventory(default_policy(), zones, rules) if m.rule.id == "R26"
    ]


def test_r26_a_subnet_in_two_zones_is_reported() -> None:
    zones = (*ZONES, ZoneSpec("Biomed bis", "medical_devices", ("10.20.0.0/16",)))
    assert _r26(zones) == [("10.20.0.0/16", ["Biomed", "Biomed bis"])]


def test_r26_overlapping_ranges_are_reported_but_nested_networks_pass() -> None:
    zones = (
        ZoneSpec("A", "servers", ("10.1.0.0/16", "10.9.0.10-10.9.0.20")),
        ZoneSpec("B", "servers", ("10.1.5.0/24", "10.9.0.15-10.9.0.30")),  # 10.1.5.0/24 nests in A's
    )
    assert _r26(zones) == [("10.9.0.15-10.9.0.30", ["A", "B"])]


def test_r26_an_internal_subnet_a_rule_names_outside_every_zone_is_reported() -> None:
    rules = (
        _rule("fw#1", "192.168.7.0/24", "Serveurs", "tcp/443"),
        _rule("fw#2", "Postes", "10.1.2.0/24", "tcp/443"),  # inside Serveurs
        _rule("fw#3", "Postes", "8.8.8.8", "udp/53"),  # the internet: not internal
    )
    found = check_inventory(default_policy(), ZONES, rules)
    assert [(m.subject, m.detail) for m in found] == [
        ("192.168.7.0/24", "192.168.7.0/24, named by fw#1, is in no zone")
    ]
    assert found[0].fix == "zone file: add 192.168.7.0/24 to the zone it belongs to"
    # a zone that holds it makes it compliant
    assert _r26((*ZONES, ZoneSpec("Labo", "laboratory", ("192.168.7.0/24",))), *rules) == []


# --- R27 ---------------------------------------------------------------------------------------


def test_r27_a_medical_device_outside_the_biomedical_zones_is_reported() -> None:
    devices = [
        Device("asset:1", "Pompe 12", ("10.20.3.4",)),  # Biomed: fine
        Device("asset:2", "Scanner", ("10.21.0.9",)),  # Imagerie: fine
        Device("asset:3", "Moniteur ECG", ("10.10.4.5", "10.20.4.5")),  # one leg in the workstations
        Device("asset:4", "Pousse-seringue", ()),  # no address: nothing to place
        Device("asset:5", "Echographe", ("172.31.0.9",)),  # no zone holds it: the internet's catch-all
        Device("asset:6", "Moniteur 2", ("10.10.4.6",)),
    ]
    found = [m for m in check_inventory(default_policy(), ZONES, (), devices) if m.rule.id == "R27"]
    # one finding per zone where devices stray, naming them all in its asset references
    assert [(m.subject, m.zones, m.asset_refs) for m in found] == [
        ("Internet", ["Internet"], ["asset:5"]),
        ("Postes", ["Postes"], ["asset:3", "asset:6"]),
    ]
    assert found[1].detail == (
        "2 medical device address(es) in Postes: Moniteur ECG (10.10.4.5), Moniteur 2 (10.10.4.6)"
    )
    assert found[1].fix.startswith("move these devices to a biomedical, imaging or laboratory VLAN")
    assert found[1].detail_in("fr") == (
        "2 adresse(s) de dispositifs médicaux dans Postes : Moniteur ECG (10.10.4.5), Moniteur 2 (10.10.4.6)"
    )


def test_r27_names_five_devices_and_counts_the_rest() -> None:
    devices = [Device(f"asset:{i}", f"Pompe {i}", (f"10.10.0.{i}",)) for i in range(1, 9)]
    (found,) = check_inventory(default_policy(), ZONES, (), devices)
    assert found.detail.endswith("Pompe 5 (10.10.0.5) and 3 more")
    assert len(found.asset_refs) == 8


def test_r27_devices_in_their_zones_pass() -> None:
    devices = [Device("asset:1", "Pompe", ("10.20.0.1",)), Device("asset:2", "IRM", ("10.21.0.1",))]
    assert [m for m in check_inventory(default_policy(), ZONES, (), devices) if m.rule.id == "R27"] == []


# --- Through the service ---------------------------------------------------------------------------


def test_the_check_records_r19_r26_r27_findings_with_what_to_change(session: Session) -> None:
    establishment = make_establishment(session)
    zones = [ZoneIn(name=z.name, kind=ZoneKind(z.kind), networks=list(z.networks)) for z in ZONES]
    service.replace_zones(session, establishment.id, zones)
    firewall = FirewallIn(
        name="fw",
        source_format=FirewallFormat.CSV,
        policies={"FORWARD": Action.DENY},
        rules=[
            RuleIn(
                direction="FORWARD",
                label="FORWARD#1",
                action=Action.ALLOW,
                sources=["Serveurs"],
                destinations=["Biomed"],
                services=["tcp/2575"],
                log=False,
            ),
            RuleIn(
                direction="FORWARD",
                label="FORWARD#2",
                action=Action.ALLOW,
                sources=["192.168.9.0/24"],
                destinations=["Serveurs"],
                services=["tcp/443"],
                log=True,
            ),
        ],
    )
    service.import_firewall(session, establishment.id, ParsedFirewall(firewall, "fw.csv", "0" * 64))
    assert [r.log for r in service.find_firewall(session, establishment.id, "fw").rules] == [False, True]
    source = ImportSource(importer=Importer.CSV, file_name="inventaire.csv")
    records = [
        AssetRecord(name="Moniteur 3", kind=AssetKind.MEDICAL_DEVICE, ips=["10.10.0.33"]),
        AssetRecord(name="Pompe 1", kind=AssetKind.MEDICAL_DEVICE, ips=["10.20.0.1"]),
        AssetRecord(name="Poste 1", kind=AssetKind.WORKSTATION, ips=["10.10.0.34"]),
    ]
    assets_service.import_assets(session, establishment.id, records, source)
    report = service.run_check(session, establishment.id)
    assert [(m.rule.id, m.subject) for m in report.misplacements] == [
        ("R26", "192.168.9.0/24"),
        ("R27", "Postes"),
    ]
    findings = {
        f.key: f for f in plan_service.list_findings(session, establishment.id, source=FindingSource.NETWORK)
    }
    r19 = findings["policy:R19:Serveurs->Biomed"]
    assert r19.control_ids == ["TEC-LOGS", "TEC-SEGMENT"]
    assert r19.evidence["fix"] == "Activer la journalisation sur : fw FORWARD#1"
    r27 = findings["policy:R27:Postes"]
    assert r27.severity.value == "medium" and r27.control_ids == ["TEC-BIOMED", "TEC-SEGMENT"]
    assert r27.asset_refs == [f"asset:{_asset_id(session, establishment.id, 'Moniteur 3')}"]
    r26 = findings["policy:R26:192.168.9.0/24"]
    assert r26.evidence["fix"] == "fichier des zones : ajouter 192.168.9.0/24 à la zone dont il fait partie"
    assert r26.evidence["detail_en"] == "192.168.9.0/24, named by fw FORWARD#2, is in no zone"


def _asset_id(session: Session, establishment_id: int, name: str) -> int:
    return next(a.id for a in assets_service.medical_devices(session, establishment_id) if a.name == name)
