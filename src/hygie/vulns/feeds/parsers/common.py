"""What the parsers share: opening compressed files, reading big JSON arrays one item at a time,
and reading the dates the feeds write in their various ways."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import ijson

from hygie.core.i18n import N_
from hygie.vulns.feeds.errors import FeedFileError

# (table name, row): what every parser yields.
Row = tuple[str, dict[str, Any]]

_DECOMPRESSORS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}
CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed when its name ends with .gz, .xz or .bz2."""
    opener = _DECOMPRESSORS.get(path.suffix.lower())
    try:
        handle: IO[bytes] = opener(path, "rb") if opener else path.open("rb")  # type: ignore[operator]
    except OSError as exc:
        raise FeedFileError(N_("%(file)s: cannot be opened: %(reason)s"), str(path), reason=str(exc)) from exc
    with handle:
        yield handle


def read_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "this file is damaged" while it is decompressed or decoded."""
    return (
        OSError,
        EOFError,
        lzma.LZMAError,
        gzip.BadGzipFile,
        ijson.JSONError,
        UnicodeDecodeError,
        ValueError,
    )


def damaged(path: Path | str, exc: BaseException, where: str = "") -> FeedFileError:
    at = f" ({where})" if where else ""
    return FeedFileError(
        N_("%(file)s: damaged or not in the expected format%(at)s: %(reason)s"),
        str(path),
        at=at,
        reason=str(exc),
    )


def top_level_keys(path: Path) -> list[str]:
    """The top-level keys of a JSON object up to the first one holding an array or an object,
    without reading further (feeds put their big array there); [] for a top-level array."""
    keys: list[str] = []
    try:
        with open_binary(path) as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event == "start_array":
                    return []
                if prefix == "" and event == "map_key":
                    keys.append(str(value))
                elif (prefix == "" and event == "end_map") or (
                    prefix and "." not in prefix and event in ("start_array", "start_map")
                ):
                    break
    except read_errors() as exc:
        raise damaged(path, exc) from exc
    return keys


def top_level_scalars(path: Path, stop_at: str) -> dict[str, Any]:
    """The top-level scalar fields written before the key ``stop_at`` (feed headers)."""
    found: dict[str, Any] = {}
    try:
        with open_binary(path) as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == stop_at or prefix.startswith(stop_at + "."):
                    break
                if "." not in prefix and prefix and event in ("string", "number", "boolean", "null"):
                    found[prefix] = value
    except read_errors() as exc:
        raise damaged(path, exc) from exc
    return found


def json_items(path: Path, prefix: str) -> Iterator[tuple[int, Any]]:
    """Each item of the array at ``prefix`` ("vulnerabilities.item", "item" for a top-level array),
    one at a time, with its index; a file that breaks off midway raises FeedFileError naming the item."""
    index = -1
    try:
        with open_binary(path) as handle:
            for index, item in enumerate(ijson.items(handle, prefix, use_float=True)):
                yield index, item
    except read_errors() as exc:
        raise damaged(path, exc, f"after item {index}") from exc


def load_json(path: Path) -> Any:
    """A small JSON document read whole."""
    import json

    try:
        with open_binary(path) as handle:
            return json.load(io.TextIOWrapper(handle, encoding="utf-8-sig"))
    except read_errors() as exc:
        raise damaged(path, exc) from exc


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: feeds leave out what they like."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_day(value: Any) -> date | None:
    """A day from ``2024-05-20``, ``2024-05-20T00:00:00Z`` or a YAML date; ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return date.fromisoformat(text[:10])


def parse_instant(value: Any) -> datetime | None:
    """An aware UTC datetime; a time without offset is taken as UTC (NVD writes them so)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        # "+0000" (EPSS, RSS) is not read by fromisoformat before Python 3.11's full ISO support.
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def cwe_ids(values: Any) -> list[str]:
    """CWE identifiers from a list of strings, without duplicates, in the order given."""
    out: list[str] = []
    for value in values or []:
        text = as_text(value)
        if text and text not in out:
            out.append(text)
    return out
