"""FIRST EPSS daily scores (CSV, usually gzip): a ``#model_version:…,score_date:…`` comment line,
then ``cve,epss,percentile``. Scores of different model versions are not comparable: the model
version and the score date are the feed's version and date."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from hygie.core.i18n import N_
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import CVE_ID, Row, damaged, open_binary, parse_instant, read_errors
from hygie.vulns.feeds.report import FeedReport


def parse_epss(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    seen: set[str] = set()
    for path in files:
        try:
            with open_binary(path) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                yield from _rows(path, text, report, seen)
        except (*read_errors(), csv.Error) as exc:  # type: ignore[misc]
            raise damaged(path, exc) from exc


def _rows(path: Path, text: io.TextIOWrapper, report: FeedReport, seen: set[str]) -> Iterator[Row]:
    line_no = 0
    header: list[str] | None = None
    reader = csv.reader(text)
    for record in reader:
        line_no = reader.line_num
        if not record or not "".join(record).strip():
            continue
        if header is None and record[0].startswith("#"):
            _comment(",".join(record), path, report)
            continue
        if header is None:
            header = [cell.strip().lower() for cell in record]
            if header[:3] != ["cve", "epss", "percentile"]:
                raise FeedFileError(
                    N_("%(file)s: not an EPSS file (header %(header)s, expected cve,epss,percentile)"),
                    str(path),
                    header=",".join(record),
                )
            continue
        position = f"line {line_no}"
        if len(record) < 3:
            report.skip(path.name, position, f"{len(record)} columns instead of 3")
            continue
        cve = record[0].strip()
        if not CVE_ID.fullmatch(cve):
            report.skip(path.name, position, f"malformed CVE id {cve!r}")
            continue
        try:
            epss, percentile = float(record[1]), float(record[2])
        except ValueError:
            report.skip(path.name, position, f"{cve}: scores {record[1]!r}, {record[2]!r} are not numbers")
            continue
        if not (0.0 <= epss <= 1.0 and 0.0 <= percentile <= 1.0) or math.isnan(epss + percentile):
            report.skip(path.name, position, f"{cve}: scores outside 0..1")
            continue
        if cve in seen:
            report.skip(path.name, position, f"{cve} listed twice")
            continue
        seen.add(cve)
        yield "epss", {"cve_id": cve, "epss": epss, "percentile": percentile}
    if header is None:
        raise FeedFileError(N_("%(file)s: empty EPSS file"), str(path))


def _comment(line: str, path: Path, report: FeedReport) -> None:
    """``#model_version:v2025.03.14,score_date:2026-01-05T00:00:00+0000``"""
    for part in line.lstrip("#").split(","):
        key, _, value = part.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model_version" and value:
            report.version = value
        elif key == "score_date" and value:
            try:
                report.published = parse_instant(value)
            except ValueError:
                report.flaw(path.name, "line 1", f"unreadable score_date {value!r}")
