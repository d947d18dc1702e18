"""A case as a STIX 2.1 bundle (OASIS ``stix2``), and the indicators of a bundle read back.

What the bundle holds, all marked with the case's TLP 2.0 marking and created by the establishment:
the establishment (``identity``), the ``incident`` with the OASIS incident core extension 2.0, one
``indicator`` per indicator with its ``sighting`` at the establishment, ``relationship`` objects
(indicator related-to incident, incident targets establishment) and one ``note`` per timeline entry.
The official TLP 2.0 marking and the two extension definitions travel with it, unchanged.
Every id is a uuid5 of the case, so an unchanged case exports byte for byte the same bundle.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2

from hygie.core.errors import ContentError, Location
from hygie.incidents.sharing.case import Indicator, IndicatorKind, Severity, SharedCase, Tlp
from hygie.incidents.sharing.reading import (
    MAX_IMPORT_BYTES,
    IndicatorImport,
    UnreadIndicator,
    expect,
    load_json,
)

# OASIS cti-stix-common-objects, objects/marking-definition/ and extension-definition-specifications/tlp-2.0/.
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKINGS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
# OASIS incident core extension 2.0.0 (extension-definition-specifications/incident-ef7).
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

# Appendix B of the incident core extension, "5 qualitative" scale.
CRITICALITY: dict[Severity, int] = {
    Severity.LOW: 15,
    Severity.MEDIUM: 40,
    Severity.HIGH: 70,
    Severity.CRITICAL: 95,
}
# Fixed dates of the establishment's identity: one id and one version whatever the case exported.
_IDENTITY_DATE = datetime(2020, 1, 1, tzinfo=UTC)
MAX_PATTERN_LENGTH = 10_000

_HASHES = {IndicatorKind.MD5: "MD5", IndicatorKind.SHA1: "'SHA-1'", IndicatorKind.SHA256: "'SHA-256'"}
_PATHS: dict[IndicatorKind, str] = {
    IndicatorKind.IPV4: "ipv4-addr:value",
    IndicatorKind.IPV6: "ipv6-addr:value",
    IndicatorKind.DOMAIN: "domain-name:value",
    IndicatorKind.URL: "url:value",
    IndicatorKind.EMAIL: "email-addr:value",
    IndicatorKind.ACCOUNT: "user-account:account_login",
    **{kind: f"file:hashes.{name}" for kind, name in _HASHES.items()},
}


def escape(value: str) -> str:
    """``value`` as the inside of a STIX pattern string literal: backslash and quote escaped."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def pattern_for(indicator: Indicator) -> str:
    return f"[{_PATHS[indicator.kind]} = '{escape(indicator.value)}']"


def tlp_marking(tlp: Tlp) -> Any:
    """The official TLP 2.0 marking definition, as OASIS publishes it."""
    return stix2.v21.MarkingDefinition(
        id=TLP2_MARKINGS[tlp],
        created=TLP2_CREATED,
        name=f"TLP:{tlp.value.upper()}",
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}},
    )


def extension_definitions() -> list[Any]:
    """The two extension definitions the bundle uses, as OASIS publishes them."""
    return [
        stix2.v21.ExtensionDefinition(
            id=TLP2_EXTENSION,
            created_by_ref="identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01",
            created=TLP2_CREATED,
            modified=TLP2_CREATED,
            name="TLP 2.0",
            description="This defines TLP 2.0 as a STIX extension",
            schema="https://github.com/oasis-open/cti-stix-common-objects/tree/master/extension-definition-specifications/tlp-2.0",
            version="1.0.0",
            extension_types=["property-extension"],
        ),
        stix2.v21.ExtensionDefinition(
            id=INCIDENT_CORE,
            created_by_ref="identity--8ce3f695-d5a4-4dc8-9e93-a65af453a31a",
            created="2020-10-19T20:51:00.000Z",
            modified="2023-07-11T00:56:00.000Z",
            name="Incident Core Extension",
            schema="https://github.com/oasis-open/cti-stix-common-objects/tree/main/extension-definition-specifications/incident-ef7",
            version="2.0.0",
            extension_types=["property-extension"],
        ),
    ]


def _incident_extension(case: SharedCase) -> dict[str, Any]:
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "determination": case.determination.value,
        "investigation_status": case.investigation_status,
        "criticality": CRITICALITY[case.severity],
    }
    category = re.sub(r"[^a-z0-9]+", "-", case.category.lower()).strip("-")
    if category:
        extension["incident_types"] = [category]
    if case.care_services:
        extension["impacted_entity_counts"] = {"business-units": len(case.care_services)}
    return extension


