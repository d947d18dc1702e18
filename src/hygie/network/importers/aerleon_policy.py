"""aerleon policies (YAML ``.yaml`` or the older ``.pol``) with their definitions: the intended
policy, and the catalogue of networks and services.

aerleon's own parser reads the policy and resolves the names (``aerleon.lib.yaml``,
``aerleon.lib.policy``, ``aerleon.lib.naming``); no output is generated. Definitions come from the
files given (``networks:``/``services:`` YAML, or ``.net``/``.svc``) and from ``networks:`` and
``services:`` sections in the policy file itself, so that one file can carry everything. Each filter
is one rule set (named after its first target's filter name), its terms the rules in order, with
their ``owner``, ``expiration`` and ``comment``; the default is deny unless the first target's
options say accept. The networks can be added as zones (kind guessed from the name).

Refused, naming the line: includes (the file must carry its terms), YAML aliases (no expansion
bombs), an ``expiration`` that is not a date, what aerleon refuses (an undefined name, a wrong
action). Conditions the analysis does not model (source ports, ICMP types, options other than
``established``, interfaces, platforms, protocol exclusions) are handled as ``chains`` says: a
permit is taken as broader, a deny left out, with a warning.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hygie.core.csvtext import decode_utf8
from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import MAX_IMPORT_BYTES, check_size
from hygie.network.importers.chains import cidrs
from hygie.network.intervals import ALL_ADDRESSES, IntervalSet, parse_network
from hygie.network.models import ZoneKind
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn, ZoneIn
from hygie.network.services import PORTED, Service, protocol_number

# aerleon keeps the definitions of the policy being parsed in module globals: one parse at a time.
_LOCK = threading.Lock()
_ACTIONS = {
    "accept": Action.ALLOW,
    "deny": Action.DENY,
    "reject": Action.DENY,
    "reject-with-tcp-rst": Action.DENY,
}
_DEFINITION_SUFFIXES = (".yaml", ".yml", ".net", ".svc")
_INCLUDE = re.compile(r"^\s*(?:-\s*)?(?:include\s*:|#include\b)")
# Zone kinds guessed from a network's name, the first match wins (documented in the network pages).
KIND_WORDS: tuple[tuple[ZoneKind, tuple[str, ...]], ...] = (
    (ZoneKind.INTERNET, ("INTERNET", "EXTERNAL", "WAN")),
    (ZoneKind.GUEST_WIFI, ("GUEST", "INVITE", "VISITOR", "PATIENT_WIFI")),
    (ZoneKind.DMZ, ("DMZ",)),
    (ZoneKind.BACKUP, ("BACKUP", "SAUVEGARDE")),
    (ZoneKind.SERVERS, ("SERVER", "SERVEUR", "SRV", "DATACENTER")),
    (ZoneKind.MEDICAL_DEVICES, ("BIOMED", "MEDICAL", "MEDICAUX")),
    (ZoneKind.IMAGING, ("IMAGING", "IMAGERIE", "MODALIT", "RADIO")),
    (ZoneKind.LABORATORY, ("LAB",)),
    (ZoneKind.ADMINISTRATION, ("ADMIN", "MGMT", "MANAGEMENT", "BASTION")),
    (ZoneKind.BUILDING_MANAGEMENT, ("GTB", "BMS", "BUILDING")),
    (ZoneKind.PARTNERS, ("PARTNER", "PARTENAIRE", "VENDOR", "PRESTATAIRE")),
    (ZoneKind.CLINICAL_WORKSTATIONS, ("WORKSTATION", "POSTE", "USER", "CLINICAL", "SOINS")),
)


def guess_kind(name: str) -> ZoneKind:
    upper = name.upper()
    for kind, words in KIND_WORDS:
        if any(word in upper for word in words):
            return kind
    return ZoneKind.OTHER


@dataclass
class Result:
    rules: list[RuleIn]
    policies: dict[str, Action]
    warnings: list[str]
    zones: list[ZoneIn]
    catalogue: dict[str, dict[str, list[str]]] = field(default_factory=dict)


class _Warnings(logging.Handler):
    """aerleon's warnings (absl logging) collected for the import's notes."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip())


@contextmanager
def _collecting() -> Iterator[_Warnings]:
    handler = _Warnings()
    absl = logging.getLogger("absl")
    propagate = absl.propagate
    absl.addHandler(handler)
    absl.propagate = False
    try:
        yield handler
    finally:
        absl.removeHandler(handler)
        absl.propagate = propagate


