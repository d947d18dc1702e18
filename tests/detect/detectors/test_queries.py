"""The detectors' DuckDB SQL as Spark SQL: parameters as typed literals, ordered lists kept in order; and
the statistics computed in Python for both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import duckdb
import pytest

from hygie.detect.detectors.base import most_common, quantile
from hygie.detect.detectors.queries import local_hour, local_weekday, ordered_list, to_spark_sql


def test_parameters_become_typed_literals() -> None:
    sql = "SELECT a FROM events WHERE s = ? AND ts >= ? AND n IN (SELECT unnest(?)) AND x > ? AND m = '?'"
    moment = datetime(2026, 2, 23, 11, 30, tzinfo=timezone(timedelta(hours=1)))
    assert to_spark_sql(sql, ["it's \\d+", moment, [1, 2], 1.5]) == (
        "SELECT a FROM events WHERE s = 'it\\'s \\\\d+' "
        "AND ts >= CAST('2026-02-23 10:30:00+00:00' AS TIMESTAMP) AND n IN (SELECT EXPLODE(ARRAY(1, 2))) "
        "AND x > CAST(1.5 AS DOUBLE) AND m = '?'"
    )
    assert to_spark_sql("SELECT ? AS d, ? AS b, ? AS z", [date(2026, 2, 23), True, None]) == (
        "SELECT CAST('2026-02-23' AS DATE) AS d, TRUE AS b, NULL AS z"
    )
    with pytest.raises(ValueError, match="2 parameters in the SQL, 1 values given"):
        to_spark_sql("SELECT ? + ?", [1])
    with pytest.raises(ValueError, match="naive datetime"):
        to_spark_sql("SELECT ?", [datetime(2026, 2, 23)])  # noqa: DTZ001 -- the case refused
    with pytest.raises(TypeError, match="object"):
        to_spark_sql("SELECT ?", [object()])


def test_ordered_lists_keep_their_order_on_spark() -> None:
    sql = f"SELECT {ordered_list('event_id', 'ts', 'event_id', where='ts >= ?')} FROM events"
    assert to_spark_sql(sql, [datetime(2026, 2, 23, tzinfo=UTC)]) == (
        "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(ts AS k0, event_id AS k1, event_id AS v)) "
        "FILTER(WHERE ts >= CAST('2026-02-23 00:00:00+00:00' AS TIMESTAMP))), x -> x.v) FROM events"
    )


def test_statistics_by_hand() -> None:
    # 99th percentile of 1…100: rank 0.99 × 99 = 98.01 → 99 + 0.01 × (100 − 99)
    assert quantile([float(v) for v in range(100, 0, -1)], 0.99) == pytest.approx(99.01)
    assert quantile([150.0] * 7, 0.99) == 150.0
    assert quantile([4.0], 0.99) == 4.0
    assert most_common(["b", "a", None, "b", "a", "c"]) == "a"  # tie of a and b: the smallest
    assert most_common([None]) == ""


def test_local_hours_and_weekdays_across_daylight_saving(spark: Any) -> None:
    """Paris moves to summer time on Sunday 29 March 2026 at 1:00 UTC and back on Sunday 25 October at
    1:00 UTC; 2026-02-23 is a Monday, 2026-03-01 a Sunday."""
    moments = [
        datetime(2026, 2, 23, 23, 30, tzinfo=UTC),  # Tuesday 0:30 in Paris
        datetime(2026, 3, 1, 22, 59, tzinfo=UTC),  # Sunday 23:59
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # Sunday 1:30 (UTC+1)
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Sunday 3:30 (UTC+2)
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Sunday 2:30 (UTC+2)
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # Sunday 2:30 again (UTC+1)
    ]
    expected = [(0, 1), (23, 6), (1, 6), (3, 6), (2, 6), (2, 6)]
    sql = f"SELECT {local_hour('?')}, {local_weekday('?')}"
    zone = "Europe/Paris"
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    for moment, (hour, weekday) in zip(moments, expected, strict=True):
        params = [moment, zone, moment, zone]
        assert connection.execute(sql, params).fetchone() == (hour, weekday), moment
        assert tuple(spark.sql(to_spark_sql(sql, params)).collect()[0]) == (hour, weekday), moment
