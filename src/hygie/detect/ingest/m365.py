"""Microsoft 365 (Exchange Online) message trace exported as CSV.

Accepted headers: ``Get-MessageTrace`` / ``Get-MessageTraceV2`` piped to ``Export-Csv`` (``Received``,
``SenderAddress``, ``RecipientAddress``, ``Subject``, ``Status``, ``ToIP``, ``FromIP``, ``Size``,
``MessageId``, ``MessageTraceId``...), the downloadable historical report (``origin_timestamp_utc``,
``sender_address``, ``recipient_status``, ``message_subject``...) and Graph's camelCase names
(``receivedDateTime``, ``senderAddress``...). Every column is kept under its own name and, when it differs,
under the ``Get-MessageTrace`` name too, so detectors read one vocabulary. Times are UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO

from hygie.detect.events import Event
from hygie.detect.ingest.common import ReadContext, csv_rows, open_binary, parse_iso

# normalised header (lower case, no spaces, underscores or brackets) → Get-MessageTrace column
ALIASES = {
    "received": "Received",
    "receiveddatetime": "Received",
    "origintimestamputc": "Received",
    "datetimeutc": "Received",
    "dateutc": "Received",
    "date": "Received",
    "senderaddress": "SenderAddress",
    "sender": "SenderAddress",
    "recipientaddress": "RecipientAddress",
    "recipient": "RecipientAddress",
    "recipientstatus": "RecipientStatus",
    "subject": "Subject",
    "messagesubject": "Subject",
    "status": "Status",
    "deliverystatus": "Status",
    "fromip": "FromIP",
    "originalclientip": "FromIP",
    "toip": "ToIP",
    "size": "Size",
    "totalbytes": "Size",
    "messageid": "MessageId",
    "messagetraceid": "MessageTraceId",
    "networkmessageid": "MessageTraceId",
    "organization": "Organization",
    "directionality": "Direction",
}
_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p")
_DAY_FIRST_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S")


def normalise(header: str) -> str:
    return "".join(c for c in header.lower() if c.isalnum())


def is_message_trace(header: list[str]) -> bool:
    names = {ALIASES.get(normalise(h)) for h in header}
    return "Received" in names and "SenderAddress" in names and "RecipientAddress" in names


def parse_time(value: str) -> datetime | None:
    """ISO 8601, or the culture-dependent text of ``Export-Csv``: US with AM/PM, else day first."""
    parsed = parse_iso(value)
    if parsed is not None:
        return parsed
    value = value.strip()
    formats = _US_FORMATS if value.upper().endswith(("AM", "PM")) else _DAY_FIRST_FORMATS
    for layout in formats:
        try:
            return datetime.strptime(value, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def read_stream(context: ReadContext, stream: IO[bytes]) -> Iterator[Event]:
    for number, row, raw in csv_rows(stream, context):
        fields = {name: value for name, value in row.items() if name}
        for name, value in row.items():
            canonical = ALIASES.get(normalise(name))
            if canonical:
                fields.setdefault(canonical, value)
        ts = parse_time(fields.get("Received", ""))
        if ts is None:
            context.problem(number, f"row {number}: no readable Received time")
            continue
        yield Event(
            ts=ts,
            host=fields.get("Organization") or None,
            channel="messagetrace",
            provider="exchange-online",
            event_code=None,
            record_id=number,
            user=fields.get("SenderAddress") or None,
            message=raw,
            fields=fields,
            offset=number,
            key=number,
        )


def read(context: ReadContext) -> Iterator[Event]:
    with open_binary(context.path) as stream:
        yield from read_stream(context, stream)
