"""``iptables-save`` output: the filter table's FORWARD and INPUT chains, with their policies and
jumps to user chains.

Understood: ``-s``/``-d`` (with ``!``), ``-p``, ``--dport``, ``--dports`` (``-m multiport``),
``-m iprange --src-range/--dst-range``, ``-i``/``-o``, ``-m comment --comment``, ``-m state --state``
and ``-m conntrack --ctstate``, ``-j``/``-g`` (ACCEPT, DROP, REJECT, RETURN, LOG, user chains) and
the ``[packets:bytes]`` counters of ``iptables-save -c``. Other conditions are reported and handled
as ``chains`` says.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.network.importers.chains import ChainRule, Chains, Match, flatten, services_of
from hygie.network.intervals import IntervalSet, parse_network, parse_ports
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn
from hygie.network.services import protocol_number

BASE_CHAINS = ("FORWARD", "INPUT")
_COUNTERS = re.compile(r"^\[(\d+):(\d+)\]\s*")
_TARGETS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "drop", "RETURN": "return"}
# Targets that log, mark or count and let the packet go on to the next rule.
_NON_DECIDING = {
    "LOG",
    "NFLOG",
    "ULOG",
    "MARK",
    "CONNMARK",
    "TCPMSS",
    "CT",
    "NOTRACK",
    "AUDIT",
    "SET",
    "CLASSIFY",
}
# Options that take one value and say nothing about which packets match, or that we read elsewhere.
_IGNORED_WITH_VALUE = {"-m", "--match", "--log-prefix", "--log-level", "--reject-with", "--comment"}


def _addresses(value: str, negated: bool) -> IntervalSet:
    addresses = IntervalSet()
    for part in value.split(","):
        addresses = addresses | parse_network(part)
    return addresses.complement((1 << 32) - 1) if negated else addresses


def parse_rule(tokens: list[str]) -> tuple[str, Match, str, str | None]:
    """``-A CHAIN …`` tokens → (chain, conditions, target, comment); ValueError when wrong."""
    if len(tokens) < 2 or tokens[0] not in ("-A", "--append"):
        raise ValueError("a rule line starts with -A CHAIN")
    chain = tokens[1]
    addresses: dict[str, IntervalSet] = {}
    interfaces: dict[str, str] = {}
    protocols: list[int | None] = []
    ports: IntervalSet | None = None
    unsupported: list[str] = []
    established = False
    target = "none"
    comment = None
    i = 2
    while i < len(tokens):
        negated = tokens[i] == "!"
        if negated:
            i += 1
        option = tokens[i] if i < len(tokens) else ""
        value = tokens[i + 1] if i + 1 < len(tokens) else None
        if option in ("-j", "--jump", "-g", "--goto"):
            if value is None:
                raise ValueError(f"{option} without a target")
            if value in _TARGETS:
                target = _TARGETS[value]
            elif value in _NON_DECIDING:
                target = "none"
            else:
                target = ("goto:" if option in ("-g", "--goto") else "jump:") + value
            i += 2
            continue
        if value is None:
            raise ValueError(f"{option} without a value")
        if option in ("-s", "--source", "--src-range"):
            addresses["sources"] = _addresses(value, negated)
        elif option in ("-d", "--destination", "--dst-range"):
            addresses["destinations"] = _addresses(value, negated)
        elif option in ("-p", "--protocol"):
            if negated:
                unsupported.append(f"! {option} {value}")
            else:
                protocols = [protocol_number(value)]
        elif option in ("--dport", "--destination-port", "--dports", "--destination-ports"):
            if negated:
                unsupported.append(f"! {option}")
            else:
                ports = parse_ports(value)
        elif option in ("-i", "--in-interface", "-o", "--out-interface"):
            if negated or value.endswith("+"):
                unsupported.append(f"{'! ' if negated else ''}{option} {value}")
            else:
                interfaces["in" if option in ("-i", "--in-interface") else "out"] = value
        elif option in ("--state", "--ctstate"):
            states = set(value.upper().split(","))
            established = "NEW" not in states and not negated
        elif option == "--comment":
            comment = value
        elif option in _IGNORED_WITH_VALUE:
            pass
        else:
            unsupported.append(f"{'! ' if negated else ''}{option} {value}")
        i += 2
    services = services_of(protocols, ports) if protocols or ports is not None else ()
    match = Match(
        sources=addresses.get("sources"),
        destinations=addresses.get("destinations"),
        services=services,
        in_interface=interfaces.get("in"),
        out_interface=interfaces.get("out"),
        unsupported=tuple(unsupported),
        established_only=established,
    )
    return chain, match, target, comment


def read_chains(text: str, name: str) -> Chains:
    """The filter table of an iptables-save file; ImportRejectedError naming every bad line."""
    result = Chains()
    problems: list[ContentError] = []
    table: str | None = None
    counters: dict[str, int] = {}
    seen_filter = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = Location(name, number)
        if line.startswith("*"):
            table = line[1:].strip()
            seen_filter = seen_filter or table == "filter"
            continue
        if line == "COMMIT":
            table = None
            continue
        if table is None:
            problems.append(ContentError(f"outside a table (*filter … COMMIT): {line[:80]!r}", where))
            continue
        if table != "filter":
            continue
        if line.startswith(":"):
            parts = line[1:].split()
            if len(parts) < 2:
                problems.append(ContentError("a chain line is « :NAME POLICY [packets:bytes] »", where))
                continue
            chain, policy = parts[0], parts[1]
            result.chains.setdefault(chain, [])
            if policy != "-":
                if policy not in ("ACCEPT", "DROP"):
                    problems.append(ContentError(f"unknown chain policy {policy!r}", where))
                    continue
                result.policies[chain] = Action.ALLOW if policy == "ACCEPT" else Action.DENY
            continue
        hits = None
        found = _COUNTERS.match(line)
        if found:
            hits = int(found.group(1))
            line = line[found.end() :]
        try:
            tokens = shlex.split(line)
            chain, match, target, comment = parse_rule(tokens)
        except ValueError as exc:
            problems.append(ContentError(str(exc), where))
            continue
        rules = result.chains.setdefault(chain, [])
        where_text = f"{chain}#{len(rules) + 1}"
        rules.append(ChainRule(match, target, number, where_text, comment, hits))
        counters[chain] = counters.get(chain, 0) + 1
    if not seen_filter and not problems:
        problems.append(
            ContentError("no filter table (*filter): is this iptables-save output?", Location(name))
        )
    if problems:
        raise ImportRejectedError(name, problems)
    return result


def parse(path: Path, text: str) -> tuple[list[RuleIn], dict[str, Action], list[str]]:
    """The FORWARD and INPUT rules of the file, each chain's default action, and warnings."""
    chains = read_chains(text, path.name)
    rules: list[RuleIn] = []
    for base in BASE_CHAINS:
        if base in chains.chains:
            rules.extend(flatten(chains, base, path.name))
    policies = {
        base: chains.policies.get(base, Action.ALLOW) for base in BASE_CHAINS if base in chains.chains
    }
    return rules, policies, chains.warnings
