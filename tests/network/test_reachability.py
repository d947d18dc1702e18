"""Hand-computed cases, then the property: the analysis equals packet-by-packet enumeration."""

from __future__ import annotations

import ipaddress
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from hygie.network.reachability import (
    Action,
    RuleSetSpec,
    RuleSpec,
    ZoneMap,
    ZoneSpec,
    analyse,
    compile_rules,
    diff,
)
from hygie.network.services import PORTED, Service, parse_service

ZONES = (
    ZoneSpec("internet", "internet"),
    ZoneSpec("guest", "guest_wifi", ("10.50.0.0/16",)),
    ZoneSpec("servers", "servers", ("10.1.0.0/16",)),
    ZoneSpec("dc", "servers", ("10.1.0.10",)),  # more specific: the DC is not in "servers"
    ZoneSpec("pumps", "medical_devices", ("10.20.0.0/16",)),
)


def rule(
    label: str, action: str, src: tuple[str, ...], dst: tuple[str, ...], *services: str, **kw: object
) -> RuleSpec:
    return RuleSpec(
        label,
        Action(action),
        src,
        dst,
        tuple(parse_service(s) for s in services),
        **kw,  # type: ignore[arg-type]
    )


def test_first_match_default_deny_and_attribution() -> None:
    rules = RuleSetSpec(
        "fw",
        "FORWARD",
        (
            rule("1", "deny", ("guest",), ("dc",)),
            rule("2", "allow", ("guest",), ("servers", "dc"), "tcp/3389", "tcp/443"),
            rule("3", "allow", ("pumps",), (), "tcp/443"),
            rule("4", "allow", ("guest",), ("servers",), "tcp/3389"),  # shadowed by 2
            rule("5", "deny", ("pumps",), ("internet",), "tcp/80"),  # redundant: default deny
        ),
    )
    analysis = analyse(ZONES, [rules])
    flow = analysis.flows[("guest", "servers")]
    assert flow.allowed.describe() == "tcp/443,3389 (RDP, HTTPS)"
    assert set(flow.rules) == {"2"}
    assert ("guest", "dc") not in analysis.flows
    assert analysis.allowed("pumps", "internet").describe() == "tcp/443 (HTTPS)"
    assert analysis.allowed("pumps", "servers").contains(6, 443)
    assert not analysis.allowed("internet", "servers")
    useless = {(u.label, u.kind): u.by for u in analysis.useless}
    assert useless == {("4", "shadowed"): ["2"], ("5", "redundant"): []}


def test_most_specific_network_wins_and_interfaces() -> None:
    zones = ZoneMap(ZONES)
    assert zones.zone_of(int(ipaddress.IPv4Address("10.1.0.10"))) == "dc"
    assert zones.zone_of(int(ipaddress.IPv4Address("10.1.0.11"))) == "servers"
    assert zones.zone_of(int(ipaddress.IPv4Address("8.8.8.8"))) == "internet"
    ruleset = RuleSetSpec(
        "fw",
        "FORWARD",
        (rule("1", "allow", (), (), "tcp/22", in_interface="wan"),),
        interfaces={"wan": "internet"},
    )
    analysis = analyse(ZONES, [ruleset])
    assert {pair for pair in analysis.flows if pair[0] != "internet"} == set()
    assert analysis.allowed("internet", "servers").contains(6, 22)


def test_negation_disabled_and_default_allow() -> None:
    ruleset = RuleSetSpec(
        "fw",
        "FORWARD",
        (
            rule("1", "deny", ("servers",), (), src_negated=True),
            rule("2", "deny", ("servers",), ("pumps",), "udp/161", disabled=True),
        ),
        default=Action.ALLOW,
    )
    analysis = analyse(ZONES, [ruleset])
    assert not analysis.allowed("guest", "pumps")
    assert analysis.allowed("servers", "pumps").contains(17, 161)
    assert analysis.allowed("servers", "pumps").others