def build_bundle(case: SharedCase) -> Any:
    """The case as a ``stix2`` Bundle (see the module's docstring for what it holds)."""
    marking = tlp_marking(case.tlp)
    # Every own object's version is the case's last change: a consumer takes any edit of the case.
    changed = max(case.detected_at, case.last_change)
    common: dict[str, Any] = {"object_marking_refs": [marking.id]}
    identity_id = f"identity--{case.establishment_uuid()}"
    references = []
    if case.establishment_finess:
        references.append({"source_name": "FINESS", "external_id": case.establishment_finess})
    identity = stix2.v21.Identity(
        id=identity_id,
        created_by_ref=identity_id,
        created=_IDENTITY_DATE,
        modified=_IDENTITY_DATE,
        name=case.establishment_name,
        identity_class="organization",
        sectors=["healthcare"],
        external_references=references or None,
        **common,
    )
    common["created_by_ref"] = identity_id
    incident = stix2.v21.Incident(
        id=f"incident--{case.uuid_for('incident')}",
        created=case.detected_at,
        modified=changed,
        name=case.title,
        description=case.description or None,
        external_references=[{"source_name": "hygie", "external_id": case.id}],
        extensions={INCIDENT_CORE: _incident_extension(case)},
        **common,
    )
    objects: list[Any] = [marking, *extension_definitions(), identity, incident]
    objects.append(
        _relationship(case, "targets", incident.id, identity_id, case.detected_at, changed, common)
    )
    for indicator in case.unique_indicators():
        seen = indicator.first_seen or case.detected_at
        key = (indicator.kind.value, indicator.value)
        stix_indicator = stix2.v21.Indicator(
            id=f"indicator--{case.uuid_for('indicator', *key)}",
            created=seen,
            modified=max(seen, changed),
            name=indicator.value,
            description=indicator.comment or None,
            indicator_types=["malicious-activity"],
            pattern=pattern_for(indicator),
            pattern_type="stix",
            valid_from=seen,
            **common,
        )
        sighting = stix2.v21.Sighting(
            id=f"sighting--{case.uuid_for('sighting', *key)}",
            created=seen,
            modified=max(seen, changed),
            first_seen=indicator.first_seen,
            sighting_of_ref=stix_indicator.id,
            where_sighted_refs=[identity_id],
            **common,
        )
        objects += [stix_indicator, sighting]
        objects.append(
            _relationship(case, "related-to", stix_indicator.id, incident.id, seen, changed, common)
        )
    for entry in case.unique_timeline():
        objects.append(
            stix2.v21.Note(
                id=f"note--{case.uuid_for('note', entry.time.isoformat(), entry.text)}",
                created=entry.time,
                modified=entry.time,
                content=entry.text,
                object_refs=[incident.id],
                **common,
            )
        )
    return stix2.v21.Bundle(id=f"bundle--{case.uuid_for('bundle')}", objects=objects)


def _relationship(
    case: SharedCase,
    kind: str,
    source: str,
    target: str,
    created: datetime,
    changed: datetime,
    common: dict[str, Any],
) -> Any:
    return stix2.v21.Relationship(
        id=f"relationship--{case.uuid_for('relationship', kind, source, target)}",
        created=created,
        modified=max(created, changed),
        relationship_type=kind,
        source_ref=source,
        target_ref=target,
        **common,
    )


def export_stix(case: SharedCase) -> str:
    """The bundle as JSON text, the same bytes for the same case."""
    return str(build_bundle(case).serialize(pretty=True)) + "\n"


# ---- reading indicators back ----------------------------------------------------------------------

_SIMPLE = re.compile(r"\[\s*([a-z0-9-]+):([A-Za-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]", re.DOTALL)
_BY_PATH = {path: kind for kind, path in _PATHS.items() if not path.startswith("file:")}
_BY_PATH["user-account:user_id"] = IndicatorKind.ACCOUNT
_HASH_NAMES = {"MD5": IndicatorKind.MD5, "SHA1": IndicatorKind.SHA1, "SHA256": IndicatorKind.SHA256}


def _unescape(literal: str) -> str:
    out: list[str] = []
    chars = iter(literal)
    for char in chars:
        if char == "\\":
            escaped = next(chars)
            if escaped not in "'\\":
                raise ValueError(f"unknown escape \\{escaped} in the string")
            char = escaped
        out.append(char)
    return "".join(out)


def parse_pattern(pattern: str) -> tuple[IndicatorKind, str]:
    """(kind, value) of a pattern of the simple form ``[type:property = 'value']``; ValueError
    saying why for any other pattern (AND/OR, other operators, qualifiers, other properties)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
    match = _SIMPLE.fullmatch(pattern.strip())
    if match is None:
        raise ValueError("only the simple form [object:property = 'value'] is read")
    object_type, path, literal = match.groups()
    full = f"{object_type}:{path}"
    kind = _BY_PATH.get(full)
    if kind is None and object_type == "file":
        hashed = re.fullmatch(r"hashes\.(?:'([A-Za-z0-9-]+)'|([A-Za-z0-9_-]+))", path)
        if hashed:
            kind = _HASH_NAMES.get((hashed.group(1) or hashed.group(2)).upper().replace("-", ""))
    if kind is None:
        raise ValueError(f"{full} is not an indicator Hygie keeps")
    return kind, _unescape(literal)


def read_stix_indicators(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> IndicatorImport:
    """The indicators of the STIX 2.x bundle in ``path`` and the indicator objects not read.
    A ContentError naming the file when it is not a readable bundle."""
    document = expect(load_json(path, max_bytes), dict, "the document", path)
    if document.get("type") != "bundle":
        raise ContentError('not a STIX bundle: its "type" is not "bundle"', Location(path.name, field="type"))
    objects = expect(document.get("objects", []), list, "objects", path)
    result = IndicatorImport(source=path.name)
    for position, item in enumerate(objects):
        if not isinstance(item, dict) or item.get("type") != "indicator":
            continue
        ref = item["id"] if isinstance(item.get("id"), str) else f"objects[{position}]"
        pattern = item.get("pattern")
        if not isinstance(pattern, str):
            result.unread.append(UnreadIndicator(ref, "", "no pattern"))
            continue
        if item.get("pattern_type", "stix") != "stix":
            result.unread.append(UnreadIndicator(ref, pattern[:200], "the pattern is not a STIX pattern"))
            continue
        try:
            kind, value = parse_pattern(pattern)
        except (ValueError, StopIteration) as exc:
            reason = str(exc) or "the string ends with a backslash"
            result.unread.append(UnreadIndicator(ref, pattern[:200], reason))
            continue
        comment = item.get("description")
        result.add(kind, value, ref, comment=comment if isinstance(comment, str) else "")
    return result
