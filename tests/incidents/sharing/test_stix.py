from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import stix2

from hygie.core.errors import ContentError
from hygie.incidents.sharing import IndicatorKind, Tlp, export_stix, read_stix_indicators
from hygie.incidents.sharing.stix import INCIDENT_CORE, TLP2_EXTENSION, parse_pattern
from tests.incidents.sharing.cases import INDICATORS, make_case

# Copied by hand from OASIS cti-stix-common-objects (objects/marking-definition/, tlp-2.0/examples/).
OFFICIAL_TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 ids that stix2 ships: a TLP 2.0 export must never carry them.
TLP1_IDS = {stix2.TLP_WHITE.id, stix2.TLP_GREEN.id, stix2.TLP_AMBER.id, stix2.TLP_RED.id}

EXPECTED_PATTERNS = {
    "203.0.113.5": "[ipv4-addr:value = '203.0.113.5']",
    "2001:db8::1": "[ipv6-addr:value = '2001:db8::1']",
    "evil.example.org": "[domain-name:value = 'evil.example.org']",
    "https://evil.example.org/a?q='x'&b=\\y": "[url:value = 'https://evil.example.org/a?q=\\'x\\'&b=\\\\y']",
    "d41d8cd98f00b204e9800998ecf8427e": "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709": (
        "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"
    ),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": (
        "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"
    ),
    "phish@evil.example.org": "[email-addr:value = 'phish@evil.example.org']",
    "CHU\\svc_o'brien": "[user-account:account_login = 'CHU\\\\svc_o\\'brien']",
}


def _parsed(text: str) -> Any:
    return stix2.parse(text, allow_custom=False)


def _by_type(bundle: Any, kind: str) -> list[Any]:
    return [o for o in bundle.objects if o.type == kind]


def test_bundle_parses_strictly_and_holds_the_incident() -> None:
    bundle = _parsed(export_stix(make_case()))
    (incident,) = _by_type(bundle, "incident")
    assert incident.name == "Rançongiciel sur le DPI"
    assert incident.description == "Chiffrement des serveurs du DPI."
    assert incident.created.isoformat() == "2026-03-29T00:30:00+00:00"
    assert incident.modified.isoformat() == "2026-03-29T01:15:00+00:00"
    assert incident.external_references[0].external_id == "42"
    assert dict(incident.extensions[INCIDENT_CORE]) == {
        "extension_type": "property-extension",
        "determination": "suspected",
        "investigation_status": "open",
        "criticality": 95,
        "incident_types": ["ransomware"],
        "impacted_entity_counts": {"business-units": 2},
    }
    (identity,) = _by_type(bundle, "identity")
    assert identity.name == "Centre hospitalier de Test"
    assert identity.sectors == ["healthcare"]
    assert identity.external_references[0].source_name == "FINESS"
    assert identity.external_references[0].external_id == "750000001"
    assert incident.created_by_ref == identity.id
    targets = [r for r in _by_type(bundle, "relationship") if r.relationship_type == "targets"]
    assert [(r.source_ref, r.target_ref) for r in targets] == [(incident.id, identity.id)]
    notes = _by_type(bundle, "note")
    assert sorted(n.content for n in notes) == ["Cellule de crise réunie", "Isolation du réseau du DPI"]
    assert all(n.object_refs == [incident.id] for n in notes)


def test_each_indicator_has_its_pattern_sighting_and_relationship() -> None:
    bundle = _parsed(export_stix(make_case()))
    (incident,) = _by_type(bundle, "incident")
    indicators = _by_type(bundle, "indicator")
    assert {i.name: i.pattern for i in indicators} == EXPECTED_PATTERNS
    related = {r.source_ref for r in _by_type(bundle, "relationship") if r.relationship_type == "related-to"}
    assert related == {i.id for i in indicators}
    assert all(
        r.target_ref == incident.id for r in _by_type(bundle, "relationship") if r.source_ref in related
    )
    sightings = {s.sighting_of_ref: s for s in _by_type(bundle, "sighting")}
    assert set(sightings) == related
    first = next(i for i in indicators if i.name == "203.0.113.5")
    assert sightings[first.id].first_seen.isoformat() == "2026-03-28T22:00:00+00:00"
    assert first.valid_from.isoformat() == "2026-03-28T22:00:00+00:00"
    account = next(i for i in indicators if i.name.startswith("CHU"))
    assert account.description == "compte de service détourné"


