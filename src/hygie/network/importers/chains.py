"""Chains with jumps, as iptables and nftables have them, flattened into the ordered rules of each
base chain (FORWARD, INPUT).

A jump to a user chain puts that chain's rules in its place, each restricted to the jump's
conditions. Conditions the analysis does not model are handled so that the result can only show
more flows open than there are, never fewer: an accepting rule keeps its other conditions, a
dropping one is left out (disabled), with a warning in both cases. A rule limited to established or
related connections opens no new flow: it is kept disabled.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from hygie.core.errors import ContentError, Location
from hygie.network.intervals import IntervalSet
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn
from hygie.network.services import Service

MAX_DEPTH = 16


@dataclass(frozen=True)
class Match:
    """The conditions of one rule; None/empty: any."""

    sources: IntervalSet | None = None
    destinations: IntervalSet | None = None
    services: tuple[Service, ...] = ()
    in_interface: str | None = None
    out_interface: str | None = None
    unsupported: tuple[str, ...] = ()
    established_only: bool = False

    def __and__(self, other: Match) -> Match | None:
        """Both conditions at once (None: no packet meets both)."""
        sources = _meet(self.sources, other.sources)
        destinations = _meet(self.destinations, other.destinations)
        if (sources is not None and not sources) or (destinations is not None and not destinations):
            return None
        services = _meet_services(self.services, other.services)
        if services is None:
            return None
        interfaces = []
        for mine, theirs in (
            (self.in_interface, other.in_interface),
            (self.out_interface, other.out_interface),
        ):
            if mine and theirs and mine != theirs:
                return None
            interfaces.append(mine or theirs)
        return Match(
            sources,
            destinations,
            services,
            interfaces[0],
            interfaces[1],
            self.unsupported + other.unsupported,
            self.established_only or other.established_only,
        )


def _meet(a: IntervalSet | None, b: IntervalSet | None) -> IntervalSet | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _meet_services(a: tuple[Service, ...], b: tuple[Service, ...]) -> tuple[Service, ...] | None:
    if not a:
        return b
    if not b:
        return a
    found: list[Service] = []
    for x in a:
        for y in b:
            if x.protocol is not None and y.protocol is not None and x.protocol != y.protocol:
                continue
            ports = x.ports & y.ports
            if ports:
                found.append(Service(x.protocol if x.protocol is not None else y.protocol, ports))
    return tuple(found) or None


@dataclass(frozen=True)
class ChainRule:
    """A rule of a chain: conditions, then a target (``accept``, ``drop``, ``return``, ``jump:X``,
    ``goto:X`` or ``none`` for LOG, counters…)."""

    match: Match
    target: str
    line: int | None
    where: str  # what errors and labels call it: "FORWARD#3", "rule handle 12"
    comment: str | None = None
    hit_count: int | None = None


@dataclass
class Chains:
    chains: dict[str, list[ChainRule]] = field(default_factory=dict)
    policies: dict[str, Action] = field(default_factory=dict)  # base chain → default action
    warnings: list[str] = field(default_factory=list)


def cidrs(addresses: IntervalSet) -> list[str]:
    out: list[str] = []
    for first, last in addresses:
        for net in ipaddress.summarize_address_range(
            ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
        ):
            out.append(str(net.network_address) if net.prefixlen == 32 else str(net))
    return out


def flatten(chains: Chains, base: str, file_name: str) -> list[RuleIn]:
    """The rules of base chain ``base``, jumps inlined; ContentError on a loop or a missing chain."""
    rules: list[RuleIn] = []
    _inline(chains, base, Match(), "", base, rules, file_name, 0)
    return rules


def _inline(
    chains: Chains,
    chain: str,
    context: Match,
    prefix: str,
    base: str,
    out: list[RuleIn],
    file_name: str,
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise ContentError(
            f"jumps nested more than {MAX_DEPTH} deep (a loop?)", Location(file_name, None, chain)
        )
    for index, rule in enumerate(chains.chains.get(chain, []), start=1):
        label = f"{prefix}{chain}#{index}"
        match = context & rule.match
        if match is None:
            continue
        where = Location(file_name, rule.line, rule.where)
        if rule.target.startswith(("jump:", "goto:")):
            target = rule.target.split(":", 1)[1]
            if target not in chains.chains:
                raise ContentError(f"jump to a chain that does not exist: {target!r}", where)
            _inline(chains, target, match, f"{label}>", base, out, file_name, depth + 1)
            if rule.target.startswith("goto:") and match == context:
                return  # an unconditional goto never comes back
            continue
        if rule.target == "return":
            if match == context:
                return
            chains.warnings.append(
                f"{file_name}:{rule.line or '?'}: conditional RETURN in {chain} not analysed"
            )
            continue
        if rule.target not in ("accept", "drop"):
            continue
        action = Action.ALLOW if rule.target == "accept" else Action.DENY
        disabled = match.established_only
        note = rule.comment
        if match.unsupported:
            text = ", ".join(sorted(set(match.unsupported)))
            chains.warnings.append(
                f"{file_name}:{rule.line or '?'}: {label}: condition(s) not analysed ({text}); "
                + ("taken as broader" if action is Action.ALLOW else "rule left out")
            )
            disabled = disabled or action is Action.DENY
        if match.established_only:
            note = f"{note} (established connections only)" if note else "established connections only"
        out.append(
            RuleIn(
                direction=base,
                label=label,
                action=action,
                sources=cidrs(match.sources) if match.sources is not None else [],
                destinations=cidrs(match.destinations) if match.destinations is not None else [],
                services=[str(s) for s in match.services],
                in_interface=match.in_interface,
                out_interface=match.out_interface,
                comment=note,
                hit_count=rule.hit_count,
                disabled=disabled,
                origin=f"{file_name}:{rule.line}" if rule.line else f"{file_name} ({rule.where})",
            )
        )


def services_of(protocols: list[int | None], ports: IntervalSet | None) -> tuple[Service, ...]:
    """-p and --dport(s) together; ValueError when ports are given without tcp/udp/sctp."""
    if ports is None:
        return tuple(Service(p) for p in protocols if p is not None)
    if not protocols or any(p not in (6, 17, 132) for p in protocols):
        raise ValueError("destination ports need the protocol tcp, udp or sctp")
    return tuple(Service(p, ports) for p in protocols)
