"""Each trap of detection.md as its own test: the hits are computed by hand on a few events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from hygie.detect.sigma.compiler import compile_text
from hygie.detect.sigma.engine import run
from tests.detect.evtx_events import table_of

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def proc(event_id: int, **fields: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "ts": datetime(2026, 1, 1, tzinfo=UTC),
        "channel": SYSMON,
        "event_code": 1,
        "fields": {"EventID": "1", **fields},
    }


def rule(detection: str, logsource: str = "{product: windows, category: process_creation}") -> str:
    return f"title: test\nid: 00000000-0000-0000-0000-000000000001\nlogsource: {logsource}\ndetection:\n{detection}"  # noqa: E501


def hits(rule_text: str, events: list[dict[str, Any]]) -> list[int]:
    compiled = compile_text(rule_text)
    assert not compiled.unconvertible, compiled.unconvertible
    connection = duckdb.connect()
    connection.register("events", table_of(events))
    return sorted(i for h in run(connection, "events", compiled) for i in h.event_ids)


def test_equality_is_case_insensitive() -> None:
    text = rule("  sel: {Image: 'C:\\Windows\\System32\\CMD.exe'}\n  condition: sel")
    events = [
        proc(1, Image="c:\\windows\\system32\\cmd.EXE"),
        proc(2, Image="c:\\windows\\system32\\cmd.exe2"),
    ]
    assert hits(text, events) == [1]


def test_cased_modifier_is_case_sensitive() -> None:
    text = rule("  sel: {Image|cased: 'CMD.exe'}\n  condition: sel")
    assert hits(text, [proc(1, Image="CMD.exe"), proc(2, Image="cmd.exe")]) == [1]


def test_underscore_and_percent_are_literal_in_wildcard_patterns() -> None:
    # '_' and '%' in a Sigma value are characters, not LIKE wildcards.
    text = rule("  sel: {CommandLine|contains: 'a_b%c'}\n  condition: sel")
    events = [
        proc(1, CommandLine="x A_B%C y"),
        proc(2, CommandLine="x aXbYc y"),
        proc(3, CommandLine="aXb%c"),
    ]
    assert hits(text, events) == [1]


def test_backslash_is_literal() -> None:
    text = rule("  sel: {Image|endswith: '\\\\tmp\\\\x.exe'}\n  condition: sel")
    assert hits(text, [proc(1, Image="C:\\tmp\\x.exe"), proc(2, Image="C:/tmp/x.exe")]) == [1]


def test_sigma_wildcards_star_and_question_mark() -> None:
    text = rule("  sel: {Image: 'C:\\\\*\\\\a?c.exe'}\n  condition: sel")
    events = [
        proc(1, Image="C:\\dir\\sub\\abc.exe"),
        proc(2, Image="C:\\dir\\abbc.exe"),
        proc(3, Image="D:\\abc.exe"),
    ]
    assert hits(text, events) == [1]


def test_number_against_text_does_not_abort_the_query() -> None:
    # LogonType holds text on one event: the query must go on and simply not match it.
    text = rule("  sel: {LogonType: 3}\n  condition: sel", "{product: windows, service: security}")
    events = [
        {"event_id": 1, "channel": "Security", "event_code": 4624, "fields": {"LogonType": "3"}},
        {"event_id": 2, "channel": "Security", "event_code": 4624, "fields": {"LogonType": "network"}},
        {"event_id": 3, "channel": "Security", "event_code": 4624, "fields": {"LogonType": "10"}},
    ]
    assert hits(text, events) == [1]


def test_numeric_comparison_modifiers() -> None:
    text = rule("  sel: {Size|gte: 10, Size|lt: 100}\n  condition: sel")
    events = [proc(1, Size="10"), proc(2, Size="99.5"), proc(3, Size="100"), proc(4, Size="big"), proc(5)]
    assert hits(text, events) == [1, 2]


def test_missing_field_is_not_matched_and_not_an_error() -> None:
    text = rule("  sel: {NoSuchField: 'x'}\n  condition: sel")
    assert hits(text, [proc(1, Image="x")]) == []


def test_missing_field_under_not_keeps_the_event() -> None:
    # SQL's NULL would drop event 2 (NOT NULL is NULL); Sigma says the filter simply does not match.
    text = rule(
        "  sel: {Image|endswith: '.exe'}\n  filter: {ParentImage: 'explorer.exe'}\n  condition: sel and not filter"  # noqa: E501
    )
    events = [proc(1, Image="a.exe", ParentImage="explorer.exe"), proc(2, Image="b.exe")]
    assert hits(text, events) == [2]


def test_null_value_matches_absent_or_empty_field() -> None:
    text = rule("  sel: {Image|endswith: '.exe', User: null}\n  condition: sel")
    events = [proc(1, Image="a.exe"), proc(2, Image="a.exe", User=""), proc(3, Image="a.exe", User="bob")]
    assert hits(text, events) == [1, 2]


def test_exists_modifier() -> None:
    text = rule("  sel: {User|exists: true}\n  condition: sel")
    assert hits(text, [proc(1, User="bob"), proc(2)]) == [1]


def test_logsource_restricts_to_its_channel_and_event_id() -> None:
    # EventID 1 is also a System event of other providers: only Sysmon's process creation is meant.
    text = rule("  sel: {Image|endswith: '.exe'}\n  condition: sel")
    other = {"event_id": 2, "channel": "System", "event_code": 1, "fields": {"Image": "a.exe"}}
    assert hits(text, [proc(1, Image="a.exe"), other]) == [1]


def test_keywords_search_the_raw_message() -> None:
    text = rule(
        "  keywords: ['mimikatz', 'sekurlsa::']\n  condition: keywords",
        "{product: windows, service: security}",
    )
    events = [
        {"event_id": 1, "channel": "Security", "message": "Started MIMIKATZ.exe", "fields": {}},
        {"event_id": 2, "channel": "Security", "message": "nothing", "fields": {}},
        {"event_id": 3, "channel": "Security", "fields": {}},
    ]
    assert hits(text, events) == [1]


def test_regex_is_case_sensitive_unless_flag_i() -> None:
    text = rule("  a: {CommandLine|re: 'vss.*delete'}\n  b: {Image|re|i: '^WMIC'}\n  condition: a or b")
    events = [
        proc(1, CommandLine="vssadmin delete shadows"),
        proc(2, CommandLine="VSSADMIN DELETE"),
        proc(3, Image="wmic.exe"),
    ]
    assert hits(text, events) == [1, 3]


def test_cidr_modifier() -> None:
    text = rule(
        "  sel: {DestinationIp|cidr: 10.1.0.0/16}\n  condition: sel",
        "{product: windows, category: network_connection}",
    )
    events = [
        {"event_id": n, "channel": SYSMON, "event_code": 3, "fields": {"DestinationIp": ip}}
        for n, ip in ((1, "10.1.2.3"), (2, "10.10.2.3"), (3, "110.1.2.3"))
    ]
    assert hits(text, events) == [1]


def test_windash_and_all_modifiers() -> None:
    text = rule("  sel: {CommandLine|windash|contains|all: ['-enc', '-nop']}\n  condition: sel")
    events = [
        proc(1, CommandLine="ps /enc AAA /nop"),
        proc(2, CommandLine="ps -enc AAA"),
        proc(3, CommandLine="ps –nop -enc"),
    ]
    assert hits(text, events) == [1, 3]


def test_base64offset_modifier() -> None:
    # 'http' base64-encoded at the three offsets: aHR0c, h0dH, odHRw.
    text = rule("  sel: {CommandLine|base64offset|contains: 'http'}\n  condition: sel")
    events = [proc(1, CommandLine="x aHR0cDovL2E= y"), proc(2, CommandLine="x http y")]
    assert hits(text, events) == [1]


def test_fieldref_modifier_compares_two_fields() -> None:
    text = rule("  sel: {ParentImage|fieldref: Image}\n  condition: sel")
    events = [
        proc(1, Image="A.exe", ParentImage="a.EXE"),
        proc(2, Image="a.exe", ParentImage="b.exe"),
        proc(3, Image="a"),
    ]
    assert hits(text, events) == [1]


def test_eventid_number_uses_the_typed_column() -> None:
    text = rule("  sel: {EventID: 4625}\n  condition: sel", "{product: windows, service: security}")
    events = [
        {"event_id": 1, "channel": "Security", "event_code": 4625, "fields": {}},
        {"event_id": 2, "channel": "Security", "event_code": 4624, "fields": {}},
    ]
    assert hits(text, events) == [1]


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_rendering_has_escapes_and_null_safety(dialect: str) -> None:
    compiled = compile_text(rule("  sel: {CommandLine|contains: 'a_b*c', LogonType: 3}\n  condition: sel"))
    sql = compiled.rules[0].sql[dialect]
    assert "ESCAPE" in sql and "COALESCE" in sql and "TRY_CAST" in sql
    assert "'%a\\_b%c%'" in sql if dialect == "duckdb" else "'%a\\\\_b%c%'" in sql


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_plain_contains_and_affixes_avoid_like(dialect: str) -> None:
    text = rule(
        "  sel: {CommandLine|contains: 'a_b%', Image|endswith: 'X.exe', User|startswith: 'NT'}\n"
        "  condition: sel"
    )
    sql = compile_text(text).rules[0].sql[dialect]
    assert "LIKE" not in sql
    assert (
        "CONTAINS(LOWER(fields['CommandLine']), 'a_b%')" in sql if dialect == "duckdb" else "CONTAINS(" in sql
    )
    assert "'x.exe'" in sql and "'nt'" in sql