def test_diff_says_what_a_change_opens_and_closes() -> None:
    before = RuleSetSpec("fw", "FORWARD", (rule("a", "allow", ("guest",), ("servers",), "tcp/443"),))
    after = RuleSetSpec(
        "fw",
        "FORWARD",
        (
            rule("b", "allow", ("guest",), ("10.1.0.5",), "tcp/3389"),
            rule("c", "allow", ("pumps",), (), "tcp/80"),
        ),
    )
    changes = {(c.source, c.destination): c for c in diff(ZONES, before, after)}
    pumps = {("pumps", zone) for zone in ("internet", "servers", "guest", "dc", "pumps")}
    assert set(changes) == {("guest", "servers")} | pumps
    guest = changes[("guest", "servers")]
    assert guest.opened.describe() == "tcp/3389 (RDP)"
    assert guest.closed.describe() == "tcp/443 (HTTPS)"
    assert set(guest.opened_by) == {"b"}


# --- the property --------------------------------------------------------------------------------

BASE = int(ipaddress.IPv4Address("10.0.0.0"))
OUTSIDE = int(ipaddress.IPv4Address("192.168.1.1"))
ADDRESSES = [BASE + i for i in range(16)] + [OUTSIDE]
PROTOCOLS = [1, 6, 17, 47]  # 47: a protocol no rule names
PORTS = list(range(11))  # rules use ports 0..9: 10 stands for every higher port


def cidr(draw: st.DrawFn) -> str:
    size = draw(st.sampled_from([0, 1, 2, 3, 4]))
    start = draw(st.integers(0, 15)) >> size << size
    return f"10.0.0.{start}/{32 - size}"


@st.composite
def zone_sets(draw: st.DrawFn) -> tuple[ZoneSpec, ...]:
    count = draw(st.integers(1, 3))
    zones = [
        ZoneSpec(f"z{i}", "servers", tuple(cidr(draw) for _ in range(draw(st.integers(1, 2)))))
        for i in range(count)
    ]
    return (ZoneSpec("inet", "internet"), *zones)


@st.composite
def services(draw: st.DrawFn) -> Service:
    protocol = draw(st.sampled_from([None, 1, 6, 17]))
    if protocol in (6, 17) and draw(st.booleans()):
        first = draw(st.integers(0, 9))
        return parse_service(f"{'tcp' if protocol == 6 else 'udp'}/{first}-{draw(st.integers(first, 9))}")
    return Service(protocol)


@st.composite
def rulesets(draw: st.DrawFn, zone_names: list[str], name: str = "fw") -> RuleSetSpec:
    def ends() -> tuple[str, ...]:
        choice = draw(st.sampled_from(["any", "zone", "cidr"]))
        if choice == "any":
            return ()
        if choice == "zone":
            return (draw(st.sampled_from(zone_names)),)
        return (cidr(draw),)

    rules = tuple(
        RuleSpec(
            label=str(i),
            action=draw(st.sampled_from(list(Action))),
            sources=ends(),
            destinations=ends(),
            services=tuple(draw(st.lists(services(), max_size=2))),
            src_negated=draw(st.booleans()) and draw(st.booleans()),
            disabled=draw(st.integers(0, 9)) == 0,
        )
        for i in range(draw(st.integers(0, 6)))
    )
    return RuleSetSpec(name, "FORWARD", rules, default=draw(st.sampled_from(list(Action))))


def first_match(
    ruleset: RuleSetSpec, zones: ZoneMap, packet: tuple[int, int, int, int]
) -> tuple[int | None, bool]:
    src, dst, protocol, port = packet
    for index, rule in enumerate(ruleset.rules):
        if rule.disabled:
            continue
        if (src in _resolve(zones, rule.sources)) == rule.src_negated:
            continue
        if dst not in _resolve(zones, rule.destinations):
            continue
        for service in rule.services or (Service(None),):
            if service.protocol is not None and service.protocol != protocol:
                continue
            if service.ports.size() != 65536 and (protocol not in PORTED or port not in service.ports):
                continue
            return index, rule.action is Action.ALLOW
    return None, ruleset.default is Action.ALLOW


_RESOLVED: dict[tuple[int, tuple[str, ...]], frozenset[int]] = {}


