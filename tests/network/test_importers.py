"""Each reader on a realistic file, and its refusals naming the file and the line or rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hygie.core.errors import ImportRejectedError
from hygie.network.importers import guess_format, read_firewall, read_zones
from hygie.network.models import FirewallFormat
from hygie.network.reachability import Action

DATA = Path(__file__).parent / "data"


def test_iptables_chains_policies_jumps_and_counters() -> None:
    parsed = read_firewall(DATA / "fw-int.rules", "fw-int")
    fw = parsed.firewall
    assert fw.source_format is FirewallFormat.IPTABLES
    assert fw.policies == {"FORWARD": Action.DENY, "INPUT": Action.DENY}
    by_label = {r.label: r for r in fw.rules}
    guest_rdp = by_label["FORWARD#2>GUEST#1"]
    assert (guest_rdp.action, guest_rdp.destinations, guest_rdp.services) == (
        Action.ALLOW,
        ["10.1.0.0/16"],
        ["tcp/3389"],
    )
    assert guest_rdp.in_interface == "wlan-guest" and guest_rdp.comment == "temporaire prestataire"
    assert guest_rdp.origin == "fw-int.rules:22"
    assert by_label["FORWARD#4"].services == ["tcp/80,443,3389"] and by_label["FORWARD#4"].hit_count == 42
    assert by_label["FORWARD#1"].disabled  # ESTABLISHED,RELATED opens nothing new
    # the jump's -s is carried into the user chain's rules
    assert by_label["FORWARD#3>BIOMED#1"].sources == ["10.20.0.0/16"]
    assert by_label["FORWARD#3>BIOMED#1"].destinations == ["10.1.0.30"]
    # a DROP with a condition we do not model is left out, and said
    assert by_label["FORWARD#3>BIOMED#2"].disabled
    assert any("--sport" in w for w in parsed.warnings)
    assert [r.label for r in fw.rules if r.direction == "INPUT"] == ["INPUT#1", "INPUT#2"]


def test_iptables_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rules"
    lines = [
        "*filter",
        ":FORWARD DROP [0:0]",
        "-A FORWARD -s 10.0.0.300 -j ACCEPT",
        "-A FORWARD -p tcp --dport 99999 -j ACCEPT",
        "-A FORWARD -j NOWHERE",
        "COMMIT",
    ]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(bad, "x", FirewallFormat.IPTABLES)
    lines = [p.location.line for p in caught.value.problems]
    assert lines == [3, 4]
    assert all(p.location.file == "bad.rules" for p in caught.value.problems)
    fixed = tmp_path / "jump.rules"
    fixed.write_text("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j NOWHERE\nCOMMIT\n")
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(fixed, "x")
    assert "NOWHERE" in caught.value.problems[0].message and caught.value.problems[0].location.line == 3


def test_nftables_json() -> None:
    parsed = read_firewall(DATA / "fw-ext.nft.json", "fw-ext")
    fw = parsed.firewall
    assert fw.source_format is FirewallFormat.NFTABLES
    forward = [r for r in fw.rules if r.direction.startswith("FORWARD")]
    assert [(r.action, r.destinations, r.services, r.in_interface) for r in forward[:3]] == [
        (Action.ALLOW, ["10.0.0.10/31"], ["tcp/80,443"], "wan0"),
        (Action.ALLOW, ["10.1.0.50/31"], ["tcp/3389"], "wan0"),
        (Action.DENY, [], [], "wan0"),
    ]
    pumps = forward[3]
    assert (
        pumps.sources == ["10.20.0.0/16"]
        and pumps.services == ["tcp/443,8000-8010"]
        and pumps.hit_count == 1532
    )
    assert pumps.comment == "pompes vers le cloud du fabricant"
    assert set(fw.policies.values()) == {Action.DENY}


def test_nftables_errors_name_the_rule(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    chain = {"family": "ip", "table": "t", "name": "f", "hook": "forward", "type": "filter", "policy": "drop"}
    saddr = {"payload": {"protocol": "ip", "field": "saddr"}}
    expr = [{"match": {"op": "==", "left": saddr, "right": "10.0.0.999"}}, {"accept": None}]
    rule = {"family": "ip", "table": "t", "chain": "f", "handle": 7, "expr": expr}
    bad.write_text(json.dumps({"nftables": [{"chain": chain}, {"rule": rule}]}))
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(bad, "x")
    assert caught.value.problems[0].location.field == "rule handle 7 in t/f"
    broken = tmp_path / "broken.json"
    broken.write_text('{"nftables": [\n{"table": }\n]}')
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(broken, "x", FirewallFormat.NFTABLES)
    assert caught.value.problems[0].location.line == 2


def test_pfsense_rules_aliases_and_floating() -> None:
    fw = read_firewall(DATA / "pfsense-config.xml", "pf").firewall
    assert fw.source_format is FirewallFormat.PFSENSE
    opt1 = [r for r in fw.rules if r.direction == "opt1"]
    assert [r.label for r in opt1] == ["floating#1", "opt1#1", "opt1#2", "opt1#3"]
    assert opt1[3].services == ["tcp/3389", "udp/3389"] and opt1[3].destinations == ["10.1.0.0/16"]
    assert opt1[2].disabled
    lan = [r for r in fw.rules if r.direction == "lan"]
    assert lan[1].sources == ["10.10.0.0/16"] and lan[1].destinations == ["10.1.0.20/31"]
    assert lan[1].services == ["tcp/80,443,8080-8081"]


def test_pfsense_hostile_xml_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "config.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE pfsense [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
                    "<pfsense><filter>&b;</filter></pfsense>")  # fmt: skip
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(bomb, "pf")
    assert "refused" in caught.value.problems[0].message
    xxe = tmp_path / "xxe.xml"
    xxe.write_text('<?xml version="1.0"?><!DOCTYPE pfsense SYSTEM "http://example.invalid/x.dtd"><pfsense/>')
    with pytest.raises(ImportRejectedError, match="DOCTYPE"):
        read_firewall(xxe, "pf", FirewallFormat.PFSENSE)


def test_csv_flow_matrix(tmp_path: Path) -> None:
    path = tmp_path / "flux.csv"
    path.write_text(
        "Règle;Source;Destination;Service;Action;Commentaire;Désactivée\n"
        '1;Postes;Serveurs;RDP|HTTPS;autoriser;=HYPERLINK("x");non\n'
        "2;Wi-Fi invités;tout;tout;refuser;;\n"
        "3;10.20.0.0/16 10.21.0.5;Internet;tcp/443;autoriser;pompes;oui\n",
        encoding="utf-8",
    )
    rules = read_firewall(path, "matrice").firewall.rules
    assert rules[0].services == ["tcp/3389", "udp/3389", "tcp/443"]
    assert rules[0].comment == '=HYPERLINK("x")'  # text, never a formula
    assert rules[1].sources == ["Wi-Fi invités"]
    assert (rules[1].destinations, rules[1].services, rules[1].action) == ([], [], Action.DENY)
    assert rules[2].disabled and rules[2].origin == "flux.csv:4"
    assert rules[2].sources == ["10.20.0.0/16", "10.21.0.5"]


def test_csv_errors_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "flux.csv"
    path.write_text(
        "source,destination,service,action\nA,B,tcp/99999,allow\nA,B,SSH,peut-être\n", encoding="utf-8"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_firewall(path, "m", FirewallFormat.CSV)
    where = [(p.location.line, p.location.field) for p in caught.value.problems]
    assert where == [(2, "service"), (3, "action")]
    big = tmp_path / "big.csv"
    big.write_text("source,destination,action\n" + "a,b,allow\n" * 50)
    with pytest.raises(ImportRejectedError, match="over the limit"):
        read_firewall(big, "m", max_bytes=100)


def test_zone_file(tmp_path: Path) -> None:
    path = tmp_path / "zones.yaml"
    path.write_text(
        "zones:\n  - {name: Serveurs, kind: servers, networks: [10.1.0.0/16]}\n"
        "  - {name: Internet, kind: internet}\n"
    )
    zones = read_zones(path)
    assert [(z.name, z.kind.value, z.networks) for z in zones] == [
        ("Serveurs", "servers", ["10.1.0.0/16"]),
        ("Internet", "internet", []),
    ]
    path.write_text(
        "zones:\n  - {name: A, kind: spaceship, networks: [10.1.0.0/16]}\n"
        "  - {name: B, kind: dmz, networks: [10.1.0.300]}\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_zones(path)
    assert [p.location.field for p in caught.value.problems] == ["zones.0.kind", "zones.1.networks"]


def test_guess_format() -> None:
    assert guess_format(b"# Generated by iptables-save\n*filter\n") is FirewallFormat.IPTABLES
    assert guess_format(b'{"nftables": []}') is FirewallFormat.NFTABLES
    assert guess_format(b"<?xml version='1.0'?>\n<opnsense>") is FirewallFormat.PFSENSE
    assert guess_format(b"source;destination;action\n") is FirewallFormat.CSV


@pytest.mark.parametrize("page", ["fr/matrice-de-flux-csv.md", "en/flow-matrix-csv.md"])
def test_the_documented_example_is_read(page: str, tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "docs" / page).read_text(encoding="utf-8")
    example = text.split("```\n")[1]
    path = tmp_path / "flux.csv"
    path.write_text(example, encoding="utf-8")
    rules = read_firewall(path, "matrice").firewall.rules
    assert [(r.sources, r.destinations, r.services, r.action) for r in rules] == [
        (["Postes de travail"], ["Serveurs"], ["tcp/443"], Action.ALLOW),
        (["Imagerie"], ["10.1.0.30"], ["tcp/104", "tcp/11112"], Action.ALLOW),
        (["Wi-Fi invités"], [], [], Action.DENY),
    ]
