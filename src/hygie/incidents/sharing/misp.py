"""A case as a MISP event in MISP's JSON format (built with PyMISP, offline), and the indicators of
such an event read back.

The event carries the case's TLP 2.0 level as a ``tlp:`` tag of the MISP taxonomy, one attribute per
indicator with the MISP type and category that fit it, and a report with the description and the
timeline. Its uuids are uuid5 of the case and its timestamps come from the case, so an unchanged case
exports the same JSON.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

from hygie.core.errors import ContentError, Location
from hygie.incidents.sharing.case import IndicatorKind, Severity, SharedCase, Tlp
from hygie.incidents.sharing.reading import (
    MAX_IMPORT_BYTES,
    IndicatorImport,
    UnreadIndicator,
    expect,
    load_json,
)

PARIS = ZoneInfo("Europe/Paris")

# (MISP type, category, to_ids) per kind: MISP's default category for the type (describeTypes.json).
# An account is the hospital's own account the attacker used: "target-user", targeting data, not for
# an IDS. An e-mail address is the sender of a phishing message.
MISP_TYPES: dict[IndicatorKind, tuple[str, str, bool]] = {
    IndicatorKind.IPV4: ("ip-dst", "Network activity", True),
    IndicatorKind.IPV6: ("ip-dst", "Network activity", True),
    IndicatorKind.DOMAIN: ("domain", "Network activity", True),
    IndicatorKind.URL: ("url", "Network activity", True),
    IndicatorKind.MD5: ("md5", "Payload delivery", True),
    IndicatorKind.SHA1: ("sha1", "Payload delivery", True),
    IndicatorKind.SHA256: ("sha256", "Payload delivery", True),
    IndicatorKind.EMAIL: ("email-src", "Payload delivery", True),
    IndicatorKind.ACCOUNT: ("target-user", "Targeting data", False),
}
# Distribution: 0 your organisation only, 1 this community only, 3 all communities. What is shared
# beyond the file is decided by whoever imports it; CLEAR may go everywhere, GREEN to the community.
DISTRIBUTION: dict[Tlp, int] = {Tlp.CLEAR: 3, Tlp.GREEN: 1, Tlp.AMBER: 0, Tlp.AMBER_STRICT: 0, Tlp.RED: 0}
# threat_level_id: 1 high, 2 medium, 3 low (4 undefined).
THREAT_LEVEL: dict[Severity, int] = {
    Severity.CRITICAL: 1,
    Severity.HIGH: 1,
    Severity.MEDIUM: 2,
    Severity.LOW: 3,
}
INHERIT_EVENT = 5


def analysis_of(case: SharedCase) -> int:
    """0 initial, 1 ongoing, 2 completed."""
    if case.closed_at is not None:
        return 2
    return 0 if case.investigation_status == "new" else 1


def _report(case: SharedCase) -> str:
    lines = [case.description.strip()] if case.description.strip() else []
    if case.care_services:
        lines += ["", *(f"- {service}" for service in case.care_services)]
    if case.timeline:
        lines.append("")
        for entry in case.unique_timeline():
            local = entry.time.astimezone(PARIS).strftime("%Y-%m-%d %H:%M %Z")
            lines.append(f"- {local} : {entry.text}")
    return "\n".join(lines).strip()


def build_event(case: SharedCase) -> MISPEvent:
    """The case as a PyMISP ``MISPEvent`` (see the module's docstring)."""
    changed: datetime = max(case.detected_at, case.last_change)
    event = MISPEvent()
    event.uuid = case.uuid_for("misp-event")
    event.info = case.title
    event.date = case.detected_at.astimezone(PARIS).date()
    event.distribution = DISTRIBUTION[case.tlp]
    event.threat_level_id = THREAT_LEVEL[case.severity]
    event.analysis = analysis_of(case)
    event.timestamp = changed
    organisation = MISPOrganisation()
    organisation.name = case.establishment_name
    organisation.uuid = case.establishment_uuid()
    event.Orgc = organisation
    event.add_tag(f"tlp:{case.tlp.value}")
    for indicator in case.unique_indicators():
        misp_type, category, to_ids = MISP_TYPES[indicator.kind]
        attribute = cast(  # one value gives one attribute, not a list
            MISPAttribute,
            event.add_attribute(
                misp_type,
                indicator.value,
                category=category,
                to_ids=to_ids,
                comment=indicator.comment,
                distribution=INHERIT_EVENT,
                uuid=case.uuid_for("misp-attribute", indicator.kind.value, indicator.value),
            ),
        )
        if indicator.first_seen is not None:
            attribute.first_seen = indicator.first_seen
        attribute.timestamp = changed
    content = _report(case)
    if content:
        report = event.add_event_report(
            case.title, content, uuid=case.uuid_for("misp-report"), distribution=INHERIT_EVENT
        )
        report.timestamp = changed
    return event


def export_misp(case: SharedCase) -> str:
    """The event as MISP JSON (``{"Event": {...}}``, what MISP exports and imports)."""
    event = json.loads(build_event(case).to_json())
    return json.dumps({"Event": event}, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# ---- reading indicators back ----------------------------------------------------------------------

_KIND_OF_TYPE: dict[str, IndicatorKind] = {
    "domain": IndicatorKind.DOMAIN,
    "hostname": IndicatorKind.DOMAIN,
    "url": IndicatorKind.URL,
    "md5": IndicatorKind.MD5,
    "sha1": IndicatorKind.SHA1,
    "sha256": IndicatorKind.SHA256,
    "email": IndicatorKind.EMAIL,
    "email-src": IndicatorKind.EMAIL,
    "email-dst": IndicatorKind.EMAIL,
    "target-user": IndicatorKind.ACCOUNT,
}


def _ip_kind(value: str) -> IndicatorKind:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return IndicatorKind.IPV4  # the value check then says what is wrong
    return IndicatorKind.IPV4 if network.version == 4 else IndicatorKind.IPV6


def _kind(misp_type: str, value: str) -> IndicatorKind | None:
    return _ip_kind(value) if misp_type in ("ip-dst", "ip-src") else _KIND_OF_TYPE.get(misp_type)


def _parts(misp_type: str, value: str) -> list[tuple[IndicatorKind, str]]:
    """The indicators one attribute holds: composite types ("domain|ip", "ip-dst|port",
    "filename|sha256"...) hold one or two, the port and the file name are not kept."""
    if "|" not in misp_type:
        kind = _kind(misp_type, value)
        return [(kind, value)] if kind else []
    types, values = misp_type.split("|"), value.split("|")
    if len(types) != 2 or len(values) != 2:
        return []
    if types[0] == "domain" and types[1] == "ip":
        return [(IndicatorKind.DOMAIN, values[0]), (_ip_kind(values[1]), values[1])]
    found = [(_kind(t, v), v) for t, v in zip(types, values, strict=True) if t not in ("port", "filename")]
    return [(kind, v) for kind, v in found if kind is not None]


def _attributes(event: dict[str, Any], path: Path) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    attributes = expect(event.get("Attribute", []), list, "Event.Attribute", path)
    found += [(f"Attribute[{n}]", a) for n, a in enumerate(attributes)]
    objects = expect(event.get("Object", []), list, "Event.Object", path)
    for n, misp_object in enumerate(objects):
        if isinstance(misp_object, dict):
            inner = expect(misp_object.get("Attribute", []), list, f"Event.Object[{n}].Attribute", path)
            found += [(f"Object[{n}].Attribute[{m}]", a) for m, a in enumerate(inner)]
    return found


def read_misp_indicators(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> IndicatorImport:
    """The indicators of the MISP event JSON in ``path`` (``{"Event": {...}}`` or the bare event)
    and the attributes not read; a ContentError naming the file when it is not an event."""
    document = expect(load_json(path, max_bytes), dict, "the document", path)
    event = expect(document.get("Event", document), dict, "Event", path)
    if "info" not in event and "Attribute" not in event and "Object" not in event:
        raise ContentError("not a MISP event: no info, Attribute or Object", Location(path.name))
    result = IndicatorImport(source=path.name)
    for ref, attribute in _attributes(event, path):
        if not isinstance(attribute, dict) or attribute.get("deleted") in (True, "1", 1):
            continue
        misp_type, value = attribute.get("type"), attribute.get("value")
        if not isinstance(misp_type, str) or not isinstance(value, str):
            result.unread.append(UnreadIndicator(ref, str(value)[:200], "type and value must be strings"))
            continue
        comment = attribute.get("comment")
        comment = comment if isinstance(comment, str) else ""
        parts = _parts(misp_type, value)
        if not parts:
            reason = f"MISP type {misp_type} is not an indicator Hygie keeps"
            result.unread.append(UnreadIndicator(ref, value[:200], reason))
        for kind, part in parts:
            result.add(kind, part, ref, comment=comment)
    return result
