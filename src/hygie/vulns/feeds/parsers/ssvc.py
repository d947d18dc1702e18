"""SSVC decision tables as CSV (CERT/CC SSVC repository): ``row``, one column per decision point
(``Exploitation v1.1.0``), the last column the outcome (``CISA Levels v1.1.0 (cisa)``). One row per
line, its inputs as (name, version, value) so that prioritisation can check a table it was given."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from hygie.core.i18n import N_
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import Row, damaged
from hygie.vulns.feeds.report import FeedReport

_HEADER = re.compile(r"^(?P<name>.*?)\s+(?P<version>v\d+(?:\.\d+)*)(?:\s+\((?P<namespace>[^)]*)\))?$")


def split_header(header: str) -> tuple[str, str | None]:
    """``Exploitation v1.1.0`` → (``Exploitation``, ``v1.1.0``)."""
    found = _HEADER.match(header.strip())
    if found is None:
        return header.strip(), None
    return found.group("name"), found.group("version")


def parse_ssvc(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    for path in files:
        members = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        for member in members:
            yield from _table(member, report)


def _table(path: Path, report: FeedReport) -> Iterator[Row]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise damaged(path, exc) from exc
    if not records or len(records[0]) < 3 or records[0][0].strip().lower() != "row":
        raise FeedFileError(N_("%(file)s: not an SSVC decision table (first column must be row)"), str(path))
    header = records[0]
    points = [split_header(h) for h in header[1:-1]]
    outcome_name = split_header(header[-1])[0]
    table_id = path.stem
    for line_no, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            report.skip(path.name, f"line {line_no}", f"{len(record)} columns instead of {len(header)}")
            continue
        try:
            row_number = int(record[0])
        except ValueError:
            report.skip(path.name, f"line {line_no}", f"row {record[0]!r} is not a number")
            continue
        inputs = [
            {"name": name, "version": version, "value": value.strip().lower()}
            for (name, version), value in zip(points, record[1:-1], strict=True)
        ]
        yield (
            "ssvc_decision",
            {
                "table_id": table_id,
                "row": row_number,
                "inputs": inputs,
                "outcome_name": outcome_name,
                "outcome": record[-1].strip().lower(),
            },
        )
