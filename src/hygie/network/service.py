"""Operations of the network domain; the only writer of ``network_*`` tables.

Imports replace: the zone file replaces the zones, a firewall's file replaces that firewall's rules
(one transaction each, a savepoint: a rejected file leaves the previous state whole). The check
computes the matrix from the stored rules, compares it with the policy and the exposure, and keeps
the result as findings of the plan (``FindingSource.NETWORK``): a violation that disappears from a
later check is resolved there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from hygie.assets import service as assets_service
from hygie.assets.schemas import AssetRecord
from hygie.core.errors import ContentError, ImportRejectedError, Location, NotFoundError, ValidationError
from hygie.core.settings import get_settings
from hygie.core.time import today
from hygie.network.importers import ParsedFirewall
from hygie.network.models import ExposedPort, Firewall, FirewallFormat, Rule, Zone
from hygie.network.policy import (
    CleartextRule,
    DatedRule,
    Device,
    ExpiredRule,
    Exposure,
    LoggingRule,
    Misplacement,
    OpenPort,
    Policy,
    RuleHead,
    Violation,
    check,
    check_inventory,
    default_policy,
    expired_permits,
    load_policy,
)
from hygie.network.policy import rate_exposure as _rate_exposure
from hygie.network.reachability import (
    UNZONED,
    Action,
    Analysis,
    FlowChange,
    RuleFinding,
    RuleSetSpec,
    RuleSpec,
    ZoneMap,
    ZoneSpec,
    analyse,
    diff,
)
from hygie.network.schemas import ZoneIn
from hygie.network.services import parse_service
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from hygie.plan.schemas import FindingIn

__all__ = [
    "CheckReport",
    "add_zones",
    "analyse_establishment",
    "diff_firewall",
    "expired_rules",
    "find_firewall",
    "firewall_formats",
    "import_exposure",
    "import_firewall",
    "interface_zones",
    "list_exposed_ports",
    "list_firewalls",
    "list_zones",
    "load_firewall",
    "medical_devices",
    "open_ports_from_outside",
    "policy_for",
    "replace_zones",
    "ruleset_specs",
    "run_check",
    "zone_specs",
]

USELESS_CONTROLS = ["TEC-SEGMENT"]


# --- Writing -----------------------------------------------------------------------------------


def replace_zones(session: Session, establishment_id: int, zones: Sequence[ZoneIn]) -> list[Zone]:
    """The establishment's zones become these (the previous ones are deleted)."""
    org_service.get_establishment(session, establishment_id)
    with session.begin_nested():
        session.execute(delete(Zone).where(Zone.establishment_id == establishment_id))
        return _store_zones(session, establishment_id, zones)


def _store_zones(session: Session, establishment_id: int, zones: Sequence[ZoneIn]) -> list[Zone]:
    ZoneMap([ZoneSpec(z.name, z.kind.value, tuple(z.networks)) for z in zones])  # networks parse
    rows = [
        Zone(
            establishment_id=establishment_id,
            name=z.name,
            kind=z.kind,
            networks=list(z.networks),
            description=z.description,
        )
        for z in zones
    ]
    session.add_all(rows)
    session.flush()
    return rows


def interface_zones(session: Session, establishment_id: int, parsed: ParsedFirewall) -> dict[str, str]:
    """The interfaces' zones: those given, then, for an interface whose subnet the file gives
    (Cisco ``ip address``), the zone that holds that subnet's first address."""
    interfaces = dict(parsed.firewall.interfaces)
    missing = {k: v for k, v in parsed.interface_networks.items() if k not in interfaces}
    if missing:
        zone_map = ZoneMap(zone_specs(list_zones(session, establishment_id)))
        for interface, network in missing.items():
            first = int(ipaddress.IPv4Network(network, strict=False).network_address)
            zone = zone_map.zone_of(first)
            if zone != UNZONED:
                interfaces[interface] = zone
    return interfaces


def add_zones(session: Session, establishment_id: int, zones: Sequence[ZoneIn]) -> list[Zone]:
    """The zones whose name the establishment does not have yet are added (the others are kept as
    they are); the zones added."""
    org_service.get_establishment(session, establishment_id)
    known = {z.name for z in list_zones(session, establishment_id)}
    with session.begin_nested():
        return _store_zones(session, establishment_id, [z for z in zones if z.name not in known])


