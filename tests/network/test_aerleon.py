"""aerleon policies read with aerleon's own parser: terms as ordered rules with owner and expiration,
networks as zones, services as the catalogue, R18 on expired permits, and refusals naming the line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.errors import ImportRejectedError
from hygie.network import service
from hygie.network.importers import guess_format, read_firewall
from hygie.network.importers.aerleon_policy import guess_kind
from hygie.network.models import FirewallFormat, ZoneKind
from hygie.network.policy import DatedRule, default_policy, expired_permits
from hygie.network.reachability import Action
from hygie.network.schemas import ZoneIn
from hygie.plan import service as plan_service
from hygie.plan.models import Severity
from tests.factories import make_establishment

DATA = Path(__file__).parent / "data" / "aerleon"
DEFS = [DATA / "def"]


def test_terms_become_ordered_rules_with_owner_and_expiration() -> None:
    parsed = read_firewall(DATA / "chu-core.yaml", "chu-core", definitions=DEFS)
    fw = parsed.firewall
    assert fw.source_format is FirewallFormat.AERLEON  # guessed from "filters:"
    assert fw.policies == {"BIOMED_IN": Action.DENY, "GUEST_IN": Action.DENY}
    biomed = [r for r in fw.rules if r.direction == "BIOMED_IN"]
    assert [r.label for r in biomed] == [
        "BIOMED_IN/biomed-to-backend",
        "BIOMED_IN/biomed-dns",
        "BIOMED_IN/vendor-update",
        "BIOMED_IN/deny-rest",
    ]
    first = biomed[0]
    # MEDICAL_SERVERS = PACS_SERVER + HL7_GATEWAY (nested names resolved); DICOM + HL7_MLLP merged
    assert (first.sources, first.destinations, first.services) == (
        ["10.20.0.0/16"],
        ["10.1.0.30", "10.1.0.40/31"],
        ["tcp/104,2575,11112"],
    )
    assert (first.owner, first.comment, first.origin) == (
        "biomed@chu.example",
        "DICOM et HL7 vers PACS et passerelle",
        "chu-core.yaml:8",
    )
    assert biomed[1].services == ["udp/53", "tcp/53"]
    vendor = biomed[2]
    assert (vendor.expires, vendor.owner) == (date(2024, 3, 31), "fournisseur-pompes")
    # INTERNET minus RFC1918, exactly: 10/8, 172.16/12 and 192.168/16 are out, their neighbours in
    assert "11.0.0.0/8" in vendor.destinations and "172.32.0.0/11" in vendor.destinations
    assert not any(d.startswith(("10.", "192.168.", "172.16.")) for d in vendor.destinations)
    assert (biomed[3].action, biomed[3].sources, biomed[3].services) == (Action.DENY, [], [])
    guest = {r.label: r for r in fw.rules if r.direction == "GUEST_IN"}
    assert guest["GUEST_IN/guest-web"].services == ["tcp/80,443"] and guest["GUEST_IN/guest-web"].sources == [
        "10.50.0.0/16"
    ]  # the IPv6 part of GUEST_WIFI is left aside
    assert guest["GUEST_IN/guest-ping"].services == ["icmp"]
    assert parsed.warnings == [
        "chu-core.yaml:54: term guest-ping: condition(s) not analysed (ICMP type); taken as broader"
    ]


def test_networks_as_zones_and_services_as_catalogue() -> None:
    parsed = read_firewall(DATA / "chu-core.yaml", "chu-core", FirewallFormat.AERLEON, definitions=DEFS)
    kinds = {z.name: (z.kind, z.networks) for z in parsed.zones}
    assert kinds["BIOMED_NET"] == (ZoneKind.MEDICAL_DEVICES, ["10.20.0.0/16"])
    assert kinds["GUEST_WIFI"] == (ZoneKind.GUEST_WIFI, ["10.50.0.0/16"])
    assert kinds["MEDICAL_SERVERS"] == (
        ZoneKind.SERVERS,
        ["10.1.0.30", "10.1.0.40/31"],
    )  # SERVER before MEDICAL
    assert kinds["INTERNET"] == (ZoneKind.INTERNET, ["0.0.0.0/0"])
    assert kinds["RFC1918"][0] is ZoneKind.OTHER
    assert parsed.catalogue["services"]["WEB"] == ["tcp/443", "tcp/80"]
    assert parsed.catalogue["services"]["DNS"] == ["tcp/53", "udp/53"]
    assert parsed.catalogue["networks"]["DNS_RESOLVERS"] == ["10.1.0.53", "10.1.0.54"]
    assert (
        guess_kind("imagerie-scanner") is ZoneKind.IMAGING
        and guess_kind("lab_automates") is ZoneKind.LABORATORY
    )


def test_one_file_carries_definitions_and_policy(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text(
        "networks:\n  SRV:\n    values:\n      - address: 10.1.0.0/16\n"
        "services:\n  RDP:\n    - port: 3389\n      protocol: tcp\n"
        "filters:\n  - header:\n      targets:\n        iptables: FORWARD ACCEPT\n"
        "    terms:\n      - name: no-rdp\n        destination-address: SRV\n"
        "        protocol: tcp\n        destination-port: RDP\n        action: deny\n        logging: true\n"
        "      - name: vrrp\n        protocol: vrrp\n        action: accept\n"
    )
    parsed = read_firewall(bundle, "fw", FirewallFormat.AERLEON)
    rule, vrrp = parsed.firewall.rules
    assert vrrp.services == ["112"]  # a protocol Hygie does not name, from aerleon's table
    assert (rule.log, vrrp.log) == (True, False)  # R19 reads whether the term asks for logging
    assert (rule.direction, rule.action, rule.destinations, rule.services) == (
        "FORWARD",
        Action.DENY,
        ["10.1.0.0/16"],
        ["tcp/3389"],
    )
    assert parsed.firewall.policies == {"FORWARD": Action.ALLOW}  # the target's ACCEPT option


def test_legacy_pol_with_net_and_svc(tmp_path: Path) -> None:
    (tmp_path / "NETWORK.net").write_text("BIOMED = 10.20.0.0/16\nPACS = 10.1.0.30/32\n")
    (tmp_path / "SERVICES.svc").write_text("DICOM = 104/tcp\n        11112/tcp\n")
    policy = tmp_path / "core.pol"
    policy.write_text(
        "header {\n  target:: cisco BIOMED_IN extended\n}\n"
        "term dicom {\n  source-address:: BIOMED\n  destination-address:: PACS\n"
        "  protocol:: tcp\n  destination-port:: DICOM\n  owner:: biomed\n  expiration:: 2024-01-31\n"
        "  action:: accept\n}\n"
    )
    parsed = read_firewall(
        policy,
        "core",
        FirewallFormat.AERLEON,
        definitions=[tmp_path / "NETWORK.net", tmp_path / "SERVICES.svc"],
    )
    (rule,) = parsed.firewall.rules
    assert (rule.label, rule.services, rule.destinations, rule.owner, rule.expires, rule.origin) == (
        "BIOMED_IN/dicom",
        ["tcp/104,11112"],
        ["10.1.0.30"],
        "biomed",
        date(2024, 1, 31),
        "core.pol:4",
    )


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        ("destination-port: DICOM HL7_MLLP", 13, ["DICOM", "NOPE"]),
        ("source-address: BIOMED_NET", 10, ["BIOMED_NET", "NOWHERE"]),
        ("expiration: 2024-03-31", 31, ["2024-03-31", "bientôt"]),
        ("destination-exclude: RFC1918", 26, ["destination-exclude", "destination-excluded"]),
        ("action: deny", 33, ["deny", "maybe"]),
    ],
)
def test_errors_name_the_line(tmp_path: Path, change: str, line: int, words: list[str]) -> None:
    text = (DATA / "chu-core.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(change, change.replace(*words), 1), encoding="utf-8")
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(bad, "x", FirewallFormat.AERLEON, definitions=DEFS)
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line) == ("bad.yaml", line), problem.message
    assert words[1] in problem.message


def test_hostile_policies_refused(tmp_path: Path) -> None:
    include = tmp_path / "inc.yaml"
    include.write_text(
        "filters:\n  - header:\n      targets:\n        cisco: A extended\n"
        "    terms:\n      - include: ../../../etc/passwd\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(include, "x", FirewallFormat.AERLEON)
    assert caught.value.problems[0].location.line == 6 and "include" in caught.value.problems[0].message
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nfilters: [*c]\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(bomb, "x", FirewallFormat.AERLEON)
    assert "aliases" in caught.value.problems[0].message and caught.value.problems[0].location.line == 2
    pol = tmp_path / "inc.pol"
    pol.write_text("#include 'other.inc'\nheader {\n  target:: cisco A\n}\n")
    with pytest.raises(ImportRejectedError, match="includes are not followed"):
        read_firewall(pol, "x", FirewallFormat.AERLEON)
    broken = tmp_path / "broken.yaml"
    broken.write_text("filters:\n  - header: [\n")
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(broken, "x", FirewallFormat.AERLEON)
    assert "not valid YAML" in caught.value.problems[0].message


def test_r18_expired_permits() -> None:
    policy = default_policy()
    rules = [
        DatedRule("fw", "A/old", allow=True, disabled=False, expires=date(2026, 1, 31), owner="x"),
        DatedRule("fw", "A/today", allow=True, disabled=False, expires=date(2026, 3, 1)),
        DatedRule("fw", "A/future", allow=True, disabled=False, expires=date(2026, 3, 2)),
        DatedRule("fw", "A/deny", allow=False, disabled=False, expires=date(2020, 1, 1)),
        DatedRule("fw", "A/off", allow=True, disabled=True, expires=date(2020, 1, 1)),
        DatedRule("fw", "A/none", allow=True, disabled=False, expires=None),
    ]
    found = expired_permits(policy, rules, date(2026, 3, 1))
    assert [(e.rule.label, e.days) for e in found] == [("A/old", 29), ("A/today", 0)]
    assert found[0].key(policy) == "policy:R18:fw A/old"
    assert policy.expiry.severity == "medium" and policy.expiry.controls == ("TEC-SEGMENT",)


def test_stored_with_zones_and_checked(session: Session) -> None:
    establishment = make_establishment(session)
    service.replace_zones(session, establishment.id, [ZoneIn(name="Internet", kind=ZoneKind.INTERNET)])
    parsed = read_firewall(DATA / "chu-core.yaml", "chu-core", definitions=DEFS)
    firewall = service.import_firewall(session, establishment.id, parsed, with_zones=True)
    zones = {z.name: z.kind for z in service.list_zones(session, establishment.id)}
    assert zones["Internet"] is ZoneKind.INTERNET and "INTERNET" in zones and len(zones) == 13
    rule = next(r for r in firewall.rules if r.label == "BIOMED_IN/vendor-update")
    assert (rule.expires, rule.owner, rule.position) == (date(2024, 3, 31), "fournisseur-pompes", 3)
    assert firewall.catalogue["services"]["HL7_MLLP"] == ["tcp/2575"]
    report = service.run_check(session, establishment.id)
    assert [(e.rule.label, e.rule.owner) for e in report.expired] == [
        ("BIOMED_IN/vendor-update", "fournisseur-pompes")
    ]
    findings = {f.key: f for f in plan_service.list_findings(session, establishment.id)}
    r18 = findings["policy:R18:chu-core BIOMED_IN/vendor-update"]
    assert r18.severity is Severity.MEDIUM and r18.control_ids == ["TEC-SEGMENT"]
    assert r18.evidence["expires"] == "2024-03-31" and r18.evidence["origin"] == "chu-core.yaml:22"
    # the same permit also breaks R04: medical devices reach the internet
    assert any(v.rule.id == "R04" and v.source == "BIOMED_NET" for v in report.violations)
    # a re-import without --add-zones keeps the zones as they are
    service.import_firewall(session, establishment.id, parsed)
    assert len(service.list_zones(session, establishment.id)) == 13


def test_cli_import_aerleon_and_cisco(hygie_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 250)
    runner = CliRunner()
    finess = "750803447"
    result = runner.invoke(app, ["establishments", "add", "--name", "CH", "--finess", finess, "--kind", "ch"])
    assert result.exit_code == 0, result.output
    args = ["network", "import", finess, str(DATA / "chu-core.yaml"), "--firewall", "chu-core"]
    result = runner.invoke(
        app, [*args, "--format", "aerleon", "--definitions", str(DATA / "def"), "--add-zones", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["rules"] == 9 and "BIOMED_NET" in out["zones_added"] and len(out["zones_added"]) == 12
    check = json.loads(runner.invoke(app, ["network", "check", finess, "--json"]).output)
    assert check["expired"] == [
        {
            "firewall": "chu-core",
            "rule": "BIOMED_IN/vendor-update",
            "expires": "2024-03-31",
            "owner": "fournisseur-pompes",
            "origin": "chu-core.yaml:22",
        }
    ]
    text = runner.invoke(app, ["network", "check", finess]).output
    assert "chu-core BIOMED_IN/vendor-update: expirée le 2024-03-31 (fournisseur-pompes)" in text
    cisco = Path(__file__).parent / "data" / "fw-dmz.asa.cfg"
    result = runner.invoke(app, ["network", "import", finess, str(cisco), "--firewall", "fw-dmz"])
    assert result.exit_code == 0, result.output
    assert "16 règle(s) chargée(s) pour fw-dmz" in result.output and "NAT" in result.output


def test_guess_aerleon() -> None:
    assert guess_format(b"# policy\nfilters:\n  - header:\n") is FirewallFormat.AERLEON
    assert guess_format(b"header {\n  target:: cisco A\n}\n") is FirewallFormat.AERLEON