def _refuse_unsafe(text: str, name: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if _INCLUDE.match(line):
            raise ContentError(
                "includes are not followed: put the included terms in the file", Location(name, number)
            )
    try:
        for event in yaml.parse(text):
            if isinstance(event, yaml.AliasEvent):
                raise ContentError(
                    "YAML aliases (*name) are refused in a policy",
                    Location(name, event.start_mark.line + 1 if event.start_mark else None),
                )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(f"not valid YAML: {exc}", Location(name, mark.line + 1 if mark else None)) from exc


def _load_definitions(naming: Any, data: Any, name: str) -> None:
    if not isinstance(data, dict) or not ({"networks", "services"} & data.keys()):
        raise ContentError("a definitions file has networks: and/or services:", Location(name))
    wanted = {k: data[k] for k in ("networks", "services") if k in data}
    naming.ParseDefinitionsObject(wanted, name)


def _definitions(paths: Sequence[Path], max_bytes: int) -> tuple[Any, list[Path]]:
    from aerleon.lib import naming

    definitions = naming.Naming()
    files: list[Path] = []
    for path in paths:
        found = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        files.extend(p for p in found if p.suffix in _DEFINITION_SUFFIXES or not path.is_dir())
    for file in files:
        check_size(file, max_bytes)
        text = decode_utf8(file.read_bytes(), file.name)
        try:
            if file.suffix in (".net", ".svc"):
                lines = text.splitlines()
                (definitions.ParseNetworkList if file.suffix == ".net" else definitions.ParseServiceList)(
                    lines
                )
            elif file.suffix in (".yaml", ".yml"):
                _refuse_unsafe(text, file.name)
                _load_definitions(definitions, yaml.safe_load(text), file.name)
            else:
                raise ContentError(
                    "a definitions file ends in .yaml, .yml, .net or .svc", Location(file.name)
                )
        except ContentError:
            raise
        except Exception as exc:  # aerleon raises its own error classes, none shared
            raise ContentError(f"definitions refused by aerleon: {exc}".strip(), Location(file.name)) from exc
    return definitions, files


def _term_lines(text: str, legacy: bool) -> dict[str, list[int]]:
    """Where each term starts (by name; a name may be used by several filters)."""
    found: dict[str, list[int]] = {}
    pattern = re.compile(
        r"^\s*term\s+(\S+)\s*\{" if legacy else r"^\s*-?\s*name\s*:\s*['\"]?([^'\"#]+?)['\"]?\s*$"
    )
    for number, line in enumerate(text.splitlines(), start=1):
        match = pattern.match(line)
        if match:
            found.setdefault(match.group(1).strip(), []).append(number)
    return found


_COMMON = {
    "undefined", "such", "service", "services", "network", "address", "addresses", "not", "valid",
    "action", "term", "the", "for", "with", "destination", "source", "ports", "port", "correct",
    "protocol", "protocols", "and", "must", "be", "is", "of", "no", "in", "filter", "header",
}  # fmt: skip


def _line_of(message: str, text: str) -> int | None:
    """The first line naming the identifier aerleon's message is about (it gives no line itself):
    the term it names, else the first word of the message that is not plain English."""
    words = re.findall(r"term ([A-Za-z0-9_.-]+)", message)
    words += [w for w in re.findall(r"[A-Za-z0-9_.-]{2,}", message) if w.lower() not in _COMMON]
    lines = text.splitlines()
    for word in words:
        pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
        for number, line in enumerate(lines, start=1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                return number
    return None


def _check_expirations(data: Any, name: str, text: str) -> None:
    for filter_ in data.get("filters") or [] if isinstance(data, dict) else []:
        for term in (filter_ or {}).get("terms") or []:
            value = term.get("expiration") if isinstance(term, dict) else None
            if value is None or isinstance(value, dt.date):
                continue
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                line = term.get("__line__") if isinstance(term, dict) else None
                lines = text.splitlines()
                if isinstance(line, int):  # the expiration's own line, after the term's
                    line = next(
                        (n for n in range(line, len(lines) + 1) if "expiration" in lines[n - 1]), line
                    )
                raise ContentError(
                    f"expiration {value!r} of term {term.get('name')!r} is not a date (YYYY-MM-DD)",
                    Location(name, line),
                ) from None


def _addresses(found: list[Any]) -> IntervalSet | None:
    """IPv4 part of aerleon addresses; None when the list held only IPv6."""
    result = IntervalSet()
    seen = False
    for item in found:
        network = ipaddress.ip_network(str(item), strict=False)
        if network.version == 4:
            seen = True
            result = result | IntervalSet.of(int(network.network_address), int(network.broadcast_address))
    return result if seen else None


def parse(path: Path, definitions: Sequence[Path] = (), max_bytes: int = MAX_IMPORT_BYTES) -> Result:
    """The filters of the policy as rule sets; ImportRejectedError naming the line."""
    name = path.name
    text = decode_utf8(path.read_bytes(), name)
    legacy = path.suffix == ".pol"
    if not legacy:
        _refuse_unsafe(text, name)
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if _INCLUDE.match(line):
                raise ContentError(
                    "includes are not followed: put the included terms in the file", Location(name, number)
                )
    from aerleon.lib import policy as aerleon_policy
    from aerleon.lib import yaml as aerleon_yaml
    from aerleon.lib.yaml_loader import SpanSafeYamlLoader

    with _LOCK, _collecting() as notes:
        naming, _files = _definitions(definitions, max_bytes)
        try:
            if not legacy:
                data = yaml.load(text, Loader=SpanSafeYamlLoader(filename=name))  # type: ignore[no-untyped-call]  # noqa: S506 - a SafeLoader
                if isinstance(data, dict) and ({"networks", "services"} & data.keys()):
                    _load_definitions(naming, data, name)
                _check_expirations(data, name, text)
                parsed = aerleon_yaml.ParsePolicy(text, filename=name, definitions=naming, optimize=False)
            else:
                parsed = aerleon_policy.ParsePolicy(text, definitions=naming, optimize=False, filename=name)
        except ContentError:
            raise
        except Exception as exc:  # aerleon raises its own error classes, none shared
            message = str(getattr(exc, "args", [exc])[0] if getattr(exc, "args", None) else exc).strip()
            raise ContentError(
                f"refused by aerleon: {message}", Location(name, _line_of(message, text))
            ) from exc
        if not parsed:
            raise ContentError("no filter in the policy", Location(name))
        # aerleon only warns of a word it does not know, and leaves it out: a typo would widen a term
        for message in notes.messages:
            unknown = re.match(r"Unexpected (?:term|header|filter) keyword (\S+)", message)
            if unknown:
                raise ContentError(
                    f"unknown keyword {unknown.group(1)!r}", Location(name, _line_of(unknown.group(1), text))
                )
        result = _convert(parsed, naming, name, text, legacy)
    for message in notes.messages:
        result.warnings.append(f"{name}: aerleon: {message}")
    return result


def _convert(parsed: Any, naming: Any, name: str, text: str, legacy: bool) -> Result:
    lines = _term_lines(text, legacy)
    used: dict[str, int] = {}
    rules: list[RuleIn] = []
    policies: dict[str, Action] = {}
    warnings: list[str] = []
    problems: list[ContentError] = []
    for index, (header, terms) in enumerate(parsed.filters, start=1):
        target = header.target[0] if header.target else None
        options = [str(o) for o in (target.options if target else [])]
        direction = (options[0] if options else f"filter{index}")[:90]
        if direction in policies:
            direction = f"{direction} ({index})"
        policies[direction] = (
            Action.ALLOW if any(o.lower() in ("accept", "allow") for o in options) else Action.DENY
        )
        for term in terms:
            candidates = lines.get(term.name, [])
            line = candidates[used.get(term.name, 0)] if used.get(term.name, 0) < len(candidates) else None
            used[term.name] = used.get(term.name, 0) + 1
            try:
                rule = _rule(term, direction, name, line, warnings)
            except ValueError as exc:
                problems.append(ContentError(str(exc), Location(name, line, f"term {term.name}")))
                continue
            if rule is not None:
                rules.append(rule)
    if problems:
        raise ImportRejectedError(name, problems)
    zones, catalogue = _catalogue(naming)
    return Result(rules, policies, warnings, zones, catalogue)


def _rule(term: Any, direction: str, name: str, line: int | None, warnings: list[str]) -> RuleIn | None:
    where = f"{name}:{line or '?'}: term {term.name}"
    verbs = [str(a) for a in term.action]
    if not verbs or verbs[0] not in _ACTIONS:
        warnings.append(f"{where}: action {' '.join(verbs) or '(none)'} decides nothing: not analysed")
        return None
    action = _ACTIONS[verbs[0]]
    if term.verbatim:
        warnings.append(f"{where}: verbatim term not analysed")
        return None
    ends: list[IntervalSet | None] = []
    for include, exclude in (
        (term.source_address, term.source_address_exclude),
        (term.destination_address, term.destination_address_exclude),
    ):
        addresses = _addresses(include) if include else ALL_ADDRESSES
        if addresses is None:
            warnings.append(f"{where}: IPv6 only, not analysed")
            return None
        if exclude:
            addresses = addresses - (_addresses(exclude) or IntervalSet())
        ends.append(None if addresses == ALL_ADDRESSES and not exclude else addresses)
    unsupported = [label for label, value in (
        ("source port", term.source_port), ("ICMP type", term.icmp_type),
        ("protocol-except", term.protocol_except), ("source interface", term.source_interface),
        ("destination interface", term.destination_interface), ("platform", term.platform),
        ("platform-exclude", term.platform_exclude),
    ) if value]  # fmt: skip
    options = [str(o) for o in term.option]
    established = any(o in ("established", "tcp-established") for o in options)
    unsupported += [o for o in options if o not in ("established", "tcp-established")]
    protocols = [_protocol(str(p)) for p in term.protocol]
    ports: IntervalSet | None = None
    if term.destination_port:
        ports = IntervalSet([(int(lo), int(hi)) for lo, hi in term.destination_port])
    services: list[Service] = []
    for protocol in protocols:
        if protocol is None:
            services = []
            break
        services.append(
            Service(protocol, ports) if ports is not None and protocol in PORTED else Service(protocol)
        )
    disabled = established
    if unsupported:
        broader = action is Action.ALLOW
        warnings.append(
            f"{where}: condition(s) not analysed ({', '.join(unsupported)}); "
            + ("taken as broader" if broader else "rule left out")
        )
        disabled = disabled or not broader
    comment = " ".join(str(c) for c in term.comment).strip() or None
    if established:
        comment = f"{comment} (established connections only)" if comment else "established connections only"
    expires = term.expiration if isinstance(term.expiration, dt.date) else None
    # aerleon generates a logging statement only when the term asks for one (R19 reads it)
    logging_values = [str(v).lower() for v in term.logging]
    logs = bool(logging_values) and not any(v in ("disable", "false") for v in logging_values)
    return RuleIn(
        direction=direction,
        label=f"{direction}/{term.name}"[:200],
        action=action,
        sources=cidrs(ends[0]) if ends[0] is not None else [],
        destinations=cidrs(ends[1]) if ends[1] is not None else [],
        services=[str(s) for s in services],
        comment=comment[:2000] if comment else None,
        disabled=disabled,
        origin=f"{name}:{line}" if line else f"{name} (term {term.name})",
        owner=str(term.owner)[:200] if term.owner else None,
        expires=expires,
        log=logs,
    )


def _protocol(name: str) -> int | None:
    """Hygie's protocol names, then aerleon's own table (pim, vrrp, ospf…)."""
    try:
        return protocol_number(name)
    except ValueError:
        from aerleon.lib.aclgenerator import Term

        number = Term.PROTO_MAP.get(name.lower())
        if not isinstance(number, int):
            raise
        return number


def _catalogue(naming: Any) -> tuple[list[ZoneIn], dict[str, dict[str, list[str]]]]:
    """The networks (as zone proposals and CIDRs) and services (``tcp/2575``) of the definitions."""
    networks: dict[str, list[str]] = {}
    zones: list[ZoneIn] = []
    for network in sorted(naming.networks):
        addresses = _addresses(naming.GetNet(network))
        if addresses is None or not addresses:
            continue
        networks[network] = cidrs(addresses)
        zones.append(ZoneIn(name=network[:100], kind=guess_kind(network), networks=networks[network]))
    services: dict[str, list[str]] = {}
    for service in sorted(naming.services):
        found: list[str] = []
        for item in naming.GetService(service):
            port, _, protocol = str(item).partition("/")
            number = protocol_number(protocol)
            found.append(f"{protocol}/{port}" if number in PORTED else protocol)
        services[service] = list(dict.fromkeys(found))
    for zone in zones:
        for network in zone.networks:
            parse_network(network)
    return zones, {"networks": networks, "services": services}
