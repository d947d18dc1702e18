"""The Spark SQL rendering gives the same hits as DuckDB (local[2])."""

from __future__ import annotations

from typing import Any

import duckdb

from hygie.detect.sigma.compiler import compile_text
from hygie.detect.sigma.engine import run, run_spark
from tests.detect.evtx_events import SCHEMA, table_of
from tests.detect.sigma import test_correlation as corr
from tests.detect.sigma import test_semantics as sem

RULES = [
    sem.rule("  sel: {Image: 'C:\\Windows\\System32\\CMD.exe'}\n  condition: sel"),
    sem.rule("  sel: {CommandLine|contains: 'a_b%c'}\n  condition: sel"),
    sem.rule("  sel: {Size|gte: 10, Size|lt: 100}\n  condition: sel"),
    sem.rule(
        "  sel: {Image|endswith: '.exe'}\n  filter: {ParentImage: 'explorer.exe'}\n  condition: sel and not filter"  # noqa: E501
    ),
    sem.rule("  a: {CommandLine|re: 'vss.*delete'}\n  b: {Image|re|i: '^WMIC'}\n  condition: a or b"),
    sem.rule("  sel: {CommandLine|windash|contains|all: ['-enc', '-nop']}\n  condition: sel"),
    sem.rule("  sel: {User: null, Image|endswith: '.exe'}\n  condition: sel"),
    sem.rule("  sel: {ParentImage|fieldref: Image}\n  condition: sel"),
    # Literal lists: one RE2 alternation on DuckDB, the plain OR chain on Spark.
    sem.rule(
        "  a: {Image|endswith: ['\\cmd.exe', 'b.exe', 'wmic.exe']}\n"
        "  b: {CommandLine|contains: ['vss', '-enc', 'a_b%']}\n  condition: a or b"
    ),
]
EVENTS = [
    sem.proc(1, Image="c:\\windows\\system32\\cmd.EXE", ParentImage="explorer.exe"),
    sem.proc(2, CommandLine="x A_B%C y", Size="50"),
    sem.proc(3, CommandLine="aXb%c", Size="big"),
    sem.proc(4, Image="b.exe", Size="99.5", User=""),
    sem.proc(5, CommandLine="vssadmin delete shadows /nop -enc"),
    sem.proc(6, Image="WMIC.exe", ParentImage="wmic.EXE"),
]


def both(spark: Any, texts: list[str], events: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    compiled = compile_text(*texts)
    table = table_of(events)
    connection = duckdb.connect()
    connection.register("events", table)
    frame = spark.createDataFrame(spark_rows(table), schema=_spark_schema())
    frame.createOrReplaceTempView("events")
    return run(connection, "events", compiled), run_spark(spark, "events", compiled)


def spark_rows(table: Any) -> list[tuple[Any, ...]]:
    rows = []
    for row in table.to_pylist():
        row["fields"] = dict(row["fields"] or [])
        rows.append(tuple(row[name] for name in SCHEMA.names))
    return rows


def _spark_schema() -> Any:
    from pyspark.sql import types as t

    kinds = {"int64": t.LongType(), "int32": t.IntegerType(), "string": t.StringType()}
    fields = []
    for field in SCHEMA:
        kind = str(field.type)
        if kind.startswith("timestamp"):
            spark_type: Any = t.TimestampType()
        elif kind.startswith("map"):
            spark_type = t.MapType(t.StringType(), t.StringType())
        else:
            spark_type = kinds[kind]
        fields.append(t.StructField(field.name, spark_type, True))
    return t.StructType(fields)


def test_detection_rules_same_hits(spark: Any) -> None:
    for index, text in enumerate(RULES):
        duck, sparked = both(spark, [text.replace("0001\n", f"{index:04d}\n")], EVENTS)
        assert [h.event_ids for h in sparked] == [h.event_ids for h in duck], text


def test_correlations_same_bursts(spark: Any) -> None:
    events = [corr.logon(n, 10 * n) for n in range(1, 30)] + [
        corr.logon(100 + n, 4000 + n, user=str(n)) for n in range(5)
    ]
    for text in (
        corr.correlation("event_count", "condition: {gte: 5}"),
        corr.correlation("value_count", "condition: {gte: 3, field: TargetUserName}"),
    ):
        duck, sparked = both(spark, [corr.FAILED + "---\n" + text], events)
        assert duck and [(h.event_ids, h.first, h.last) for h in sparked] == [
            (h.event_ids, h.first, h.last) for h in duck
        ]
