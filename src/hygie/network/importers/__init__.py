"""Readers of firewall configurations and of the zone file. Each turns a file into a ``FirewallIn``
(or zones) and never touches the database; ``hygie.network.service`` writes them in one transaction.

``read_firewall`` is the one entry point for rules: it refuses a file over the size limit before
reading it, recognises the format from its first bytes when none is given, and turns every problem
into an ``ImportRejectedError`` that names the file, the line (or the rule) and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pydantic
import yaml

from hygie.core.csvtext import decode_utf8
from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import MAX_IMPORT_BYTES, check_size, sha256_of
from hygie.network.importers import aerleon_policy, cisco, csvflows, iptables, nftables, pfsense
from hygie.network.models import FirewallFormat
from hygie.network.reachability import Action
from hygie.network.schemas import FirewallIn, RuleIn, ZoneFile, ZoneIn

__all__ = ["ParsedFirewall", "guess_format", "read_firewall", "read_zones"]


@dataclass
class ParsedFirewall:
    firewall: FirewallIn
    file_name: str
    sha256: str
    warnings: list[str] = field(default_factory=list)
    # interface → its subnet (Cisco ``ip address``): the service ties it to the zone holding it
    interface_networks: dict[str, str] = field(default_factory=dict)
    # what a policy file defines (aerleon): its networks as zone proposals, and the catalogue
    zones: list[ZoneIn] = field(default_factory=list)
    catalogue: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def guess_format(head: bytes) -> FirewallFormat | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if (
        text.startswith(b"filters:")
        or b"\nfilters:" in head
        or b"\nheader {" in head
        or text.startswith(b"header {")
    ):
        return FirewallFormat.AERLEON
    if text.startswith(b"<"):
        return FirewallFormat.PFSENSE if b"<pfsense" in head or b"<opnsense" in head else None
    if text.startswith(b"{"):
        return FirewallFormat.NFTABLES if b'"nftables"' in head else None
    if text.startswith((b"#", b"*")) or b"\n*filter" in head:
        return FirewallFormat.IPTABLES
    if b"\nnameif " in head or b"\n nameif " in head or text.startswith(b"ASA Version"):
        return FirewallFormat.CISCO_ASA
    if b"\nip access-list " in head or b"\naccess-list " in head or b"\ninterface " in head:
        return FirewallFormat.CISCO_IOS
    return FirewallFormat.CSV if text else None


def read_firewall(
    path: Path,
    name: str,
    source_format: FirewallFormat | None = None,
    *,
    interfaces: dict[str, str] | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
    definitions: Sequence[Path] = (),
) -> ParsedFirewall:
    """The rules of one firewall's configuration file, read by the reader its format needs
    (``definitions``: aerleon's networks/services files or folders, for an aerleon policy)."""
    file_name = path.name
    try:
        if check_size(path, max_bytes) == 0:
            raise ContentError("the file is empty", Location(file_name))
        if source_format is None:
            with path.open("rb") as handle:
                source_format = guess_format(handle.read(4096))
            if source_format is None:
                raise ContentError(
                    "cannot tell the format (iptables-save, nft -j, pfSense/OPNsense XML, Cisco, aerleon "
                    "or CSV): give it with --format",
                    Location(file_name),
                )
        warnings: list[str] = []
        policies: dict[str, Action] = {}
        networks: dict[str, str] = {}
        zones: list[ZoneIn] = []
        catalogue: dict[str, dict[str, list[str]]] = {}
        rules: list[RuleIn]
        if source_format is FirewallFormat.AERLEON:
            policy = aerleon_policy.parse(path, definitions, max_bytes)
            rules, policies, warnings = policy.rules, policy.policies, policy.warnings
            zones, catalogue = policy.zones, policy.catalogue
        elif source_format in (FirewallFormat.CISCO_IOS, FirewallFormat.CISCO_ASA):
            text = decode_utf8(path.read_bytes(), file_name)
            found = cisco.parse(path, text, asa=source_format is FirewallFormat.CISCO_ASA)
            rules, policies, warnings, networks = (
                found.rules,
                found.policies,
                found.warnings,
                found.interface_networks,
            )
        elif source_format is FirewallFormat.IPTABLES:
            rules, policies, warnings = iptables.parse(path, decode_utf8(path.read_bytes(), file_name))
        elif source_format is FirewallFormat.NFTABLES:
            rules, policies, warnings = nftables.parse(path, decode_utf8(path.read_bytes(), file_name))
        elif source_format is FirewallFormat.PFSENSE:
            rules, policies, warnings = pfsense.parse(path)
        else:
            rules = csvflows.parse(path, max_bytes)
            policies = dict.fromkeys((r.direction for r in rules), Action.DENY)
        firewall = FirewallIn(
            name=name,
            source_format=source_format,
            interfaces=interfaces or {},
            policies=policies,
            rules=rules,
        )
    except ContentError as exc:
        raise ImportRejectedError(file_name, [exc]) from exc
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        raise ImportRejectedError(
            file_name,
            [ContentError(error["msg"], Location(file_name, None, ".".join(map(str, error["loc"]))))],
        ) from exc
    return ParsedFirewall(firewall, file_name[-500:], sha256_of(path), warnings, networks, zones, catalogue)


def read_zones(path: Path, max_bytes: int = 16 * 1024 * 1024) -> list[ZoneIn]:
    """The zone file (YAML ``zones: [{name, kind, networks, description}]``)."""
    name = path.name
    try:
        check_size(path, max_bytes)
        try:
            data = yaml.safe_load(decode_utf8(path.read_bytes(), name))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ContentError(
                f"not valid YAML: {exc}", Location(name, mark.line + 1 if mark else None)
            ) from exc
        try:
            zones = ZoneFile.model_validate(data).zones
        except pydantic.ValidationError as exc:
            problems = [
                ContentError(
                    e["msg"].removeprefix("Value error, "), Location(name, None, ".".join(map(str, e["loc"])))
                )
                for e in exc.errors()
            ]
            raise ImportRejectedError(name, problems) from exc
    except ContentError as exc:
        raise ImportRejectedError(name, [exc]) from exc
    names = [z.name for z in zones]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ImportRejectedError(
            name, [ContentError(f"zone named twice: {', '.join(twice)}", Location(name))]
        )
    return zones
