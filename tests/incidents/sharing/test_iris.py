from __future__ import annotations

import json
from datetime import UTC, datetime

from hygie.incidents.sharing import Tlp, export_iris
from tests.incidents.sharing.cases import INDICATORS, make_case


def test_export_has_iris_case_export_keys() -> None:
    export = json.loads(export_iris(make_case()))
    assert list(export) == [
        "case",
        "evidences",
        "timeline",
        "iocs",
        "assets",
        "tasks",
        "comments",
        "notes",
        "export_date",
    ]
    case = export["case"]
    assert (case["name"], case["soc_id"], case["client_name"]) == (
        "Rançongiciel sur le DPI",
        "42",
        "Centre hospitalier de Test",
    )
    assert (case["open_date"], case["close_date"], case["severity"], case["state"]) == (
        "2026-03-29",
        None,
        "Critical",
        "In progress",
    )
    hygie = case["custom_attributes"]["Hygie"]
    assert hygie["FINESS"] == {"type": "input_string", "value": "750000001", "mandatory": False}
    assert hygie["Services de soins touchés"]["value"] == "Urgences, Bloc opératoire"
    assert hygie["TLP"]["value"] == "TLP:AMBER+STRICT"
    assert hygie["Début de l'incident"]["value"] == "2026-03-28T21:00:00+00:00"
    assert (hygie["Catégorie d'incident"]["value"], hygie["Statut"]["value"]) == ("Ransomware", "open")
    english = json.loads(export_iris(make_case(), lang="en"))["case"]["custom_attributes"]["Hygie"]
    assert list(english) == [
        "FINESS",
        "TLP",
        "Incident category",
        "Status",
        "Start of the incident",
        "Affected care services",
    ]
    assert export["export_date"] == "2026-03-29T01:15:00+00:00"


def test_iocs_take_iris_types_and_tlp_ids() -> None:
    iocs = json.loads(export_iris(make_case()))["iocs"]
    assert [(i["ioc_type"]["type_name"], i["ioc_value"]) for i in iocs] == [
        ("ip-any", "203.0.113.5"),
        ("ip-any", "2001:db8::1"),
        ("domain", "evil.example.org"),
        ("url", "https://evil.example.org/a?q='x'&b=\\y"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("email", "phish@evil.example.org"),
        ("account", "CHU\\svc_o'brien"),
    ]
    assert {i["ioc_tlp_id"] for i in iocs} == {5}
    assert [i["ioc_description"] for i in iocs] == [i.comment for i in INDICATORS]
    red = json.loads(export_iris(make_case(tlp=Tlp.RED)))["iocs"]
    assert {i["ioc_tlp_id"] for i in red} == {1}


def test_timeline_events_carry_paris_time_and_offset_across_the_clock_change() -> None:
    events = json.loads(export_iris(make_case()))["timeline"]
    assert [(e["event_date"], e["event_tz"], e["event_date_wtz"], e["event_title"]) for e in events] == [
        ("2026-03-29T01:45:00.000000", "+01:00", "2026-03-29T00:45:00.000000", "Cellule de crise réunie"),
        ("2026-03-29T03:15:00.000000", "+02:00", "2026-03-29T01:15:00.000000", "Isolation du réseau du DPI"),
    ]


def test_closed_case_and_stability() -> None:
    closed = make_case(closed_at=datetime(2026, 4, 2, 22, 30, tzinfo=UTC))
    case = json.loads(export_iris(closed))["case"]
    assert (case["close_date"], case["state"]) == ("2026-04-03", "Closed")  # 00:30 in Paris
    assert export_iris(make_case()) == export_iris(make_case())
