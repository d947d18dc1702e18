"""Cisco IOS and ASA configurations (``show running-config``): access lists and where they apply.

The configuration is cut into lines by ``ttp`` templates (interfaces and their ``ip address``,
``ip access-group``, ``nameif``, ``security-level``; ``ip access-list``, ``access-list``,
``object``/``object-group``, ``access-group``); ``cisco_ace`` reads the words of each entry.

One rule set per interface and direction (``Vlan20 in``), its rules restricted to the zone the
interface faces (given with ``--interface``, or found from its ``ip address`` among the zones when
the rules are stored), ending with the implicit deny. What passes without a list is shown too, so
that the matrix never shows less than is open: on IOS an addressed interface without an inbound
list lets everything in; on ASA an interface without an inbound list (and no global one) lets
traffic go to the interfaces of a lower security level. Inbound and outbound lists are each taken
on their own. Lines about filtering that are not analysed (IPv6, reflexive or dynamic entries,
NAT) are listed with their numbers, never dropped in silence.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttp import ttp

from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.network.importers.chains import cidrs
from hygie.network.importers.cisco_ace import Ace, Block, Objects, Skip, address, mask_block, read_ace
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn

_TEMPLATE = """
<group name="interfaces*" method="table">
L{{ line | to_int }} P0 interface {{ name }}
</group>
<group name="interface_lines*" method="table">
L{{ line | to_int }} P{{ parent | to_int }} ip address {{ address }} {{ mask }}
L{{ line | to_int }} P{{ parent | to_int }} ip address {{ address }} {{ mask }} standby {{ standby }}
L{{ line | to_int }} P{{ parent | to_int }} ip access-group {{ acl }} {{ direction }}
L{{ line | to_int }} P{{ parent | to_int }} nameif {{ nameif }}
L{{ line | to_int }} P{{ parent | to_int }} security-level {{ level | to_int }}
L{{ line | to_int }} P{{ parent | to_int }} {{ shutdown | re("shutdown") | set(True) }}
</group>
<group name="named_acls*" method="table">
L{{ line | to_int }} P0 ip access-list {{ kind }} {{ name }}
</group>
<group name="acl_lines*" method="table">
L{{ line | to_int }} P0 access-list {{ name }} {{ text | re(".+") }}
</group>
<group name="objects*" method="table">
L{{ line | to_int }} P0 object {{ kind }} {{ name }}
L{{ line | to_int }} P0 object-group {{ kind }} {{ name }}
L{{ line | to_int }} P0 object-group {{ kind }} {{ name }} {{ protocol }}
</group>
<group name="access_groups*" method="table">
L{{ line | to_int }} P0 access-group {{ acl }} {{ direction }} interface {{ interface }}
L{{ line | to_int }} P0 access-group {{ acl }} {{ direction | re("global") }}
</group>
<group name="settings*" method="table">
L{{ line | to_int }} P0 same-security-traffic permit {{ same_security }}
</group>
<group name="lines*" method="table">
L{{ line | to_int }} P{{ parent | to_int }} {{ text | re(".+") }}
</group>
"""
# Top-level lines about filtering: each one (and each of its children) is analysed or listed.
_FILTERING = ("access-list", "ip access-list", "ipv6 access-list", "object", "object-group", "access-group")


def _annotate(text: str, asa: bool = False) -> tuple[str, dict[int, str]]:
    """Each meaningful line as ``L<number> P<parent line or 0> <text>`` for the templates."""
    out: list[str] = []
    texts: dict[int, str] = {}
    parent = 0
    banner: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if banner is not None:
            if banner in stripped:
                banner = None
            continue
        if not stripped or stripped.startswith(("!", ":")):
            continue
        if stripped.startswith("banner ") and raw[:1] not in (" ", "\t"):
            rest = stripped.split(None, 2)[2] if len(stripped.split(None, 2)) == 3 else ""
            delimiter = rest[:2] if rest.startswith("^") else rest[:1]
            # IOS: text up to the delimiter again (^C); ASA: one banner line per line
            if not asa and delimiter and not delimiter.isalnum() and delimiter not in rest[len(delimiter) :]:
                banner = delimiter
            continue
        if raw[:1] in (" ", "\t"):
            out.append(f"L{number} P{parent} {stripped}")
        else:
            parent = number
            out.append(f"L{number} P0 {stripped}")
        texts[number] = stripped
    return "\n".join(out), texts


def _run_templates(annotated: str) -> dict[str, list[dict[str, Any]]]:
    parser = ttp(data=annotated, template=_TEMPLATE, log_level="CRITICAL")
    parser.parse()
    result = parser.result()[0][0] if parser.result() and parser.result()[0] else {}
    return {key: value if isinstance(value, list) else [value] for key, value in result.items()}


@dataclass
class Interface:
    name: str  # the name rules use: the interface on IOS, its nameif on ASA
    line: int
    network: str | None = None
    address: int | None = None
    acls: dict[str, tuple[str, int]] = field(default_factory=dict)  # "in"/"out" → (list, line)
    level: int | None = None
    shutdown: bool = False


@dataclass
class Entry:
    line: int
    text: str
    standard: bool
    remark: str | None = None


@dataclass
class Result:
    rules: list[RuleIn]
    policies: dict[str, Action]
    warnings: list[str]
    interface_networks: dict[str, str]


class _Reader:
    def __init__(self, name: str, asa: bool) -> None:
        self.name = name
        self.asa = asa
        self.problems: list[ContentError] = []
        self.unanalysed: dict[str, list[int]] = {}  # reason → lines
        self.warnings: list[str] = []
        self.consumed: set[int] = set()

    def problem(self, message: str, line: int | None) -> None:
        self.problems.append(ContentError(message, Location(self.name, line)))

    def skip(self, reason: str, line: int) -> None:
        self.unanalysed.setdefault(reason, []).append(line)
        self.consumed.add(line)

    # --- interfaces ---

    def interfaces(self, found: dict[str, list[dict[str, Any]]]) -> dict[str, Interface]:
        headers = {int(i["line"]): str(i["name"]) for i in found.get("interfaces", [])}
        raw: dict[int, dict[str, Any]] = {}
        for item in found.get("interface_lines", []):
            parent = int(item["parent"])
            if parent not in headers:
                continue
            values = raw.setdefault(parent, {})
            line = int(item["line"])
            if "acl" in item:
                direction = str(item["direction"]).lower()
                if direction not in ("in", "out"):
                    self.problem(f"ip access-group {item['acl']} {direction}: in or out expected", line)
                    continue
                values.setdefault("acls", {})[direction] = (str(item["acl"]), line)
                self.consumed.add(line)
            elif "address" in item and "address" not in values:
                values["address"] = (str(item["address"]), str(item["mask"]), line)
            else:
                values.update({k: v for k, v in item.items() if k in ("nameif", "level", "shutdown")})
        result: dict[str, Interface] = {}
        for line, name in headers.items():
            values = raw.get(line, {})
            key = str(values.get("nameif", "")) if self.asa else name
            if not key:
                continue  # an ASA interface without nameif carries no traffic of its own
            interface = Interface(key, line, level=values.get("level"), shutdown=bool(values.get("shutdown")))
            interface.acls = values.get("acls", {})
            if "address" in values:
                text, mask, where = values["address"]
                try:
                    block = mask_block(address(text), address(mask))
                    interface.address = address(text)
                    interface.network = str(
                        ipaddress.IPv4Network((next(iter(block))[0], bin(address(mask)).count("1")))
                    )
                except (ValueError, Skip) as exc:
                    self.problem(f"interface {name}: {exc}", where)
            result[key] = interface
        return result

    # --- access lists ---

    def access_lists(
        self, found: dict[str, list[dict[str, Any]]], children: dict[int, list[tuple[int, str]]]
    ) -> dict[str, list[Entry]]:
        lists: dict[str, list[Entry]] = {}
        for header in found.get("named_acls", []):
            name, kind, line = str(header["name"]), str(header["kind"]).lower(), int(header["line"])
            self.consumed.add(line)
            if kind not in ("extended", "standard"):
                self.skip(f"ip access-list {kind}", line)
                for child, _ in children.get(line, []):
                    self.skip(f"ip access-list {kind}", child)
                continue
            entries = lists.setdefault(name, [])
            numbered: list[tuple[int, int, Entry]] = []
            remark: str | None = None
            for child, text in children.get(line, []):
                words = text.split()
                sequence = None
                if words[0].isdigit():
                    sequence = int(words[0])
                    words = words[1:]
                if not words:
                    continue
                verb = words[0].lower()
                if verb == "remark":
                    remark = " ".join(words[1:])
                    self.consumed.add(child)
                elif verb in ("permit", "deny"):
                    entry = Entry(child, " ".join(words), kind == "standard", remark)
                    numbered.append((sequence if sequence is not None else -1, len(numbered), entry))
                    remark = None
                else:
                    self.skip(f"{verb} entries", child)
            # IOS applies the entries in sequence order
            if all(s >= 0 for s, _, _ in numbered):
                numbered.sort(key=lambda item: (item[0], item[1]))
            entries.extend(e for _, _, e in numbered)
        remarks: dict[str, str] = {}
        for item in found.get("acl_lines", []):
            name, line = str(item["name"]), int(item["line"])
            words = str(item["text"]).split()
            if self.asa and words[:1] == ["line"] and len(words) > 2:
                self.warnings.append(
                    f"{self.name}:{line}: 'line {words[1]}' ignored: the file's order is kept"
                )
                words = words[2:]
            verb = words[0].lower()
            if verb == "remark":
                remarks[name] = " ".join(words[1:])
                self.consumed.add(line)
                continue
            if self.asa:
                if verb == "extended":
                    words, verb = words[1:], (words[1].lower() if len(words) > 1 else "")
                elif verb in ("standard", "webtype", "ethertype"):
                    self.skip(f"access-list … {verb}", line)
                    continue
                standard = False
            else:
                number = int(name) if name.isdigit() else -1
                if not (1 <= number <= 199 or 1300 <= number <= 2699):
                    self.skip("access lists other than IP standard/extended", line)
                    continue
                standard = number < 100 or 1300 <= number <= 1999
            if verb in ("dynamic", "evaluate", "reflect"):
                self.skip(f"{verb} entries", line)
                continue
            lists.setdefault(name, []).append(Entry(line, " ".join(words), standard, remarks.pop(name, None)))
        return lists

    # --- objects ---

    def objects(
        self,
        found: dict[str, list[dict[str, Any]]],
        children: dict[int, list[tuple[int, str]]],
        objects: Objects,
    ) -> None:
        for item in found.get("objects", []):
            name, line = str(item["name"]), int(item["line"])
            kind = str(item["kind"]).lower()
            if name in objects.blocks:
                if objects.blocks[name].line != line:
                    self.problem(f"object {name!r} defined twice", line)
                continue
            protocol = str(item["protocol"]).lower() if item.get("protocol") else None
            objects.blocks[name] = Block(kind, line, protocol, children.get(line, []))
            self.consumed.add(line)
            for child, text in children.get(line, []):
                if text.split()[0].lower() == "nat":
                    self.skip("NAT", child)
                else:
                    self.consumed.add(child)

    # --- rules ---

    def rules_of(
        self,
        acl: str,
        entries: list[Entry],
        objects: Objects,
        direction: str,
        side: str,
        interface: str | None,
        cache: dict[int, Ace | None],
    ) -> list[RuleIn]:
        rules: list[RuleIn] = []
        for number, entry in enumerate(entries, start=1):
            if entry.line not in cache:
                try:
                    cache[entry.line] = read_ace(entry.text, objects, standard=entry.standard)
                except Skip as exc:
                    self.skip(f"{exc} entries", entry.line)
                    cache[entry.line] = None
                except ValueError as exc:
                    self.problem(str(exc), entry.line)
                    cache[entry.line] = None
                self.consumed.add(entry.line)
            ace = cache[entry.line]
            if ace is None:
                continue
            label = f"{acl}#{number}"
            services = [s for s in ace.services if s.ports]
            disabled = ace.inactive or ace.established or (bool(ace.services) and not services)
            if ace.notes:
                text = ", ".join(dict.fromkeys(ace.notes))
                broader = ace.action is Action.ALLOW
                message = f"{self.name}:{entry.line}: {label}: condition(s) not analysed ({text}); "
                message += "taken as broader" if broader else "rule left out"
                if message not in self.warnings:
                    self.warnings.append(message)
                disabled = disabled or not broader
            comment = entry.remark
            if ace.established:
                comment = (
                    f"{comment} (established connections only)" if comment else "established connections only"
                )
            rules.append(
                RuleIn(
                    direction=direction,
                    label=label,
                    action=ace.action,
                    sources=cidrs(ace.sources) if ace.sources is not None else [],
                    destinations=cidrs(ace.destinations) if ace.destinations is not None else [],
                    services=[str(s) for s in services],
                    in_interface=interface if side == "in" else None,
                    out_interface=interface if side == "out" else None,
                    comment=comment[:2000] if comment else None,
                    disabled=disabled,
                    origin=f"{self.name}:{entry.line}",
                    log=ace.log,
                )
            )
        return rules

    def unlisted(
        self, texts: dict[int, str], children: dict[int, list[tuple[int, str]]], tops: list[int]
    ) -> None:
        """Every line about filtering that nothing read is listed as not analysed."""
        for line in tops:
            text = texts[line]
            if text.startswith(_FILTERING) and line not in self.consumed:
                self.skip(" ".join(text.split()[:2]), line)
            for child, child_text in children.get(line, []):
                if child in self.consumed:
                    continue
                if text.startswith(_FILTERING):
                    self.skip(" ".join(text.split()[:2]), child)
                elif child_text.startswith(("ip access-group", "ipv6 traffic-filter", "access-group")):
                    self.skip(" ".join(child_text.split()[:2]), child)


def parse(path: Path, text: str, *, asa: bool) -> Result:
    """The rules of every access list applied to an interface; ImportRejectedError naming every
    wrong line."""
    name = path.name
    reader = _Reader(name, asa)
    annotated, texts = _annotate(text, asa)
    found = _run_templates(annotated)
    children: dict[int, list[tuple[int, str]]] = {}
    tops: list[int] = []
    for item in found.get("lines", []):
        line, parent = int(item["line"]), int(item["parent"])
        if parent:
            children.setdefault(parent, []).append((line, texts[line]))
        else:
            tops.append(line)
    if not tops:
        raise ContentError("no configuration line: is this a Cisco configuration?", Location(name))
    interfaces = reader.interfaces(found)
    objects = Objects(asa, {k: i.address for k, i in interfaces.items() if i.address is not None})
    reader.objects(found, children, objects)
    lists = reader.access_lists(found, children)
    same_security = any(s.get("same_security") == "inter-interface" for s in found.get("settings", []))
    applied: dict[str, dict[str, tuple[str, int]]] = {k: dict(i.acls) for k, i in interfaces.items()}
    global_acl: tuple[str, int] | None = None
    for item in found.get("access_groups", []):
        line, acl, direction = int(item["line"]), str(item["acl"]), str(item["direction"]).lower()
        reader.consumed.add(line)
        if direction == "global":
            global_acl = (acl, line)
        elif direction in ("in", "out") and str(item.get("interface")) in interfaces:
            applied[str(item["interface"])][direction] = (acl, line)
        else:
            reader.problem(f"access-group {acl}: no interface named {item.get('interface')!r}", line)
    rules: list[RuleIn] = []
    cache: dict[int, Ace | None] = {}
    used: set[str] = set()

    def entries_of(acl: str, line: int) -> list[Entry] | None:
        if acl in lists:
            used.add(acl)
            return lists[acl]
        if asa:
            reader.problem(f"access list {acl!r} is not defined", line)
            return None
        reader.warnings.append(
            f"{name}:{line}: access list {acl} is not defined: IOS lets everything through"
        )
        return None

    for key, interface in interfaces.items():
        for side in ("in", "out"):
            direction = f"{key} {side}"
            found_acl = applied[key].get(side)
            entries = entries_of(*found_acl) if found_acl else None
            if found_acl and entries is not None:
                rules += reader.rules_of(found_acl[0], entries, objects, direction, side, key, cache)
            if side == "out":
                continue
            if asa and global_acl is not None:
                global_entries = entries_of(*global_acl)
                if global_entries is not None:
                    rules += reader.rules_of(
                        global_acl[0], global_entries, objects, direction, "in", key, cache
                    )
            elif found_acl is None or (entries is None and not asa):
                rules += _implicit(reader, interface, interfaces, asa=asa, same_security=same_security)
    for acl in sorted(lists.keys() - used):
        first = lists[acl][0].line if lists[acl] else None
        reader.warnings.append(
            f"{name}:{first or '?'}: access list {acl} is applied to no interface: not analysed"
        )
        for entry in lists[acl]:
            reader.consumed.add(entry.line)
    reader.unlisted(texts, children, tops)
    if reader.problems:
        raise ImportRejectedError(name, reader.problems)
    for reason, lines in sorted(reader.unanalysed.items()):
        shown = ", ".join(str(n) for n in lines[:20]) + (" …" if len(lines) > 20 else "")
        reader.warnings.append(f"{name}: not analysed ({reason}): line(s) {shown}")
    policies = dict.fromkeys((r.direction for r in rules), Action.DENY)
    networks = {k: i.network for k, i in interfaces.items() if i.network}
    return Result(rules, policies, reader.warnings, networks)


def _implicit(
    reader: _Reader, interface: Interface, interfaces: dict[str, Interface], *, asa: bool, same_security: bool
) -> list[RuleIn]:
    """What an interface without an inbound list lets through."""
    key = interface.name
    if interface.shutdown or (
        not asa and (interface.network is None or key.lower().startswith(("loopback", "null")))
    ):
        return []
    origin = f"{reader.name}:{interface.line}"
    if not asa:
        reader.warnings.append(
            f"{origin}: {key} has no inbound access list: everything entering it is let through"
        )
        return [
            RuleIn(
                direction=f"{key} in",
                label=f"{key} (no access list)",
                action=Action.ALLOW,
                in_interface=key,
                origin=origin,
            )
        ]
    rules: list[RuleIn] = []
    mine = interface.level or 0
    for other in interfaces.values():
        theirs = other.level or 0
        if other is interface or other.shutdown or theirs > mine or (theirs == mine and not same_security):
            continue
        rules.append(
            RuleIn(
                direction=f"{key} in",
                label=f"{key}>{other.name} (security-level {mine}>{theirs})"[:200],
                action=Action.ALLOW,
                in_interface=key,
                out_interface=other.name,
                origin=origin,
            )
        )
    if rules:
        reader.warnings.append(
            f"{origin}: {key} has no inbound access list: traffic to lower security levels is let through"
        )
    return rules
