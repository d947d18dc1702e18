"""Where the detectors' SQL runs: DuckDB in this process (the default), or Spark when a hospital group's
volume outgrows one machine; the same SQL gives the same rows on both.

The SQL is written once, in DuckDB's dialect, with ``?`` parameters, over the view ``events`` (the
establishment's events up to ``now``). For Spark, sqlglot turns it into Spark SQL, each parameter becoming
a typed literal in the tree (never pasted into the text), and the rows come back as the same Python values
as DuckDB's: timestamps as aware UTC datetimes, arrays as lists.

What the detectors' SQL avoids so that both engines read it the same (sqlglot gets these wrong, or the
engines differ):

- ``list(x ORDER BY y)``: sqlglot drops the ORDER BY for Spark; :func:`ordered_list` sorts structs instead.
- ``isodow``/``dayofweek``/``weekday``: each engine numbers days its own way (sqlglot's Spark ``isodow`` is
  off); the weekday is the number of days since a Monday, modulo 7 (:func:`local_weekday`).
- ``timezone(zone, ts)``: not a Spark function; ``ts AT TIME ZONE zone`` becomes ``from_utc_timestamp``
  (:func:`local_hour`).
- ``time_bucket``, ``mode``, ``any_value``, ``mad``, ``quantile_cont``: missing in Spark, or arbitrary among
  ties; the statistics of a baseline are computed in Python over the samples (a list), which also keeps
  the last bits of a standard deviation from depending on the engine's order of addition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import duckdb
import sqlglot
from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect

from hygie.core.settings import Settings
from hygie.detect.events import dataset_glob, has_events, read_spark

VIEW = "events"
"""The view every detector reads."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def local_hour(moment: str) -> str:
    """DuckDB SQL for the hour of the timestamp ``moment`` in the zone given as the next ``?``."""
    return f"hour({moment} AT TIME ZONE ?)"


def local_weekday(moment: str) -> str:
    """DuckDB SQL for the weekday (0 = Monday) of the timestamp ``moment`` in the zone given as the next
    ``?``: the days since Monday 3 January 2000, modulo 7."""
    return f"date_diff('day', DATE '2000-01-03', CAST({moment} AT TIME ZONE ? AS DATE)) % 7"


def ordered_list(value: str, *order: str, where: str | None = None) -> str:
    """DuckDB SQL aggregating ``value`` into a list sorted by ``order`` (optionally ``FILTER (WHERE
    where)``) that sqlglot renders for Spark as ``transform(array_sort(collect_list(struct(…))), …)``.

    Give a unique last key (``event_id``) so that ties sort the same way on both engines. On DuckDB the
    list is NULL when no row passes the filter, on Spark it is empty: read it as ``value or ()``.
    """
    keys = ", ".join(f"k{i} := {key}" for i, key in enumerate(order))
    only = f" FILTER (WHERE {where})" if where else ""
    return f"list_transform(list_sort(list(struct_pack({keys}, v := {value})){only}), lambda x: x.v)"


class EventQueries(Protocol):
    """Runs the detectors' DuckDB SQL over the view ``events`` on one engine."""

    present: bool
    """Whether the establishment has events at all (else there is no view to read)."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class DuckDBQueries:
    """The view ``events`` over the establishment's Parquet dataset, on a DuckDB connection in UTC."""

    def __init__(self, settings: Settings, establishment_id: int, now: datetime) -> None:
        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        self.present = has_events(settings, establishment_id)
        if self.present:
            glob = dataset_glob(settings, establishment_id).replace("'", "''")
            cutoff = now.isoformat().replace("'", "")
            self.connection.execute(
                f"CREATE VIEW {VIEW} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true) "  # noqa: S608
                f"WHERE ts <= TIMESTAMPTZ '{cutoff}'"
            )

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, list(params)).fetchall()

    def close(self) -> None:
        self.connection.close()


class SparkQueries:
    """The view ``events`` on a SparkSession (``spark``, owned by the caller: closing drops the view and
    gives the session back its time zone, it does not stop the session)."""

    def __init__(self, spark: Any, settings: Settings, establishment_id: int, now: datetime) -> None:
        self.spark = spark
        # Local hours are read as from_utc_timestamp(ts, zone) then hour(): right only in a UTC session.
        self._zone = spark.conf.get("spark.sql.session.timeZone")
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        self.present = has_events(settings, establishment_id)
        if self.present:
            from pyspark.sql import functions

            try:
                frame = read_spark(spark, settings, establishment_id)
                frame.where(functions.col("ts") <= functions.lit(now)).createOrReplaceTempView(VIEW)
            except BaseException:
                spark.conf.set("spark.sql.session.timeZone", self._zone)  # nobody will call close()
                raise

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        frame = self.spark.sql(to_spark_sql(sql, params))
        # Positional names: a query may return two columns of the same name (t.h and s.h).
        names = [f"c{i}" for i in range(len(frame.columns))]
        frame = frame.toDF(*names)
        stamps = {i for i, f in enumerate(frame.schema.fields) if f.dataType.typeName() == "timestamp"}
        # PySpark would give timestamps as naive datetimes in the Python process's zone: read them as
        # microseconds since the epoch instead, exact whatever the zones.
        frame = frame.selectExpr(*(f"unix_micros({n})" if i in stamps else n for i, n in enumerate(names)))
        return [
            tuple(_from_micros(v) if i in stamps else v for i, v in enumerate(row)) for row in frame.collect()
        ]

    def close(self) -> None:
        if self.present:
            self.spark.catalog.dropTempView(VIEW)
        self.spark.conf.set("spark.sql.session.timeZone", self._zone)


def open_queries(
    settings: Settings, establishment_id: int, now: datetime, spark: Any | None = None
) -> EventQueries:
    """The establishment's events up to ``now`` on Spark (``spark`` a SparkSession) or else DuckDB."""
    if spark is None:
        return DuckDBQueries(settings, establishment_id, now)
    return SparkQueries(spark, settings, establishment_id, now)


def to_spark_sql(sql: str, params: Sequence[Any] = ()) -> str:
    """Spark SQL for DuckDB SQL with ``?`` parameters, each replaced by a typed literal of its value."""
    marks = [t for t in Dialect.get_or_raise("duckdb").tokenize(sql) if t.token_type == TokenType.PLACEHOLDER]
    if len(marks) != len(params):
        raise ValueError(f"{len(marks)} parameters in the SQL, {len(params)} values given")
    # Numbered ($1, $2…) so that each value goes where its ? was, whatever order the tree is walked in.
    text = sql
    for number, mark in reversed(list(enumerate(marks, start=1))):
        text = f"{text[: mark.start]}${number}{text[mark.end + 1 :]}"
    tree = sqlglot.parse_one(text, read="duckdb")

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.this is not None:
            return literal(params[int(str(node.this)) - 1])
        return node

    return tree.transform(bind).sql(dialect="spark")


def literal(value: Any) -> exp.Expression:
    """A SQL literal of a parameter's value: text escaped by sqlglot, times as UTC timestamps."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter {value!r}: not a finite number")
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.build("DOUBLE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"parameter {value!r}: a naive datetime, aware UTC expected")
        text = value.astimezone(UTC).isoformat(sep=" ")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TypeError(f"parameter of type {type(value).__name__} has no SQL literal")


def _from_micros(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value)
