"""What can reach what, exactly: first match wins in each rule set, default action otherwise.

Pure: zones and rules come in as plain specs, results go out as plain objects; no database.

The packet space is source address × destination address × protocol × destination port. Addresses
are cut into *atoms*: the largest runs of addresses that belong to the same zone and that every rule
either matches entirely or not at all (found with a sweep over the rules' boundaries; a rule's set of
matching entries is a bit set). Two addresses of one atom are treated alike by every rule, so the
decision of a whole atom pair is computed once, over protocol × port, with interval sets: nothing is
sampled, and atom pairs matched by the same rules share one computation.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hygie.network.intervals import ALL_ADDRESSES, ALL_PORTS, MAX_IPV4, IntervalSet, parse_network
from hygie.network.services import PORTED, Service, ServiceSet

UNZONED = "(unzoned)"
OTHER = -1  # the protocols no rule names: one class, treated alike by every rule


class Action(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True)
class ZoneSpec:
    """A zone and its networks. A zone of kind ``internet`` without networks is everything that no
    other zone holds; otherwise an address belongs to the zone of its most specific network."""

    name: str
    kind: str
    networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """One rule. ``sources``/``destinations`` hold zone names, networks (CIDR, address, range) or are
    empty for any; ``services`` empty for any; interfaces restrict to the zone they face."""

    label: str
    action: Action
    sources: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()
    src_negated: bool = False
    dst_negated: bool = False
    in_interface: str | None = None
    out_interface: str | None = None
    disabled: bool = False
    comment: str = ""
    log: bool | None = None  # whether the rule logs what it matches; None: the file does not say


@dataclass(frozen=True)
class RuleSetSpec:
    """The ordered rules of one firewall in one direction (a chain, an interface's inbound rules)."""

    firewall: str
    direction: str
    rules: tuple[RuleSpec, ...]
    default: Action = Action.DENY
    interfaces: Mapping[str, str] = field(default_factory=dict)  # interface → zone name

    @property
    def label(self) -> str:
        return f"{self.firewall}/{self.direction}"

    @property
    def local(self) -> bool:
        """Rules for packets to the firewall itself (iptables/nftables INPUT): their destination is
        the firewall, shown as a column of its own, whatever addresses the rules name."""
        return self.direction.upper().startswith("INPUT")


class ZoneMap:
    """Each zone's effective addresses (most specific network wins)."""

    def __init__(self, zones: Sequence[ZoneSpec]) -> None:
        self.zones = {z.name: z for z in zones}
        claims: list[tuple[int, IntervalSet, str]] = []
        for zone in zones:
            networks = zone.networks or (("0.0.0.0/0",) if zone.kind == "internet" else ())
            for network in networks:
                addresses = parse_network(network)
                claims.append((addresses.size(), addresses, zone.name))
        claims.sort(key=lambda c: -c[0])
        bounds = sorted({0, MAX_IPV4 + 1} | {b for _, a, _ in claims for lo, hi in a for b in (lo, hi + 1)})
        owner: list[str | None] = [None] * (len(bounds) - 1)
        for _, addresses, name in claims:
            for first, last in addresses:
                for i in range(bisect.bisect_left(bounds, first), bisect.bisect_left(bounds, last + 1)):
                    owner[i] = name
        self.bounds = bounds
        self.owner = owner
        spans: dict[str, list[tuple[int, int]]] = {}
        for i, held in enumerate(owner):
            spans.setdefault(held or UNZONED, []).append((bounds[i], bounds[i + 1] - 1))
        self.addresses = {name: IntervalSet(s) for name, s in spans.items()}

    def of(self, name: str) -> IntervalSet:
        return self.addresses.get(name, IntervalSet())

    def resolve(self, items: Iterable[str]) -> IntervalSet:
        """Zone names and networks → addresses; nothing → every address. ValueError when unknown."""
        result = IntervalSet()
        empty = True
        for item in items:
            empty = False
            if item in self.zones:
                result = result | self.of(item)
            else:
                try:
                    result = result | parse_network(item)
                except ValueError:
                    raise ValueError(f"{item!r} is neither a zone nor a network") from None
        return ALL_ADDRESSES if empty else result

    def zone_of(self, address: int) -> str:
        index = bisect.bisect_right(self.bounds, address) - 1
        return self.owner[index] or UNZONED


@dataclass(frozen=True)
class Entry:
    """One product of a rule: source × destination × one service."""

    rule: int  # index in the rule set
    allow: bool
    sources: IntervalSet
    destinations: IntervalSet
    protocol: int | None
    ports: IntervalSet


def compile_rules(ruleset: RuleSetSpec, zones: ZoneMap) -> list[Entry]:
    """The entries of the enabled rules, in order; ValueError naming the rule when one is wrong."""
    entries: list[Entry] = []
    for index, rule in enumerate(ruleset.rules):
        if rule.disabled:
            continue
        try:
            sources = zones.resolve(rule.sources)
            destinations = zones.resolve(rule.destinations)
        except ValueError as exc:
            raise ValueError(f"{ruleset.label} rule {rule.label}: {exc}") from None
        if rule.src_negated:
            sources = sources.complement(MAX_IPV4)
        if rule.dst_negated:
            destinations = destinations.complement(MAX_IPV4)
        for interface, side in ((rule.in_interface, "in"), (rule.out_interface, "out")):
            zone = ruleset.interfaces.get(interface) if interface else None
            if zone is not None and zone in zones.zones:  # an interface facing no known zone: any
                if side == "in":
                    sources = sources & zones.of(zone)
                else:
                    destinations = destinations & zones.of(zone)
        for service in rule.services or (Service(None),):
            if service.protocol is None and service.ports != ALL_PORTS:
                raise ValueError(f"{ruleset.label} rule {rule.label}: ports without a protocol")
            entries.append(
                Entry(
                    index, rule.action is Action.ALLOW, sources, destinations, service.protocol, service.ports
                )
            )
    return entries


@dataclass
class Atom:
    zone: str
    addresses: IntervalSet
    bits: int


def atoms(zones: ZoneMap, sets: Sequence[IntervalSet]) -> list[Atom]:
    """The address atoms for these sets (bit i set when the atom lies in ``sets[i]``)."""
    points = set(zones.bounds)
    for addresses in sets:
        for first, last in addresses:
            points.add(first)
            points.add(last + 1)
    bounds = sorted(points)
    delta = [0] * len(bounds)
    for bit, addresses in enumerate(sets):
        mask = 1 << bit
        for first, last in addresses:
            delta[bisect.bisect_left(bounds, first)] ^= mask
            delta[bisect.bisect_left(bounds, last + 1)] ^= mask
    grouped: dict[tuple[str, int], list[tuple[int, int]]] = {}
    bits = 0
    for i in range(len(bounds) - 1):
        bits ^= delta[i]
        first, last = bounds[i], bounds[i + 1] - 1
        key = (zones.zone_of(first), bits)
        grouped.setdefault(key, []).append((first, last))
    return [Atom(zone, IntervalSet(spans), bits) for (zone, bits), spans in grouped.items()]


@dataclass
class PairResult:
    """The decision over protocol × port for one atom pair."""

    allowed: ServiceSet
    by_rule: dict[int, ServiceSet]  # allowing rule → what it decides to allow here
    effective: set[int]  # rules that decide something here
    covered_by: dict[int, set[int]]  # rule that decides nothing here → earlier rules that overlap it
    not_redundant: set[int]  # rules whose removal would change a decision here


def _classes(entries: Sequence[Entry]) -> list[int]:
    return [*sorted({e.protocol for e in entries if e.protocol is not None}), OTHER]


def _matches(entry: Entry, protocol: int) -> IntervalSet | None:
    """The ports of ``entry`` in protocol class ``protocol`` (None: it does not match the class)."""
    if entry.protocol is not None and entry.protocol != protocol:
        return None
    if protocol in PORTED:
        return entry.ports
    return ALL_PORTS if entry.ports == ALL_PORTS else None


def decide(entries: Sequence[Entry], default_allow: bool) -> PairResult:
    """First match over protocol × port for entries that all match the atom pair, in order."""
    classes = _classes(entries)
    remaining = dict.fromkeys(classes, ALL_PORTS)
    pieces: list[tuple[int, int, IntervalSet]] = []  # (entry index, class, ports it decides)
    effective: set[int] = set()
    overlapped: dict[int, set[int]] = {}
    for position, entry in enumerate(entries):
        decided = False
        for protocol in classes:
            ports = _matches(entry, protocol)
            if ports is None:
                continue
            mine = remaining[protocol] & ports
            if mine:
                pieces.append((position, protocol, mine))
                remaining[protocol] = remaining[protocol] - mine
                decided = True
        if decided:
            effective.add(entry.rule)
        else:
            overlapped.setdefault(entry.rule, set()).update(
                entries[p].rule
                for p, c, ports in pieces
                if entries[p].rule != entry.rule and (m := _matches(entry, c)) is not None and m & ports
            )
    allowed: dict[int, IntervalSet] = {}
    by_rule: dict[int, dict[int, IntervalSet]] = {}
    not_redundant: set[int] = set()
    for position, protocol, ports in pieces:
        entry = entries[position]
        if entry.allow:
            allowed[protocol] = allowed.get(protocol, IntervalSet()) | ports
            per = by_rule.setdefault(entry.rule, {})
            per[protocol] = per.get(protocol, IntervalSet()) | ports
        if entry.rule in not_redundant:
            continue
        if _differs_without(entries, position, protocol, ports, default_allow):
            not_redundant.add(entry.rule)
    if default_allow:
        for protocol, ports in remaining.items():
            if ports:
                allowed[protocol] = allowed.get(protocol, IntervalSet()) | ports
    covered = {rule: by for rule, by in overlapped.items() if rule not in effective}
    return PairResult(
        allowed=_service_set(allowed, classes),
        by_rule={rule: _service_set(per, classes) for rule, per in by_rule.items()},
        effective=effective,
        covered_by=covered,
        not_redundant=not_redundant,
    )


def _service_set(per_class: dict[int, IntervalSet], classes: list[int]) -> ServiceSet:
    """Ports per class → a ServiceSet (a class left out holds nothing, even when others do)."""
    others = bool(per_class.get(OTHER))
    return ServiceSet({p: per_class.get(p, IntervalSet()) for p in classes if p != OTHER}, others)


def _differs_without(
    entries: Sequence[Entry], position: int, protocol: int, ports: IntervalSet, default_allow: bool
) -> bool:
    """Whether the packets the entry decides would get another decision without its rule."""
    entry = entries[position]
    left = ports
    for later in entries[position + 1 :]:
        if later.rule == entry.rule:
            continue
        matched = _matches(later, protocol)
        if matched is None:
            continue
        part = left & matched
        if part:
            if later.allow != entry.allow:
                return True
            left = left - part
            if not left:
                return False
    return bool(left) and default_allow != entry.allow


@dataclass
class ZoneFlow:
    """What one zone may open towards another, and which rules allow it."""

    source: str
    destination: str
    allowed: ServiceSet
    rules: dict[str, ServiceSet] = field(default_factory=dict)  # rule label → services it allows


@dataclass
class RuleFinding:
    label: str
    ruleset: str
    kind: str  # "shadowed" or "redundant"
    by: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    """The zone × zone matrix (allowed services and their rules), and the useless rules."""

    flows: dict[tuple[str, str], ZoneFlow] = field(default_factory=dict)
    useless: list[RuleFinding] = field(default_factory=list)
    atom_pairs: int = 0
    computed: int = 0

    def add(self, source: str, destination: str, allowed: ServiceSet, rules: dict[str, ServiceSet]) -> None:
        flow = self.flows.get((source, destination))
        if flow is None:
            self.flows[(source, destination)] = ZoneFlow(source, destination, allowed, dict(rules))
            return
        flow.allowed = flow.allowed | allowed
        for label, services in rules.items():
            known = flow.rules.get(label)
            flow.rules[label] = services if known is None else known | services

    def allowed(self, source: str, destination: str) -> ServiceSet:
        flow = self.flows.get((source, destination))
        return flow.allowed if flow is not None else ServiceSet()


def _pair_results(
    entries: Sequence[Entry], zones: ZoneMap, default_allow: bool, local: str | None = None
) -> tuple[dict[tuple[str, str], list[PairResult]], int, int]:
    """The distinct decisions met in each zone pair. Atom pairs matched by no entry get the
    default's (skipped when it denies); atom pairs matched by the same entries share one decision."""
    sources = atoms(zones, [e.sources for e in entries])
    destinations = atoms(zones, [e.destinations for e in entries])
    dst_bits = [d.bits for d in destinations]
    cache: dict[int, PairResult] = {}
    seen: dict[tuple[str, str], dict[int, PairResult]] = {}
    for source in sources:
        src_bits = source.bits
        for j, bits in enumerate([src_bits & d for d in dst_bits]):
            if not bits and not default_allow:
                continue
            result = cache.get(bits)
            if result is None:
                chosen = [entries[i] for i in _bit_indexes(bits)]
                result = cache[bits] = decide(chosen, default_allow)
            seen.setdefault((source.zone, local or destinations[j].zone), {})[bits] = result
    pairs = {pair: list(results.values()) for pair, results in seen.items()}
    return pairs, len(sources) * len(destinations), len(cache)


def _bit_indexes(bits: int) -> list[int]:
    found: list[int] = []
    while bits:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return found


def analyse_ruleset(ruleset: RuleSetSpec, zones: ZoneMap, into: Analysis | None = None) -> Analysis:
    """The flows one rule set allows between zones, and its shadowed and redundant rules."""
    analysis = into if into is not None else Analysis()
    entries = compile_rules(ruleset, zones)
    default_allow = ruleset.default is Action.ALLOW
    local = f"{ruleset.firewall} (self)" if ruleset.local else None
    pairs, count, computed = _pair_results(entries, zones, default_allow, local)
    analysis.atom_pairs += count
    analysis.computed += computed
    labels = [rule.label for rule in ruleset.rules]
    effective: set[int] = set()
    covered: dict[int, set[int]] = {}
    needed: set[int] = set()
    seen: set[int] = set()
    for (source, destination), results in pairs.items():
        for result in results:
            if id(result) not in seen:
                seen.add(id(result))
                effective |= result.effective
                needed |= result.not_redundant
                for rule, by in result.covered_by.items():
                    covered.setdefault(rule, set()).update(by)
            if result.allowed:
                rules = {labels[i]: services for i, services in result.by_rule.items()}
                analysis.add(source, destination, result.allowed, rules)
    for index in sorted({e.rule for e in entries}):
        if index not in effective:
            names = [labels[i] for i in sorted(covered.get(index, set()))]
            analysis.useless.append(RuleFinding(labels[index], ruleset.label, "shadowed", names))
        elif index not in needed:
            analysis.useless.append(RuleFinding(labels[index], ruleset.label, "redundant"))
    return analysis


def analyse(zones: Sequence[ZoneSpec], rulesets: Sequence[RuleSetSpec]) -> Analysis:
    """The matrix over every rule set (a flow is open when one rule set lets it through: without
    the topology, each firewall is taken as the one between the zones it filters)."""
    zone_map = ZoneMap(zones)
    analysis = Analysis()
    for ruleset in rulesets:
        analyse_ruleset(ruleset, zone_map, analysis)
    return analysis


@dataclass
class FlowChange:
    source: str
    destination: str
    opened: ServiceSet
    closed: ServiceSet
    opened_by: dict[str, ServiceSet] = field(default_factory=dict)  # new rule label → what it opens


def diff(zones: Sequence[ZoneSpec], before: RuleSetSpec, after: RuleSetSpec) -> list[FlowChange]:
    """What ``after`` opens and closes compared with ``before``, per zone pair, exactly: the two rule
    sets are cut into the same atoms and compared atom pair by atom pair."""
    zone_map = ZoneMap(zones)
    old = compile_rules(before, zone_map)
    new = compile_rules(after, zone_map)
    both = [*old, *new]
    sources = atoms(zone_map, [e.sources for e in both])
    destinations = atoms(zone_map, [e.destinations for e in both])
    old_mask = (1 << len(old)) - 1
    labels = [rule.label for rule in after.rules]
    cache: dict[tuple[int, int], tuple[ServiceSet, ServiceSet, dict[str, ServiceSet]]] = {}
    changes: dict[tuple[str, str], FlowChange] = {}
    for source in sources:
        for destination in destinations:
            bits = source.bits & destination.bits
            key = (bits & old_mask, bits >> len(old))
            if key not in cache:
                was = decide([old[i] for i in _bit_indexes(key[0])], before.default is Action.ALLOW)
                now = decide([new[i] for i in _bit_indexes(key[1])], after.default is Action.ALLOW)
                opened, closed = now.allowed - was.allowed, was.allowed - now.allowed
                by = {labels[i]: s & opened for i, s in now.by_rule.items() if s & opened}
                cache[key] = (opened, closed, by)
            opened, closed, by = cache[key]
            if not opened and not closed:
                continue
            change = changes.setdefault(
                (source.zone, destination.zone),
                FlowChange(source.zone, destination.zone, ServiceSet(), ServiceSet()),
            )
            change.opened = change.opened | opened
            change.closed = change.closed | closed
            for label, services in by.items():
                known = change.opened_by.get(label)
                change.opened_by[label] = services if known is None else known | services
    return sorted(changes.values(), key=lambda c: (c.source, c.destination))
