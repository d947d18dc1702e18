"""pfSense and OPNsense ``config.xml``: the filter rules, the aliases, the interfaces' subnets.

Rules are read per interface (inbound on it, pfSense's model), the floating rules first in each
(taken as "quick"); pass → allow, block and reject → deny, the default denies. Sources and
destinations: ``any``, an interface's subnet (``lan``, ``opt1``), its address (``lanip``), an
address, a network or a host/network alias (nested aliases resolved); ``not`` negates. Ports: a
port, a range ``80:90`` or ``80-90``, or a port alias. Disabled rules are kept, disabled. The XML is
read with defusedxml: entities and external references are refused.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import parse_xml
from hygie.network.importers.chains import cidrs
from hygie.network.intervals import MAX_IPV4, IntervalSet, parse_network, parse_ports
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn
from hygie.network.services import Service

_PROTOCOLS = {"tcp": [6], "udp": [17], "tcp/udp": [6, 17], "icmp": [1], "esp": [50], "gre": [47], "ah": [51]}


def _text(element: Element | None, tag: str) -> str | None:
    found = element.find(tag) if element is not None else None
    return (found.text or "").strip() if found is not None else None


class _Config:
    def __init__(self, root: Element) -> None:
        self.subnets: dict[str, IntervalSet] = {}
        self.addresses: dict[str, IntervalSet] = {}
        self.names: dict[str, str] = {}  # interface → its description
        interfaces = root.find("interfaces")
        for interface in interfaces if interfaces is not None else []:
            address, bits = _text(interface, "ipaddr"), _text(interface, "subnet")
            self.names[interface.tag] = _text(interface, "descr") or interface.tag
            if address and bits and address[0].isdigit():
                self.subnets[interface.tag] = parse_network(f"{address}/{bits}")
                self.addresses[interface.tag] = parse_network(address)
        self.aliases: dict[str, tuple[str, list[str]]] = {}
        for alias in root.iter("alias"):
            name = _text(alias, "name")
            if name:
                self.aliases[name] = (_text(alias, "type") or "host", (_text(alias, "address") or "").split())

    def addresses_of(self, value: str, depth: int = 0) -> IntervalSet:
        if depth > 8:
            raise ValueError(f"alias {value!r} nests too deep (a loop?)")
        if value in self.aliases:
            kind, members = self.aliases[value]
            if kind not in ("host", "network"):
                raise ValueError(f"alias {value!r} is a {kind} alias, not addresses")
            result = IntervalSet()
            for member in members:
                result = result | self.addresses_of(member, depth + 1)
            return result
        if value in self.subnets:
            return self.subnets[value]
        if value.endswith("ip") and value[:-2] in self.addresses:
            return self.addresses[value[:-2]]
        return parse_network(value)

    def ports_of(self, value: str, depth: int = 0) -> IntervalSet:
        if value in self.aliases:
            kind, members = self.aliases[value]
            if kind != "port":
                raise ValueError(f"alias {value!r} is a {kind} alias, not ports")
            result = IntervalSet()
            for member in members:
                result = result | (self.ports_of(member, depth + 1) if depth < 8 else parse_ports(member))
            return result
        return parse_ports(value)

    def end(self, element: Element | None) -> tuple[IntervalSet | None, IntervalSet | None]:
        """(addresses or None for any, ports or None for any) of a <source>/<destination>."""
        if element is None or element.find("any") is not None:
            addresses = None
        elif (network := _text(element, "network")) is not None:
            if network in ("(self)", "this firewall"):
                raise ValueError("'this firewall' as an end is not analysed")
            addresses = self.addresses_of(network.removesuffix("net") if network.endswith("net") else network)
        elif (address := _text(element, "address")) is not None:
            addresses = self.addresses_of(address)
        else:
            addresses = None
        if addresses is not None and element is not None and element.find("not") is not None:
            addresses = addresses.complement(MAX_IPV4)
        port = _text(element, "port")
        return addresses, self.ports_of(port) if port else None


def parse(path: Path) -> tuple[list[RuleIn], dict[str, Action], list[str]]:
    """The rules (per interface, the floating ones first in each), each direction's default, and
    warnings; ImportRejectedError naming every bad rule."""
    root = parse_xml(path, allow_doctype=False)
    if root.tag not in ("pfsense", "opnsense"):
        raise ContentError(
            "not a pfSense or OPNsense configuration (root is not <pfsense>/<opnsense>)", Location(path.name)
        )
    config = _Config(root)
    filter_ = root.find("filter")
    rules: list[RuleIn] = []
    problems: list[ContentError] = []
    warnings: list[str] = []
    counters: dict[str, int] = {}
    elements = list(filter_.findall("rule")) if filter_ is not None else []
    # floating rules are evaluated before the interfaces' own
    elements.sort(key=lambda e: 0 if _text(e, "floating") == "yes" else 1)
    for number, element in enumerate(elements, start=1):
        description = _text(element, "descr") or ""
        where = Location(
            path.name, None, f"rule {number}" + (f" ({description[:60]})" if description else "")
        )
        floating = _text(element, "floating") == "yes"
        interface = _text(element, "interface") or ""
        direction = "floating" if floating else interface
        if _text(element, "ipprotocol") == "inet6":
            warnings.append(f"{path.name}: rule {number}: IPv6 rule not analysed")
            continue
        kind = _text(element, "type") or "pass"
        try:
            if kind not in ("pass", "block", "reject", "match"):
                raise ValueError(f"unknown rule type {kind!r}")
            if kind == "match":
                continue
            sources, _ = config.end(element.find("source"))
            destinations, ports = config.end(element.find("destination"))
            protocol = _text(element, "protocol")
            numbers = _PROTOCOLS.get(protocol or "") if protocol else []
            if numbers is None:
                raise ValueError(f"unknown protocol {protocol!r}")
            if ports is not None and not numbers:
                raise ValueError("destination ports without the protocol tcp or udp")
            services = [Service(p, ports) if ports is not None else Service(p) for p in numbers]
            counters[direction] = counters.get(direction, 0) + 1
            rules.append(
                RuleIn(
                    direction=direction,
                    label=f"{direction}#{counters[direction]}",
                    action=Action.ALLOW if kind == "pass" else Action.DENY,
                    sources=cidrs(sources) if sources is not None else [],
                    destinations=cidrs(destinations) if destinations is not None else [],
                    services=[str(s) for s in services],
                    in_interface=None if floating else interface,
                    comment=description or None,
                    disabled=element.find("disabled") is not None,
                    origin=f"{path.name} (rule {number})",
                )
            )
        except ValueError as exc:
            problems.append(ContentError(str(exc), where))
    if problems:
        raise ImportRejectedError(path.name, problems)
    first = [r for r in rules if r.direction == "floating"]
    ordered: list[RuleIn] = []
    for direction in dict.fromkeys(r.direction for r in rules if r.direction != "floating"):
        ordered.extend(r.model_copy(update={"direction": direction}) for r in first)
        ordered.extend(r for r in rules if r.direction == direction)
    if not ordered:
        ordered = first
    policies = dict.fromkeys((r.direction for r in ordered), Action.DENY)
    return ordered, policies, warnings
