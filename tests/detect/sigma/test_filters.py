"""Sigma filters compiled into the rules they name: exclusions by host, the cache key, refused files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from hygie.core.errors import ContentError
from hygie.detect.sigma.compiler import CompiledRules
from hygie.detect.sigma.engine import run
from hygie.detect.sigma.filters import (
    apply_overrides,
    compile_tuned,
    exclusion_filter,
    parse_filter,
)
from tests.detect.evtx_events import table_of
from tests.detect.sigma.test_semantics import proc, rule

RULE_A = "00000000-0000-0000-0000-00000000000a"
RULE_B = "00000000-0000-0000-0000-00000000000b"


def _rules(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # Two rules on the same events: whoami (A) and any .exe started by cmd (B).
    text_a = rule("  sel: {Image|endswith: '\\whoami.exe'}\n  condition: sel").replace(
        "0000-000000000001", "0000-00000000000a"
    )
    text_b = rule("  sel: {ParentImage|endswith: '\\cmd.exe'}\n  condition: sel").replace(
        "0000-000000000001", "0000-00000000000b"
    )
    (folder / "a.yml").write_text(text_a, encoding="utf-8")
    (folder / "b.yml").write_text(text_b, encoding="utf-8")
    return folder


def _events() -> list[dict[str, Any]]:
    whoami = {"Image": "C:\\Windows\\System32\\whoami.exe", "ParentImage": "C:\\Windows\\System32\\cmd.exe"}
    return [
        {**proc(1, **whoami), "host": "ADMIN-PC"},
        {**proc(2, **whoami), "host": "WARD-12"},
        {**proc(3, **whoami, User="HOSP\\admin"), "host": "WARD-13"},
    ]


def _hits(compiled: CompiledRules) -> list[tuple[str, int]]:
    connection = duckdb.connect()
    connection.register("events", table_of(_events()))
    return sorted((h.rule_id, i) for h in run(connection, "events", compiled) for i in h.event_ids)


def test_exclusion_of_one_host_for_one_rule_keeps_the_other_hosts_and_rules(tmp_path: Path) -> None:
    folder = _rules(tmp_path / "rules")
    base = compile_tuned([folder], None, [])
    assert _hits(base) == [(RULE_A, 1), (RULE_A, 2), (RULE_A, 3), (RULE_B, 1), (RULE_B, 2), (RULE_B, 3)]
    # Computer is the host column; equality ignores case as Sigma says.
    excluded = compile_tuned([folder], None, [exclusion_filter("Computer", "admin-pc", RULE_A)])
    assert _hits(excluded) == [(RULE_A, 2), (RULE_A, 3), (RULE_B, 1), (RULE_B, 2), (RULE_B, 3)]


def test_exclusion_for_every_rule_and_by_a_field_with_a_modifier(tmp_path: Path) -> None:
    folder = _rules(tmp_path / "rules")
    everywhere = compile_tuned([folder], None, [exclusion_filter("Computer", "ADMIN-PC")])
    assert _hits(everywhere) == [(RULE_A, 2), (RULE_A, 3), (RULE_B, 2), (RULE_B, 3)]
    two = compile_tuned(
        [folder],
        None,
        [exclusion_filter("Computer", "ADMIN-PC"), exclusion_filter("User|endswith", "\\ADMIN", RULE_B)],
    )
    assert _hits(two) == [(RULE_A, 2), (RULE_A, 3), (RULE_B, 2)]
    # A filter for another product touches nothing.
    assert _hits(
        compile_tuned([folder], None, [exclusion_filter("Computer", "ADMIN-PC", product="linux")])
    ) == (_hits(compile_tuned([folder], None, [])))


def test_a_change_of_filters_recompiles_and_the_same_filters_come_from_the_cache(tmp_path: Path) -> None:
    folder = _rules(tmp_path / "rules")
    cache = tmp_path / "cache"
    base = compile_tuned([folder], cache, [])
    first = compile_tuned([folder], cache, [exclusion_filter("Computer", "ADMIN-PC")])
    second = compile_tuned([folder], cache, [exclusion_filter("Computer", "WARD-12")])
    assert len({base.digest, first.digest, second.digest}) == 3
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [f"sigma-{base.digest}.json", f"sigma-tuned-{first.digest}.json", f"sigma-tuned-{second.digest}.json"]
    )
    (cache / f"sigma-tuned-{first.digest}.json").write_text(
        first.to_json().replace("ADMIN-PC", "WARD-13").replace("admin-pc", "ward-13"), encoding="utf-8"
    )
    # Same rules and filters: read from the cache (the doctored entry proves it), not recompiled.
    again = compile_tuned([folder], cache, [exclusion_filter("Computer", "ADMIN-PC")])
    assert again.digest == first.digest
    assert (RULE_A, 3) not in _hits(again) and (RULE_A, 1) in _hits(again)
    # A rule text that changes changes the base key, hence the tuned one.
    (folder / "a.yml").write_text((folder / "a.yml").read_text().replace("whoami", "net"), encoding="utf-8")
    changed = compile_tuned([folder], cache, [exclusion_filter("Computer", "ADMIN-PC")])
    assert changed.digest != first.digest
    assert _hits(changed) == [(RULE_B, 2), (RULE_B, 3)]


def test_disabled_rules_and_levels(tmp_path: Path) -> None:
    compiled = compile_tuned([_rules(tmp_path / "rules")], None, [])
    tuned = apply_overrides(compiled, [RULE_A], {RULE_B: "critical"})
    assert _hits(tuned) == [(RULE_B, 1), (RULE_B, 2), (RULE_B, 3)]
    assert {r.id: r.level for r in tuned.rules}[RULE_B] == "critical"
    assert [r.level for r in compiled.rules] == ["", ""]  # the cached set is not changed


BAD_FILTERS = [
    (
        "title: x\nlogsource:\n  product: windows\nfilter:\n  rules: any\n  sel:\n    Computer: A\n",
        4,
        "condition",
    ),
    (
        "title: x\nlogsource:\n  product: windows\nfilter:\n  rules: any\n  sel:\n    Computer|nosuch: A\n"
        "  condition: not sel\n",
        7,
        "nosuch",
    ),
    ("title: x\nlogsource:\n  product: windows\nfilter:\n  rules: [a\n", 6, "YAML"),
    ("title: x\nlogsource:\n  product: windows\ndetection:\n  sel: {a: 1}\n  condition: sel\n", 1, "filter"),
    (
        "title: x\nlogsource:\n  product: windows\nfilter:\n  rules: any\n  sel:\n    Computer: A\n"
        "  condition: not nothere\n",
        4,
        "nothere",
    ),
]


@pytest.mark.parametrize(("text", "line", "word"), BAD_FILTERS)
def test_a_bad_filter_is_refused_with_file_and_line(tmp_path: Path, text: str, line: int, word: str) -> None:
    path = tmp_path / "exclusions.yml"
    with pytest.raises(ContentError) as caught:
        parse_filter(text, str(path))
    assert caught.value.location is not None
    assert (caught.value.location.file, caught.value.location.line) == (str(path), line)
    assert word.lower() in caught.value.message.lower()


def test_exclusion_form_values_are_checked() -> None:
    with pytest.raises(ContentError):
        exclusion_filter("Computer: x\nfoo", "a")
    with pytest.raises(ContentError):
        exclusion_filter("Computer", "  ")
    with pytest.raises(ContentError):
        exclusion_filter("Computer", "x", product="solaris")
    parsed = parse_filter(exclusion_filter("Image|endswith", "\\admin.exe", RULE_A))
    assert parsed.rules == [RULE_A] and parsed.product == "windows"
