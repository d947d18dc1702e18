"""Correlation rules with real sliding windows and one alert per burst.

The SQL engine computes, for every event of the base rules, the window statistic over the ``timespan``
that ends at it (window functions, RANGE frame on microseconds). Windows that meet the condition and
overlap one another form one burst: one alert, from the start of its first window to its last event.
``temporal_ordered`` checks the order on the base-rule events (few, compared to the events scanned).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hygie.detect.sigma.backend import render
from hygie.detect.sigma.compiler import CompiledCorrelation, CompiledRule, source_condition

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
    "eq": operator.eq,
    "neq": operator.ne,
}
EPOCH_US = {"duckdb": "epoch_us({})", "spark": "unix_micros({})"}
DISTINCT_COUNT = {"duckdb": "COUNT(DISTINCT {}) OVER win", "spark": "SIZE(COLLECT_SET({}) OVER win)"}


@dataclass(frozen=True)
class Row:
    group: tuple[str, ...]
    us: int
    event_id: int
    rule: int
    stat: float


@dataclass(frozen=True)
class Burst:
    group: tuple[str, ...]
    first_us: int
    last_us: int
    event_ids: tuple[int, ...]


def correlation_sql(
    correlation: CompiledCorrelation, bases: Sequence[CompiledRule], source: str, dialect: str
) -> str:
    """One query: the base-rule events with their group, time and window statistic."""
    parts = []
    width = len(correlation.group_by[dialect][0]) if correlation.group_by[dialect] else 0
    for index, base in enumerate(bases):
        groups = correlation.group_by[dialect][index]
        columns = [f"COALESCE(CAST({g} AS STRING), '') AS g{n}" for n, g in enumerate(groups)]
        value = correlation.value[dialect][index] if correlation.value.get(dialect) else "NULL"
        where = render(source_condition(base.channels, base.event_codes), dialect)
        parts.append(
            f"SELECT event_id, {EPOCH_US[dialect].format('ts')} AS us, {index} AS r, {value} AS v"  # noqa: S608
            + "".join(f", {c}" for c in columns)
            + f" FROM {source} WHERE ({where}) AND ({base.sql[dialect]})"
        )
    group_columns = [f"g{n}" for n in range(width)]
    partition = f"PARTITION BY {', '.join(group_columns)} " if group_columns else ""
    window = (
        f"({partition}ORDER BY us RANGE BETWEEN {correlation.timespan * 1_000_000} PRECEDING AND CURRENT ROW)"
    )
    if correlation.kind == "value_count":
        stat = DISTINCT_COUNT[dialect].format("v")
    elif correlation.kind == "temporal":
        stat = " + ".join(f"MAX(CASE WHEN r = {i} THEN 1 ELSE 0 END) OVER win" for i in range(len(bases)))
    else:
        stat = "COUNT(*) OVER win"
    stat = stat.replace("OVER win", f"OVER {window}")
    select_groups = "".join(f", {g}" for g in group_columns)
    return f"SELECT event_id, us, r, {stat} AS stat{select_groups} FROM ({' UNION ALL '.join(parts)}) ev"  # noqa: S608


def rows_of(records: Sequence[Sequence[Any]]) -> list[Row]:
    return [
        Row(tuple(str(g) for g in rec[4:]), int(rec[1]), int(rec[0]), int(rec[2]), float(rec[3]))
        for rec in records
    ]


def bursts(correlation: CompiledCorrelation, rows: Sequence[Row]) -> list[Burst]:
    """Qualifying windows merged while they overlap: one burst per attack, not one per event."""
    span = correlation.timespan * 1_000_000
    by_group: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for row in rows:
        by_group[row.group].append(row)
    result: list[Burst] = []
    for group, members in sorted(by_group.items()):
        members.sort(key=lambda r: (r.us, r.event_id))
        windows = _qualifying(correlation, members, span)
        merged: list[list[int]] = []
        for start, end in windows:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            ids = tuple(r.event_id for r in members if start <= r.us <= end)
            result.append(Burst(group, start, end, ids))
    return result


def _qualifying(correlation: CompiledCorrelation, members: list[Row], span: int) -> list[tuple[int, int]]:
    if correlation.kind == "temporal_ordered":
        return _ordered_windows(len(correlation.rules), members, span)
    compare = COMPARE[correlation.op]
    needed = float(len(correlation.rules)) if correlation.kind == "temporal" else correlation.count
    if correlation.kind == "temporal":
        compare = operator.ge
    windows = []
    for row in members:
        if compare(row.stat, needed):
            windows.append((max(row.us - span, members[0].us), row.us))
    # The window's real start: its first event, not the empty time before it.
    starts = [m.us for m in members]
    return [(next(s for s in starts if s >= begin), end) for begin, end in windows]


def _ordered_windows(count: int, members: list[Row], span: int) -> list[tuple[int, int]]:
    """Windows ending at an event of the last rule that follows events of rules 0..n-2 in that order."""
    windows = []
    for end_index, row in enumerate(members):
        if row.rule != count - 1:
            continue
        # Walk back: latest event of rule n-2 before it, then of n-3 before that… inside the span.
        needed = count - 2
        position = row.us
        start = row.us
        for candidate in reversed(members[:end_index]):
            if needed < 0 or candidate.us < row.us - span:
                break
            if candidate.rule == needed and candidate.us <= position:
                position = start = candidate.us
                needed -= 1
        if needed < 0:
            windows.append((start, row.us))
    return windows