def _resolve(zones: ZoneMap, items: tuple[str, ...]) -> frozenset[int]:
    """The enumerated addresses in ``items`` (memoised: the oracle must stay fast to shrink)."""
    key = (id(zones), items)
    if key not in _RESOLVED:
        addresses = zones.resolve(items)
        _RESOLVED[key] = frozenset(a for a in ADDRESSES if a in addresses)
    return _RESOLVED[key]


def packets() -> itertools.product[tuple[int, int, int, int]]:
    return itertools.product(ADDRESSES, ADDRESSES, PROTOCOLS, PORTS)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_analysis_equals_packet_enumeration(data: st.DataObject) -> None:
    zones = data.draw(zone_sets())
    ruleset = data.draw(rulesets([z.name for z in zones]))
    zone_map = ZoneMap(zones)
    _RESOLVED.clear()
    analysis = analyse(zones, [ruleset])
    allowed: set[tuple[str, str, int, int]] = set()
    by_rule: set[tuple[str, str, str, int, int]] = set()
    decided: dict[int, list[tuple[int, int, int, int]]] = {}
    for packet in packets():
        index, allow = first_match(ruleset, zone_map, packet)
        pair = (zone_map.zone_of(packet[0]), zone_map.zone_of(packet[1]))
        if allow:
            allowed.add((*pair, packet[2], packet[3]))
            if index is not None:
                by_rule.add((*pair, ruleset.rules[index].label, packet[2], packet[3]))
        if index is not None:
            decided.setdefault(index, []).append(packet)
    computed = {
        (s, d, p, port)
        for (s, d), flow in analysis.flows.items()
        for p, port in itertools.product(PROTOCOLS, PORTS)
        if flow.allowed.contains(p, port)
    }
    assert computed == allowed
    computed_rules = {
        (s, d, label, p, port)
        for (s, d), flow in analysis.flows.items()
        for label, svc in flow.rules.items()
        for p, port in itertools.product(PROTOCOLS, PORTS)
        if svc.contains(p, port)
    }
    assert computed_rules == by_rule
    enabled = [i for i, r in enumerate(ruleset.rules) if not r.disabled]
    shadowed = {str(i) for i in enabled if i not in decided}
    redundant = set()
    for index, matched in decided.items():
        rest = RuleSetSpec(
            "fw", "FORWARD", ruleset.rules[:index] + ruleset.rules[index + 1 :], ruleset.default
        )
        mine = ruleset.rules[index].action is Action.ALLOW
        if all(first_match(rest, zone_map, packet)[1] == mine for packet in matched):
            redundant.add(str(index))
    assert {u.label for u in analysis.useless if u.kind == "shadowed"} == shadowed
    assert {u.label for u in analysis.useless if u.kind == "redundant"} == redundant


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_diff_equals_packet_enumeration(data: st.DataObject) -> None:
    zones = data.draw(zone_sets())
    names = [z.name for z in zones]
    before, after = data.draw(rulesets(names)), data.draw(rulesets(names))
    zone_map = ZoneMap(zones)
    _RESOLVED.clear()
    opened: set[tuple[str, str, int, int]] = set()
    closed: set[tuple[str, str, int, int]] = set()
    for packet in packets():
        was, now = first_match(before, zone_map, packet)[1], first_match(after, zone_map, packet)[1]
        key = (zone_map.zone_of(packet[0]), zone_map.zone_of(packet[1]), packet[2], packet[3])
        if now and not was:
            opened.add(key)
        if was and not now:
            closed.add(key)
    changes = diff(zones, before, after)
    grid = list(itertools.product(PROTOCOLS, PORTS))
    assert {
        (c.source, c.destination, p, q) for c in changes for p, q in grid if c.opened.contains(p, q)
    } == opened
    assert {
        (c.source, c.destination, p, q) for c in changes for p, q in grid if c.closed.contains(p, q)
    } == closed


def test_compile_refuses_unknown_zone() -> None:
    ruleset = RuleSetSpec("fw", "FORWARD", (rule("7", "allow", ("nowhere",), ()),))
    try:
        compile_rules(ruleset, ZoneMap(ZONES))
    except ValueError as exc:
        assert "fw/FORWARD rule 7" in str(exc) and "nowhere" in str(exc)
    else:
        raise AssertionError("an unknown zone was accepted")