@pytest.mark.parametrize("tlp", list(Tlp))
def test_every_object_carries_the_official_tlp2_marking(tlp: Tlp) -> None:
    bundle = _parsed(export_stix(make_case(tlp=tlp)))
    markings = _by_type(bundle, "marking-definition")
    assert [m.id for m in markings] == [OFFICIAL_TLP2[tlp.value]]
    (marking,) = markings
    assert marking.name == f"TLP:{tlp.value.upper()}"
    assert marking.created.isoformat() == "2022-10-01T00:00:00+00:00"
    assert marking.extensions[TLP2_EXTENSION]["tlp_2_0"] == tlp.value
    published = {"marking-definition", "extension-definition"}  # OASIS's objects, carried unchanged
    own = [o for o in bundle.objects if o.type not in published]
    assert len(own) == 2 + 3 * len(INDICATORS) + 1 + 2  # identity, incident; indicator trios; targets; notes
    for obj in own:
        assert obj.object_marking_refs == [OFFICIAL_TLP2[tlp.value]], obj.id
    text = export_stix(make_case(tlp=tlp))
    assert not any(old in text for old in TLP1_IDS)


def test_extension_definitions_are_the_oasis_ones() -> None:
    bundle = _parsed(export_stix(make_case()))
    definitions = {d.id: d for d in _by_type(bundle, "extension-definition")}
    assert set(definitions) == {INCIDENT_CORE, TLP2_EXTENSION}
    assert definitions[INCIDENT_CORE].version == "2.0.0"
    assert definitions[INCIDENT_CORE].schema.endswith("/incident-ef7")
    assert definitions[TLP2_EXTENSION].created_by_ref == "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"


def test_reexport_is_byte_for_byte_stable_and_ids_change_with_the_case() -> None:
    first, again = export_stix(make_case()), export_stix(make_case())
    assert first == again
    other = export_stix(make_case(id="43"))
    ids = {o["id"] for o in json.loads(first)["objects"]}
    other_ids = {o["id"] for o in json.loads(other)["objects"]}
    # Only the published objects and the establishment's identity are shared between two cases.
    shared = {i.split("--")[0] for i in ids & other_ids}
    assert shared == {"marking-definition", "extension-definition", "identity"}


def test_closed_confirmed_case() -> None:
    from datetime import UTC, datetime

    case = make_case(
        closed_at=datetime(2026, 4, 2, 9, 0, tzinfo=UTC), determination="confirmed", severity="low"
    )
    (incident,) = _by_type(_parsed(export_stix(case)), "incident")
    extension = incident.extensions[INCIDENT_CORE]
    assert (extension["investigation_status"], extension["determination"], extension["criticality"]) == (
        "closed",
        "confirmed",
        15,
    )


