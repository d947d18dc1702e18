"""endoflife.date: products and their release cycles with support dates.

Two shapes: the product files of the endoflife.date repository (Markdown with YAML front matter,
``releases[].eol`` a date or a boolean), and the API v1 dump ``/api/v1/products/full`` (``isEol`` +
``eolFrom``). Both land in the same tables: each support end as a date, or as a flag when the source
gives no date (true: ended, date unknown; false: not ended or not announced).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from hygie.core.i18n import N_
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import (
    Row,
    as_text,
    json_items,
    mapping,
    parse_day,
    parse_instant,
    top_level_scalars,
)
from hygie.vulns.feeds.report import FeedReport

try:  # the C loader is ten times faster on the 464 product files
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.DOTALL)
_ENDS = ("lts", "eoas", "eol", "eoes", "discontinued")
_V1_ENDS = {"lts": "Lts", "eoas": "Eoas", "eol": "Eol", "eoes": "Eoes", "discontinued": "Discontinued"}


def parse_endoflife(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    seen: set[str] = set()
    for path in files:
        if path.is_dir():
            for product_file in sorted(path.glob("*.md")):
                yield from _once(_markdown_product(product_file, report), seen, product_file.name, report)
        elif path.suffix.lower() == ".md":
            yield from _once(_markdown_product(path, report), seen, path.name, report)
        else:
            yield from _api_v1(path, report, seen)


def _once(rows: list[Row], seen: set[str], file: str, report: FeedReport) -> list[Row]:
    if not rows:
        return []
    product = rows[0][1]["product"]
    if product in seen:
        report.skip(file, "product", f"product {product} listed twice")
        return []
    seen.add(product)
    return rows


def _markdown_product(path: Path, report: FeedReport) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.skip(path.name, "file", f"unreadable: {exc}")
        return []
    found = _FRONT_MATTER.match(text)
    if not found:
        report.skip(path.name, "line 1", "no YAML front matter between --- lines")
        return []
    try:
        data = yaml.load(found.group(1), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}" if mark is not None else "front matter"
        report.skip(path.name, line, f"invalid YAML: {exc}")
        return []
    if not isinstance(data, dict) or not isinstance(data.get("releases"), list):
        report.skip(path.name, "front matter", "no list of releases")
        return []
    product = path.stem
    identifiers: list[Row] = []
    for entry in data.get("identifiers") or []:
        if isinstance(entry, dict):
            for kind, value in entry.items():
                if as_text(value):
                    identifiers.append(
                        ("eol_identifier", {"product": product, "type": str(kind), "id": str(value)})
                    )
    tags = data.get("tags")
    rows: list[Row] = [
        (
            "eol_product",
            {
                "product": product,
                "label": as_text(data.get("title")),
                "category": as_text(data.get("category")),
                "tags": str(tags).split() if tags else [],
                "version_command": as_text(data.get("versionCommand")),
                "release_policy_link": as_text(data.get("releasePolicyLink")),
            },
        ),
        *identifiers,
    ]
    for index, release in enumerate(data["releases"]):
        row = _markdown_release(product, release, path.name, f"releases[{index}]", report)
        if row is not None:
            rows.append(("eol_release", row))
    return rows


def _markdown_release(
    product: str, release: Any, file: str, position: str, report: FeedReport
) -> dict[str, Any] | None:
    if not isinstance(release, dict):
        report.skip(file, position, "not a mapping")
        return None
    cycle = release.get("releaseCycle")
    if cycle is None or cycle == "":
        report.skip(file, position, "no releaseCycle")
        return None
    if not isinstance(cycle, str):  # YAML read 3.10 as the number 3.1: the cycle name is not reliable
        report.flaw(file, position, f"releaseCycle {cycle!r} is not quoted text")
    row: dict[str, Any] = {
        "product": product,
        "cycle": str(cycle),
        "label": as_text(release.get("releaseLabel")),
        "codename": as_text(release.get("codename")),
        "latest": as_text(release.get("latest")),
        "link": as_text(release.get("link")),
    }
    where = f"{position} ({cycle})"
    for column, key in (("release_date", "releaseDate"), ("latest_date", "latestReleaseDate")):
        row[column] = _day(release.get(key), file, where, key, report)
    for end in _ENDS:
        value = release.get(end)
        row[f"{end}_flag"], row[f"{end}_date"] = None, None
        if isinstance(value, bool):
            row[f"{end}_flag"] = value
        elif value is not None:
            row[f"{end}_date"] = _day(value, file, where, end, report)
    return row


def _day(value: Any, file: str, where: str, key: str, report: FeedReport) -> date | None:
    try:
        return parse_day(value)
    except (ValueError, TypeError):
        report.flaw(file, where, f"unreadable {key} {value!r}")
        return None


def _api_v1(path: Path, report: FeedReport, seen: set[str]) -> Iterator[Row]:
    header = top_level_scalars(path, "result")
    if "schema_version" not in header:
        raise FeedFileError(
            N_("%(file)s: not an endoflife.date API v1 document (no schema_version)"), str(path)
        )
    report.version = as_text(header.get("schema_version"))
    try:
        report.published = parse_instant(header.get("generated_at") or header.get("last_modified"))
    except ValueError:
        report.flaw(path.name, "generated_at", f"unreadable date {header.get('generated_at')!r}")
    for index, product in json_items(path, "result.item"):
        yield from _once(_v1_product(product, path.name, f"result[{index}]", report), seen, path.name, report)


def _v1_product(product: Any, file: str, position: str, report: FeedReport) -> list[Row]:
    if not isinstance(product, dict) or not as_text(product.get("name")):
        report.skip(file, position, "product without a name")
        return []
    name = str(product["name"])
    rows: list[Row] = [
        (
            "eol_product",
            {
                "product": name,
                "label": as_text(product.get("label")),
                "category": as_text(product.get("category")),
                "tags": [str(t) for t in product.get("tags") or []],
                "version_command": as_text(product.get("versionCommand")),
                "release_policy_link": as_text((product.get("links") or {}).get("releasePolicy")),
            },
        )
    ]
    for identifier in product.get("identifiers") or []:
        if isinstance(identifier, dict) and as_text(identifier.get("id")):
            rows.append(
                (
                    "eol_identifier",
                    {"product": name, "type": str(identifier.get("type")), "id": str(identifier["id"])},
                )
            )
    for index, release in enumerate(product.get("releases") or []):
        where = f"{position}.releases[{index}]"
        if not isinstance(release, dict) or not as_text(release.get("name")):
            report.skip(file, where, "release without a name")
            continue
        latest = mapping(release.get("latest"))
        row: dict[str, Any] = {
            "product": name,
            "cycle": str(release["name"]),
            "label": as_text(release.get("label")),
            "codename": as_text(release.get("codename")),
            "release_date": _day(release.get("releaseDate"), file, where, "releaseDate", report),
            "latest": as_text(latest.get("name")),
            "latest_date": _day(latest.get("date"), file, where, "latest.date", report),
            "link": as_text(latest.get("link")),
        }
        for end, suffix in _V1_ENDS.items():
            when = _day(
                release.get(f"{end}From" if end != "lts" else "ltsFrom"), file, where, f"{end}From", report
            )
            flag = release.get(f"is{suffix}")
            row[f"{end}_date"] = when
            row[f"{end}_flag"] = flag if when is None and isinstance(flag, bool) else None
        rows.append(("eol_release", row))
    return rows