def import_firewall(
    session: Session, establishment_id: int, parsed: ParsedFirewall, *, with_zones: bool = False
) -> Firewall:
    """Creates the firewall or replaces its rules by the file's, in one savepoint. With
    ``with_zones``, the zones the file proposes (aerleon networks) that the establishment lacks are
    added in the same savepoint."""
    org_service.get_establishment(session, establishment_id)
    data = parsed.firewall
    with session.begin_nested():
        if with_zones and parsed.zones:
            add_zones(session, establishment_id, parsed.zones)
        interfaces = interface_zones(session, establishment_id, parsed)
        firewall = session.scalar(
            select(Firewall).where(Firewall.establishment_id == establishment_id, Firewall.name == data.name)
        )
        if firewall is None:
            firewall = Firewall(establishment_id=establishment_id, name=data.name)
            session.add(firewall)
        else:
            session.execute(delete(Rule).where(Rule.firewall_id == firewall.id))
            session.expire(firewall, ["rules"])
        firewall.source_format = data.source_format
        firewall.file_name = parsed.file_name
        firewall.sha256 = parsed.sha256
        firewall.interfaces = interfaces
        firewall.catalogue = dict(parsed.catalogue)
        firewall.policies = {direction: action.value for direction, action in data.policies.items()}
        session.flush()
        positions: dict[str, int] = {}
        for rule in data.rules:
            positions[rule.direction] = positions.get(rule.direction, 0) + 1
            session.add(
                Rule(firewall_id=firewall.id, position=positions[rule.direction], **rule.model_dump())
            )
        session.flush()
    session.refresh(firewall)
    return firewall


def firewall_formats() -> list[FirewallFormat]:
    """The formats ``read_firewall`` reads, in the order of ``FirewallFormat``: a new importer that
    adds its format there shows up in the web form and the API by itself."""
    return list(FirewallFormat)


def load_firewall(
    session: Session, establishment_id: int, parsed: ParsedFirewall, *, with_zones: bool = False
) -> Firewall:
    """``import_firewall``, then the matrix computed once: a file whose rules name a zone the
    establishment does not have is refused whole (ImportRejectedError naming the file), in the same
    savepoint, so the previous rules stay. The CLI, the API and the pages load files through this."""
    with session.begin_nested():
        firewall = import_firewall(session, establishment_id, parsed, with_zones=with_zones)
        try:
            analyse_establishment(session, establishment_id)
        except ValidationError as exc:
            problem = ContentError(str(exc), Location(parsed.file_name))
            raise ImportRejectedError(parsed.file_name, [problem]) from exc
    return firewall


def import_exposure(
    session: Session, establishment_id: int, records: Sequence[AssetRecord], file_name: str
) -> int:
    """The open ports of a scan taken from outside replace the previous scan's; how many ports."""
    org_service.get_establishment(session, establishment_id)
    with session.begin_nested():
        session.execute(delete(ExposedPort).where(ExposedPort.establishment_id == establishment_id))
        count = 0
        for record in records:
            for address in record.ips[:1]:
                for port in record.ports:
                    session.add(
                        ExposedPort(
                            establishment_id=establishment_id,
                            address=address,
                            hostname=record.hostname,
                            protocol=port.protocol,
                            port=port.port,
                            service=port.service,
                            product=port.product,
                            file_name=file_name[-500:],
                            **({"observed_at": record.observed_at} if record.observed_at else {}),
                        )
                    )
                    count += 1
        session.flush()
    return count


# --- Reading -----------------------------------------------------------------------------------


def list_zones(session: Session, establishment_id: int) -> list[Zone]:
    return list(
        session.scalars(select(Zone).where(Zone.establishment_id == establishment_id).order_by(Zone.name))
    )


def list_firewalls(session: Session, establishment_id: int) -> list[Firewall]:
    query = (
        select(Firewall)
        .where(Firewall.establishment_id == establishment_id)
        .options(selectinload(Firewall.rules))
        .order_by(Firewall.name)
    )
    return list(session.scalars(query))


def find_firewall(session: Session, establishment_id: int, name: str) -> Firewall:
    firewall = session.scalar(
        select(Firewall)
        .where(Firewall.establishment_id == establishment_id, Firewall.name == name)
        .options(selectinload(Firewall.rules))
    )
    if firewall is None:
        raise NotFoundError(f"no firewall {name!r} in establishment {establishment_id}")
    return firewall


