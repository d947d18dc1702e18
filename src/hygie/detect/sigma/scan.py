"""DuckDB's evaluation of the detection rules: the events read once, the literal prefilter, exact SQL last.

1. The events of every log source the rules name are streamed once from the table or the Parquet files, in
   batches (memory stays flat whatever the input size); only the columns the rules read are kept.
2. Per batch, the ``fields`` maps are flattened once (``Batch``): the keys and values the rules read are
   dictionary-encoded, shared by the log-source groups.
3. Per group, the events are reduced to the distinct combinations of the values its rules read (integer
   codes, numpy): a rule is a function of those values alone, and logs repeat a lot. Distinct rows are
   gathered over batches (``Scanner``) and merged again across them by DuckDB, which lower-cases the
   columns read lower-cased, once per merged row.
4. The prefilter (``prefilter.Matcher``) runs one Aho-Corasick pass per distinct value of each anchored
   field and marks, per rule, the rows where one of its anchors holds (a boolean column).
5. The exact SQL condition of each rule is evaluated only where its column is true (CASE WHEN short-circuits
   the AND), the rules without anchors on every row of the group. The (row, rule) pairs that hit come back
   as (event, rule) pairs, one per event the row stands for.

Spark keeps the plain evaluation of ``engine.evaluate``: the same SQL conditions decide, so the hits are the
same; the tests compare both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hygie.detect.sigma.backend import lower_column, raw_column, render
from hygie.detect.sigma.compiler import CompiledRule, source_condition
from hygie.detect.sigma.prefilter import (
    CONTAINS,
    ENDS,
    EQUALS,
    MESSAGE_KEY,
    STARTS,
    Anchors,
    Matcher,
    re2_literal,
)

BATCH_ROWS = 50_000
# Event-table columns a rule may read besides the ``fields`` keys.
READABLE_COLUMNS = ("channel", "event_code", "host", "provider", "message")
ROW = "hygie_row"  # the number of a distinct row in a group's evaluated table
# Rules per query: past this the SQL text grows without gaining speed.
MAX_RULES_PER_QUERY = 400
# Distinct values whose prefilter result is remembered between batches (per group and field).
MEMO_VALUES = 100_000
MERGED = "hygie_rows"  # the pending rows a merged row stands for
# Distinct rows gathered before a group is evaluated, and in all (bounds the memory they take), and
# events whose rows wait.
GROUP_PENDING_ROWS = 50_000
PENDING_ROWS = 200_000
PENDING_EVENTS = 2_000_000


@dataclass
class Group:
    """Rules sharing a log source, with the keys and columns their scan reads, and their prefilter."""

    rules: list[CompiledRule]
    channels: tuple[str, ...]
    event_codes: tuple[int, ...]
    keys: list[str]  # looked up in ``fields`` once per event ("f:<key>" columns)
    columns: list[str]  # event-table columns the rules read (event_code, provider, message…)
    projection: list[str]  # the scan's columns: row number, columns, raw keys, lower-cased keys
    matcher: Matcher
    memo: dict[str, dict[str, frozenset[int]]]  # field -> lower-cased value -> rules whose anchor holds
    merge_sql: str  # pending rows merged (equal values: one row), numbered, with the projected columns

    @classmethod
    def of(cls, rules: list[CompiledRule]) -> Group:
        raw = {k for r in rules for k in r.raw_keys}
        lower = {k for r in rules for k in r.lower_keys}
        anchors: list[Anchors] = [
            None if r.anchors is None else [(a[0], a[1], a[2]) for a in r.anchors] for r in rules
        ]
        matcher = Matcher.build(anchors)
        lowered = (lower | set(matcher.fields())) - {MESSAGE_KEY}
        read = {c for r in rules for c in r.columns}
        if MESSAGE_KEY in matcher.automata:
            read.add("message")
        columns = [c for c in READABLE_COLUMNS if c in read]
        items = [ROW, *columns]
        items += [f'"{raw_column(k)}"' for k in sorted(raw)]
        # Lower-cased by DuckDB, as the compiled conditions expect.
        items += [f'LOWER("{raw_column(k)}") AS "{lower_column(k)}"' for k in sorted(lowered)]
        if MESSAGE_KEY in matcher.automata:
            items.append(f'LOWER(message) AS "{lower_column(MESSAGE_KEY)}"')
        keys = sorted(raw | lowered)
        grouped = ", ".join([f"list({ROW}) AS {MERGED}", *columns, *(f'"{raw_column(k)}"' for k in keys)])
        merge_sql = (
            f"SELECT (row_number() OVER () - 1)::BIGINT AS {ROW}, {', '.join([MERGED, *items[1:]])} "  # noqa: S608
            f"FROM (SELECT {grouped} FROM hygie_pivot GROUP BY ALL) d"
        )
        if "message" in columns:
            # A message is unique to its event: nothing to merge, each row stands for itself.
            merge_sql = f"SELECT {', '.join([ROW, f'[{ROW}] AS {MERGED}', *items[1:]])} FROM hygie_pivot"  # noqa: S608
        return cls(
            rules,
            tuple(rules[0].channels),
            tuple(rules[0].event_codes),
            keys,
            columns,
            items,
            matcher,
            {},
            merge_sql,
        )

    def distinct(self, batch: Batch) -> Distinct | None:
        """The events of the batch from this log source, reduced to the distinct combinations of the values
        the rules read (the keys pivoted into plain columns); None if the batch has none.

        Every rule of the group is a function of these values alone, so it is evaluated once per
        combination: logs repeat a lot (the same process, service, logon type on many events)."""
        table = batch.table
        mask = None
        if self.channels:
            mask = pc.is_in(table.column("channel"), value_set=pa.array(self.channels, pa.string()))
        if self.event_codes:
            codes = pc.is_in(table.column("event_code"), value_set=pa.array(self.event_codes, pa.int32()))
            mask = codes if mask is None else pc.and_(mask, codes)
        if mask is None:
            selected = np.arange(table.num_rows)
        else:
            selected = np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))
        if not len(selected):
            return None
        if "message" in self.columns:
            first = inverse = np.arange(len(selected))
        else:
            parts = [batch.column_codes(c)[selected] for c in self.columns]
            parts += [batch.key_codes(k)[selected] for k in self.keys]
            combined = _row_codes(parts, len(selected))
            _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        rows = selected[first]
        out = pa.table({ROW: pa.array(np.arange(len(rows), dtype=np.int64))})
        taken = pa.array(rows)
        whole = len(rows) == table.num_rows and bool((rows == np.arange(len(rows))).all())
        for column in self.columns:
            # Every event in order (a message group without a log-source filter): no copy.
            out = out.append_column(
                column, table.column(column) if whole else table.column(column).take(taken)
            )
        for key in self.keys:
            out = out.append_column(raw_column(key), batch.key_values(key, rows))
        return Distinct(out, batch.event_ids[selected], inverse.reshape(-1))


@dataclass
class Distinct:
    """A group's distinct rows in a batch, and which events each stands for."""

    table: pa.Table  # one row per distinct combination, numbered by ROW
    event_ids: np.ndarray  # the group's events in the batch
    inverse: np.ndarray  # per event, the number of its distinct row

    def events_by_row(self) -> list[list[int]]:
        """Per distinct row, the ids of the events it stands for."""
        order = np.argsort(self.inverse, kind="stable")
        starts = np.searchsorted(self.inverse[order], np.arange(self.table.num_rows + 1)).tolist()
        ids = self.event_ids[order].tolist()
        return [ids[starts[row] : starts[row + 1]] for row in range(self.table.num_rows)]


