"""The words of Cisco access-list entries and objects, for IOS and ASA: addresses (``any``,
``host A``, an address and a wildcard mask on IOS or a subnet mask on ASA, ``object``,
``object-group``, ``interface``), protocols, ports (``eq``, ``neq``, ``lt``, ``gt``, ``range``,
names) and the network, service and protocol objects they name.

Wildcard masks are converted exactly: a contiguous one is a prefix; a non-contiguous one
(``10.0.0.1 0.0.255.0``: every ``10.0.x.1``) is expanded into its address blocks when there are at
most ``MAX_WILDCARD_BLOCKS`` of them, and refused with the line beyond. Conditions the analysis does
not model (source ports, ICMP types, time ranges, FQDN objects, DSCP…) are returned as notes: the
caller keeps a permit broader and leaves a deny out, as ``chains`` does for iptables.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from hygie.network.intervals import ALL_PORTS, MAX_PORT, IntervalSet
from hygie.network.reachability import Action
from hygie.network.services import PORTED, Service

MAX_WILDCARD_BLOCKS = 256
MAX_DEPTH = 8

# The port names IOS and ASA print in their configuration (protocol-specific names share numbers).
PORT_NAMES = {
    "aol": 5190, "bgp": 179, "biff": 512, "bootpc": 68, "bootps": 67, "chargen": 19, "cifs": 3020,
    "citrix-ica": 1494, "cmd": 514, "ctiqbe": 2748, "daytime": 13, "discard": 9, "dnsix": 195,
    "domain": 53, "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70,
    "h323": 1720, "hostname": 101, "http": 80, "https": 443, "ident": 113, "imap4": 143,
    "irc": 194, "isakmp": 500, "kerberos": 750, "klogin": 543, "kshell": 544, "ldap": 389,
    "ldaps": 636, "login": 513, "lotusnotes": 1352, "lpd": 515, "mobile-ip": 434,
    "nameserver": 42, "netbios-dgm": 138, "netbios-ns": 137, "netbios-ss": 139,
    "netbios-ssn": 139, "nfs": 2049, "nntp": 119, "non500-isakmp": 4500, "ntp": 123,
    "pcanywhere-data": 5631, "pcanywhere-status": 5632, "pim-auto-rp": 496, "pop2": 109,
    "pop3": 110, "pptp": 1723, "radius": 1645, "radius-acct": 1646, "rip": 520, "rsh": 514,
    "rtsp": 554, "sip": 5060, "smtp": 25, "snmp": 161, "snmptrap": 162, "sqlnet": 1521,
    "ssh": 22, "sunrpc": 111, "syslog": 514, "tacacs": 49, "talk": 517, "telnet": 23,
    "tftp": 69, "time": 37, "uucp": 540, "vxlan": 4789, "who": 513, "whois": 43, "www": 80,
    "xdmcp": 177,
}  # fmt: skip
PROTOCOLS: dict[str, int | None] = {
    "ip": None, "ipv4": None, "icmp": 1, "igmp": 2, "ipinip": 4, "tcp": 6, "udp": 17, "gre": 47,
    "esp": 50, "ahp": 51, "ah": 51, "eigrp": 88, "ospf": 89, "nos": 94, "pim": 103, "pcp": 108,
    "sctp": 132,
}  # fmt: skip
# Words after an entry that say nothing about which packets it matches.
_LOG_WORDS = {
    "disable", "default", "interval", "emergencies", "alerts", "critical", "errors", "warnings",
    "notifications", "informational", "debugging",
}  # fmt: skip
_WITH_VALUE = {"dscp", "precedence", "tos", "option", "time-range", "ttl"}


class Skip(Exception):  # noqa: N818 - a signal, not an error
    """The entry is about something not analysed at all (IPv6): left out, with a note."""


@dataclass
class Ace:
    """One permit/deny entry; ``None``/empty ends and services: any."""

    action: Action
    sources: IntervalSet | None
    destinations: IntervalSet | None
    services: tuple[Service, ...]
    notes: list[str] = field(default_factory=list)
    established: bool = False
    inactive: bool = False
    log: bool = False  # the entry's ``log`` keyword (R19)


def address(text: str) -> int:
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        if ":" in text:
            raise Skip("IPv6") from None
        raise ValueError(f"{text!r} is not an IPv4 address") from None


def wildcard_block(base: int, wildcard: int) -> IntervalSet:
    """The addresses ``base``/``wildcard`` matches (bit set in the wildcard: any), exactly."""
    fixed = base & ~wildcard & 0xFFFFFFFF
    low = wildcard & ~(wildcard + 1)  # the run of 1s at the bottom: one block each
    high_bits = [b for b in range(32) if wildcard >> b & 1 and not low >> b & 1]
    if len(high_bits) > MAX_WILDCARD_BLOCKS.bit_length() - 1:
        raise ValueError(
            f"wildcard mask {ipaddress.IPv4Address(wildcard)} is not contiguous and matches "
            f"{1 << len(high_bits)} separate blocks (more than {MAX_WILDCARD_BLOCKS}): not analysed"
        )
    spans = []
    for combination in range(1 << len(high_bits)):
        start = fixed
        for index, bit in enumerate(high_bits):
            if combination >> index & 1:
                start |= 1 << bit
        spans.append((start, start | low))
    return IntervalSet(spans)


def mask_block(base: int, mask: int) -> IntervalSet:
    """``10.1.0.0 255.255.0.0``; ValueError for a mask that is not a prefix."""
    inverse = ~mask & 0xFFFFFFFF
    if inverse & (inverse + 1):
        raise ValueError(f"{ipaddress.IPv4Address(mask)} is not a subnet mask")
    return IntervalSet.of(base & mask, (base & mask) | inverse)


def port_number(text: str) -> int:
    if text.isdigit() and int(text) <= MAX_PORT:
        return int(text)
    if text.lower() in PORT_NAMES:
        return PORT_NAMES[text.lower()]
    raise ValueError(f"{text!r} is not a port (a number from 0 to 65535 or a Cisco port name)")


def is_port(text: str) -> bool:
    return (text.isdigit() and int(text) <= MAX_PORT) or text.lower() in PORT_NAMES


def protocol_of(text: str) -> int | None:
    word = text.lower()
    if word in PROTOCOLS:
        return PROTOCOLS[word]
    if word.isdigit() and int(word) <= 255:
        return int(word) or None  # 0 is "ip"
    if word in ("ipv6", "icmp6"):
        raise Skip("IPv6")
    raise ValueError(f"{text!r} is not a protocol")


class Words:
    """The words of one line, read left to right."""

    def __init__(self, text: str) -> None:
        self.items = text.split()
        self.at = 0

    def peek(self, ahead: int = 0) -> str | None:
        index = self.at + ahead
        return self.items[index] if index < len(self.items) else None

    def take(self, what: str = "a value") -> str:
        word = self.peek()
        if word is None:
            raise ValueError(f"the line ends where {what} was expected")
        self.at += 1
        return word

    def done(self) -> bool:
        return self.at >= len(self.items)


def read_ports(words: Words) -> IntervalSet | None:
    """``eq P [P…]``, ``neq P``, ``lt P``, ``gt P``, ``range A B`` when next; else None."""
    operator = (words.peek() or "").lower()
    if operator not in ("eq", "neq", "lt", "gt", "range"):
        return None
    words.take()
    if operator == "range":
        first, last = port_number(words.take("a port")), port_number(words.take("a port"))
        if first > last:
            raise ValueError(f"range {first} {last}: the first port is above the last")
        return IntervalSet.of(first, last)
    value = port_number(words.take("a port"))
    if operator == "eq":
        ports = IntervalSet.of(value)
        while (word := words.peek()) is not None and is_port(word):  # IOS: eq 80 443 8080
            ports = ports | IntervalSet.of(port_number(words.take()))
        return ports
    if operator == "neq":
        return ALL_PORTS - IntervalSet.of(value)
    if operator == "lt":
        return IntervalSet.of(0, value - 1) if value else IntervalSet()
    return IntervalSet.of(value + 1, MAX_PORT) if value < MAX_PORT else IntervalSet()


@dataclass
class Block:
    """An object or object-group: its kind (``network``, ``service``…), the protocol its header
    names (ASA port groups), its member lines (line number, text)."""

    kind: str
    line: int
    protocol: str | None = None
    members: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Resolved:
    addresses: IntervalSet | None = None  # None: any (or unknown, with a note)
    notes: list[str] = field(default_factory=list)


class Objects:
    """The objects of one configuration, resolved on demand (nested groups followed, loops refused)."""

    def __init__(self, asa: bool, interfaces: dict[str, int] | None = None) -> None:
        self.asa = asa
        self.blocks: dict[str, Block] = {}
        self.interface_addresses = interfaces or {}

    def block(self, name: str, kinds: tuple[str, ...]) -> Block:
        found = self.blocks.get(name)
        if found is None:
            raise ValueError(f"object {name!r} is not defined")
        if found.kind not in kinds:
            raise ValueError(f"object {name!r} is a {found.kind} object, not {' or '.join(kinds)}")
        return found

    def is_port_group(self, name: str) -> bool:
        found = self.blocks.get(name)
        return found is not None and found.kind == "service" and found.protocol is not None

    # --- addresses ---

    def network(self, name: str, depth: int = 0) -> Resolved:
        if depth > MAX_DEPTH:
            raise ValueError(f"object {name!r} nests too deep (a loop?)")
        block = self.block(name, ("network",))
        result = Resolved(IntervalSet())
        for line, text in block.members:
            words = Words(text)
            head = words.take().lower()
            if head == "description":
                continue
            try:
                part = self._member(head, words, depth)
            except ValueError as exc:
                raise ValueError(f"{exc} (object {name}, line {line})") from None
            result.notes.extend(part.notes)
            if part.addresses is None or result.addresses is None:
                result.addresses = None
            else:
                result.addresses = result.addresses | part.addresses
        return result

    def _member(self, head: str, words: Words, depth: int) -> Resolved:
        if head == "group-object":
            return self.network(words.take("a group name"), depth + 1)
        if head == "network-object":
            if (words.peek() or "").lower() == "object":
                words.take()
                return self.network(words.take("an object name"), depth + 1)
            return Resolved(self.end_addresses(words, mask=True))
        if head == "subnet":
            return Resolved(mask_block(address(words.take()), address(words.take("a mask"))))
        if head == "fqdn":
            return Resolved(None, [f"FQDN object {words.items[-1]}"])
        if head == "range":
            first, last = address(words.take()), address(words.take("an address"))
            if first > last:
                raise ValueError("range: the first address is above the last")
            return Resolved(IntervalSet.of(first, last))
        if head == "nat":
            return Resolved(IntervalSet())
        words.at -= 1
        return Resolved(self.end_addresses(words, mask=True))

    def end_addresses(self, words: Words, *, mask: bool) -> IntervalSet | None:
        """``host A``, ``any``, ``A/n``, ``A MASK`` (``mask``) or ``A WILDCARD``; None for any."""
        word = words.take("an address").lower()
        if word in ("any", "any4"):
            return None
        if word == "any6":
            raise Skip("IPv6")
        if word == "host":
            return IntervalSet.of(address(words.take("an address")))
        if "/" in word:
            try:
                network = ipaddress.IPv4Network(word, strict=False)
            except ValueError:
                raise ValueError(f"{word!r} is not a network") from None
            return IntervalSet.of(int(network.network_address), int(network.broadcast_address))
        base = address(word)
        following = words.peek()
        if following is None or following.count(".") != 3:
            return IntervalSet.of(base)  # a standard entry's lone address
        second = address(words.take())
        return mask_block(base, second) if mask else wildcard_block(base, second)

    def end(self, words: Words) -> Resolved:
        """A source or destination of an entry."""
        word = (words.peek() or "").lower()
        if word == "object-group":
            words.take()
            return self.network(words.take("a group name"))
        if word == "object" and self.asa:
            words.take()
            return self.network(words.take("an object name"))
        if word == "interface" and self.asa:
            words.take()
            name = words.take("an interface name")
            if name not in self.interface_addresses:
                raise ValueError(f"interface {name!r} has no address in the configuration")
            return Resolved(IntervalSet.of(self.interface_addresses[name]))
        return Resolved(self.end_addresses(words, mask=self.asa))

    # --- services ---

    def protocols(self, name: str, depth: int = 0) -> list[int | None]:
        if depth > MAX_DEPTH:
            raise ValueError(f"object {name!r} nests too deep (a loop?)")
        found: list[int | None] = []
        for _, text in self.block(name, ("protocol",)).members:
            words = Words(text)
            head = words.take().lower()
            if head == "protocol-object":
                found.append(protocol_of(words.take("a protocol")))
            elif head == "group-object":
                found.extend(self.protocols(words.take("a group name"), depth + 1))
            elif head != "description":
                raise ValueError(f"unexpected {head!r} in protocol group {name}")
        return found

    def port_group(self, name: str, depth: int = 0) -> tuple[list[int], IntervalSet]:
        """An ASA ``object-group service NAME tcp|udp|tcp-udp``: its protocols and ports."""
        if depth > MAX_DEPTH:
            raise ValueError(f"object {name!r} nests too deep (a loop?)")
        block = self.block(name, ("service",))
        protocols = [6, 17] if block.protocol == "tcp-udp" else [protocol_of(block.protocol or "")]
        ports = IntervalSet()
        for _, text in block.members:
            words = Words(text)
            head = words.take().lower()
            if head == "port-object":
                found = read_ports(words)
                if found is None:
                    raise ValueError(f"port-object without eq/range in group {name}")
                ports = ports | found
            elif head == "group-object":
                ports = ports | self.port_group(words.take("a group name"), depth + 1)[1]
            elif head != "description":
                raise ValueError(f"unexpected {head!r} in service group {name}")
        return [p for p in protocols if p is not None], ports

    def services(self, name: str, depth: int = 0) -> tuple[list[Service], list[str]]:
        """The services of a service object or group (IOS or ASA ``service-object`` style)."""
        if depth > MAX_DEPTH:
            raise ValueError(f"object {name!r} nests too deep (a loop?)")
        block = self.block(name, ("service",))
        if block.protocol is not None:
            protocols, ports = self.port_group(name, depth)
            return [Service(p, ports) for p in protocols], []
        found: list[Service] = []
        notes: list[str] = []
        for line, text in block.members:
            words = Words(text)
            head = words.take().lower()
            if head == "description":
                continue
            try:
                if head == "group-object":
                    more, more_notes = self.services(words.take("a group name"), depth + 1)
                elif head == "service-object" and (words.peek() or "").lower() == "object":
                    words.take()
                    more, more_notes = self.services(words.take("an object name"), depth + 1)
                else:
                    if head not in ("service-object", "service"):
                        words.at -= 1  # IOS: "tcp eq 22"
                    more, more_notes = self.service_line(words)
            except ValueError as exc:
                raise ValueError(f"{exc} (object {name}, line {line})") from None
            found.extend(more)
            notes.extend(more_notes)
        return found, notes

    def service_line(self, words: Words) -> tuple[list[Service], list[str]]:
        """``tcp [source OP…] [destination] [OP…]``, ``icmp [type]``, ``esp``, ``tcp-udp eq 53``."""
        word = words.take("a protocol").lower()
        protocols: list[int | None] = [6, 17] if word == "tcp-udp" else [protocol_of(word)]
        notes: list[str] = []
        ports: IntervalSet | None = None
        while not words.done():
            keyword = (words.peek() or "").lower()
            if keyword == "source":
                words.take()
                if read_ports(words) is None:
                    raise ValueError("source without eq/range")
                notes.append("source port")
            elif keyword == "destination":
                words.take()
                ports = read_ports(words)
                if ports is None:
                    raise ValueError("destination without eq/range")
            elif keyword in ("eq", "neq", "lt", "gt", "range"):
                ports = read_ports(words)
            elif protocols == [1]:
                notes.append(f"ICMP type {words.take()}")
            else:
                raise ValueError(f"unexpected {keyword!r}")
        return with_ports(protocols, ports), notes


def with_ports(protocols: list[int | None], ports: IntervalSet | None) -> list[Service]:
    if ports is None:
        return [Service(p) for p in protocols]
    if any(p not in PORTED for p in protocols):
        raise ValueError("ports need the protocol tcp, udp or sctp")
    return [Service(p, ports) for p in protocols]


def read_ace(text: str, objects: Objects, *, standard: bool = False) -> Ace:
    """``permit|deny PROTOCOL SOURCE [PORTS] DESTINATION [PORTS] [options]`` (or, ``standard``,
    ``permit|deny SOURCE``); ValueError naming the wrong word, Skip for IPv6."""
    words = Words(text)
    verb = words.take("permit or deny").lower()
    if verb not in ("permit", "deny"):
        raise ValueError(f"{verb!r}: an entry starts with permit or deny")
    action = Action.ALLOW if verb == "permit" else Action.DENY
    notes: list[str] = []
    if standard:
        source = objects.end(words)
        ace = Ace(action, source.addresses, None, (), source.notes)
        _options(words, ace, [None])
        return ace
    protocols: list[int | None]
    services: list[Service] | None = None
    word = words.take("a protocol").lower()
    if word in ("object-group", "object"):
        name = words.take("an object name")
        kind = objects.blocks[name].kind if name in objects.blocks else "service"
        if kind == "protocol":
            protocols = objects.protocols(name)
        else:
            services, more = objects.services(name)
            notes.extend(more)
            protocols = [s.protocol for s in services]
    else:
        protocols = [protocol_of(word)]
    ported = bool(protocols) and all(p in PORTED for p in protocols)
    source = objects.end(words)
    if ported and _ports_next(words, objects):
        _read_port_spec(words, objects)
        notes.append("source port")
    destination = objects.end(words)
    ports: IntervalSet | None = None
    if ported and _ports_next(words, objects):
        ports = _read_port_spec(words, objects)
    if services is None:
        services = with_ports(protocols, ports)
    elif ports is not None:
        services = [Service(s.protocol, s.ports & ports) for s in services]
    ace = Ace(action, source.addresses, destination.addresses, tuple(services), notes)
    ace.notes.extend(source.notes + destination.notes)
    _options(words, ace, protocols)
    if any(s.protocol is None for s in services):
        ace.services = ()
    return ace


def _ports_next(words: Words, objects: Objects) -> bool:
    word = (words.peek() or "").lower()
    if word in ("eq", "neq", "lt", "gt", "range"):
        return True
    return word == "object-group" and objects.is_port_group(words.peek(1) or "")


def _read_port_spec(words: Words, objects: Objects) -> IntervalSet:
    if (words.peek() or "").lower() == "object-group":
        words.take()
        return objects.port_group(words.take())[1]
    found = read_ports(words)
    assert found is not None  # _ports_next said so
    return found


def _options(words: Words, ace: Ace, protocols: list[int | None]) -> None:
    first = True
    while not words.done():
        word = words.take().lower()
        if word in ("log", "log-input"):
            ace.log = True
            while (following := (words.peek() or "").lower()) and (
                following in _LOG_WORDS or following.isdigit()
            ):
                words.take()
        elif word == "inactive":
            ace.inactive = True
        elif word == "established":
            ace.established = True
        elif word in _WITH_VALUE:
            value = words.take(f"the value of {word}")
            if word == "ttl" and value in ("eq", "neq", "lt", "gt"):
                value += " " + words.take("a TTL")
            ace.notes.append(f"{word} {value}")
        elif word in ("fragments", "match-any", "match-all") or word.startswith(("+", "-")):
            ace.notes.append(word)
        elif first and protocols == [1] and (word.isdigit() or word.isalpha() or "-" in word):
            ace.notes.append(f"ICMP type {word}")
            if (words.peek() or "").isdigit():  # type code
                words.take()
        elif word == "object-group" and protocols == [1]:
            ace.notes.append(f"ICMP type group {words.take()}")
        else:
            raise ValueError(f"unexpected {word!r}")
        first = False