def list_exposed_ports(session: Session, establishment_id: int) -> list[ExposedPort]:
    query = (
        select(ExposedPort)
        .where(ExposedPort.establishment_id == establishment_id)
        .order_by(ExposedPort.address, ExposedPort.protocol, ExposedPort.port)
    )
    return list(session.scalars(query))


def zone_specs(zones: Sequence[Zone]) -> list[ZoneSpec]:
    return [ZoneSpec(z.name, z.kind.value, tuple(z.networks)) for z in zones]


def _rule_spec(firewall: str, rule: Rule | Any) -> RuleSpec:
    return RuleSpec(
        label=f"{firewall} {rule.label}",
        action=Action(rule.action),
        sources=tuple(rule.sources),
        destinations=tuple(rule.destinations),
        services=tuple(parse_service(s) for s in rule.services),
        src_negated=rule.src_negated,
        dst_negated=rule.dst_negated,
        in_interface=rule.in_interface,
        out_interface=rule.out_interface,
        disabled=rule.disabled,
        comment=rule.comment or "",
        log=getattr(rule, "log", None),
    )


def ruleset_specs(
    name: str, rules: Sequence[Rule | Any], policies: dict[str, str], interfaces: dict[str, str]
) -> list[RuleSetSpec]:
    """One rule set per direction, rules in their order (stored rows or an importer's ``RuleIn``)."""
    directions: dict[str, list[RuleSpec]] = {}
    for rule in rules:
        directions.setdefault(rule.direction, []).append(_rule_spec(name, rule))
    return [
        RuleSetSpec(
            name,
            direction,
            tuple(specs),
            Action(policies.get(direction, Action.DENY.value)),
            dict(interfaces),
        )
        for direction, specs in directions.items()
    ]


def _specs(session: Session, establishment_id: int) -> tuple[list[ZoneSpec], list[RuleSetSpec]]:
    zones = zone_specs(list_zones(session, establishment_id))
    rulesets: list[RuleSetSpec] = []
    for firewall in list_firewalls(session, establishment_id):
        rules = sorted(firewall.rules, key=lambda r: (r.direction, r.position))
        rulesets.extend(ruleset_specs(firewall.name, rules, firewall.policies, firewall.interfaces))
    return zones, rulesets


def analyse_establishment(session: Session, establishment_id: int) -> tuple[list[ZoneSpec], Analysis]:
    """The zones and the matrix the stored rules give; ValidationError when a rule names an
    unknown zone."""
    zones, rulesets = _specs(session, establishment_id)
    try:
        return zones, analyse(zones, rulesets)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def diff_firewall(
    session: Session, establishment_id: int, parsed: ParsedFirewall
) -> list[tuple[str, FlowChange]]:
    """What loading ``parsed`` in place of the stored firewall of that name would open and close,
    direction by direction (a direction only in one of them is compared with an empty one). Without
    interface zones of its own, the new file keeps the stored firewall's."""
    zones = zone_specs(list_zones(session, establishment_id))
    data = parsed.firewall
    try:
        stored = find_firewall(session, establishment_id, data.name)
        old = ruleset_specs(
            stored.name,
            sorted(stored.rules, key=lambda r: (r.direction, r.position)),
            stored.policies,
            stored.interfaces,
        )
    except NotFoundError:
        old = []
    # a new file without interface zones keeps the stored firewall's
    interfaces = {**(old[0].interfaces if old and not data.interfaces else {}), **data.interfaces}
    interfaces.update(
        {k: v for k, v in interface_zones(session, establishment_id, parsed).items() if k not in interfaces}
    )
    new = ruleset_specs(data.name, data.rules, {d: a.value for d, a in data.policies.items()}, interfaces)
    before = {r.direction: r for r in old}
    after = {r.direction: r for r in new}
    changes: list[tuple[str, FlowChange]] = []
    try:
        for direction in sorted(before.keys() | after.keys()):
            empty = RuleSetSpec(data.name, direction, ())
            for change in diff(zones, before.get(direction, empty), after.get(direction, empty)):
                changes.append((direction, change))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    return changes


def policy_for(path: Path | None = None) -> Policy:
    """The policy given, else HYGIE_HOME/network/policy.yaml when it exists, else Hygie's default."""
    if path is not None:
        return load_policy(path)
    users = get_settings().home / "network" / "policy.yaml"
    return load_policy(users) if users.is_file() else default_policy()


