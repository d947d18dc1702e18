"""CISA Known Exploited Vulnerabilities catalogue (JSON): one row per CVE, joined on the CVE id
(its vendor and product are free text, not CPEs)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hygie.core.i18n import N_
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import (
    CVE_ID,
    Row,
    as_text,
    cwe_ids,
    json_items,
    parse_day,
    parse_instant,
    top_level_scalars,
)
from hygie.vulns.feeds.report import FeedReport


def parse_kev(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    for path in files:
        header = top_level_scalars(path, "vulnerabilities")
        if "catalogVersion" not in header:
            raise FeedFileError(N_("%(file)s: not a KEV catalogue (no catalogVersion)"), str(path))
        report.version = as_text(header.get("catalogVersion"))
        try:
            report.published = parse_instant(header.get("dateReleased"))
        except ValueError:
            report.flaw(path.name, "dateReleased", f"unreadable date {header.get('dateReleased')!r}")
        seen: set[str] = set()
        count = 0
        for index, item in json_items(path, "vulnerabilities.item"):
            count += 1
            row = _row(item, path.name, f"vulnerabilities[{index}]", report)
            if row is None:
                continue
            if row["cve_id"] in seen:
                report.skip(path.name, f"vulnerabilities[{index}]", f"{row['cve_id']} listed twice")
                continue
            seen.add(row["cve_id"])
            yield "kev", row
        stated = header.get("count")
        if isinstance(stated, int | float) and int(stated) != count:
            report.flaw(path.name, "count", f"the catalogue says {int(stated)} entries, it holds {count}")


def _row(item: Any, file: str, position: str, report: FeedReport) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        report.skip(file, position, "not a JSON object")
        return None
    cve = as_text(item.get("cveID"))
    if cve is None or not CVE_ID.fullmatch(cve):
        report.skip(file, position, f"missing or malformed cveID {item.get('cveID')!r}")
        return None
    dates: dict[str, Any] = {}
    for field, key in (("date_added", "dateAdded"), ("due_date", "dueDate")):
        try:
            dates[field] = parse_day(item.get(key))
        except ValueError:
            if key == "dateAdded":
                report.skip(file, position, f"{cve}: unreadable dateAdded {item.get(key)!r}")
                return None
            report.flaw(file, position, f"{cve}: unreadable {key} {item.get(key)!r}")
            dates[field] = None
    if dates["date_added"] is None:
        report.skip(file, position, f"{cve}: no dateAdded")
        return None
    ransomware = as_text(item.get("knownRansomwareCampaignUse"))
    cwes = item.get("cwes")
    return {
        "cve_id": cve,
        "vendor_project": as_text(item.get("vendorProject")),
        "product": as_text(item.get("product")),
        "vulnerability_name": as_text(item.get("vulnerabilityName")),
        **dates,
        "known_ransomware_use": None if ransomware is None else ransomware.lower() == "known",
        "short_description": as_text(item.get("shortDescription")),
        "required_action": as_text(item.get("requiredAction")),
        "notes": as_text(item.get("notes")),
        "cwes": cwe_ids(cwes if isinstance(cwes, list) else []),
    }
