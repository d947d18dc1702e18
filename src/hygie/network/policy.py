"""The segmentation policy (policy.yaml) and its check against the computed reachability. Pure.

A policy rule forbids flows between the zones two selectors pick, on some services; every zone pair
where the matrix still allows part of them is a violation, given with the firewall rules that
allow that part. The exposure section rates what a scan from outside found open; the expiry
section (R18) flags the permits still in place on or after their expiration day.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from hygie.core.errors import ContentError, Location
from hygie.core.i18n import N_, gettext
from hygie.frameworks.schema import Text
from hygie.network.intervals import IntervalSet, format_addresses, parse_network
from hygie.network.reachability import Analysis, RuleSpec, ZoneMap, ZoneSpec
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


class RuleHead(_Strict):
    """What every check of the policy has: how findings name, rate and tie it to controls."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    title: Text
    severity: str = Field(pattern="^(critical|high|medium|low|info)$")
    controls: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()


class PolicyRule(RuleHead):
    source: ZoneSelector = Field(alias="from")
    destination: ZoneSelector = Field(alias="to")
    services: ServiceSelector | None = None
    exceptions: ServiceSelector | None = Field(default=None, alias="except")
    any_service_only: bool = False

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


class LoggingRule(RuleHead):
    """R19: the rules that let one zone into a zone ``to`` picks must log what they let through.
    A rule whose importer does not say whether it logs (``log`` None) is not judged."""

    source: ZoneSelector = Field(default=ZoneSelector(), alias="from")
    destination: ZoneSelector = Field(alias="to")


class Waiver(_Strict):
    """An exception record: a flow the policy would report, accepted for a stated reason, until a
    date when given (an expired record no longer covers anything)."""

    source: tuple[str, ...] = Field(default=(), alias="from")  # zone names; empty: any
    destination: tuple[str, ...] = Field(default=(), alias="to")
    services: ServiceSelector
    reason: str = Field(min_length=3, max_length=500)
    owner: str | None = None
    until: date | None = None

    def covers(self, source: str, destination: str, today: date | None) -> bool:
        return (
            (not self.source or source in self.source)
            and (not self.destination or destination in self.destination)
            and (self.until is None or today is None or today <= self.until)
        )


class CleartextRule(RuleHead):
    """R20: cleartext or legacy protocols between zones, each flow needing an exception record."""

    source: ZoneSelector = Field(default=ZoneSelector(), alias="from")
    destination: ZoneSelector = Field(default=ZoneSelector(), alias="to")
    services: ServiceSelector
    exceptions: tuple[Waiver, ...] = ()


class MappingRule(RuleHead):
    """R26: each network of the zone file in exactly one zone, and every internal network a rule
    names inside a zone (not left to the internet's catch-all)."""

    internal: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


class PlacementRule(RuleHead):
    """R27: every inventoried medical device has its addresses in a zone of these kinds."""

    kinds: tuple[str, ...]


class Policy(_Strict):
    rules: tuple[PolicyRule, ...]
    exposure: ExposurePolicy = ExposurePolicy()
    expiry: ExpiryPolicy = ExpiryPolicy()
    logging: tuple[LoggingRule, ...] = ()
    cleartext: tuple[CleartextRule, ...] = ()
    mapping: tuple[MappingRule, ...] = ()
    placement: tuple[PlacementRule, ...] = ()


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
    for extra in policy.cleartext:
        try:
            extra.services.services(catalogue or default_catalogue())
            for waiver in extra.exceptions:
                waiver.services.services(catalogue or default_catalogue())
        except ValueError as exc:
            raise ContentError(str(exc), Location(path.name, None, f"rule {extra.id}")) from exc
    for placement in (*policy.mapping, *policy.placement):
        try:
            for network in getattr(placement, "internal", ()):
                parse_network(network)
        except ValueError as exc:
            raise ContentError(str(exc), Location(path.name, None, f"rule {placement.id}")) from exc
    return policy


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


@dataclass
class Violation:
    rule: RuleHead
    source: str
    destination: str
    services: ServiceSet
    allowed_by: dict[str, ServiceSet] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"policy:{self.rule.id}:{self.source}->{self.destination}"