def open_ports_from_outside(session: Session, establishment_id: int, zone_map: ZoneMap) -> list[OpenPort]:
    """What the outside scan found open, and the open ports of the assets the inventory says are
    exposed (each port once, the scan's first)."""

    def zone_of(address: str) -> str:
        try:
            return zone_map.zone_of(int(ipaddress.IPv4Address(address)))
        except ValueError:
            return ""

    seen: dict[tuple[str, str, int], OpenPort] = {}
    for row in list_exposed_ports(session, establishment_id):
        key = (row.address, row.protocol, row.port)
        seen.setdefault(
            key,
            OpenPort(row.address, row.protocol, row.port, zone_of(row.address), row.service, row.hostname),
        )
    for asset in assets_service.internet_exposed_assets(session, establishment_id):
        addresses = [a.value for a in asset.addresses if a.kind.value in ("ipv4", "ip")] or [""]
        for service in asset.services:
            key = (addresses[0], service.protocol, service.port)
            seen.setdefault(
                key,
                OpenPort(
                    addresses[0],
                    service.protocol,
                    service.port,
                    zone_of(addresses[0]),
                    service.service,
                    asset.name,
                    "inventory",
                ),
            )
    return list(seen.values())


# --- The check ---------------------------------------------------------------------------------


@dataclass
class CheckReport:
    zones: list[ZoneSpec]
    analysis: Analysis
    violations: list[Violation]
    exposures: list[Exposure]
    useless: list[RuleFinding] = field(default_factory=list)
    findings: int = 0
    expired: list[ExpiredRule] = field(default_factory=list)  # R18
    misplacements: list[Misplacement] = field(default_factory=list)  # R26, R27


def _violation_finding(violation: Violation) -> FindingIn:
    rule = violation.rule
    services = violation.services.describe()
    allowing = ", ".join(sorted(violation.allowed_by)) or "(politique par défaut)"
    return FindingIn(
        key=violation.key[:300],
        title=f"{rule.id} {rule.title.fr} : {violation.source} → {violation.destination} ({services})"[:500],
        severity=Severity(rule.severity),
        control_ids=list(rule.controls),
        evidence={
            "policy_rule": rule.id,
            "title_en": f"{rule.id} {rule.title.en}: {violation.source} → {violation.destination} "
            f"({services})",
            "source_zone": violation.source,
            "destination_zone": violation.destination,
            "services": services,
            "allowed_by": {label: s.describe() for label, s in violation.allowed_by.items()},
            "fix": f"{_FIXES.get(type(rule), 'Restreindre ou supprimer')} : {allowing}",
            "refs": list(rule.refs),
        },
    )


# What to do with the allowing rules, by kind of check (a forbidden flow: restrict or remove them).
_FIXES: dict[type[RuleHead], str] = {
    LoggingRule: "Activer la journalisation sur",
    CleartextRule: "Passer à un protocole chiffré, restreindre, ou enregistrer une exception pour",
}


def _exposure_finding(exposure: Exposure, controls: Sequence[str]) -> FindingIn:
    port = exposure.port
    what = f"{port.protocol}/{port.port}" + (f" ({', '.join(exposure.names)})" if exposure.names else "")
    host = port.hostname or port.address
    return FindingIn(
        key=exposure.key[:300],
        title=f"Exposé sur internet : {what} sur {host}"[:500],
        severity=Severity(exposure.severity),
        control_ids=list(controls),
        asset_refs=[f"ip:{port.address}"] if port.address else [],
        evidence={
            "title_en": f"Exposed to the internet: {what} on {host}",
            "address": port.address,
            "zone": port.zone,
            "seen_by": port.origin,
            "service": port.service,
        },
    )


def _useless_finding(item: RuleFinding) -> FindingIn:
    kind_fr = "masquée" if item.kind == "shadowed" else "redondante"
    by = f" (par {', '.join(item.by)})" if item.by else ""
    return FindingIn(
        key=f"rule:{item.kind}:{item.label}"[:300],
        title=f"Règle {kind_fr} : {item.label}{by}"[:500],
        severity=Severity.LOW,
        control_ids=list(USELESS_CONTROLS),
        evidence={
            "title_en": f"{item.kind.capitalize()} rule: {item.label}",
            "ruleset": item.ruleset,
            "rule": item.label,
            "kind": item.kind,
            "by": item.by,
        },
    )


