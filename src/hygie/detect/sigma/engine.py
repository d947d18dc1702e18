"""Evaluate compiled Sigma rules over the event table, on DuckDB (``run``) or Spark (``run_spark``).

On DuckDB, ``scan`` reads the events once and evaluates each rule's exact condition only on the events its
literals can match. On Spark (``evaluate``), rules are grouped by log source; each group is one scan that
returns, for the events matching at least one of its rules, a boolean per rule. Both decide with the same
compiled conditions. Wide rows are fetched later, only for the hits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hygie.detect.heap import fix_mmap_threshold
from hygie.detect.sigma import scan
from hygie.detect.sigma.backend import projection, render
from hygie.detect.sigma.compiler import CompiledCorrelation, CompiledRule, CompiledRules, source_condition
from hygie.detect.sigma.correlation import bursts, correlation_sql, rows_of

# Above this many rules in one scan the SQL text grows without gaining speed.
MAX_RULES_PER_SCAN = 250

Query = Callable[[str], Sequence[Sequence[Any]]]


@dataclass(frozen=True)
class Hit:
    """A rule that fired: one event for a detection rule, one burst of events for a correlation."""

    rule_id: str
    title: str
    level: str
    event_ids: tuple[int, ...]
    first: datetime | None = None
    last: datetime | None = None
    group: tuple[str, ...] = ()
    correlation: bool = False


def source_sql(table_or_glob: str) -> str:
    """A table name, or Parquet files (a path or glob ending in .parquet)."""
    if table_or_glob.endswith(".parquet") or "*" in table_or_glob or "/" in table_or_glob:
        return "read_parquet('" + table_or_glob.replace("'", "''") + "')"
    if not table_or_glob.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"not a table name: {table_or_glob!r}")
    return table_or_glob


def scan_groups(rules: Sequence[CompiledRule]) -> list[list[CompiledRule]]:
    groups: dict[tuple[tuple[str, ...], tuple[int, ...]], list[CompiledRule]] = defaultdict(list)
    for rule in rules:
        groups[(tuple(rule.channels), tuple(rule.event_codes))].append(rule)
    chunks = []
    for _, members in sorted(groups.items()):
        for start in range(0, len(members), MAX_RULES_PER_SCAN):
            chunks.append(members[start : start + MAX_RULES_PER_SCAN])
    return chunks


def group_sql(group: Sequence[CompiledRule], source: str, dialect: str) -> str:
    """One scan for rules sharing a log source: event id and one boolean per rule, matching rows only."""
    where = render(source_condition(group[0].channels, group[0].event_codes), dialect)
    raw_keys = {k for rule in group for k in rule.raw_keys}
    lower_keys = {k for rule in group for k in rule.lower_keys}
    # Each map key the group reads is looked up (and lower-cased) once per event, in the inner scan.
    columns = "".join(f", {item}" for item in projection(raw_keys, lower_keys, dialect))
    scan = f"SELECT *{columns} FROM {source} WHERE {where}"  # noqa: S608
    flags = ", ".join(f"({rule.scan_sql[dialect]}) AS h{i}" for i, rule in enumerate(group))
    any_hit = " OR ".join(f"h{i}" for i in range(len(group)))
    return f"SELECT * FROM (SELECT event_id, {flags} FROM ({scan}) p) s WHERE {any_hit}"  # noqa: S608


def evaluate(query: Query, source: str, rules: CompiledRules, dialect: str) -> list[Hit]:
    """All hits of a rule set, through ``query`` (SQL text -> rows) of any engine."""
    hits: list[Hit] = []
    for group in scan_groups([r for r in rules.rules if r.emit]):
        for row in query(group_sql(group, source, dialect)):
            event_id = int(row[0])
            for index, flag in enumerate(row[1:]):
                if flag:
                    rule = group[index]
                    hits.append(Hit(rule.id, rule.title, rule.level, (event_id,)))
    by_id = {r.id: r for r in rules.rules}
    for correlation in rules.correlations:
        hits.extend(_correlation_hits(query, source, correlation, by_id, dialect))
    hits.sort(key=lambda h: (h.rule_id, h.event_ids))
    return hits


def _correlation_hits(
    query: Query, source: str, correlation: CompiledCorrelation, by_id: dict[str, CompiledRule], dialect: str
) -> list[Hit]:
    bases = [by_id[rule_id] for rule_id in correlation.rules]
    rows = rows_of(query(correlation_sql(correlation, bases, source, dialect)))
    return [
        Hit(
            correlation.id,
            correlation.title,
            correlation.level,
            burst.event_ids,
            _from_us(burst.first_us),
            _from_us(burst.last_us),
            burst.group,
            correlation=True,
        )
        for burst in bursts(correlation, rows)
    ]


def _from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def run(connection: Any, table_or_glob: str, rules: CompiledRules) -> list[Hit]:
    """Evaluate the rules on a DuckDB connection over a table or Parquet files; hits sorted by rule.

    Detection rules go through ``scan`` (events read once, literal prefilter, exact SQL on the candidates);
    correlations through their window queries.
    """
    source = source_sql(table_or_glob)
    fix_mmap_threshold()  # else the scan's freed buffers stay in the C heap, which grows with the input
    hits: list[Hit] = []
    groups = scan.groups_of([r for r in rules.rules if r.emit])
    if groups:
        # A second connection to the same database evaluates each batch while the first streams them.
        cursor = connection.cursor()
        try:
            scanner = scan.Scanner(cursor, groups)
            for table in scan.batches(connection, source, groups):
                pairs = scanner.add(table)
                hits += [Hit(rule.id, rule.title, rule.level, (event_id,)) for event_id, rule in pairs]
            pairs = scanner.finish()
            hits += [Hit(rule.id, rule.title, rule.level, (event_id,)) for event_id, rule in pairs]
        finally:
            cursor.close()
    by_id = {r.id: r for r in rules.rules}

    def query(sql: str) -> Sequence[Sequence[Any]]:
        result: list[tuple[Any, ...]] = connection.execute(sql).fetchall()
        return result

    for correlation in rules.correlations:
        hits.extend(_correlation_hits(query, source, correlation, by_id, "duckdb"))
    hits.sort(key=lambda h: (h.rule_id, h.event_ids))
    return hits


def run_spark(spark: Any, table: str, rules: CompiledRules) -> list[Hit]:
    """The same evaluation on Spark SQL over a registered table or view."""

    def query(sql: str) -> Sequence[Sequence[Any]]:
        return [tuple(row) for row in spark.sql(sql).collect()]

    return evaluate(query, table, rules, "spark")


def hit_rows(connection: Any, table_or_glob: str, event_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The wide rows of the events behind hits (fetched only for them)."""
    if not event_ids:
        return []
    ids = ", ".join(str(int(i)) for i in sorted(set(event_ids)))
    cursor = connection.execute(f"SELECT * FROM {source_sql(table_or_glob)} WHERE event_id IN ({ids})")  # noqa: S608
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
