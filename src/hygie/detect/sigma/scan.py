"""DuckDB's evaluation of the detection rules: the events read once, the literal prefilter, exact SQL last.

1. The events of every log source the rules name are streamed once from the table or the Parquet files, in
   batches (memory stays flat whatever the input size); only the columns the rules read are kept.
2. Per batch, the ``fields`` maps are flattened once (``Batch``): each key the rules read becomes a plain
   column, shared by the log-source groups; DuckDB lower-cases the ones read lower-cased, once per event.
3. The prefilter (``prefilter.Matcher``) runs one Aho-Corasick pass per distinct value of each anchored
   field and marks, per rule, the events where one of its anchors holds (a boolean column).
4. The exact SQL condition of each rule is evaluated only where its column is true (CASE WHEN short-circuits
   the AND), the rules without anchors on every event of the group. Only (event, rule) pairs come back.

Spark keeps the plain evaluation of ``engine.evaluate``: the same SQL conditions decide, so the hits are the
same; the tests compare both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hygie.detect.sigma.backend import lower_column, raw_column, render
from hygie.detect.sigma.compiler import CompiledRule, source_condition
from hygie.detect.sigma.prefilter import MESSAGE_KEY, Anchors, Matcher

BATCH_ROWS = 50_000
BASE_COLUMNS = ("event_id", "channel", "event_code", "host", "provider")
# Rules per query: past this the SQL text grows without gaining speed.
MAX_RULES_PER_QUERY = 400


@dataclass
class Group:
    """Rules sharing a log source, with the ``fields`` keys their scan reads and their prefilter."""

    rules: list[CompiledRule]
    channels: tuple[str, ...]
    event_codes: tuple[int, ...]
    keys: list[str]  # looked up in ``fields`` once per event ("f:<key>" columns)
    projection: list[str]  # the scan's columns: base columns, raw keys, lower-cased keys
    matcher: Matcher
    message: bool  # the rules read the raw message

    @classmethod
    def of(cls, rules: list[CompiledRule]) -> Group:
        raw = {k for r in rules for k in r.raw_keys}
        lower = {k for r in rules for k in r.lower_keys}
        anchors: list[Anchors] = [
            None if r.anchors is None else [(a[0], a[1], a[2]) for a in r.anchors] for r in rules
        ]
        matcher = Matcher.build(anchors)
        lowered = (lower | set(matcher.fields())) - {MESSAGE_KEY}
        message = any("message" in r.columns for r in rules) or MESSAGE_KEY in matcher.automata
        items = [*BASE_COLUMNS, *(["message"] if message else [])]
        items += [f'"{raw_column(k)}"' for k in sorted(raw)]
        # Lower-cased by DuckDB, as the compiled conditions expect.
        items += [f'LOWER("{raw_column(k)}") AS "{lower_column(k)}"' for k in sorted(lowered)]
        if MESSAGE_KEY in matcher.automata:
            items.append(f'LOWER(message) AS "{lower_column(MESSAGE_KEY)}"')
        keys = sorted(raw | lowered)
        return cls(
            rules, tuple(rules[0].channels), tuple(rules[0].event_codes), keys, items, matcher, message
        )

    def rows(self, batch: Batch) -> pa.Table | None:
        """The events of the batch from this log source with the keys pivoted into plain columns; None if
        the batch has none."""
        table = batch.table
        mask = None
        if self.channels:
            mask = pc.is_in(table.column("channel"), value_set=pa.array(self.channels, pa.string()))
        if self.event_codes:
            codes = pc.is_in(table.column("event_code"), value_set=pa.array(self.event_codes, pa.int32()))
            mask = codes if mask is None else pc.and_(mask, codes)
        if mask is not None:
            mask = pc.fill_null(mask, False)
            if not pc.any(mask).as_py():
                return None
        names = [*BASE_COLUMNS, *(["message"] if self.message else [])]
        selected = table.select(names)
        for key in self.keys:
            selected = selected.append_column(raw_column(key), batch.values(key))
        return selected if mask is None else selected.filter(mask)


class Batch:
    """A batch of events whose ``fields`` maps are flattened once: each key's values come out as a column
    (absent: null) with one comparison of integer key codes, shared by every group that reads the key."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        fields = table.column("fields").combine_chunks()
        offsets = fields.offsets.to_numpy()
        start, length = int(offsets[0]), int(offsets[-1] - offsets[0])
        self._parents = np.repeat(np.arange(table.num_rows), np.diff(offsets))
        encoded = pc.dictionary_encode(fields.keys.slice(start, length))
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        # A null map has no keys, whatever its slot points to.
        valid = fields.is_valid().to_numpy(zero_copy_only=False)
        self._codes = np.where(valid[self._parents], codes, -1) if len(codes) else codes
        self._code_of = {k: i for i, k in enumerate(encoded.dictionary.to_pylist())}
        self._items = fields.items.slice(start, length)
        self._columns: dict[str, pa.Array] = {}

    def values(self, key: str) -> pa.Array:
        column = self._columns.get(key)
        if column is None:
            rows = self.table.num_rows
            code = self._code_of.get(key)
            if code is None:
                column = pa.nulls(rows, pa.string())
            else:
                positions = np.flatnonzero(self._codes == code)
                at = np.full(rows, -1, dtype=np.int64)
                # Reversed: when a key repeats in one map, its first value wins (as fields['k'] in DuckDB).
                at[self._parents[positions][::-1]] = positions[::-1]
                column = self._items.take(pa.array(at, mask=at < 0))
            self._columns[key] = column
        return column


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def groups_of(rules: Sequence[CompiledRule]) -> list[Group]:
    by_source: dict[tuple[tuple[str, ...], tuple[int, ...]], list[CompiledRule]] = {}
    for rule in rules:
        by_source.setdefault((tuple(rule.channels), tuple(rule.event_codes)), []).append(rule)
    return [Group.of(members) for _, members in sorted(by_source.items())]


