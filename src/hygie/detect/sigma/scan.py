"""DuckDB's evaluation of the detection rules: the events read once, the literal prefilter, exact SQL last.

1. The events of every log source the rules name are streamed once from the table or the Parquet files, in
   batches (memory stays flat whatever the input size); only the columns the rules read are kept.
2. Per batch and log source, one query pivots the ``fields`` keys the group's rules read into plain columns
   (raw and lower-cased): each map lookup happens once per event, not once per predicate.
3. The prefilter (``prefilter.Matcher``) runs one Aho-Corasick pass per distinct value of each anchored
   field and keeps, per rule, the events where one of its anchors holds.
4. The exact SQL condition of each rule is evaluated only on its candidate events, in one query per group
   (a CASE on the rule number), plus the rules without anchors on every event of the group, short-circuited
   by CASE WHEN. Only (event, rule) pairs come back.

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

BATCH_ROWS = 100_000
BASE_COLUMNS = ("event_id", "channel", "event_code", "host", "provider")
# Rules per query: past this the SQL text grows without gaining speed.
MAX_RULES_PER_QUERY = 400


@dataclass
class Group:
    """Rules sharing a log source, with what their scan must project and their prefilter."""

    rules: list[CompiledRule]
    where: str
    projection: list[str]
    matcher: Matcher

    @classmethod
    def of(cls, rules: list[CompiledRule]) -> Group:
        raw = {k for r in rules for k in r.raw_keys}
        lower = {k for r in rules for k in r.lower_keys}
        anchors: list[Anchors] = [
            None if r.anchors is None else [(a[0], a[1], a[2]) for a in r.anchors] for r in rules
        ]
        matcher = Matcher.build(anchors)
        items = [f'fields[{_quote(k)}] AS "{raw_column(k)}"' for k in sorted(raw)]
        items += [f'LOWER(fields[{_quote(k)}]) AS "{lower_column(k)}"' for k in sorted(lower)]
        for key in matcher.fields():
            if key == MESSAGE_KEY:
                items.append(f'LOWER(message) AS "{lower_column(key)}"')
            elif key not in lower:
                items.append(f'LOWER(fields[{_quote(key)}]) AS "{lower_column(key)}"')
        where = render(source_condition(rules[0].channels, rules[0].event_codes), "duckdb")
        return cls(rules, where, items, matcher)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def groups_of(rules: Sequence[CompiledRule]) -> list[Group]:
    by_source: dict[tuple[tuple[str, ...], tuple[int, ...]], list[CompiledRule]] = {}
    for rule in rules:
        by_source.setdefault((tuple(rule.channels), tuple(rule.event_codes)), []).append(rule)
    return [Group.of(members) for _, members in sorted(by_source.items())]


def batches(connection: Any, source: str, groups: Sequence[Group]) -> Iterator[pa.RecordBatch]:
    """The events any group reads, once, with only the columns the rules need."""
    needs_message = any(
        "message" in r.columns or MESSAGE_KEY in g.matcher.automata for g in groups for r in g.rules
    )
    columns = [*BASE_COLUMNS, "fields"] + (["message"] if needs_message else [])
    conditions = {g.where for g in groups}
    where = "TRUE" if "TRUE" in conditions else " OR ".join(f"({c})" for c in sorted(conditions))
    sql = f"SELECT {', '.join(columns)} FROM {source} WHERE {where}"  # noqa: S608
    # execute() ends a result the caller left open (sql() would refuse), then the rows stream in batches.
    connection.execute("SELECT 1").fetchall()
    reader = connection.sql(sql).to_arrow_reader(BATCH_ROWS)
    yield from reader


def evaluate_batch(cursor: Any, batch: pa.Table, groups: Sequence[Group]) -> list[tuple[int, CompiledRule]]:
    """The (event id, rule) pairs that hit in one batch (registered as ``hygie_batch`` on ``cursor``)."""
    cursor.register("hygie_batch", batch)
    found: list[tuple[int, CompiledRule]] = []
    try:
        for group in groups:
            found.extend(_group_hits(cursor, group))
    finally:
        cursor.unregister("hygie_batch")
    return found


def _group_hits(cursor: Any, group: Group) -> list[tuple[int, CompiledRule]]:
    columns = ", ".join([*BASE_COLUMNS, *(["message"] if _needs_message(group) else []), *group.projection])
    table = cursor.sql(f"SELECT {columns} FROM hygie_batch WHERE {group.where}").to_arrow_table()  # noqa: S608
    if table.num_rows == 0:
        return []
    candidates = _candidates(group.matcher, table)
    pairs: list[tuple[int, int]] = []
    cursor.register("hygie_group", table)
    try:
        if candidates:
            pairs += _evaluate_candidates(cursor, group, table, candidates)
        for start in range(0, len(group.matcher.always), MAX_RULES_PER_QUERY):
            pairs += _evaluate_always(
                cursor, group, group.matcher.always[start : start + MAX_RULES_PER_QUERY]
            )
    finally:
        cursor.unregister("hygie_group")
    return [(event_id, group.rules[rule]) for event_id, rule in pairs]


def _needs_message(group: Group) -> bool:
    return any("message" in r.columns for r in group.rules)


def _candidates(matcher: Matcher, table: pa.Table) -> dict[int, np.ndarray]:
    """Per anchored rule, the row positions where one of its anchors holds."""
    per_rule: dict[int, list[np.ndarray]] = {}
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
                per_rule.setdefault(rule, []).append(rows)
    return {rule: np.unique(np.concatenate(parts)) for rule, parts in per_rule.items()}


def _evaluate_candidates(
    cursor: Any, group: Group, table: pa.Table, candidates: dict[int, np.ndarray]
) -> list[tuple[int, int]]:
    rules = sorted(candidates)
    found: list[tuple[int, int]] = []
    for start in range(0, len(rules), MAX_RULES_PER_QUERY):
        chunk = rules[start : start + MAX_RULES_PER_QUERY]
        rows = np.concatenate([candidates[r] for r in chunk])
        numbers = np.concatenate([np.full(len(candidates[r]), r, dtype=np.int32) for r in chunk])
        pairs = table.take(pa.array(rows)).append_column("hygie_rule", pa.array(numbers))
        branches = " ".join(f"WHEN {r} THEN ({group.rules[r].scan_sql['duckdb']})" for r in chunk)
        cursor.register("hygie_pairs", pairs)
        try:
            where = f"CASE hygie_rule {branches} ELSE FALSE END"
            sql = f"SELECT event_id, hygie_rule FROM hygie_pairs WHERE {where}"  # noqa: S608
            found += [(int(event_id), int(rule)) for event_id, rule in cursor.execute(sql).fetchall()]
        finally:
            cursor.unregister("hygie_pairs")
    return found


def _evaluate_always(cursor: Any, group: Group, rules: list[int]) -> list[tuple[int, int]]:
    cases = ", ".join(f"CASE WHEN {group.rules[r].scan_sql['duckdb']} THEN '{r}' END" for r in rules)
    sql = (
        f"WITH s AS MATERIALIZED (SELECT event_id, concat_ws(',', {cases}) AS hits FROM hygie_group) "  # noqa: S608
        "SELECT event_id, hits FROM s WHERE hits <> ''"
    )
    found = []
    for event_id, text in cursor.execute(sql).fetchall():
        found += [(int(event_id), int(rule)) for rule in str(text).split(",")]
    return found
