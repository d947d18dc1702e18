"""Windows EVTX files (Security, System, Sysmon, PowerShell...) through the ``evtx`` parser (Rust).

The parser's JSON view of each record is flattened into :class:`~hygie.detect.events.Event` fields. A record
the parser cannot read raises in the iteration; it is counted with its offset and the iteration goes on
(the parser skips to the next record or chunk), so a truncated or damaged file gives what can be read.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from datetime import datetime
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
    # Hot path (every field of every record): exact classes first, ``text`` for the rest.
    for name, value in system.items():
        cls = value.__class__
        if cls is str:
            out[name] = value
        elif cls is int:
            out[name] = str(value)
        elif cls is dict or isinstance(value, dict):
            attributes = value.get("#attributes")
            if attributes.__class__ is dict or isinstance(attributes, dict):
                for attribute, item in attributes.items():
                    if item.__class__ is str:
                        out[f"{name}_{attribute}"] = item
                    elif (converted := text(item)) is not None:
                        out[f"{name}_{attribute}"] = converted
            if "#text" in value:  # <EventID Qualifiers="16384">7036</EventID>
                converted = text(value["#text"])
                if converted is not None:
                    out[name] = converted
        elif value is not None:
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
        cls = item.__class__
        if cls is str:
            converted = item
        elif cls is int:
            converted = str(item)
        elif name == "#text":
            converted = text(item)
        elif isinstance(item, dict):
            if "#text" not in item:
                _data(item, name, out, system)  # a UserData wrapper element: its leaves keep their names
                continue
            converted = text(item["#text"])
        else:
            converted = text(item)
        if converted is None:
            continue
        if name == "#text":
            out.setdefault(prefix or "Data", converted)
            continue
        out.setdefault(f"UserData_{name}" if name in system else name, converted)


def flatten_record(record: dict[str, Any]) -> dict[str, str]:
    """The ``fields`` of one parsed record (``{"Event": {"System": ..., "EventData": ...}}``)."""
    event = record.get("Event", record)
    system: dict[str, str] = {}
    if isinstance(event.get("System"), dict):
        _system(event["System"], system)
    fields = system.copy()
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


class RecordNumbers:
    """The record numbers read from one file, to tell a repeat (damaged files repeat some) from a new one.

    A sound file numbers its records in order, chunk after chunk: they are kept as ranges (``starts`` and
    ``ends``, inclusive, in order), one per run of consecutive numbers, so memory follows the gaps in the
    numbering rather than the number of records (a set of numbers would hold about a hundred bytes per
    record: a hundred megabytes per million). Only a number below the highest one read that extends no range
    (a file out of order) is kept alone, and a number read again is counted in ``repeats``.
    """

    __slots__ = ("ends", "repeats", "scattered", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.scattered: set[int] = set()
        self.repeats: dict[int, int] = {}

    def add(self, number: int) -> int:
        """Records ``number``; how many times it was read before (0 the first time)."""
        ends = self.ends
        if ends and number == ends[-1] + 1:  # the next record of a run: nearly every record
            ends[-1] = number
            return 0
        if not ends or number > ends[-1]:
            self.starts.append(number)
            ends.append(number)
            return 0
        at = bisect_right(self.starts, number) - 1
        if (at >= 0 and number <= ends[at]) or number in self.scattered:
            repeat = self.repeats.get(number, 0) + 1
            self.repeats[number] = repeat
            return repeat
        self.scattered.add(number)
        return 0

    def __len__(self) -> int:
        """Ranges and lone numbers held: what the memory follows."""
        return len(self.starts) + len(self.scattered) + len(self.repeats)


def _first_chunk_sound(context: ReadContext) -> bool:
    """An empty log (header, maybe empty chunks) is sound; random bytes after the header are not."""
    with context.path.open("rb") as stream:
        stream.seek(_HEADER_SIZE)
        start = stream.read(8)
    return not start or start == b"ElfChnk\x00"


def _time(value: str | None) -> datetime | None:
    """``TimeCreated``: the parser writes ``2019-03-19T23:35:07.524202Z``, read without the general parser."""
    if value is None:
        return None
    if len(value) == 27 and value[26] == "Z":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return parse_iso(value)


def read(context: ReadContext) -> Iterator[Event]:
    """Every readable record of the file, in the parser's order."""
    try:
        parser = PyEvtxParser(str(context.path))
        records = iter(parser.records_json())
    except (OSError, RuntimeError) as exc:
        context.problem(0, f"not a readable EVTX file: {exc}")
        return
    position = 0
    seen = RecordNumbers()
    loads, flatten = orjson.loads, flatten_record
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
            fields = flatten(loads(raw))
        except (orjson.JSONDecodeError, AttributeError, TypeError) as exc:
            context.problem(position, f"record {record.get('event_record_id')}: {exc}")
            continue
        number = int(record["event_record_id"])
        # Damaged files can repeat a record number: the repeat count keeps event ids distinct and stable.
        repeat = seen.add(number)
        ts = _time(fields.get("TimeCreated_SystemTime")) or parse_iso(str(record["timestamp"]))
        if ts is None:
            context.problem(position, f"record {number}: no time")
            continue
        user = None
        for name in _USER_FIELDS:
            user = fields.get(name)
            if user:
                break
        code = _int(fields.get("EventID"))
        yield Event(
            ts,
            fields.get("Computer"),
            fields.get("Channel"),
            fields.get("Provider_Name"),
            code if code is not None and -(2**31) <= code < 2**31 else None,
            _int(fields.get("EventRecordID")) or number,
            user or None,
            raw,
            fields,
            position - 1,
            number if not repeat else (repeat << 40) ^ number,
        )
