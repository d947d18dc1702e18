"""The segmentation policy (policy.yaml) and its check against the computed reachability. Pure.

A policy rule forbids flows between the zones two selectors pick, on some services; every zone pair
where the matrix still allows part of them is a violation, given with the firewall rules that
allow that part. The exposure section rates what a scan from outside found open; the expiry
section (R18) flags the permits still in place on or after their expiration day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from hygie.core.errors import ContentError, Location
from hygie.frameworks.schema import Text
from hygie.network.intervals import IntervalSet
from hygie.network.reachability import Analysis, ZoneSpec
from hygie.network.services import ServiceCatalogue, ServiceSet, default_catalogue, parse_service

DEFAULT_POLICY = Path(__file__).parent / "policy.yaml"
SEVERITIES = ("critical", "high", "medium", "low", "info")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ZoneSelector(_Strict):
    kinds: tuple[str, ...] = ()
    not_kinds: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def picks(self, zone: ZoneSpec) -> bool:
        return (
            (not self.kinds or zone.kind in self.kinds)
            and zone.kind not in self.not_kinds
            and (not self.names or zone.name in self.names)
        )


class ServiceSelector(_Strict):
    names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()

    def services(self, catalogue: ServiceCatalogue) -> ServiceSet:
        chosen = []
        for name in self.names:
            definition = catalogue.by_name(name)
            if definition is None:
                raise ValueError(f"unknown service {name!r}: not in the catalogue")
            chosen.extend(definition.services())
        for tag in self.tags:
            tagged = catalogue.tagged(tag)
            if not tagged:
                raise ValueError(f"no service of the catalogue has the tag {tag!r}")
            chosen.extend(s for d in tagged for s in d.services())
        chosen.extend(parse_service(p) for p in self.ports)
        return ServiceSet.of(chosen)


class PolicyRule(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    title: Text
    severity: str = Field(pattern="^(critical|high|medium|low|info)$")
    controls: tuple[str, ...] = ()
    source: ZoneSelector = Field(alias="from")
    destination: ZoneSelector = Field(alias="to")
    services: ServiceSelector | None = None
    exceptions: ServiceSelector | None = Field(default=None, alias="except")
    any_service_only: bool = False
    refs: tuple[str, ...] = ()

    def forbidden(self, catalogue: ServiceCatalogue) -> ServiceSet:
        services = self.services.services(catalogue) if self.services else ServiceSet(others=True)
        if self.exceptions:
            services = services - self.exceptions.services(catalogue)
        return services


class ExposurePolicy(_Strict):
    critical: tuple[str, ...] = ()
    high_tags: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()


class ExpiryPolicy(_Strict):
    """R18: a permit with an expiration day (aerleon ``expiration``) is flagged from that day on, as
    aerleon itself stops generating the term on that day."""

    id: str = Field(default="R18", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    title: Text = Text(
        fr="Règle d'ouverture expirée toujours en place", en="Expired permit rule still in place"
    )
    severity: str = Field(default="medium", pattern="^(critical|high|medium|low|info)$")
    controls: tuple[str, ...] = ("TEC-SEGMENT",)
    refs: tuple[str, ...] = ()
    enabled: bool = True


class Policy(_Strict):
    rules: tuple[PolicyRule, ...]
    exposure: ExposurePolicy = ExposurePolicy()
    expiry: ExpiryPolicy = ExpiryPolicy()


def load_policy(path: Path, catalogue: ServiceCatalogue | None = None) -> Policy:
    """A policy file; ContentError naming the file and the field when it is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentError(f"cannot read the policy: {exc.strerror}", Location(path.name)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ContentError(f"not valid YAML: {exc}", Location(path.name, line)) from exc
    try:
        policy = Policy.model_validate(data)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise ContentError(error["msg"], Location(path.name, None, where)) from exc
    for rule in policy.rules:
        try:
            rule.forbidden(catalogue or default_catalogue())
        except ValueError as exc:
            raise ContentError(str(exc), Location(path.name, None, f"rule {rule.id}")) from exc
    return policy


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


@dataclass
class Violation:
    rule: PolicyRule
    source: str
    destination: str
    services: ServiceSet
    allowed_by: dict[str, ServiceSet] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"policy:{self.rule.id}:{self.source}->{self.destination}"


def check(
    policy: Policy, zones: Sequence[ZoneSpec], analysis: Analysis, catalogue: ServiceCatalogue | None = None
) -> list[Violation]:
    """Every (policy rule, zone pair) whose forbidden services the matrix still allows in part."""
    catalogue = catalogue or default_catalogue()
    by_name = {z.name: z for z in zones}
    violations: list[Violation] = []
    for rule in policy.rules:
        forbidden = rule.forbidden(catalogue)
        sources = {name for name, zone in by_name.items() if rule.source.picks(zone)}
        destinations = {name for name, zone in by_name.items() if rule.destination.picks(zone)}
        for (source, destination), flow in analysis.flows.items():
            if source == destination or source not in sources or destination not in destinations:
                continue
            if rule.any_service_only:
                if not (flow.allowed.others and not flow.allowed.by_protocol):
                    continue
                bad = flow.allowed
            else:
                bad = flow.allowed & forbidden
            if not bad:
                continue
            allowed_by = {label: part for label, s in flow.rules.items() if (part := s & bad)}
            violations.append(Violation(rule, source, destination, bad, allowed_by))
    return violations


@dataclass(frozen=True)
class OpenPort:
    address: str
    protocol: str
    port: int
    zone: str
    service: str | None = None
    hostname: str | None = None
    origin: str = "scan"  # "scan" or "inventory"


@dataclass
class Exposure:
    port: OpenPort
    severity: str
    names: list[str]

    @property
    def key(self) -> str:
        return f"exposure:{self.port.address}:{self.port.protocol}/{self.port.port}"


def rate_exposure(
    policy: Policy,
    ports: Sequence[OpenPort],
    zone_kinds: dict[str, str],
    catalogue: ServiceCatalogue | None = None,
) -> list[Exposure]:
    """Open ports seen from outside, rated: the policy's critical services are critical anywhere;
    ``high_tags`` services, and any port outside the DMZ, are high; the rest (a DMZ's web) passes."""
    catalogue = catalogue or default_catalogue()
    critical = {n.upper() for n in policy.exposure.critical}
    high = {d.name for tag in policy.exposure.high_tags for d in catalogue.tagged(tag)}
    found: list[Exposure] = []
    for port in ports:
        number = {"tcp": 6, "udp": 17, "sctp": 132}.get(port.protocol.lower())
        if number is None:
            continue
        names = catalogue.names_of(number, IntervalSet.of(port.port))
        if critical & set(names):
            severity = "critical"
        elif high & set(names) or zone_kinds.get(port.zone) not in ("dmz",):
            severity = "high"
        else:
            continue
        found.append(Exposure(port, severity, names))
    return found


@dataclass(frozen=True)
class DatedRule:
    """What the expiry check needs of a stored rule."""

    firewall: str
    label: str
    allow: bool
    disabled: bool
    expires: date | None
    owner: str | None = None
    origin: str | None = None


@dataclass
class ExpiredRule:
    rule: DatedRule
    days: int  # since the expiration day (0: expires today)

    def key(self, policy: Policy) -> str:
        return f"policy:{policy.expiry.id}:{self.rule.firewall} {self.rule.label}"


def expired_permits(policy: Policy, rules: Iterable[DatedRule], today: date) -> list[ExpiredRule]:
    """R18: the enabled permits whose expiration day is today or past, the oldest first."""
    if not policy.expiry.enabled:
        return []
    found = [
        ExpiredRule(rule, (today - rule.expires).days)
        for rule in rules
        if rule.allow and not rule.disabled and rule.expires is not None and rule.expires <= today
    ]
    return sorted(found, key=lambda e: (-e.days, e.rule.firewall, e.rule.label))
