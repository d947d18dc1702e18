"""CISA Vulnrichment: CVE JSON 5 records with CISA's ADP container, read from a folder, a zip
archive of the repository, or single files.

From the ADP container: the three CVE-intrinsic SSVC decision points (Exploitation, Automatable,
Technical Impact) normalised to the vocabulary of CISA's coordinator tree (case folded, ``poc`` →
``public poc``), the KEV marker, CISA's CVSS 3.1 and CWE. The ``affected`` lists of the ADP (with
CPEs) and of the CNA are kept too: matching falls back on them when NVD has not analysed a CVE.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hygie.core.i18n import N_
from hygie.vulns.feeds.cvss_scores import BadVectorError, score_vector
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import (
    CVE_ID,
    Row,
    as_text,
    cwe_ids,
    load_json,
    mapping,
    parse_day,
    parse_instant,
)
from hygie.vulns.feeds.report import FeedReport

CISA_ADP = "CISA-ADP"
_RECORD_NAME = re.compile(r"CVE-\d{4}-\d{4,}\.json")
# A CVE record is a few kilobytes; a huge member in an archive is refused rather than read.
MAX_RECORD_BYTES = 32 * 1024 * 1024

VOCABULARY = {
    "Exploitation": (
        "exploitation",
        {"none": "none", "poc": "public poc", "public poc": "public poc", "active": "active"},
    ),
    "Automatable": ("automatable", {"no": "no", "yes": "yes"}),
    "Technical Impact": ("technical_impact", {"partial": "partial", "total": "total"}),
}


def parse_vulnrichment(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    seen: set[str] = set()
    for path in files:
        for file, position, document in _documents(path, report):
            rows = _record_rows(document, file, position, report)
            if not rows:
                continue
            cve = rows[0][1]["cve_id"]
            if cve in seen:
                report.skip(file, position, f"{cve} listed twice")
                continue
            seen.add(cve)
            yield from rows


def _documents(path: Path, report: FeedReport) -> Iterator[tuple[str, str, Any]]:
    if path.is_dir():
        for member in sorted(p for p in path.rglob("*.json") if _RECORD_NAME.fullmatch(p.name)):
            try:
                yield member.name, "record", json.loads(member.read_bytes())
            except (OSError, ValueError) as exc:
                report.skip(member.name, "record", f"unreadable JSON: {exc}")
        return
    if zipfile.is_zipfile(path):
        yield from _zip_documents(path, report)
        return
    yield path.name, "record", load_json(path)


def _zip_documents(path: Path, report: FeedReport) -> Iterator[tuple[str, str, Any]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise FeedFileError(
            N_("%(file)s: damaged zip archive: %(reason)s"), str(path), reason=str(exc)
        ) from exc
    with archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or not _RECORD_NAME.fullmatch(name):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                report.skip(path.name, info.filename, f"{info.file_size} bytes: too large for a CVE record")
                continue
            try:
                yield path.name, info.filename, json.loads(archive.read(info))
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                report.skip(path.name, info.filename, f"unreadable JSON: {exc}")


def _record_rows(document: Any, file: str, position: str, report: FeedReport) -> list[Row]:
    if not isinstance(document, dict) or not isinstance(document.get("cveMetadata"), dict):
        report.skip(file, position, "not a CVE JSON 5 record (no cveMetadata)")
        return []
    meta = document["cveMetadata"]
    cve = as_text(meta.get("cveId"))
    if cve is None or not CVE_ID.fullmatch(cve):
        report.skip(file, position, f"missing or malformed cveId {meta.get('cveId')!r}")
        return []
    where = f"{position} ({cve})" if position != "record" else cve
    containers = mapping(document.get("containers"))
    adps = [a for a in containers.get("adp") or [] if isinstance(a, dict)]
    adp = next((a for a in adps if (a.get("providerMetadata") or {}).get("shortName") == CISA_ADP), None)
    row: dict[str, Any] = {
        "cve_id": cve,
        "exploitation": None,
        "automatable": None,
        "technical_impact": None,
        "ssvc_version": None,
        "ssvc_role": None,
        "assessed": None,
        "kev_date_added": None,
        "cvss3_vector": None,
        "cvss3_score": None,
        "cwes": [],
    }
    try:
        row["record_updated"] = parse_instant(meta.get("dateUpdated"))
    except ValueError:
        report.flaw(file, where, f"unreadable dateUpdated {meta.get('dateUpdated')!r}")
        row["record_updated"] = None
    report.seen_date(row["record_updated"])
    rows: list[Row] = []
    if adp is not None:
        _adp_metrics(adp, row, file, where, report)
        row["cwes"] = _problem_types(adp.get("problemTypes"))
        rows.extend(_affected(cve, "adp", adp.get("affected")))
    cna = containers.get("cna")
    if isinstance(cna, dict):
        rows.extend(_affected(cve, "cna", cna.get("affected")))
    return [("vulnrichment_ssvc", row), *rows]


def _adp_metrics(adp: dict[str, Any], row: dict[str, Any], file: str, where: str, report: FeedReport) -> None:
    for metric in adp.get("metrics") or []:
        if not isinstance(metric, dict):
            continue
        other = metric.get("other")
        if isinstance(other, dict) and isinstance(other.get("content"), dict):
            content = other["content"]
            if other.get("type") == "ssvc":
                _ssvc(content, row, file, where, report)
            elif other.get("type") == "kev":
                try:
                    row["kev_date_added"] = parse_day(content.get("dateAdded"))
                except ValueError:
                    report.flaw(file, where, f"unreadable KEV dateAdded {content.get('dateAdded')!r}")
        cvss = metric.get("cvssV3_1")
        if isinstance(cvss, dict) and as_text(cvss.get("vectorString")):
            try:
                scored = score_vector(str(cvss["vectorString"]))
            except BadVectorError as exc:
                report.flaw(file, where, str(exc))
            else:
                row["cvss3_vector"], row["cvss3_score"] = scored.vector, scored.score


def _ssvc(content: dict[str, Any], row: dict[str, Any], file: str, where: str, report: FeedReport) -> None:
    row["ssvc_version"] = as_text(content.get("version"))
    row["ssvc_role"] = as_text(content.get("role"))
    try:
        row["assessed"] = parse_instant(content.get("timestamp"))
    except ValueError:
        report.flaw(file, where, f"unreadable SSVC timestamp {content.get('timestamp')!r}")
    for option in content.get("options") or []:
        if not isinstance(option, dict):
            continue
        for point, value in option.items():
            if point not in VOCABULARY:
                continue
            column, allowed = VOCABULARY[point]
            normal = allowed.get(str(value).strip().lower())
            if normal is None:
                report.flaw(
                    file, where, f"SSVC {point} value {value!r} is not one of {sorted(set(allowed.values()))}"
                )
            row[column] = normal


def _problem_types(problem_types: Any) -> list[str]:
    values: list[str] = []
    for problem in problem_types if isinstance(problem_types, list) else []:
        for description in problem.get("descriptions", []) if isinstance(problem, dict) else []:
            if isinstance(description, dict) and description.get("cweId"):
                values.append(str(description["cweId"]))
    return cwe_ids(values)


def _affected(cve: str, container: str, affected: Any) -> list[Row]:
    rows: list[Row] = []
    for entry in affected if isinstance(affected, list) else []:
        if not isinstance(entry, dict):
            continue
        cpes = [str(c) for c in entry.get("cpes") or [] if isinstance(c, str)]
        head = {
            "cve_id": cve,
            "container": container,
            "vendor": as_text(entry.get("vendor")),
            "product": as_text(entry.get("product")),
            "cpes": cpes,
            "default_status": as_text(entry.get("defaultStatus")),
        }
        versions = [v for v in entry.get("versions") or [] if isinstance(v, dict)]
        for version in versions or [{}]:
            rows.append(
                (
                    "vulnrichment_affected",
                    {
                        **head,
                        "status": as_text(version.get("status")),
                        "version": as_text(version.get("version")),
                        "less_than": as_text(version.get("lessThan")),
                        "less_than_or_equal": as_text(version.get("lessThanOrEqual")),
                        "version_type": as_text(version.get("versionType")),
                    },
                )
            )
    return rows
