"""What every reader shares: bounded line reading, the problems of a file, values as text, timestamps."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, cast

GZIP_MAGIC = b"\x1f\x8b"
MAX_LINE_BYTES = 1 << 20
"""Longest line kept whole (1 MiB); a longer one is truncated, counted, and the rest of it skipped."""
MAX_PROBLEMS_KEPT = 200
"""Problems listed per file; every one is counted."""


@dataclass(frozen=True)
class Problem:
    """A record that could not be read: where (file, byte offset or record number) and why."""

    file: str
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file} @ {self.offset}: {self.reason}"


@dataclass
class ReadContext:
    """One input file being read: its label, and what went wrong in it."""

    file: str
    path: Path
    timezone: tzinfo = UTC
    """Zone of the times written without one (RFC 3164 syslog, CSV exports)."""
    reference: datetime | None = None
    """When the file was written (its mtime): gives the year RFC 3164 lines leave out."""
    corrupt: int = 0
    truncated: int = 0
    problems: list[Problem] = field(default_factory=list)

    def problem(self, offset: int, reason: str) -> None:
        self.corrupt += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(Problem(self.file, offset, reason[:500]))

    def was_truncated(self, offset: int, length: int) -> None:
        self.truncated += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(Problem(self.file, offset, f"line of {length} bytes truncated"))


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (rotated logs are often ``.gz``)."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    if gzipped:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def head(path: Path, size: int = 65536) -> bytes:
    with open_binary(path) as stream:
        return stream.read(size)


def lines(
    stream: IO[bytes], context: ReadContext, limit: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes]]:
    """``(byte offset, line without its end)`` of each non-blank line, holding at most ``limit`` bytes.

    A longer line yields its first ``limit`` bytes and is counted as truncated; the rest is skipped.
    """
    offset = 0
    while True:
        line = stream.readline(limit)
        if not line:
            return
        start = offset
        offset += len(line)
        if not line.endswith(b"\n"):
            length = len(line)
            while True:  # skip the rest of an overlong line, a bounded chunk at a time
                more = stream.readline(limit)
                if not more:
                    break
                offset += len(more)
                length += len(more)
                if more.endswith(b"\n"):
                    break
            if length > len(line):
                context.was_truncated(start, length)
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield start, line


def decode(raw: bytes) -> str:
    """Text of a line; invalid UTF-8 bytes become U+FFFD instead of failing the record."""
    return raw.decode("utf-8", errors="replace")


def text(value: Any) -> str | None:
    """A field value as stored in ``fields``: text, ``None`` for null."""
    if value.__class__ is str:  # the common case first: this runs for every field of every record
        return value
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        parts = [t for t in (text(v) for v in value) if t is not None]
        return "\n".join(parts)
    return str(value)


def flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    """Nested JSON objects as dotted keys (``winlog.event_data.CommandLine``)."""
    if isinstance(value, dict):
        _flatten_object(value, prefix, out)
        return
    converted = text(value)
    if converted is not None and prefix:
        out[prefix] = converted


def _flatten_object(value: dict[Any, Any], prefix: str, out: dict[str, str]) -> None:
    # Hot path (every key of every NDJSON line): strings and objects tested by exact class first.
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        cls = item.__class__
        if cls is str:
            if name:
                out[name] = item
        elif cls is dict or isinstance(item, dict):
            _flatten_object(item, name, out)
        elif (converted := text(item)) is not None and name:
            out[name] = converted


def parse_iso(value: str, timezone: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 time as aware UTC (up to 9 fraction digits, ``Z`` or offset; naive is in ``timezone``)."""
    if value[-1:] == "Z" and len(value) <= 27:  # the common case, 2024-03-11T10:00:00.123456Z, read directly
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    value = value.strip()
    if not value:
        return None
    if value.endswith(" UTC"):
        value = value[:-4]
    dot = value.find(".", 10)
    if dot != -1:  # Python takes at most 6 fraction digits; Windows writes 7, Go and Java 9
        end = dot + 1
        while end < len(value) and value[end].isdigit():
            end += 1
        value = value[: dot + 1] + value[dot + 1 : end][:6].ljust(6, "0") + value[end:]
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit() and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"  # Wazuh writes +0000
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if value[10:11] == " " else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone).astimezone(UTC)
    return parsed.astimezone(UTC)


def csv_rows(stream: IO[bytes], context: ReadContext) -> Iterator[tuple[int, dict[str, str], str]]:
    """``(row number, row by header name, raw row)`` of a CSV export; a broken row is counted and skipped.

    The encoding follows the byte-order mark (UTF-8 or UTF-16, as PowerShell and Excel write); PowerShell's
    ``#TYPE`` line is skipped; ``;`` is the separator when the header has more of them than commas.
    """
    start = stream.read(4)
    encoding = "utf-16" if start[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    prefix = io.BytesIO(start)
    joined = io.BufferedReader(_Chain(prefix, stream))
    text_stream = io.TextIOWrapper(joined, encoding=encoding, errors="replace", newline="")
    header: list[str] | None = None
    number = 0
    delimiter = ","
    while True:
        line = text_stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        number += 1
        if not line.endswith("\n") and len(line) >= MAX_LINE_BYTES:
            length = len(line)
            while (more := text_stream.readline(MAX_LINE_BYTES)) and not more.endswith("\n"):
                length += len(more)
            context.was_truncated(number, length + len(more))
            continue
        if header is None:
            if line.startswith("#TYPE") or not line.strip():
                continue
            delimiter = ";" if line.count(";") > line.count(",") else ","
            header = next(csv.reader([line], delimiter=delimiter))
            header = [h.strip() for h in header]
            continue
        if not line.strip():
            continue
        while line.count('"') % 2 and len(line) < MAX_LINE_BYTES:  # a quoted value spans lines
            more = text_stream.readline(MAX_LINE_BYTES)
            if not more:
                break
            line += more
        try:
            values = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration) as exc:
            context.problem(number, f"bad CSV row: {exc}")
            continue
        if len(values) != len(header):
            context.problem(number, f"{len(values)} values for {len(header)} columns")
            continue
        yield number, dict(zip(header, values, strict=True)), line.rstrip("\r\n")


class _Chain(io.RawIOBase):
    """Bytes already read (the byte-order mark probe), then the rest of the stream."""

    def __init__(self, first: IO[bytes], rest: IO[bytes]) -> None:
        self._parts = [first, rest]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._parts:
            data = self._parts[0].read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self._parts.pop(0)
        return 0