def batches(connection: Any, source: str, groups: Sequence[Group]) -> Iterator[pa.Table]:
    """The events any group reads, once, with only the columns the rules need, about BATCH_ROWS at a time
    (files of many small row groups stream as small record batches: they are gathered, so the per-batch
    cost of the queries is paid once per BATCH_ROWS events)."""
    needs_message = any(g.message for g in groups)
    columns = [*BASE_COLUMNS, "fields"] + (["message"] if needs_message else [])
    conditions = {render(source_condition(list(g.channels), list(g.event_codes)), "duckdb") for g in groups}
    where = "TRUE" if "TRUE" in conditions else " OR ".join(f"({c})" for c in sorted(conditions))
    sql = f"SELECT {', '.join(columns)} FROM {source} WHERE {where}"  # noqa: S608
    # execute() ends a result the caller left open (sql() would refuse), then the rows stream in batches.
    connection.execute("SELECT 1").fetchall()
    reader = connection.sql(sql).to_arrow_reader(BATCH_ROWS)
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= BATCH_ROWS:
            yield pa.Table.from_batches(pending)
            pending, rows = [], 0
    if rows:
        yield pa.Table.from_batches(pending)


def evaluate_batch(cursor: Any, table: pa.Table, groups: Sequence[Group]) -> list[tuple[int, CompiledRule]]:
    """The (event id, rule) pairs that hit in one batch of events."""
    found: list[tuple[int, CompiledRule]] = []
    batch = Batch(table)
    for group in groups:
        found.extend(_group_hits(cursor, batch, group))
    return found