def _expired_finding(policy: Policy, item: ExpiredRule) -> FindingIn:
    rule, expiry = item.rule, policy.expiry
    day = rule.expires.isoformat() if rule.expires else ""
    return FindingIn(
        key=item.key(policy)[:300],
        title=f"{expiry.id} {expiry.title.fr} : {rule.firewall} {rule.label} (expirée le {day})"[:500],
        severity=Severity(expiry.severity),
        control_ids=list(expiry.controls),
        evidence={
            "policy_rule": expiry.id,
            "title_en": f"{expiry.id} {expiry.title.en}: {rule.firewall} {rule.label} (expired on {day})",
            "firewall": rule.firewall,
            "rule": rule.label,
            "expires": day,
            "owner": rule.owner,
            "origin": rule.origin,
            "fix": "Supprimer la règle, ou la revoir avec son propriétaire et repousser son expiration",
            "refs": list(expiry.refs),
        },
    )


def _misplacement_finding(item: Misplacement) -> FindingIn:
    rule = item.rule
    return FindingIn(
        key=item.key[:300],
        title=f"{rule.id} {rule.title.fr} : {item.subject}"[:500],
        severity=Severity(rule.severity),
        control_ids=list(rule.controls),
        asset_refs=item.asset_refs,
        evidence={
            "policy_rule": rule.id,
            "title_en": f"{rule.id} {rule.title.en}: {item.subject}",
            "subject": item.subject,
            "zones": item.zones,
            "detail": item.detail_in("fr"),
            "detail_en": item.detail,
            "fix": item.fix_in("fr"),
            "fix_en": item.fix,
            "refs": list(rule.refs),
        },
    )


def expired_rules(session: Session, establishment_id: int, policy: Policy | None = None) -> list[ExpiredRule]:
    """R18: the stored permits past their expiration day."""
    dated = [
        DatedRule(
            firewall.name,
            rule.label,
            Action(rule.action) is Action.ALLOW,
            rule.disabled,
            rule.expires,
            rule.owner,
            rule.origin,
        )
        for firewall in list_firewalls(session, establishment_id)
        for rule in firewall.rules
        if rule.expires is not None
    ]
    return expired_permits(policy or policy_for(), dated, today())


def medical_devices(session: Session, establishment_id: int) -> list[Device]:
    """The inventory's medical devices with their IP addresses, as the R27 check reads them."""
    return [
        Device(
            f"asset:{asset.id}",
            asset.name,
            tuple(a.value for a in asset.addresses if a.kind.value in ("ipv4", "ip")),
        )
        for asset in assets_service.medical_devices(session, establishment_id)
    ]


def run_check(
    session: Session, establishment_id: int, policy: Policy | None = None, *, record: bool = True
) -> CheckReport:
    """The matrix against the policy, the exposure rated, the useless rules, the expired permits, the
    zone map and the medical devices' places; with ``record`` the findings of the network source become
    these (R17: shadowed/redundant rules are low findings; R18: expired permits)."""
    policy = policy or policy_for()
    zones, rulesets = _specs(session, establishment_id)
    try:
        analysis = analyse(zones, rulesets)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    rules = {spec.label: spec for ruleset in rulesets for spec in ruleset.rules}
    violations = check(policy, zones, analysis, rules=rules, today=today())
    misplacements = check_inventory(
        policy, zones, list(rules.values()), medical_devices(session, establishment_id)
    )
    zone_map = ZoneMap(zones)
    kinds = {z.name: z.kind for z in zones}
    exposures = _rate_exposure(policy, open_ports_from_outside(session, establishment_id, zone_map), kinds)
    expired = expired_rules(session, establishment_id, policy)
    report = CheckReport(
        zones,
        analysis,
        violations,
        exposures,
        list(analysis.useless),
        expired=expired,
        misplacements=misplacements,
    )
    if record:
        findings = [_violation_finding(v) for v in violations]
        findings += [_exposure_finding(e, policy.exposure.controls) for e in exposures]
        findings += [_useless_finding(u) for u in analysis.useless]
        findings += [_expired_finding(policy, e) for e in expired]
        findings += [_misplacement_finding(m) for m in misplacements]
        plan_service.upsert_findings(session, establishment_id, FindingSource.NETWORK, findings)
        report.findings = len(findings)
    return report
