from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent

from hygie.core.errors import ContentError
from hygie.incidents.sharing import IndicatorKind, Tlp, export_misp, read_misp_indicators
from tests.incidents.sharing.cases import INDICATORS, make_case

# (type, category, to_ids) MISP should receive for each indicator of the case, in order.
EXPECTED_ATTRIBUTES = [
    ("ip-dst", "Network activity", True, "203.0.113.5"),
    ("ip-dst", "Network activity", True, "2001:db8::1"),
    ("domain", "Network activity", True, "evil.example.org"),
    ("url", "Network activity", True, "https://evil.example.org/a?q='x'&b=\\y"),
    ("md5", "Payload delivery", True, "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha1", "Payload delivery", True, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("sha256", "Payload delivery", True, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("email-src", "Payload delivery", True, "phish@evil.example.org"),
    ("target-user", "Targeting data", False, "CHU\\svc_o'brien"),
]


def _loaded(text: str) -> MISPEvent:
    event = MISPEvent()
    event.load(text)
    return event


def test_event_loads_in_pymisp_with_its_attributes() -> None:
    text = export_misp(make_case())
    assert list(json.loads(text)) == ["Event"]
    event = _loaded(text)
    assert event.info == "Rançongiciel sur le DPI"
    assert event.date.isoformat() == "2026-03-29"
    assert (int(event.distribution), int(event.threat_level_id), int(event.analysis)) == (0, 1, 1)
    assert [t.name for t in event.tags] == ["tlp:amber+strict"]
    assert event.Orgc.name == "Centre hospitalier de Test"
    got = [(a.type, a.category, a.to_ids, a.value) for a in event.attributes]
    assert got == EXPECTED_ATTRIBUTES
    assert all(int(a.distribution) == 5 for a in event.attributes)  # inherit the event's
    first = event.attributes[0]
    assert first.first_seen == datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert event.attributes[1].comment == "C2"


def test_report_holds_description_services_and_timeline_in_paris_time() -> None:
    (report,) = _loaded(export_misp(make_case())).event_reports
    assert report.content == (
        "Chiffrement des serveurs du DPI.\n\n- Urgences\n- Bloc opératoire\n\n"
        "- 2026-03-29 01:45 CET : Cellule de crise réunie\n"
        "- 2026-03-29 03:15 CEST : Isolation du réseau du DPI"
    )


@pytest.mark.parametrize(
    ("tlp", "distribution"),
    [(Tlp.CLEAR, 3), (Tlp.GREEN, 1), (Tlp.AMBER, 0), (Tlp.AMBER_STRICT, 0), (Tlp.RED, 0)],
)
def test_tlp_tag_and_distribution(tlp: Tlp, distribution: int) -> None:
    event = _loaded(export_misp(make_case(tlp=tlp)))
    assert [t.name for t in event.tags] == [f"tlp:{tlp.value}"]
    assert int(event.distribution) == distribution


def test_threat_level_and_analysis_follow_the_case() -> None:
    closed = make_case(severity="medium", closed_at=datetime(2026, 4, 2, 9, 0, tzinfo=UTC))
    event = _loaded(export_misp(closed))
    assert (int(event.threat_level_id), int(event.analysis)) == (2, 2)
    fresh = _loaded(export_misp(make_case(severity="low", status="new", timeline=())))
    assert (int(fresh.threat_level_id), int(fresh.analysis)) == (3, 0)


def test_reexport_is_stable() -> None:
    assert export_misp(make_case()) == export_misp(make_case())
    assert export_misp(make_case()) != export_misp(make_case(id="43"))


def test_round_trip_gives_the_same_indicators(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(export_misp(make_case()), encoding="utf-8")
    result = read_misp_indicators(path)
    assert result.unread == []
    assert [(i.kind, i.value, i.comment) for i in result.indicators] == [
        (i.kind, i.value, i.comment) for i in INDICATORS
    ]


def test_bare_event_objects_and_unknown_types(tmp_path: Path) -> None:
    event = {
        "info": "from a peer",
        "Attribute": [
            {"type": "ip-src", "value": "198.51.100.7", "comment": "scanner"},
            {"type": "hostname", "value": "c2.example.net"},
            {"type": "regkey", "value": "HKLM\\Run\\x"},
            {"type": "ip-dst", "value": "198.51.100.7"},  # same indicator again: kept once
            {"type": "domain", "value": "deleted.example.net", "deleted": True},
            {"type": "sha1", "value": "zz"},
            {"type": ["x"], "value": 3},
            {"type": "domain|ip", "value": "c3.example.net|2001:db8::7"},
            {"type": "ip-dst|port", "value": "198.51.100.9|443"},
            {"type": "filename|sha1", "value": "a.exe|DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"},
            {"type": "hostname|port", "value": "a|b|c"},
        ],
        "Object": [
            {"name": "file", "Attribute": [{"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"}]}
        ],
    }
    path = tmp_path / "peer.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    result = read_misp_indicators(path)
    assert [(i.kind, i.value, i.comment) for i in result.indicators] == [
        (IndicatorKind.IPV4, "198.51.100.7", "scanner"),
        (IndicatorKind.DOMAIN, "c2.example.net", ""),
        (IndicatorKind.DOMAIN, "c3.example.net", ""),
        (IndicatorKind.IPV6, "2001:db8::7", ""),
        (IndicatorKind.IPV4, "198.51.100.9", ""),
        (IndicatorKind.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""),
        (IndicatorKind.MD5, "d41d8cd98f00b204e9800998ecf8427e", ""),
    ]
    assert [(u.ref, u.reason) for u in result.unread] == [
        ("Attribute[2]", "MISP type regkey is not an indicator Hygie keeps"),
        ("Attribute[5]", "Value error, not a SHA1 hash (40 hexadecimal digits)"),
        ("Attribute[6]", "type and value must be strings"),
        ("Attribute[10]", "MISP type hostname|port is not an indicator Hygie keeps"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<Event/>", "not valid JSON"),
        (b'"just a string"', "the document must be a JSON object"),
        (b'{"Event": []}', "Event must be a JSON object"),
        (b'{"Event": {"info": "x", "Attribute": {}}}', "Event.Attribute must be a JSON array"),
        (b'{"Event": {"info": "x", "Object": [{"Attribute": 1}]}}', r"Event.Object\[0\].Attribute must be"),
        (b'{"response": []}', "not a MISP event"),
        (b'{"Event": ' * 100_000 + b"}" * 100_000, "nested too deeply"),
    ],
)
def test_hostile_files_give_errors_naming_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "hostile-event.json"
    path.write_bytes(content)
    with pytest.raises(ContentError, match=message) as caught:
        read_misp_indicators(path)
    assert str(caught.value).startswith("hostile-event.json")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big-event.json"
    path.write_text(export_misp(make_case()), encoding="utf-8")
    with pytest.raises(ContentError, match="over the limit of 100 bytes"):
        read_misp_indicators(path, max_bytes=100)


def _misp_schema(name: str) -> dict[str, Any]:
    import pymisp

    return dict(json.loads((Path(pymisp.__file__).parent / "data" / name).read_text(encoding="utf-8")))


def test_event_follows_misp_format_schema() -> None:
    from jsonschema import Draft4Validator

    document = json.loads(export_misp(make_case()))
    assert list(Draft4Validator(_misp_schema("schema-lax.json")).iter_errors(document)) == []
    # The strict schema (MISP format/2.4) predates event reports and attributes' first_seen:
    # without them, the event follows it too.
    del document["Event"]["EventReport"]
    for attribute in document["Event"]["Attribute"]:
        attribute.pop("first_seen", None)
    assert [e.message for e in Draft4Validator(_misp_schema("schema.json")).iter_errors(document)] == []


def test_a_bare_case_exports_too() -> None:
    case = make_case(description="", care_services=(), timeline=(), indicators=(), establishment_finess=None)
    event = _loaded(export_misp(case))
    assert (event.attributes, event.event_reports) == ([], [])
    assert [t.name for t in event.tags] == ["tlp:amber+strict"]
