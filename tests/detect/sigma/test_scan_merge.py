"""The DuckDB scan evaluates each group's rules once per distinct combination of the values they read:
repeated events (other ids, same values) must still each get their hits, across batches and flushes."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pytest

from hygie.detect.sigma import scan
from hygie.detect.sigma.compiler import compile_text
from hygie.detect.sigma.engine import evaluate, run
from tests.detect.evtx_events import table_of
from tests.detect.sigma.test_semantics import proc, rule

CMD_WHOAMI = rule(
    "  a: {Image|endswith: '\\cmd.exe'}\n  b: {CommandLine|contains: '/c whoami'}\n  condition: a and b"
)
# Same log source, but reads the raw message: its own group, whose rows are never merged.
MIMIKATZ = rule("  keywords: ['mimikatz']\n  condition: keywords").replace("0001\n", "0002\n")


def events() -> list[dict[str, Any]]:
    cmd, shell = "C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\WindowsPowerShell\\powershell.exe"
    base = [
        proc(1, Image=cmd, CommandLine="cmd /c whoami"),
        proc(2, Image=cmd, CommandLine="cmd /c whoami"),
        proc(3, Image=shell, CommandLine="/c whoami"),
        proc(4, Image=cmd, CommandLine="cmd /c whoami"),
        # Other case: another row, the same hit (the comparison is case-insensitive).
        proc(5, Image=cmd.upper(), CommandLine="/C WHOAMI"),
        proc(6, Image=shell, CommandLine="cmd /c whoami"),
    ]
    messages = ["a", "run MimiKatz now", "b", "c", "d", "mimikatz"]
    for event, message in zip(base, messages, strict=True):
        event["message"] = message
    # The same six again under other ids: equal rows, in other batches.
    copies = [{**e, "event_id": e["event_id"] + 10} for e in base]
    return base + copies


def found(connection: Any) -> list[tuple[str, tuple[int, ...]]]:
    compiled = compile_text(CMD_WHOAMI, MIMIKATZ)
    assert len(compiled.rules) == 2 and not compiled.unconvertible
    return [(h.rule_id[-1], h.event_ids) for h in run(connection, "events", compiled)]


EXPECTED = [
    *(("1", (i,)) for i in (1, 2, 4, 5, 11, 12, 14, 15)),
    *(("2", (i,)) for i in (2, 6, 12, 16)),
]


@pytest.mark.parametrize(("batch_rows", "group_rows"), [(50_000, 50_000), (4, 2), (1, 1)])
def test_repeated_events_each_get_their_hits(
    batch_rows: int, group_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = duckdb.connect()
    connection.register("events", table_of(events()))
    monkeypatch.setattr(scan, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr(scan, "GROUP_PENDING_ROWS", group_rows)
    assert found(connection) == EXPECTED


def test_same_hits_as_the_plain_evaluation() -> None:
    connection = duckdb.connect()
    connection.register("events", table_of(events()))
    compiled = compile_text(CMD_WHOAMI, MIMIKATZ)

    def query(sql: str) -> list[tuple[Any, ...]]:
        return list(connection.execute(sql).fetchall())

    plain = [(h.rule_id[-1], h.event_ids) for h in evaluate(query, "events", compiled, "duckdb")]
    assert plain == EXPECTED


def test_the_merged_group_holds_distinct_rows_only() -> None:
    groups = scan.groups_of(compile_text(CMD_WHOAMI, MIMIKATZ).rules)
    # One group per rule: the message rule apart.
    assert [len(g.rules) for g in groups] == [1, 1]
    assert ["message" in g.columns for g in groups] == [False, True]
    table = table_of(events())
    batch = scan.Batch(
        table.drop_columns(["message"]).append_column("message", table.column("message")),
        {
            "Image",
            "CommandLine",
        },
    )
    distinct = groups[0].distinct(batch)
    assert distinct is not None
    # Rows 1, 2, 4 and their copies are one row; 3, 5, 6 each another: 4 rows for 12 events.
    assert distinct.table.num_rows == 4
    by_row = distinct.events_by_row()
    assert sorted(sorted(ids) for ids in by_row) == [[1, 2, 4, 11, 12, 14], [3, 13], [5, 15], [6, 16]]
    # The message group keeps every event.
    assert groups[1].distinct(batch).table.num_rows == 12  # type: ignore[union-attr]


def test_row_codes_equal_exactly_for_equal_rows() -> None:
    parts = [np.array([0, 0, 1, -1, 0]), np.array([2, 2, 2, -1, -1])]
    codes = scan._row_codes(parts, 5)
    assert codes[0] == codes[1]
    assert len(set(codes.tolist())) == 4
    # Wide codes: the mixed radix would pass 63 bits; renumbered on the way, still exact.
    rng = np.random.default_rng(3)
    wide = [rng.integers(-1, 2**20, size=2000) for _ in range(5)]
    wide = [np.concatenate([w, w[:500]]) for w in wide]  # 500 repeated rows
    codes = scan._row_codes(wide, 2500)
    assert len(np.unique(codes)) == len({tuple(int(w[i]) for w in wide) for i in range(2500)}) == 2000
    assert (codes[2000:] == codes[:500]).all()


def test_a_message_group_is_evaluated_batch_by_batch() -> None:
    # The merged group waits for more rows; the message group (whole messages, nothing to merge) does not:
    # its hits come out with the batch that holds them and none of its rows stays pending.
    connection = duckdb.connect()
    groups = scan.groups_of(compile_text(CMD_WHOAMI, MIMIKATZ).rules)
    scanner = scan.Scanner(connection.cursor(), groups)
    table = table_of(events())
    batch = table.drop_columns(["message"]).append_column("message", table.column("message"))
    pairs = scanner.add(batch)
    assert sorted((event_id, rule.id[-1]) for event_id, rule in pairs) == [
        (2, "2"),
        (6, "2"),
        (12, "2"),
        (16, "2"),
    ]
    assert list(scanner.pending) == [0] and scanner.pending[0].events == 12
    later = scanner.finish()
    assert sorted(event_id for event_id, _ in later) == [1, 2, 4, 5, 11, 12, 14, 15]
