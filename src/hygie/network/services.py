"""The catalogue of named services (services.yaml) and the reading of ``tcp/3389``-style services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hygie.network.intervals import ALL_PORTS, EMPTY, IntervalSet, parse_ports

CATALOGUE = Path(__file__).parent / "services.yaml"

PROTOCOLS = {
    "icmp": 1,
    "igmp": 2,
    "tcp": 6,
    "udp": 17,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "ipv6-icmp": 58,
    "sctp": 132,
}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}
# Only these carry ports: a port condition on another protocol never matches.
PORTED = frozenset({6, 17, 132})


@dataclass(frozen=True)
class Service:
    """One protocol (``None``: any) with its destination ports (every port when not ``PORTED``)."""

    protocol: int | None
    ports: IntervalSet = ALL_PORTS

    def __str__(self) -> str:
        if self.protocol is None:
            return "any"
        name = protocol_name(self.protocol)
        if self.protocol not in PORTED or self.ports == ALL_PORTS:
            return name
        return f"{name}/{','.join(str(a) if a == b else f'{a}-{b}' for a, b in self.ports)}"


ANY_SERVICE = Service(None)


def protocol_name(number: int) -> str:
    return PROTOCOL_NAMES.get(number, str(number))


def protocol_number(text: str) -> int | None:
    """``tcp`` → 6, ``17`` → 17, ``any``/``all``/``ip`` → None; ValueError for an unknown name."""
    word = text.strip().lower()
    if word in ("any", "all", "ip", "*", ""):
        return None
    if word.isdigit() and int(word) <= 255:
        return int(word)
    if word in PROTOCOLS:
        return PROTOCOLS[word]
    raise ValueError(f"{text!r} is not a protocol (tcp, udp, icmp, a number from 0 to 255 or any)")


def parse_service(text: str) -> Service:
    """``tcp/3389``, ``udp/161-162``, ``tcp/80,443``, ``icmp``, ``50`` or ``any``."""
    protocol, _, ports = text.strip().partition("/")
    number = protocol_number(protocol)
    if not ports:
        return Service(number)
    if number not in PORTED:
        raise ValueError(f"{text!r}: only tcp, udp and sctp have ports")
    return Service(number, parse_ports(ports))


class ServiceDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_-]*$")
    ports: tuple[str, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()

    def services(self) -> list[Service]:
        return [parse_service(p) for p in self.ports]


class ServiceCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    services: tuple[ServiceDef, ...]

    def by_name(self, name: str) -> ServiceDef | None:
        wanted = name.strip().upper()
        return next((s for s in self.services if s.name == wanted), None)

    def tagged(self, tag: str) -> list[ServiceDef]:
        return [s for s in self.services if tag in s.tags]

    def names_of(self, protocol: int, ports: IntervalSet) -> list[str]:
        """The names of the catalogue services that share a port with ``protocol``/``ports``."""
        found: list[str] = []
        for definition in self.services:
            for service in definition.services():
                if service.protocol == protocol and service.ports & ports:
                    found.append(definition.name)
                    break
        return found


@lru_cache(maxsize=1)
def default_catalogue() -> ServiceCatalogue:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    catalogue = ServiceCatalogue.model_validate(data)
    for definition in catalogue.services:
        definition.services()  # a wrong port in the packaged file fails here, not in a check
    return catalogue


def resolve_service(text: str, catalogue: ServiceCatalogue | None = None) -> list[Service]:
    """A catalogue name (``RDP``) or a literal service (``tcp/3389``) → its services."""
    definition = (catalogue or default_catalogue()).by_name(text) if "/" not in text else None
    if definition is not None:
        return definition.services()
    return [parse_service(text)]


class ServiceSet:
    """A set of (protocol, destination port) pairs: ports per protocol named in ``by_protocol``,
    and ``others``: whether every protocol not named there is in the set (on every port).

    A protocol without ports (ICMP, ESP…) is in the set with ``ALL_PORTS`` or out of it."""

    __slots__ = ("by_protocol", "others")

    def __init__(self, by_protocol: dict[int, IntervalSet] | None = None, others: bool = False) -> None:
        self.others = others
        kept: dict[int, IntervalSet] = {}
        for protocol, ports in (by_protocol or {}).items():
            if protocol not in PORTED and ports:
                ports = ALL_PORTS
            if (others and ports != ALL_PORTS) or (not others and ports):
                kept[protocol] = ports
        self.by_protocol = kept

    def ports_of(self, protocol: int) -> IntervalSet:
        if protocol in self.by_protocol:
            return self.by_protocol[protocol]
        return ALL_PORTS if self.others else EMPTY

    def _combine(self, other: ServiceSet, how: str) -> ServiceSet:
        if how == "and" and (not self or not other):
            return ServiceSet()
        keys = self.by_protocol.keys() | other.by_protocol.keys()
        if how == "or":
            values = {k: self.ports_of(k) | other.ports_of(k) for k in keys}
            return ServiceSet(values, self.others or other.others)
        if how == "and":
            values = {k: self.ports_of(k) & other.ports_of(k) for k in keys}
            return ServiceSet(values, self.others and other.others)
        values = {k: self.ports_of(k) - other.ports_of(k) for k in keys}
        return ServiceSet(values, self.others and not other.others)

    def __or__(self, other: ServiceSet) -> ServiceSet:
        return self._combine(other, "or")

    def __and__(self, other: ServiceSet) -> ServiceSet:
        return self._combine(other, "and")

    def __sub__(self, other: ServiceSet) -> ServiceSet:
        return self._combine(other, "sub")

    def __bool__(self) -> bool:
        return self.others or bool(self.by_protocol)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ServiceSet)
            and self.others == other.others
            and self.by_protocol == other.by_protocol
        )

    def __hash__(self) -> int:
        return hash((self.others, tuple(sorted(self.by_protocol.items()))))

    def __repr__(self) -> str:
        return f"ServiceSet({self.describe()})"

    def contains(self, protocol: int, port: int) -> bool:
        return port in self.ports_of(protocol)

    @classmethod
    def of(cls, services: list[Service]) -> ServiceSet:
        result = cls()
        for service in services:
            if service.protocol is None:
                return cls(others=True)
            result = result | cls({service.protocol: service.ports})
        return result

    def services(self) -> list[Service]:
        """The set as services, protocol by protocol; ``others`` adds ``Service(None)``."""
        found = [Service(p, ports) for p, ports in sorted(self.by_protocol.items()) if ports]
        return [*found, ANY_SERVICE] if self.others else found

    def describe(self, catalogue: ServiceCatalogue | None = None) -> str:
        """``tcp/22,3389 (SSH, RDP); udp/53 (DNS)``; ``any`` when every protocol and port is in."""
        if self.others and not self.by_protocol:
            return "any"
        parts: list[str] = []
        for service in self.services():
            if service.protocol is None:
                parts.append("other protocols")
                continue
            names = (catalogue or default_catalogue()).names_of(service.protocol, service.ports)
            parts.append(f"{service} ({', '.join(names)})" if names else str(service))
        if self.others and any(ports != ALL_PORTS for ports in self.by_protocol.values()):
            excluded = [Service(p, ALL_PORTS - ports) for p, ports in sorted(self.by_protocol.items())]
            return "any except " + "; ".join(str(s) for s in excluded)
        return "; ".join(parts)