def test_round_trip_gives_the_same_indicators(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(export_stix(make_case()), encoding="utf-8")
    result = read_stix_indicators(path)
    assert result.unread == []
    assert [(i.kind, i.value, i.comment) for i in result.indicators] == [
        (i.kind, i.value, i.comment) for i in INDICATORS
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[file:hashes.'SHA-256' = 'AB']", (IndicatorKind.SHA256, "AB")),
        ("[file:hashes.SHA256 = 'ab']", (IndicatorKind.SHA256, "ab")),
        ("[ file:hashes.'md5'='x' ]", (IndicatorKind.MD5, "x")),
        ("[user-account:user_id = 'S-1-5']", (IndicatorKind.ACCOUNT, "S-1-5")),
        ("[url:value = 'a\\\\b\\'c']", (IndicatorKind.URL, "a\\b'c")),
    ],
)
def test_simple_patterns_are_read(pattern: str, expected: tuple[IndicatorKind, str]) -> None:
    assert parse_pattern(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '5.6.7.8']", "simple form"),
        ("[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8']", "simple form"),
        ("[domain-name:value LIKE '%.example.org']", "simple form"),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 10 SECONDS", "simple form"),
        ("[process:name = 'cmd.exe']", "process:name is not an indicator"),
        ("[file:hashes.'SHA-512' = 'ab']", "file:hashes.'SHA-512' is not an indicator"),
        ("[url:value = 'a\\nb']", "unknown escape"),
        ("[url:value = '" + "a" * 20_000 + "']", "longer than"),
    ],
)
def test_other_patterns_are_refused_with_a_reason(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_pattern(pattern)


def _bundle(objects: list[Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects}


def test_unreadable_indicators_are_listed_not_dropped(tmp_path: Path) -> None:
    objects = [
        {
            "type": "indicator",
            "id": "indicator--1",
            "pattern": "[process:name = 'x']",
            "pattern_type": "stix",
        },
        {"type": "indicator", "id": "indicator--2", "pattern": "alert tcp any", "pattern_type": "snort"},
        {"type": "indicator", "id": "indicator--3", "pattern": 42},
        {"type": "indicator", "id": "indicator--4", "pattern": "[ipv4-addr:value = '300.1.1.1']"},
        {"type": "indicator", "id": "indicator--5", "pattern": "[domain-name:value = 'ok.example.net']"},
        {"type": "malware", "id": "malware--6", "name": "ignored"},
        "not an object",
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(_bundle(objects)), encoding="utf-8")
    result = read_stix_indicators(path)
    assert [(i.kind, i.value) for i in result.indicators] == [(IndicatorKind.DOMAIN, "ok.example.net")]
    assert [(u.ref, u.reason) for u in result.unread] == [
        ("indicator--1", "process:name is not an indicator Hygie keeps"),
        ("indicator--2", "the pattern is not a STIX pattern"),
        ("indicator--3", "no pattern"),
        ("indicator--4", "Value error, not an IP address or network"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "the file is empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "the document must be a JSON object"),
        (b'{"type": "report"}', 'its "type" is not "bundle"'),
        (b'{"type": "bundle", "objects": {}}', "objects must be a JSON array"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"type": "bundle", "n": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_hostile_files_give_errors_naming_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "hostile-bundle.json"
    path.write_bytes(content)
    with pytest.raises(ContentError, match=message) as caught:
        read_stix_indicators(path)
    assert str(caught.value).startswith("hostile-bundle.json")


def test_files_over_200_mb_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: no disk used, and never read
        handle.truncate(200 * 1024 * 1024 + 1)
    with pytest.raises(ContentError, match="over the limit of 209,715,200 bytes") as caught:
        read_stix_indicators(path)
    assert str(caught.value).startswith("huge.json")
    with pytest.raises(ContentError, match="cannot read the file"):
        read_stix_indicators(tmp_path / "missing.json")


def test_oasis_validator_finds_no_error() -> None:
    from stix2validator import ValidationOptions, validate_string

    result = validate_string(export_stix(make_case()), ValidationOptions(version="2.1"))
    assert result.is_valid
    assert result.errors == []
    warnings = {code for warning in result.warnings for code in re.findall(r"\{(\d+)\}", str(warning))}
    # Accepted on purpose: uuid5 ids (103, stable re-export), "incident targets identity" from the
    # incident core extension (202), an indicator without description (303), OASIS's own extension
    # definition without description (305).
    assert warnings <= {"103", "202", "303", "305"}


def test_many_indicators_are_read_in_linear_time(tmp_path: Path) -> None:
    # 40 000 distinct addresses and each repeated: a quadratic de-duplication would take minutes.
    addresses = [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in range(40_000)]
    objects = [
        {
            "type": "indicator",
            "id": f"indicator--{n}",
            "pattern": f"[ipv4-addr:value = '{a}']",
            "description": "x" * 2500 if n < 3 else "",
        }
        for n, a in enumerate(addresses * 2)
    ]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(_bundle(objects)), encoding="utf-8")
    result = read_stix_indicators(path)
    assert [i.value for i in result.indicators] == addresses
    assert max(len(i.comment) for i in result.indicators) == 2000  # longer descriptions cut


def test_a_bare_case_exports_too() -> None:
    case = make_case(
        description="",
        category="!!",
        establishment_finess=None,
        care_services=(),
        timeline=(),
        indicators=(),
        started_at=None,
    )
    bundle = _parsed(export_stix(case))
    assert sorted(o.type for o in bundle.objects) == [
        "extension-definition",
        "extension-definition",
        "identity",
        "incident",
        "marking-definition",
        "relationship",
    ]
    (incident,) = _by_type(bundle, "incident")
    assert "description" not in incident
    assert set(incident.extensions[INCIDENT_CORE]) == {
        "extension_type",
        "determination",
        "investigation_status",
        "criticality",
    }


def test_a_timeline_entry_written_twice_is_one_note() -> None:
    entry = make_case().timeline[0]
    bundle = _parsed(export_stix(make_case(timeline=(entry, entry))))
    assert [n.content for n in _by_type(bundle, "note")] == [entry.text]


def test_an_edit_of_the_case_gives_new_versions_under_the_same_ids() -> None:
    from datetime import UTC, datetime

    before = {o.id: o for o in _parsed(export_stix(make_case())).objects}
    edited = make_case(updated_at=datetime(2026, 3, 30, 8, 0, tzinfo=UTC))
    after = {o.id: o for o in _parsed(export_stix(edited)).objects}
    assert set(before) == set(after)
    bumped = {i for i in after if "modified" in after[i] and after[i].modified != before[i].modified}
    own = {
        i for i in after if i.split("--")[0] not in {"marking-definition", "extension-definition", "identity"}
    }
    notes = {i for i in own if i.startswith("note--")}  # a note is its text at its time: never edited
    assert bumped == own - notes
    assert all(after[i].modified.isoformat() == "2026-03-30T08:00:00+00:00" for i in bumped)
