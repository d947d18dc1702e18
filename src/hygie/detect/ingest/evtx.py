"""Windows EVTX files (Security, System, Sysmon, PowerShell...) through the ``evtx`` parser (Rust).

The parser's JSON view of each record is flattened into :class:`~hygie.detect.events.Event` fields. A record
the parser cannot read raises in the iteration; it is counted with its offset and the iteration goes on
(the parser skips to the next record or chunk), so a truncated or damaged file gives what can be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
from evtx import PyEvtxParser

from hygie.detect.events import Event
from hygie.detect.ingest.common import ReadContext, parse_iso, text

MAGIC = b"ElfFile\x00"
_OFFSET = re.compile(r"[Oo]ffset (0x[0-9a-fA-F]+|\d+)")
_RECORD = re.compile(r"record number (\d+)")
_CHUNK = re.compile(r"chunk number (\d+)")
_HEADER_SIZE, _CHUNK_SIZE = 4096, 65536  # EVTX layout: a 4 KiB file header, then 64 KiB chunks
_USER_FIELDS = ("TargetUserName", "SubjectUserName", "User", "UserName", "AccountName")


def _system(system: dict[str, Any], out: dict[str, str]) -> None:
    """``System`` as flat names: ``Provider_Name``, ``TimeCreated_SystemTime``, ``EventID``..."""
    for name, value in system.items():
        if isinstance(value, dict):
            attributes = value.get("#attributes")
            if isinstance(attributes, dict):
                for attribute, item in attributes.items():
                    converted = text(item)
                    if converted is not None:
                        out[f"{name}_{attribute}"] = converted
            if "#text" in value:  # <EventID Qualifiers="16384">7036</EventID>
                converted = text(value["#text"])
                if converted is not None:
                    out[name] = converted
        else:
            converted = text(value)
            if converted is not None:
                out[name] = converted


def _data(value: Any, prefix: str, out: dict[str, str], system: dict[str, str]) -> None:
    """EventData/UserData leaves under their own names; a name taken by System gets a prefix."""
    if not isinstance(value, dict):
        converted = text(value)
        if converted is not None and prefix:
            out.setdefault(prefix, converted)
        return
    for name, item in value.items():
        if name == "#attributes":
            continue
        if name == "#text":
            converted = text(item)
            if converted is not None:
                out.setdefault(prefix or "Data", converted)
            continue
        if isinstance(item, dict) and "#text" not in item:
            _data(item, name, out, system)  # a UserData wrapper element: its leaves keep their names
            continue
        if isinstance(item, dict):
            item = item["#text"]
        converted = text(item)
        if converted is None:
            continue
        key = f"UserData_{name}" if name in system else name
        out.setdefault(key, converted)


def flatten_record(record: dict[str, Any]) -> dict[str, str]:
    """The ``fields`` of one parsed record (``{"Event": {"System": ..., "EventData": ...}}``)."""
    event = record.get("Event", record)
    system: dict[str, str] = {}
    if isinstance(event.get("System"), dict):
        _system(event["System"], system)
    fields = dict(system)
    for part in ("EventData", "UserData"):
        data = event.get(part)
        if data is not None:
            _data(data, "", fields, system)
    return fields


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value, 0) if value.startswith("0x") else int(value)
    except ValueError:
        return None


def _first_chunk_sound(context: ReadContext) -> bool:
    """An empty log (header, maybe empty chunks) is sound; random bytes after the header are not."""
    with context.path.open("rb") as stream:
        stream.seek(_HEADER_SIZE)
        start = stream.read(8)
    return not start or start == b"ElfChnk\x00"


def read(context: ReadContext) -> Iterator[Event]:
    """Every readable record of the file, in the parser's order."""
    try:
        parser = PyEvtxParser(str(context.path))
        records = iter(parser.records_json())
    except (OSError, RuntimeError) as exc:
        context.problem(0, f"not a readable EVTX file: {exc}")
        return
    position = 0
    seen: dict[int, int] = {}
    while True:
        try:
            record: dict[str, Any] | None = next(records)
        except StopIteration:
            if position == 0 and not context.corrupt and not _first_chunk_sound(context):
                context.problem(_HEADER_SIZE, "no record read and no EVTX chunk where the first should be")
            return
        except RuntimeError as exc:
            message = str(exc)
            found = _OFFSET.search(message)
            chunk = _CHUNK.search(message)
            if found:
                where = int(found.group(1), 0)
            elif chunk:
                where = _HEADER_SIZE + int(chunk.group(1)) * _CHUNK_SIZE
            else:
                where = position
            context.problem(where, message)
            continue
        if record is None:
            continue
        position += 1
        raw: str = record["data"]
        try:
            fields = flatten_record(orjson.loads(raw))
        except (orjson.JSONDecodeError, AttributeError, TypeError) as exc:
            context.problem(position, f"record {record.get('event_record_id')}: {exc}")
            continue
        number = int(record["event_record_id"])
        # Damaged files can repeat a record number: the repeat count keeps event ids distinct and stable.
        repeat = seen.get(number, 0)
        seen[number] = repeat + 1
        ts = parse_iso(fields.get("TimeCreated_SystemTime", "")) or parse_iso(str(record["timestamp"]))
        if ts is None:
            context.problem(position, f"record {number}: no time")
            continue
        user = next((fields[name] for name in _USER_FIELDS if fields.get(name)), None)
        code = _int(fields.get("EventID"))
        yield Event(
            ts=ts,
            host=fields.get("Computer"),
            channel=fields.get("Channel"),
            provider=fields.get("Provider_Name"),
            event_code=code if code is not None and -(2**31) <= code < 2**31 else None,
            record_id=_int(fields.get("EventRecordID")) or number,
            user=user,
            message=raw,
            fields=fields,
            offset=position - 1,
            key=number if not repeat else (repeat << 40) ^ number,
        )
