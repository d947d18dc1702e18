"""Cisco IOS and ASA access lists: realistic hospital configurations, the rules in their order, the
interfaces tied to zones, a reachability result, and refusals naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.core.errors import ImportRejectedError
from hygie.network import service
from hygie.network.importers import guess_format, read_firewall
from hygie.network.importers.cisco_ace import wildcard_block
from hygie.network.intervals import IntervalSet, parse_network
from hygie.network.models import FirewallFormat, ZoneKind
from hygie.network.reachability import Action, ZoneSpec, analyse
from hygie.network.schemas import ZoneIn
from hygie.network.service import ruleset_specs
from tests.factories import make_establishment

DATA = Path(__file__).parent / "data"
ZONES = [
    ZoneSpec("Internet", "internet"),
    ZoneSpec("DMZ", "dmz", ("10.0.0.0/24",)),
    ZoneSpec("Serveurs", "servers", ("10.1.0.0/16",)),
    ZoneSpec("Postes", "clinical_workstations", ("10.10.0.0/16",)),
    ZoneSpec("Biomed", "medical_devices", ("10.20.0.0/16",)),
    ZoneSpec("Imagerie", "imaging", ("10.30.0.0/16",)),
    ZoneSpec("Invites", "guest_wifi", ("10.50.0.0/16",)),
    ZoneSpec("Partenaires", "partners", ("172.16.10.0/24",)),
]
IOS_INTERFACES = {
    "GigabitEthernet0/0": "Internet",
    "Vlan10": "Postes",
    "Vlan20": "Biomed",
    "Vlan30": "Imagerie",
    "Vlan50": "Invites",
    "Vlan100": "Serveurs",
}


def _ios() -> list:  # type: ignore[type-arg]
    return read_firewall(DATA / "cr-core.ios.cfg", "cr-core", FirewallFormat.CISCO_IOS).firewall.rules


def test_ios_rules_in_order_per_interface() -> None:
    parsed = read_firewall(DATA / "cr-core.ios.cfg", "cr-core")
    assert parsed.firewall.source_format is FirewallFormat.CISCO_IOS  # guessed
    rules = parsed.firewall.rules
    biomed = [r for r in rules if r.direction == "Vlan20 in"]
    # sequence numbers decide the order: 40 (written after 50) comes before it
    assert [(r.label, r.action, r.services) for r in biomed] == [
        ("BIOMED_IN#1", Action.ALLOW, ["tcp/2575"]),
        ("BIOMED_IN#2", Action.ALLOW, ["tcp/104", "tcp/11112"]),
        ("BIOMED_IN#3", Action.ALLOW, ["udp/53"]),
        ("BIOMED_IN#4", Action.ALLOW, ["tcp/443"]),
        ("BIOMED_IN#5", Action.DENY, ["tcp/23"]),
        ("BIOMED_IN#6", Action.DENY, []),
    ]
    assert [r.origin for r in biomed] == [f"cr-core.ios.cfg:{n}" for n in (60, 61, 62, 64, 66, 65)]
    assert biomed[0].sources == ["10.20.0.0/16"] and biomed[0].destinations == ["10.1.0.40"]
    assert biomed[0].comment == "moniteurs vers la passerelle HL7 de supervision"
    assert [r.log for r in biomed] == [False] * 5 + [True]  # "50 deny ip any any log" (R19)
    assert biomed[1].destinations == ["10.1.0.30", "10.1.5.0/24"]  # object-group: host + subnet mask
    assert all(r.in_interface == "Vlan20" and r.out_interface is None for r in biomed)
    postes = {r.label: r for r in rules if r.direction == "Vlan10 in"}
    assert postes["POSTES_IN#1"].services == ["tcp/80,443,3389"]  # eq www 443 3389
    assert postes["POSTES_IN#3"].services == ["tcp/515"]  # lpd
    # the non-contiguous wildcard 10.10.0.10 0.0.255.0: the .10 of each of the 256 subnets
    printers = postes["POSTES_IN#3"].sources
    assert (
        len(printers) == 256
        and printers[:2] == ["10.10.0.10", "10.10.1.10"]
        and printers[-1] == "10.10.255.10"
    )
    assert postes["POSTES_IN#4"].disabled  # established: opens no new flow
    guests = [r for r in rules if r.direction == "Vlan50 in"]
    assert [r.label for r in guests] == ["150#1", "150#2", "150#3", "150#4", "150#5"]
    assert guests[1].destinations == ["10.0.0.0/8"] and guests[1].sources == []
    assert guests[0].comment == "invites : DNS interne puis internet seulement"
    # the server VLAN has no inbound list: everything entering it passes, and that is shown
    (servers,) = [r for r in rules if r.direction == "Vlan100 in"]
    assert (servers.label, servers.action, servers.sources, servers.services) == (
        "Vlan100 (no access list)",
        Action.ALLOW,
        [],
        [],
    )
    assert {r.direction for r in rules} == {f"{i} in" for i in IOS_INTERFACES}  # not Loopback0
    assert set(parsed.firewall.policies.values()) == {Action.DENY}
    assert parsed.interface_networks["Vlan20"] == "10.20.0.0/16"
    assert parsed.interface_networks["GigabitEthernet0/0"] == "198.51.100.0/30"
    # nothing comes from the banner, even its line starting with "access-list"
    assert not any(r.label.startswith("et#") for r in rules)


def test_ios_unanalysed_lines_are_listed_with_their_numbers() -> None:
    warnings = read_firewall(DATA / "cr-core.ios.cfg", "cr-core").warnings
    assert "cr-core.ios.cfg: not analysed (ipv6 access-list): line(s) 89, 90, 91" in warnings
    assert "cr-core.ios.cfg: not analysed (ipv6 traffic-filter): line(s) 49" in warnings
    assert "cr-core.ios.cfg:93: access list 10 is applied to no interface: not analysed" in warnings
    assert any(
        w.startswith("cr-core.ios.cfg:64: BIOMED_IN#4") and "time-range MAINTENANCE" in w for w in warnings
    )


def test_ios_reachability_on_the_imported_rules() -> None:
    rules = _ios()
    policies = {r.direction: "deny" for r in rules}
    analysis = analyse(ZONES, ruleset_specs("cr-core", rules, policies, IOS_INTERFACES))
    # guest Wi-Fi: internal DNS only, RDP to the servers is shadowed by the deny before it
    assert analysis.allowed("Invites", "Serveurs").describe() == "udp/53 (DNS)"
    assert analysis.allowed("Invites", "Internet").describe() == "tcp/80,443 (HTTP, HTTPS)"
    assert not analysis.allowed("Invites", "Biomed")
    shadowed = {u.label: u.by for u in analysis.useless if u.kind == "shadowed"}
    assert shadowed["cr-core 150#4"] == ["cr-core 150#2"]
    # the biomedical VLAN reaches the internet on 443 (the time-range is taken as always on)
    biomed_out = analysis.flows[("Biomed", "Internet")]
    assert biomed_out.allowed.describe() == "tcp/443 (HTTPS)"
    assert set(biomed_out.rules) == {"cr-core BIOMED_IN#4"}
    assert analysis.allowed("Biomed", "Serveurs").describe() == (
        "tcp/104,443,2575,11112 (DICOM, HL7-MLLP, HTTPS); udp/53 (DNS)"
    )
    # the mistake on the WAN side: DICOM from anywhere on the internet to the modalities
    assert analysis.allowed("Internet", "Imagerie").describe().startswith("tcp/104")
    assert analysis.allowed("Serveurs", "Biomed").describe() == "any"  # no list on Vlan100


def test_asa_objects_levels_and_access_groups() -> None:
    parsed = read_firewall(DATA / "fw-dmz.asa.cfg", "fw-dmz")
    fw = parsed.firewall
    assert fw.source_format is FirewallFormat.CISCO_ASA
    outside = [r for r in fw.rules if r.direction == "outside in"]
    assert [r.label for r in outside] == [f"OUTSIDE_IN#{n}" for n in range(1, 6)]
    assert outside[0].destinations == ["10.0.0.10", "10.0.0.25"] and outside[0].services == ["tcp/80,443"]
    assert outside[0].comment == "portail patients et messagerie"
    assert outside[2].sources == ["192.0.2.0/24", "198.51.100.77"]
    assert outside[2].destinations == ["10.1.0.40/31"]  # object range
    assert outside[2].services == ["tcp/3389", "tcp/22", "tcp/5900", "udp/5900"]
    assert outside[3].services == ["icmp"]  # echo-reply taken as any ICMP
    dmz = {r.label: r for r in fw.rules if r.direction == "dmz in"}
    assert dmz["DMZ_IN#2"].services == ["tcp/53", "udp/53"]  # protocol group tcp + udp
    assert dmz["DMZ_IN#4"].destinations == []  # an FQDN object: taken as any
    assert dmz["DMZ_IN#5"].disabled  # inactive
    # no list on the inside: the security levels decide (towards lower levels only)
    inside = [r for r in fw.rules if r.direction == "inside in"]
    assert [(r.in_interface, r.out_interface) for r in inside] == [
        ("inside", "outside"),
        ("inside", "dmz"),
        ("inside", "partners"),
    ]
    partners = [r.label for r in fw.rules if r.direction == "partners in"]
    assert partners == ["PARTNERS_IN#1", "PARTNERS_IN#3"]  # the IPv6 entry is left out…
    assert "fw-dmz.asa.cfg: not analysed (IPv6 entries): line(s) 83" in parsed.warnings  # …and said
    assert "fw-dmz.asa.cfg: not analysed (NAT): line(s) 41" in parsed.warnings
    assert parsed.interface_networks == {
        "outside": "203.0.113.0/29",
        "inside": "10.1.0.0/16",
        "dmz": "10.0.0.0/24",
        "partners": "172.16.10.0/24",
    }


def test_asa_reachability() -> None:
    parsed = read_firewall(DATA / "fw-dmz.asa.cfg", "fw-dmz")
    interfaces = {"outside": "Internet", "inside": "Serveurs", "dmz": "DMZ", "partners": "Partenaires"}
    rules = parsed.firewall.rules
    analysis = analyse(
        ZONES, ruleset_specs("fw-dmz", rules, {r.direction: "deny" for r in rules}, interfaces)
    )
    assert analysis.allowed("Internet", "Serveurs").describe() == (
        "icmp (ICMP); tcp/22,3389,5900 (RDP, SSH, VNC); udp/5900"
    )
    assert analysis.allowed("Partenaires", "Serveurs").describe() == "tcp/2575 (HL7-MLLP)"
    # SMTP to any, and HTTPS to an FQDN object, taken as any address
    assert analysis.allowed("DMZ", "Partenaires").describe() == "tcp/25,443 (HTTPS, SMTP)"
    assert analysis.allowed("Serveurs", "Partenaires").describe() == "any"  # level 100 > 20
    assert not analysis.allowed("Partenaires", "DMZ")  # 20 < 50 and the list denies the rest


def test_wildcard_masks_exactly() -> None:
    a = int.from_bytes(bytes([10, 0, 0, 1]), "big")
    assert wildcard_block(a, 0x000000FF) == parse_network("10.0.0.0/24")
    assert wildcard_block(a, 0) == IntervalSet.of(a)
    odd = wildcard_block(a, 0x00000100)  # 10.0.0.1 and 10.0.1.1
    assert odd == IntervalSet([(a, a), (a + 256, a + 256)])
    assert wildcard_block(a, 0x0000FF03).size() == 256 * 4  # 256 blocks of 4
    with pytest.raises(ValueError, match="not contiguous"):
        wildcard_block(a, 0x00FFFF00)


def test_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cfg"
    bad.write_text(
        "hostname r1\n"
        "interface Vlan10\n"
        " ip address 10.10.0.1 255.255.0.0\n"
        " ip access-group IN in\n"
        "ip access-list extended IN\n"
        " permit tcp 10.10.0.300 0.0.0.255 any\n"
        " permit tcp any any eq nosuchport\n"
        " permit ip 10.0.0.0 0.255.255.0 any\n"
        " permit ip any object-group NOWHERE\n"
        " permit tcp any any eq 80 fishy\n"
        " deny ip any any\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(bad, "r1", FirewallFormat.CISCO_IOS)
    problems = caught.value.problems
    assert [p.location.line for p in problems] == [6, 7, 8, 9, 10]
    assert all(p.location.file == "bad.cfg" for p in problems)
    assert "10.10.0.300" in problems[0].message and "nosuchport" in problems[1].message
    assert "65536 separate blocks" in problems[2].message and "NOWHERE" in problems[3].message
    asa = tmp_path / "asa.cfg"
    asa.write_text(
        "ASA Version 9.16(4)\n"
        "interface G1/1\n nameif outside\n security-level 0\n ip address 192.0.2.1 255.255.255.0\n"
        "object-group network LOOP\n group-object LOOP\n"
        "access-list A extended permit ip object-group LOOP any\n"
        "access-list A extended permit ip 10.0.0.0 255.0.255.0 any\n"
        "access-group A in interface outside\n"
        "access-group MISSING in interface inside\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(asa, "fw")
    assert [(p.location.line, p.message[:30]) for p in caught.value.problems] == [
        (11, "access-group MISSING: no inter"),
        (8, "object 'LOOP' nests too deep ("),
        (9, "255.0.255.0 is not a subnet ma"),
    ]


def test_hostile_or_foreign_input(tmp_path: Path) -> None:
    binary = tmp_path / "blob.cfg"
    binary.write_bytes(b"\x00\xff\xfe" * 100)
    with pytest.raises(ImportRejectedError):
        read_firewall(binary, "x", FirewallFormat.CISCO_IOS)
    empty_ish = tmp_path / "comments.cfg"
    empty_ish.write_text("!\n! nothing\n!\n")
    with pytest.raises(ImportRejectedError, match="no configuration line"):
        read_firewall(empty_ish, "x", FirewallFormat.CISCO_IOS)
    # template-like text in the data is data: no rule appears from it
    tricky = tmp_path / "tricky.cfg"
    tricky.write_text(
        "interface Vlan1\n description L1 P0 access-list X permit ip any any {{ x }}\n"
        " ip address 10.9.0.1 255.255.0.0\n ip access-group A in\n"
        "ip access-list extended A\n deny ip any any\n"
    )
    rules = read_firewall(tricky, "x", FirewallFormat.CISCO_IOS).firewall.rules
    assert [(r.label, r.action) for r in rules] == [("A#1", Action.DENY)]
    big = tmp_path / "big.cfg"
    big.write_text("access-list 101 permit ip any any\n" * 100)
    with pytest.raises(ImportRejectedError, match="over the limit"):
        read_firewall(big, "x", FirewallFormat.CISCO_IOS, max_bytes=1000)


def test_banners_are_skipped(tmp_path: Path) -> None:
    ios = tmp_path / "r.cfg"
    ios.write_text(
        "banner motd ^C\naccess-list 101 permit ip any any\n^C\n"
        "interface Vlan1\n ip address 10.9.0.1 255.255.0.0\n ip access-group 101 in\n"
        "access-list 101 deny ip any any\n"
    )
    assert [r.action for r in read_firewall(ios, "r", FirewallFormat.CISCO_IOS).firewall.rules] == [
        Action.DENY
    ]
    asa = tmp_path / "a.cfg"
    asa.write_text(
        "banner motd Systeme du CH\ninterface G1/1\n nameif inside\n security-level 100\n"
        " ip address 10.1.0.1 255.255.0.0\naccess-list IN extended deny ip any any\n"
        "access-group IN in interface inside\n"
    )
    assert [r.label for r in read_firewall(asa, "a", FirewallFormat.CISCO_ASA).firewall.rules] == ["IN#1"]


def test_guess_cisco() -> None:
    assert guess_format(b"ASA Version 9.16(4)\n!\nhostname fw\n") is FirewallFormat.CISCO_ASA
    assert guess_format(b"!\nversion 15.2\nhostname r\n!\ninterface Vlan1\n") is FirewallFormat.CISCO_IOS


def test_interfaces_tied_to_zones_when_stored(session: Session) -> None:
    establishment = make_establishment(session)
    zones = [
        ZoneIn(name=z.name, kind=ZoneKind(z.kind), networks=list(z.networks))
        for z in ZONES
        if z.name != "Imagerie"
    ]
    service.replace_zones(session, establishment.id, zones)
    parsed = read_firewall(DATA / "cr-core.ios.cfg", "cr-core", interfaces={"Vlan50": "Invites"})
    firewall = service.import_firewall(session, establishment.id, parsed)
    # from the ip address; Vlan30's subnet is in no zone of its own, so the internet holds it
    assert firewall.interfaces == {
        "Vlan50": "Invites",
        "GigabitEthernet0/0": "Internet",
        "Vlan10": "Postes",
        "Vlan20": "Biomed",
        "Vlan30": "Internet",
        "Vlan100": "Serveurs",
        "Loopback0": "Internet",
    }
    assert len(firewall.rules) == 26
    report = service.run_check(session, establishment.id)
    keys = {(v.rule.id, v.source, v.destination) for v in report.violations}
    assert ("R04", "Biomed", "Internet") in keys  # medical devices reach the internet (BIOMED_IN#4)
    r04 = next(v for v in report.violations if (v.rule.id, v.source) == ("R04", "Biomed"))
    assert set(r04.allowed_by) == {"cr-core BIOMED_IN#4"}