def check(
    policy: Policy,
    zones: Sequence[ZoneSpec],
    analysis: Analysis,
    catalogue: ServiceCatalogue | None = None,
    *,
    rules: Mapping[str, RuleSpec] | None = None,
    today: date | None = None,
) -> list[Violation]:
    """Every (policy rule, zone pair) whose forbidden services the matrix still allows in part;
    then the flows into critical zones through rules that do not log (R19: ``rules`` by label
    tells whether each logs) and the cleartext flows no exception record covers (R20)."""
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
    violations += _unlogged(policy.logging, by_name, analysis, rules or {})
    violations += _cleartext(policy.cleartext, by_name, analysis, catalogue, today)
    return violations


def _pairs(
    source: ZoneSelector, destination: ZoneSelector, by_name: Mapping[str, ZoneSpec], analysis: Analysis
) -> list[tuple[str, str]]:
    """The inter-zone flows of the matrix between the zones the selectors pick."""
    return [
        (s, d)
        for s, d in sorted(analysis.flows)
        if s != d
        and s in by_name
        and d in by_name
        and source.picks(by_name[s])
        and destination.picks(by_name[d])
    ]


def _unlogged(
    checks: Sequence[LoggingRule],
    by_name: Mapping[str, ZoneSpec],
    analysis: Analysis,
    rules: Mapping[str, RuleSpec],
) -> list[Violation]:
    found: list[Violation] = []
    for rule in checks:
        for source, destination in _pairs(rule.source, rule.destination, by_name, analysis):
            flow = analysis.flows[(source, destination)]
            silent = {
                label: part
                for label, part in flow.rules.items()
                if label in rules and rules[label].log is False and part
            }
            if silent:
                services = ServiceSet()
                for part in silent.values():
                    services = services | part
                found.append(Violation(rule, source, destination, services, silent))
    return found


def _cleartext(
    checks: Sequence[CleartextRule],
    by_name: Mapping[str, ZoneSpec],
    analysis: Analysis,
    catalogue: ServiceCatalogue,
    today: date | None,
) -> list[Violation]:
    found: list[Violation] = []
    for rule in checks:
        legacy = rule.services.services(catalogue)
        for source, destination in _pairs(rule.source, rule.destination, by_name, analysis):
            flow = analysis.flows[(source, destination)]
            bad = flow.allowed & legacy
            for waiver in rule.exceptions:
                if bad and waiver.covers(source, destination, today):
                    bad = bad - waiver.services.services(catalogue)
            if not bad:
                continue
            allowed_by = {label: part for label, s in flow.rules.items() if (part := s & bad)}
            found.append(Violation(rule, source, destination, bad, allowed_by))
    return found


# --- The zone map and the inventory (R26, R27) -----------------------------------------------------


DEVICES_NAMED = 5  # devices a R27 finding names; its asset references list them all


@dataclass(frozen=True)
class Device:
    """An inventoried medical device and its IP addresses (the inventory's, as given to the check)."""

    ref: str  # "asset:12"
    name: str
    addresses: tuple[str, ...]


@dataclass
class Misplacement:
    """A network mapped to no zone or to several, or a medical device outside the zones it must
    sit in; ``fix`` says what to change (the zone file, a rule or the device's VLAN)."""

    rule: RuleHead
    subject: str  # the network, or the zone the misplaced devices are in
    zones: list[str]
    kind: str  # a key of DETAILS and FIXES
    args: dict[str, str]  # their parameters
    asset_refs: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"policy:{self.rule.id}:{self.subject}"

    def detail_in(self, lang: str) -> str:
        return gettext(DETAILS[self.kind], lang) % self.args

    def fix_in(self, lang: str) -> str:
        return gettext(FIXES[self.kind.removesuffix("_more")], lang) % self.args

    @property
    def detail(self) -> str:
        return self.detail_in("en")

    @property
    def fix(self) -> str:
        return self.fix_in("en")


# What a misplacement says, by kind (msgids: the page and the finding translate them).
DETAILS = {
    "ambiguous": N_("%(network)s is in %(num)s zones: %(zones)s"),
    "unmapped": N_("%(addresses)s, named by %(rules)s, is in no zone"),
    "devices": N_("%(num)s medical device address(es) in %(zone)s: %(devices)s"),
    "devices_more": N_("%(num)s medical device address(es) in %(zone)s: %(devices)s and %(more)s more"),
}
FIXES = {
    "ambiguous": N_("zone file: keep %(network)s in one zone only"),
    "unmapped": N_("zone file: add %(network)s to the zone it belongs to"),
    "devices": N_(
        "move these devices to a biomedical, imaging or laboratory VLAN, or make %(zone)s a zone of "
        "that kind in the zone file if it holds only such devices"
    ),
}


