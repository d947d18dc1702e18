"""``nft -j list ruleset`` (libnftables-json): the ip/inet tables' chains hooked on forward and
input, with their policies, jumps and gotos to regular chains, and counters.

Understood in a rule's ``expr``: ``match`` on ``ip saddr/daddr``, ``tcp/udp/sctp dport``,
``th dport`` with ``meta l4proto``, ``meta l4proto``, ``ip protocol``, ``meta iifname/oifname``
and ``ct state`` (values, prefixes, ranges, anonymous sets; ``==``, ``!=`` on addresses, ``in``),
``counter``, and the verdicts ``accept``, ``drop``, ``reject``, ``jump``, ``goto``, ``return``.
Named sets (``@name``) are read from the ruleset's ``set`` objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.network.importers.chains import ChainRule, Chains, Match, flatten, services_of
from hygie.network.intervals import MAX_IPV4, IntervalSet, parse_network
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn
from hygie.network.services import protocol_number

HOOKS = {"forward": "FORWARD", "input": "INPUT"}
FAMILIES = ("ip", "inet")


def _values(right: Any, sets: dict[str, list[Any]]) -> list[Any]:
    if isinstance(right, str) and right.startswith("@"):
        if right[1:] not in sets:
            raise ValueError(f"unknown named set {right}")
        return sets[right[1:]]
    if isinstance(right, dict) and "set" in right:
        return list(right["set"])
    if isinstance(right, list):
        return right
    return [right]


def _address(value: Any) -> IntervalSet:
    if isinstance(value, dict) and "prefix" in value:
        return parse_network(f"{value['prefix']['addr']}/{value['prefix']['len']}")
    if isinstance(value, dict) and "range" in value:
        return parse_network(f"{value['range'][0]}-{value['range'][1]}")
    if isinstance(value, str):
        return parse_network(value)
    raise ValueError(f"not an address: {json.dumps(value)[:80]}")


def _ports(value: Any) -> IntervalSet:
    if isinstance(value, int):
        return IntervalSet.of(value)
    if isinstance(value, dict) and "range" in value:
        return IntervalSet.of(int(value["range"][0]), int(value["range"][1]))
    raise ValueError(f"not a port: {json.dumps(value)[:80]}")


def _protocol(value: Any) -> int | None:
    return protocol_number(str(value))


def parse_rule(rule: dict[str, Any], sets: dict[str, list[Any]]) -> tuple[Match, str, int | None]:
    """A rule object → (conditions, target, packet counter); ValueError when not understood."""
    fields: dict[str, Any] = {}
    protocols: list[int | None] = []
    ports: IntervalSet | None = None
    unsupported: list[str] = []
    established = False
    target = "none"
    hits = None
    for expression in rule.get("expr", []):
        if not isinstance(expression, dict) or len(expression) != 1:
            raise ValueError("an expression is an object with one key")
        ((kind, body),) = expression.items()
        if kind in ("accept", "drop", "reject", "return"):
            target = "drop" if kind == "reject" else str(kind)
        elif kind in ("jump", "goto"):
            target = f"{kind}:{body['target']}"
        elif kind == "counter":
            hits = int(body.get("packets", 0)) if isinstance(body, dict) else None
        elif kind == "match":
            left, op, right = body.get("left"), body.get("op", "=="), body.get("right")
            values = _values(right, sets)
            negated = op == "!="
            if op not in ("==", "!=", "in"):
                unsupported.append(f"{json.dumps(left)} {op}")
                continue
            if isinstance(left, dict) and "payload" in left:
                payload = left["payload"]
                protocol, field = payload.get("protocol"), payload.get("field")
                if protocol == "ip" and field in ("saddr", "daddr"):
                    addresses = IntervalSet()
                    for value in values:
                        addresses = addresses | _address(value)
                    if negated:
                        addresses = addresses.complement(MAX_IPV4)
                    fields["sources" if field == "saddr" else "destinations"] = addresses
                elif field == "dport" and protocol in ("tcp", "udp", "sctp", "th") and not negated:
                    if protocol != "th":
                        protocols = [_protocol(protocol)]
                    found = IntervalSet()
                    for value in values:
                        found = found | _ports(value)
                    ports = found
                elif protocol == "ip" and field == "protocol" and not negated:
                    protocols = [_protocol(v) for v in values]
                else:
                    unsupported.append(f"{protocol} {field}")
            elif isinstance(left, dict) and "meta" in left:
                key = left["meta"].get("key")
                if key == "l4proto" and not negated:
                    protocols = [_protocol(v) for v in values]
                elif key in ("iifname", "oifname") and len(values) == 1 and not negated:
                    fields["in_interface" if key == "iifname" else "out_interface"] = str(values[0])
                else:
                    unsupported.append(f"meta {key}")
            elif isinstance(left, dict) and "ct" in left and left["ct"].get("key") == "state":
                states = {str(v) for v in values for v in (v if isinstance(v, list) else [v])}
                established = "new" not in states and not negated
            else:
                unsupported.append(json.dumps(left)[:60])
        elif kind in ("log", "limit", "mangle", "meta", "notrack", "xt"):
            continue
        else:
            unsupported.append(kind)
    services = services_of(protocols, ports) if protocols or ports is not None else ()
    match = Match(
        sources=fields.get("sources"),
        destinations=fields.get("destinations"),
        services=services,
        in_interface=fields.get("in_interface"),
        out_interface=fields.get("out_interface"),
        unsupported=tuple(unsupported),
        established_only=established,
    )
    return match, target, hits


def read_chains(text: str, name: str) -> tuple[Chains, dict[str, str]]:
    """The chains of the ip/inet tables, named ``table/chain``, and base chain → FORWARD/INPUT."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(f"not valid JSON: {exc.msg}", Location(name, exc.lineno)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise ContentError('not nft -j output: no "nftables" list at the top', Location(name))
    objects = [o for o in data["nftables"] if isinstance(o, dict)]
    chains = Chains()
    bases: dict[str, str] = {}
    sets: dict[str, list[Any]] = {}
    problems: list[ContentError] = []
    for item in objects:
        if "set" in item and item["set"].get("family") in FAMILIES:
            sets[item["set"]["name"]] = list(item["set"].get("elem", []))
        chain = item.get("chain")
        if isinstance(chain, dict) and chain.get("family") in FAMILIES:
            key = f"{chain.get('table')}/{chain.get('name')}"
            chains.chains.setdefault(key, [])
            hook = HOOKS.get(str(chain.get("hook")))
            if hook and chain.get("type", "filter") == "filter":
                bases[key] = hook
                chains.policies[key] = Action.DENY if chain.get("policy") == "drop" else Action.ALLOW
    for item in objects:
        rule = item.get("rule")
        if not isinstance(rule, dict) or rule.get("family") not in FAMILIES:
            continue
        key = f"{rule.get('table')}/{rule.get('chain')}"
        where = f"rule handle {rule.get('handle', '?')} in {key}"
        try:
            match, target, hits = parse_rule(rule, sets)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(ContentError(str(exc), Location(name, None, where)))
            continue
        if target.startswith(("jump:", "goto:")):
            kind, _, chain_name = target.partition(":")
            target = f"{kind}:{rule.get('table')}/{chain_name}"
        chains.chains.setdefault(key, []).append(
            ChainRule(match, target, None, where, rule.get("comment"), hits)
        )
    if problems:
        raise ImportRejectedError(name, problems)
    if not bases:
        raise ContentError(
            "no filter chain hooked on forward or input in an ip or inet table", Location(name)
        )
    return chains, bases


def parse(path: Path, text: str) -> tuple[list[RuleIn], dict[str, Action], list[str]]:
    """The rules of every forward/input base chain (several chains on one hook follow each other),
    each direction's default action, and warnings."""
    chains, bases = read_chains(text, path.name)
    rules: list[RuleIn] = []
    policies: dict[str, Action] = {}
    for key, hook in bases.items():
        direction = f"{hook} ({key})"
        for rule in flatten(chains, key, path.name):
            rules.append(rule.model_copy(update={"direction": direction}))
        policies[direction] = chains.policies[key]
    return rules, policies, chains.warnings