def _row_codes(parts: list[np.ndarray], rows: int) -> np.ndarray:
    """One integer per row, equal for two rows exactly when their codes are equal in every part (codes
    from -1, null, up): mixed radix, renumbered densely before it would overflow 63 bits."""
    combined = np.zeros(rows, dtype=np.int64)
    span = 1
    for codes in parts:
        width = int(codes.max()) + 2 if len(codes) else 1
        if span * width >= 2**62:
            _, dense = np.unique(combined, return_inverse=True)
            combined = dense.reshape(-1).astype(np.int64)
            span = int(combined.max()) + 1
        combined = combined * width + (codes + 1)
        span *= width
    return combined


def _codes(array: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dictionary codes of a column (null: -1) and its dictionary."""
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary


class Batch:
    """A batch of events whose ``fields`` maps are flattened once, shared by every group that reads them.

    Map keys and values are dictionary-encoded once per batch: each key's values come out per event as
    integer codes (absent: -1), which is all the grouping into distinct rows needs; text is taken only for
    the distinct rows."""

    def __init__(self, table: pa.Table, keys: set[str]) -> None:
        self.table = table
        self.event_ids = table.column("event_id").to_numpy().astype(np.int64)
        fields = table.column("fields").combine_chunks()
        offsets = fields.offsets.to_numpy()
        start, length = int(offsets[0]), int(offsets[-1] - offsets[0])
        parents = np.repeat(np.arange(table.num_rows), np.diff(offsets))
        key_codes, names = _codes(fields.keys.slice(start, length))
        self._code_of = {k: i for i, k in enumerate(names.to_pylist())}
        # Only the entries of the keys some rule reads, and not those of a null map (whatever its slot
        # points to).
        wanted = np.isin(key_codes, [self._code_of[k] for k in keys if k in self._code_of])
        wanted &= fields.is_valid().to_numpy(zero_copy_only=False)[parents]
        entries = np.flatnonzero(wanted)
        # Sorted once by key: each key's entries are then found by binary search, in map order.
        self._order = np.argsort(key_codes[entries], kind="stable")
        self._sorted_keys = key_codes[entries][self._order]
        self._parents = parents[entries]
        items = fields.items.slice(start, length).take(pa.array(entries))
        self._value_codes, self._values = _codes(items)
        self._keys: dict[str, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}

    def key_codes(self, key: str) -> np.ndarray:
        """Per event, the code of the key's value in the batch's value dictionary (absent or null: -1)."""
        codes = self._keys.get(key)
        if codes is None:
            codes = np.full(self.table.num_rows, -1, dtype=np.int64)
            code = self._code_of.get(key)
            if code is not None:
                lo, hi = np.searchsorted(self._sorted_keys, [code, code + 1])
                positions = self._order[lo:hi]
                # Reversed: when a key repeats in one map, its first value wins (as fields['k'] in DuckDB).
                codes[self._parents[positions][::-1]] = self._value_codes[positions][::-1]
            self._keys[key] = codes
        return codes

    def key_values(self, key: str, rows: np.ndarray) -> pa.Array:
        """The key's values (text, absent: null) of these events."""
        codes = self.key_codes(key)[rows]
        return self._values.take(pa.array(codes, mask=codes < 0))

    def column_codes(self, name: str) -> np.ndarray:
        codes = self._columns.get(name)
        if codes is None:
            codes = self._columns[name] = _codes(self.table.column(name))[0]
        return codes


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def groups_of(rules: Sequence[CompiledRule]) -> list[Group]:
    """The rules by log source; those that read the raw message apart: the message differs from one event
    to the next, so their rows cannot be merged, and the other rules of the source keep theirs merged."""
    by_source: dict[tuple[tuple[str, ...], tuple[int, ...], bool], list[CompiledRule]] = {}
    for rule in rules:
        key = (tuple(rule.channels), tuple(rule.event_codes), "message" in rule.columns)
        by_source.setdefault(key, []).append(rule)
    return [Group.of(members) for _, members in sorted(by_source.items())]


def batches(connection: Any, source: str, groups: Sequence[Group]) -> Iterator[pa.Table]:
    """The events any group reads, once, with only the columns the rules need, about BATCH_ROWS at a time
    (files of many small row groups stream as small record batches: they are gathered, so the per-batch
    cost of the queries is paid once per BATCH_ROWS events)."""
    read = {c for g in groups for c in g.columns}
    columns = ["event_id", "channel", "event_code", "fields", *(c for c in READABLE_COLUMNS[2:] if c in read)]
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


class Scanner:
    """Evaluates the groups over batches of events: each group's distinct rows are gathered over several
    batches and evaluated together once enough are pending (or at the end), merged again across batches.

    A query of a few hundred rules costs about a second to parse and plan whatever its rows: gathering
    pays it once per ``GROUP_PENDING_ROWS`` distinct rows rather than once per batch. Memory stays bounded:
    at most ``PENDING_ROWS`` distinct rows and ``PENDING_EVENTS`` event numbers wait, whatever the input.
    The groups of rules reading the raw message are evaluated batch by batch (see :meth:`add`)."""

    def __init__(self, cursor: Any, groups: Sequence[Group]) -> None:
        self.cursor = cursor
        self.groups = list(groups)
        self.pending: dict[int, Pending] = {}
        self.keys = {k for g in self.groups for k in g.keys}

    def add(self, table: pa.Table) -> list[tuple[int, CompiledRule]]:
        """The (event id, rule) pairs found while taking in one more batch (the others come later)."""
        batch = Batch(table, self.keys)
        found: list[tuple[int, CompiledRule]] = []
        for index, group in enumerate(self.groups):
            distinct = group.distinct(batch)
            if distinct is None:
                continue
            pending = self.pending.setdefault(index, Pending())
            pending.add(distinct)
            if pending.rows >= GROUP_PENDING_ROWS or "message" in group.columns:
                # A message group gathers nothing: its rows hold whole messages and cannot merge, and its
                # few rules cost little to plan (gathered, they held up to 60 MB each and raised the peak of
                # a million events by 150 MB, for no speed).
                found += self._flush(index)
        rows = sum(p.rows for p in self.pending.values())
        events = sum(p.events for p in self.pending.values())
        if rows >= PENDING_ROWS or events >= PENDING_EVENTS:
            for index in list(self.pending):
                found += self._flush(index)
        return found

    def finish(self) -> list[tuple[int, CompiledRule]]:
        found: list[tuple[int, CompiledRule]] = []
        for index in list(self.pending):
            found += self._flush(index)
        return found

    def _flush(self, index: int) -> list[tuple[int, CompiledRule]]:
        group, pending = self.groups[index], self.pending.pop(index)
        return [(event_id, group.rules[rule]) for event_id, rule in _group_hits(self.cursor, group, pending)]


@dataclass
class Pending:
    """A group's distinct rows of several batches, numbered on from one batch to the next."""

    tables: list[pa.Table] = field(default_factory=list)
    event_ids: list[np.ndarray] = field(default_factory=list)
    inverse: list[np.ndarray] = field(default_factory=list)
    rows: int = 0
    events: int = 0

    def add(self, distinct: Distinct) -> None:
        count = distinct.table.num_rows
        numbers = pa.array(np.arange(self.rows, self.rows + count, dtype=np.int64))
        self.tables.append(distinct.table.set_column(0, ROW, numbers))
        self.event_ids.append(distinct.event_ids)
        self.inverse.append(distinct.inverse + self.rows)
        self.rows += count
        self.events += len(distinct.event_ids)

    def merged(self) -> Distinct:
        return Distinct(
            pa.concat_tables(self.tables), np.concatenate(self.event_ids), np.concatenate(self.inverse)
        )


def _group_hits(cursor: Any, group: Group, pending: Pending) -> list[tuple[int, int]]:
    """(event id, rule number) of the hits among a group's pending rows."""
    distinct = pending.merged()
    # Rows of different batches may be equal: merged again (GROUP BY), each kept row lists the rows it
    # stands for.
    cursor.register("hygie_pivot", distinct.table)
    try:
        table = cursor.sql(group.merge_sql).to_arrow_table()
    finally:
        cursor.unregister("hygie_pivot")
    table = table.combine_chunks()
    merged = table.column(MERGED).combine_chunks()
    table = table.drop_columns([MERGED])
    candidates = _candidates(group, table)
    # One boolean column per rule with candidates: true on the rows where one of its anchors holds.
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
    if not pairs:
        return []
    offsets = merged.offsets.to_numpy()
    members = merged.values.to_numpy()
    events = distinct.events_by_row()
    found: list[tuple[int, int]] = []
    for row, rule in pairs:
        for member in members[offsets[row] : offsets[row + 1]].tolist():
            found += [(event_id, rule) for event_id in events[member]]
    return found


def _candidates(group: Group, table: pa.Table) -> dict[int, np.ndarray]:
    """Per anchored rule with candidates, a mask of the rows where one of its anchors holds."""
    per_rule: dict[int, np.ndarray] = {}
    matcher = group.matcher
    for key in matcher.fields():
        if key == MESSAGE_KEY:
            # Messages differ from one event to the next: their few anchor texts are searched with
            # vectorized string kernels rather than one Aho-Corasick pass per message in Python.
            _message_candidates(matcher, table.column(lower_column(key)), per_rule)
            continue
        indices, dictionary = _codes(table.column(lower_column(key)))
        memo = group.memo.setdefault(key, {})
        if len(memo) > MEMO_VALUES:
            memo.clear()
        entry_rules = []
        for value in dictionary.to_pylist():
            rules = memo.get(value)
            if rules is None:
                rules = memo[value] = frozenset(matcher.rules_of(key, value))
            entry_rules.append(rules)
        if not any(entry_rules):
            continue
        order = np.argsort(indices, kind="stable")
        starts = np.searchsorted(indices[order], np.arange(len(entry_rules) + 1))
        for entry, rules in enumerate(entry_rules):
            if not rules:
                continue
            rows = order[starts[entry] : starts[entry + 1]]
            for rule in rules:
                mask = per_rule.get(rule)
                if mask is None:
                    mask = per_rule[rule] = np.zeros(table.num_rows, dtype=bool)
                mask[rows] = True
    return per_rule


# RE2 forms of the anchors (\\A, \\z: the whole text's ends, whatever its line breaks).
_FORMS = {CONTAINS: "{}", STARTS: "\\A{}", ENDS: "{}\\z", EQUALS: "\\A{}\\z"}


def _message_candidates(matcher: Matcher, column: pa.ChunkedArray, per_rule: dict[int, np.ndarray]) -> None:
    """Adds to ``per_rule`` the rows whose lower-cased message holds an anchor of the rule.

    Messages differ from one event to the next: one RE2 pass over the column (an alternation of every
    anchor text) finds the few rows where some anchor may hold; only those go through Aho-Corasick."""
    alternatives = []
    for text, uses in matcher.texts[MESSAGE_KEY].items():
        literal = re2_literal(text)
        for how in {how for how, _ in uses}:
            alternatives.append(_FORMS[how].format(literal))
    pattern = "(?s)(?:" + "|".join(sorted(alternatives)) + ")"
    found = pc.fill_null(pc.match_substring_regex(column, pattern=pattern), False)
    rows = np.flatnonzero(found.to_numpy(zero_copy_only=False))
    if not len(rows):
        return
    values = column.take(pa.array(rows)).to_pylist()
    for row, value in zip(rows.tolist(), values, strict=True):
        for rule in matcher.rules_of(MESSAGE_KEY, value):
            mask = per_rule.get(rule)
            if mask is None:
                mask = per_rule[rule] = np.zeros(len(column), dtype=bool)
            mask[row] = True


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
        f"SELECT {ROW}, concat_ws(',', {listed}) FROM "  # noqa: S608
        f"(SELECT {ROW}, {', '.join(flags)} FROM hygie_group) s WHERE {any_hit}"
    )
    found = []
    for row, text in _unoptimized(cursor, sql):
        found += [(int(row), rules[int(i)]) for i in str(text).split(",")]
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
