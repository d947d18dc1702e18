"""EVTX records as rows of the event table (tests only; the ingestion's reader replaces it)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from evtx import PyEvtxParser

SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("host", pa.string()),
        ("source", pa.string()),
        ("channel", pa.string()),
        ("provider", pa.string()),
        ("event_code", pa.int32()),
        ("record_id", pa.int64()),
        ("user", pa.string()),
        ("message", pa.string()),
        ("fields", pa.map_(pa.string(), pa.string())),
        ("file", pa.string()),
        ("offset", pa.int64()),
    ]
)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return _text(value.get("#text"))
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _leaves(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "#attributes":
                for name, attr in (item or {}).items():
                    out.setdefault(name, str(attr))
            elif key == "#text":
                text = _text(item)
                if text is not None and prefix:
                    out.setdefault(prefix, text)
            else:
                _leaves(key, item, out)
    else:
        text = _text(value)
        if text is not None and prefix:
            out.setdefault(prefix, text)


def flatten(event: dict[str, Any]) -> dict[str, str]:
    """System fields first (they win collisions with UserData), then EventData/UserData leaves."""
    system = event.get("System", {})
    fields: dict[str, str] = {}
    provider = system.get("Provider", {}).get("#attributes", {})
    if "Name" in provider:
        fields["Provider_Name"] = str(provider["Name"])
    for key in (
        "EventID",
        "Channel",
        "Computer",
        "Level",
        "Task",
        "Opcode",
        "Keywords",
        "EventRecordID",
        "Version",
    ):
        text = _text(system.get(key))
        if text is not None:
            fields[key] = text
    security = (system.get("Security") or {}).get("#attributes") or {}
    if "UserID" in security:
        fields["UserID"] = str(security["UserID"])
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict):
            named = data.get("Data")
            if isinstance(named, list) and all(isinstance(d, dict) and "#attributes" in d for d in named):
                for d in named:
                    fields.setdefault(str(d["#attributes"].get("Name")), _text(d) or "")
            else:
                _leaves("", data, fields)
    return fields


def rows(paths: Iterable[Path], first_id: int = 1) -> list[dict[str, Any]]:
    out = []
    next_id = first_id
    for path in paths:
        for record in PyEvtxParser(str(path)).records_json():
            event = json.loads(record["data"])["Event"]
            fields = flatten(event)
            stamp = str(record["timestamp"]).replace(" UTC", "").replace("Z", "").removesuffix("+00:00")
            ts = datetime.fromisoformat(stamp[:26]).replace(tzinfo=UTC)
            code = fields.get("EventID", "")
            out.append(
                {
                    "event_id": next_id,
                    "ts": ts,
                    "host": fields.get("Computer"),
                    "source": "evtx",
                    "channel": fields.get("Channel"),
                    "provider": fields.get("Provider_Name"),
                    "event_code": int(code) if code.isdigit() else None,
                    "record_id": int(record["event_record_id"]),
                    "user": fields.get("TargetUserName")
                    or fields.get("SubjectUserName")
                    or fields.get("User"),
                    "message": "\n".join(fields.values()),
                    "fields": list(fields.items()),
                    "file": str(path),
                    "offset": 0,
                }
            )
            next_id += 1
    return out


def table(paths: Iterable[Path], first_id: int = 1) -> pa.Table:
    return pa.Table.from_pylist(rows(paths, first_id), schema=SCHEMA)


def table_of(records: list[dict[str, Any]]) -> pa.Table:
    """Rows given as dicts (``fields`` a dict), missing columns NULL: for hand-made test events."""
    full = []
    for index, record in enumerate(records, start=1):
        row: dict[str, Any] = dict.fromkeys(SCHEMA.names)
        row.update(record)
        row.setdefault("event_id", index)
        if row["event_id"] is None:
            row["event_id"] = index
        row["fields"] = list((row["fields"] or {}).items())
        full.append(row)
    return pa.Table.from_pylist(full, schema=SCHEMA)