def _ambiguous(zones: Sequence[ZoneSpec]) -> list[tuple[str, list[str]]]:
    """Networks of the zone file listed in two zones, or overlapping without one holding the other
    (which zone an address belongs to then depends on sizes, not on the file)."""
    spans: list[tuple[int, int, str, str]] = []
    for spec in zones:
        for network in spec.networks:
            for first, last in parse_network(network):
                spans.append((first, last, network, spec.name))
    spans.sort(key=lambda s: (s[0], -s[1], s[3]))
    found: dict[str, set[str]] = {}
    stack: list[tuple[int, int, str, str]] = []
    for span in spans:
        first, last, network, zone = span
        while stack and stack[-1][1] < first:
            stack.pop()
        if stack:
            top = stack[-1]
            same = (top[0], top[1]) == (first, last)
            if top[3] != zone and (same or top[1] < last):
                found.setdefault(network, set()).update({zone, top[3]})
        stack.append(span)
    return sorted((network, sorted(names)) for network, names in found.items())


def check_inventory(
    policy: Policy,
    zones: Sequence[ZoneSpec],
    rules: Sequence[RuleSpec] = (),
    devices: Sequence[Device] = (),
) -> list[Misplacement]:
    """R26 (each network in one zone; no internal network of a rule outside every zone) and R27
    (each medical device's addresses in a zone of the kinds the policy gives)."""
    zone_map = ZoneMap(zones)
    kinds = {z.name: z.kind for z in zones}
    found: list[Misplacement] = []
    for rule in policy.mapping:
        for network, names in _ambiguous(zones):
            found.append(
                Misplacement(
                    rule,
                    network,
                    names,
                    "ambiguous",
                    {"network": network, "num": str(len(names)), "zones": ", ".join(names)},
                )
            )
        internal = IntervalSet()
        for network in rule.internal:
            internal = internal | parse_network(network)
        mapped = IntervalSet()
        zone_networks: list[IntervalSet] = []
        for zone in zones:
            if zone.kind != "internet":
                mapped = mapped | zone_map.of(zone.name)
                zone_networks += [parse_network(n) for n in zone.networks]
        named: dict[str, list[str]] = {}
        for spec in rules:
            ends = (
                *(() if spec.src_negated else spec.sources),
                *(() if spec.dst_negated else spec.destinations),
            )
            for item in ends:
                if item[:1].isdigit() and item not in kinds:
                    named.setdefault(item, []).append(spec.label)
        for network, labels in sorted(named.items()):
            try:
                addresses = parse_network(network)
            except ValueError:
                continue
            # a subnet, not "all internal addresses" nor a supernet of zones a broad rule names
            if not addresses.issubset(internal) or any(n.issubset(addresses) for n in zone_networks):
                continue
            outside = addresses - mapped
            if outside:
                found.append(
                    Misplacement(
                        rule,
                        network,
                        [],
                        "unmapped",
                        {
                            "network": network,
                            "addresses": format_addresses(outside),
                            "rules": ", ".join(sorted(set(labels))),
                        },
                    )
                )
    for placement in policy.placement:
        # one finding per zone: the fix is the VLAN's (move its devices, or make it a device zone)
        astray: dict[str, list[tuple[Device, str]]] = {}
        for device in devices:
            for address in device.addresses:
                try:
                    number = int(ipaddress.IPv4Address(address))
                except ValueError:
                    continue
                held = zone_map.zone_of(number)
                if kinds.get(held) not in placement.kinds:
                    astray.setdefault(held, []).append((device, address))
        for held, found_here in sorted(astray.items()):
            listed = ", ".join(f"{d.name} ({a})" for d, a in found_here[:DEVICES_NAMED])
            more = len(found_here) - DEVICES_NAMED
            found.append(
                Misplacement(
                    placement,
                    held,
                    [held],
                    "devices_more" if more > 0 else "devices",
                    {"num": str(len(found_here)), "zone": held, "devices": listed, "more": str(more)},
                    sorted({d.ref for d, _ in found_here}),
                )
            )
    return found


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
