"""Host performance metrics, Hygie's documented CSV: ``time,host,metric,value`` (extra columns kept).

``time`` is ISO 8601 (no zone means the ingestion's ``--timezone``, UTC by default); ``metric`` a name such as
``cpu_percent``, ``response_ms`` or ``disk_free_percent``; ``value`` a number. One row is one event:
``channel`` is ``metrics``, ``provider`` the metric, and ``fields`` holds every column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from hygie.detect.events import Event
from hygie.detect.ingest.common import ReadContext, csv_rows, open_binary, parse_iso

COLUMNS = ("time", "host", "metric", "value")


def is_metrics(header: list[str]) -> bool:
    return all(column in {h.strip().lower() for h in header} for column in COLUMNS)


def read_stream(context: ReadContext, stream: IO[bytes]) -> Iterator[Event]:
    for number, row, raw in csv_rows(stream, context):
        fields = {name.strip().lower(): value.strip() for name, value in row.items() if name}
        ts = parse_iso(fields.get("time", ""), context.timezone)
        if ts is None:
            context.problem(number, f"row {number}: unreadable time {fields.get('time', '')[:40]!r}")
            continue
        try:
            float(fields.get("value", ""))
        except ValueError:
            context.problem(number, f"row {number}: value {fields.get('value', '')[:40]!r} is not a number")
            continue
        yield Event(
            ts=ts,
            host=fields.get("host") or None,
            channel="metrics",
            provider=fields.get("metric") or None,
            event_code=None,
            record_id=number,
            user=None,
            message=raw,
            fields=fields,
            offset=number,
            key=number,
        )


def read(context: ReadContext) -> Iterator[Event]:
    with open_binary(context.path) as stream:
        yield from read_stream(context, stream)
