"""The literal prefilter: which anchors a rule gets, where they hold, and that it never drops a true hit.

The reference is ``engine.evaluate`` with DuckDB: every rule's exact SQL on every event of its log source,
no prefilter (what the engine did before, and what Spark still does).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from hygie.detect.sigma import scan
from hygie.detect.sigma.compiler import CompiledRules, compile_paths, compile_text
from hygie.detect.sigma.engine import evaluate, run
from hygie.detect.sigma.prefilter import CONTAINS, ENDS, EQUALS, MESSAGE_KEY, STARTS, Matcher, _like_runs
from tests.detect.evtx_events import table_of
from tests.detect.sigma import regression
from tests.detect.sigma.test_semantics import SYSMON, proc, rule


def anchors(detection: str) -> list[list[str]] | None:
    compiled = compile_text(rule(detection))
    assert not compiled.unconvertible, compiled.unconvertible
    return compiled.rules[0].anchors


def image(how: str, text: str) -> list[list[str]]:
    return [["Image", how, text], ["NewProcessName", how, text]]


def test_and_keeps_the_most_selective_side() -> None:
    # An anchored suffix of 8 characters beats a contained text of 4.
    found = anchors(
        "  a: {Image|endswith: '\\cmd.exe'}\n  b: {CommandLine|contains: ' /c '}\n  condition: a and b"
    )
    # A process_creation rule reads Image or, in a Security 4688 event, NewProcessName: either may hold.
    assert found == image(ENDS, "\\cmd.exe")


def test_or_needs_an_anchor_on_every_side() -> None:
    found = anchors("  a: {Image|endswith: '\\A.exe'}\n  b: {OriginalFileName: 'B.EXE'}\n  condition: a or b")
    assert found == [*image(ENDS, "\\a.exe"), ["OriginalFileName", EQUALS, "b.exe"]]
    assert anchors("  a: {Image|endswith: '.exe'}\n  b: {CommandLine|re: 'x+'}\n  condition: a or b") is None


def test_not_regex_numbers_and_null_give_no_anchor() -> None:
    assert anchors("  a: {Image|endswith: '.exe'}\n  condition: not a") is None
    assert anchors("  a: {CommandLine|re: 'vss.*delete'}\n  condition: a") is None
    assert anchors("  a: {Size: 5}\n  condition: a") is None
    assert anchors("  a: {User: null}\n  condition: a") is None
    # With an anchored side, AND still gets one.
    assert anchors("  a: {Size: 5}\n  b: {Image|startswith: 'C:\\Tools'}\n  condition: a and b") == image(
        STARTS, "c:\\tools"
    )


def test_wildcards_cased_and_keywords() -> None:
    # The longest literal run of a LIKE pattern; a cased value is lower-cased (the value is too).
    assert anchors("  a: {CommandLine: '*dump?lsass*.dmp'}\n  condition: a") == [
        ["CommandLine", CONTAINS, "dump"]
    ] or anchors("  a: {CommandLine: '*dump?lsass*.dmp'}\n  condition: a") == [
        ["CommandLine", CONTAINS, "lsass"]
    ]
    assert anchors("  a: {Image|cased|endswith: 'CMD.exe'}\n  condition: a") == image(ENDS, "cmd.exe")
    assert anchors("  keywords: ['Invoke-Mimikatz']\n  condition: keywords") == [
        [MESSAGE_KEY, CONTAINS, "invoke-mimikatz"]
    ]


def test_like_runs_unescape() -> None:
    assert _like_runs("%a\\_b%c_d%") == ["a_b", "c", "d"]
    assert _like_runs("%\\%x\\\\%") == ["%x\\"]
    assert _like_runs("%_%") == []


def test_matcher_checks_where_each_anchor_sits() -> None:
    matcher = Matcher.build(
        [
            [("Image", ENDS, "\\cmd.exe")],
            [("Image", STARTS, "c:\\tools\\")],
            [("Image", EQUALS, "cmd.exe")],
            [("Image", CONTAINS, "cmd")],
            None,
        ]
    )
    assert matcher.always == [4]
    assert matcher.rules_of("Image", "c:\\windows\\cmd.exe") == {0, 3}
    assert matcher.rules_of("Image", "c:\\windows\\cmd.exe.bak") == {3}
    assert matcher.rules_of("Image", "c:\\tools\\cmd.exe") == {0, 1, 3}
    assert matcher.rules_of("Image", "cmd.exe") == {2, 3}
    assert matcher.rules_of("Image", "d:\\c:\\tools\\x") == set()


RULES = [
    "  a: {Image|endswith: ['\\cmd.exe', '\\pwsh.exe']}\n  b: {CommandLine|contains: [' /c ', '-enc']}\n"
    "  condition: a and b",
    "  a: {OriginalFileName: 'Rundll32.EXE'}\n  f: {CommandLine|contains: 'shell32'}\n"
    "  condition: a and not f",
    "  a: {CommandLine|contains|all: ['vssadmin', 'delete', 'shadows']}\n  condition: a",
    "  a: {CommandLine: '*dump?lsass*'}\n  condition: a",
    "  a: {Image|cased|startswith: 'C:\\Tools\\'}\n  condition: a",
    "  a: {ParentImage|endswith: '\\explorer.exe'}\n  b: {CommandLine|re: '(?i)b[a4]se64'}\n"
    "  condition: a or b",
    "  a: {CommandLine|re: 'x{3}'}\n  condition: a",
    "  a: {Image|endswith: '.exe'}\n  b: {User: null}\n  condition: a and b",
    "  keywords: ['Mimikatz', 'sekurlsa::']\n  condition: keywords",
    "  a: {Image|endswith: '\\wmic.exe'}\n  b: {ParentImage|fieldref: Image}\n  condition: a and b",
]
WORDS = [
    "\\cmd.exe", "\\pwsh.exe", " /c ", "-enc", "rundll32.exe", "shell32", "vssadmin", "delete", "shadows",
    "dump", "lsass", "c:\\tools\\", "C:\\Tools\\", "\\explorer.exe", "base64", "b4se64", "xxx", ".exe",
    "mimikatz", "SEKURLSA::", "\\wmic.exe", "x", "_", "%", "ümlaut", "", "dumpXlsass",
    "vssadmin delete shadows",
]  # fmt: skip


def _value(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) for _ in range(rng.randint(0, 3))]
    text = "".join(parts)
    return text.upper() if rng.random() < 0.2 else text


def generated_events(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 (test data)
    events = []
    for number in range(1, count + 1):
        fields = {
            name: _value(rng)
            for name in ("Image", "OriginalFileName", "CommandLine", "ParentImage", "User")
            if rng.random() < 0.8
        }
        if rng.random() < 0.2 and "Image" in fields:
            fields["ParentImage"] = fields["Image"]
        event = proc(number, **fields)
        event["message"] = _value(rng) + " " + _value(rng)
        if rng.random() < 0.1:
            event["channel"] = "Security"
        events.append(event)
    return events


def reference(connection: Any, source: str, compiled: CompiledRules) -> list[tuple[str, tuple[int, ...]]]:
    def query(sql: str) -> Sequence[Sequence[Any]]:
        return list(connection.execute(sql).fetchall())

    return [(h.rule_id, h.event_ids) for h in evaluate(query, source, compiled, "duckdb")]


def numbered(texts: list[str]) -> list[str]:
    return [rule(t).replace("0001\n", f"{i:04d}\n") for i, t in enumerate(texts)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prefilter_never_drops_a_true_hit(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = compile_text(*numbered(RULES))
    assert not compiled.unconvertible and len(compiled.rules) == len(RULES)
    connection = duckdb.connect()
    connection.register("events", table_of(generated_events(seed, 400)))
    expected = reference(connection, "events", compiled)
    # Small batches: a rule's hits spread over several batches must all come back.
    monkeypatch.setattr(scan, "BATCH_ROWS", 37)
    found = [(h.rule_id, h.event_ids) for h in run(connection, "events", compiled)]
    assert found == expected
    # The generated events do make most rules fire: the comparison is not between two empty lists.
    assert len({rule_id for rule_id, _ in expected}) >= 9


SIGMA_SAMPLE = 300


@pytest.mark.skipif(not regression.SIGMA.is_dir(), reason="SigmaHQ data set not present")
def test_sigmahq_rules_same_hits_with_and_without_prefilter() -> None:
    """Events built from the literals of real SigmaHQ process-creation rules, mixed and mutated."""
    cache = Path("/tmp/hygie-sigma-test-cache")  # noqa: S108
    every = compile_paths(regression.RULE_DIRS, cache)
    sample = [r for r in every.rules if 1 in r.event_codes and SYSMON in r.channels][:SIGMA_SAMPLE]
    compiled = CompiledRules(digest="", rules=sample)
    rng = random.Random(7)  # noqa: S311 (test data)
    literals: dict[str, list[str]] = {}
    for compiled_rule in sample:
        tree = sqlglot.parse_one(compiled_rule.scan_sql["duckdb"], read="duckdb")
        for literal in tree.find_all(sqlglot.exp.Literal):
            column = literal.parent.args.get("this") if literal.parent is not None else None
            name = getattr(column, "name", "")
            if literal.is_string and re.match(r"^[lf]:", name):
                literals.setdefault(name[2:], []).append(str(literal.this))
    events = []
    for number in range(1, 1201):
        fields = {}
        for key, texts in literals.items():
            if rng.random() < 0.25:
                text = "".join(rng.choice(texts) for _ in range(rng.randint(1, 2)))
                if rng.random() < 0.2 and text:
                    text = text[: rng.randrange(len(text))]  # a near miss
                fields[key] = text.upper() if rng.random() < 0.3 else text
        events.append(proc(number, **fields))
    connection = duckdb.connect()
    connection.register("events", table_of(events))
    expected = reference(connection, "events", compiled)
    found = [(h.rule_id, h.event_ids) for h in run(connection, "events", compiled)]
    assert found == expected
    assert len({rule_id for rule_id, _ in expected}) >= 30


LIST_RULE = (
    "  a: {Image|endswith: ['\\a.exe', 'b(1).exe', '.x+y']}\n"
    "  b: {OriginalFileName: ['x.exe', 'y.exe', 'z$.exe']}\n"
    "  c: {CommandLine|startswith: ['[a]', 'b|c', '^d']}\n"
    "  f: {User|contains: ['adm', 'svc', 'sys']}\n"
    "  condition: (a or b or c) and not f"
)


def test_literal_lists_become_one_regex_for_duckdb_only() -> None:
    compiled = compile_text(rule(LIST_RULE)).rules[0]
    duck, spark = compiled.scan_sql["duckdb"], compiled.scan_sql["spark"]
    assert duck.count("REGEXP_MATCHES") == 4 and "ENDS_WITH" not in duck and "CONTAINS" not in duck
    assert "REGEXP" not in spark and spark.count("CONTAINS") == 3
    # Two literals on a column stay as they are.
    two = compile_text(rule("  a: {Image|endswith: ['x.exe', 'y.exe']}\n  condition: a")).rules[0]
    assert "REGEXP" not in two.scan_sql["duckdb"]


def test_merged_lists_keep_every_hit_and_miss() -> None:
    events = [
        proc(1, Image="C:\\A.EXE"),  # \a.exe suffix
        proc(2, Image="c:\\ab(1).exe"),  # parentheses are literal
        proc(3, Image="c:\\b1.exe"),  # ... and not a group
        proc(4, Image="c:\\v.x+y"),  # '+' is literal
        proc(16, Image="c:\\v.xxy"),  # ... and not a repetition
        proc(5, OriginalFileName="X.exe"),  # equality, case-insensitive
        proc(6, OriginalFileName="xx.exe"),  # equality is not a suffix
        proc(7, OriginalFileName="z$.exe"),
        proc(8, CommandLine="[A] run"),  # starts with, brackets literal
        proc(9, CommandLine="run [a]"),  # not at the start
        proc(10, CommandLine="b|c"),
        proc(11, CommandLine="^d x"),
        proc(12, Image="c:\\a.exe", User="svc_backup"),  # the filter list
        proc(13, Image="c:\\a.exe.bak"),  # suffix only at the end
        proc(14, OriginalFileName="x.exe\n"),  # a trailing newline is not the end
        proc(15),  # no field at all
    ]
    text = rule(LIST_RULE)
    compiled = compile_text(text)
    connection = duckdb.connect()
    connection.register("events", table_of(events))
    found = sorted(i for h in run(connection, "events", compiled) for i in h.event_ids)
    assert found == [1, 2, 4, 5, 7, 8, 10, 11]
    assert [i for _, ids in reference(connection, "events", compiled) for i in ids] == found