def _group_hits(cursor: Any, batch: Batch, group: Group) -> list[tuple[int, CompiledRule]]:
    rows = group.rows(batch)
    if rows is None or rows.num_rows == 0:
        return []
    cursor.register("hygie_pivot", rows)
    try:
        table = cursor.sql(f"SELECT {', '.join(group.projection)} FROM hygie_pivot").to_arrow_table()  # noqa: S608
    finally:
        cursor.unregister("hygie_pivot")
    table = table.combine_chunks()
    candidates = _candidates(group.matcher, table)
    # One boolean column per rule with candidates: true on the events where one of its anchors holds.
    for rule, mask in sorted(candidates.items()):
        table = table.append_column(f"hygie_c{rule}", pa.array(mask))
    rules = sorted([*candidates, *group.matcher.always])
    pairs: list[tuple[int, int]] = []
    cursor.register("hygie_group", table)
    try:
        for start in range(0, len(rules), MAX_RULES_PER_QUERY):
            pairs += _evaluate(cursor, group, rules[start : start + MAX_RULES_PER_QUERY], candidates)
    finally:
        cursor.unregister("hygie_group")
    return [(event_id, group.rules[rule]) for event_id, rule in pairs]


def _candidates(matcher: Matcher, table: pa.Table) -> dict[int, np.ndarray]:
    """Per anchored rule with candidates, a mask of the rows where one of its anchors holds."""
    per_rule: dict[int, np.ndarray] = {}
    for key in matcher.fields():
        encoded = pc.dictionary_encode(table.column(lower_column(key))).combine_chunks()
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        valid = ~np.isnan(indices) if indices.dtype.kind == "f" else None
        values = encoded.dictionary.to_pylist()
        entry_rules = [matcher.rules_of(key, v) if v is not None else set() for v in values]
        if not any(entry_rules):
            continue
        if valid is not None:
            indices = np.where(valid, indices, -1).astype(np.int64)
        order = np.argsort(indices, kind="stable")
        sorted_indices = indices[order]
        for entry, rules in enumerate(entry_rules):
            if not rules:
                continue
            lo, hi = np.searchsorted(sorted_indices, [entry, entry + 1])
            rows = order[lo:hi]
            for rule in rules:
                mask = per_rule.get(rule)
                if mask is None:
                    mask = per_rule[rule] = np.zeros(table.num_rows, dtype=bool)
                mask[rows] = True
    return per_rule


def _evaluate(
    cursor: Any, group: Group, rules: list[int], candidates: dict[int, np.ndarray]
) -> list[tuple[int, int]]:
    """The exact conditions, each only on its candidate events: CASE WHEN evaluates an AND left to right
    on the rows still true, so a rule's condition runs only where its candidate column is true."""
    flags = []
    for index, rule in enumerate(rules):
        condition = group.rules[rule].scan_sql["duckdb"]
        guard = f"hygie_c{rule} AND " if rule in candidates else ""
        flags.append(f"CASE WHEN {guard}({condition}) THEN TRUE ELSE FALSE END AS h{index}")
    any_hit = " OR ".join(f"h{i}" for i in range(len(rules)))
    # Without the optimizer the filter stays above the projection: each condition is evaluated once; the
    # list of rules that hit is built only for the events that hit one.
    listed = ", ".join(f"CASE WHEN h{i} THEN '{i}' END" for i in range(len(rules)))
    sql = (
        f"SELECT event_id, concat_ws(',', {listed}) FROM "  # noqa: S608
        f"(SELECT event_id, {', '.join(flags)} FROM hygie_group) s WHERE {any_hit}"
    )
    found = []
    for event_id, text in _unoptimized(cursor, sql):
        found += [(int(event_id), rules[int(i)]) for i in str(text).split(",")]
    return found


def _unoptimized(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query planned without the optimizer: its rewrites gain nothing on a flat scan of a few
    columns and cost seconds on conditions of thousands of predicates."""
    cursor.execute("PRAGMA disable_optimizer")
    try:
        rows: list[tuple[Any, ...]] = cursor.execute(sql).fetchall()
    finally:
        cursor.execute("PRAGMA enable_optimizer")
    return rows
