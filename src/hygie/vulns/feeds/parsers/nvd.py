"""NVD CVE JSON 2.0: the data feeds and API pages (``vulnerabilities[].cve``), the yearly files of
community mirrors (``cve_items[]``), a single CVE record, or a list of records; plain or compressed.

Configurations keep their full meaning for matching: each configuration's operator (AND/OR) and
negate, each node's operator and negate, and each cpeMatch (vulnerable flag, criteria, the four
version bounds) in ``nvd_cpe_match``, one row per cpeMatch with its configuration and node indexes;
``nvd_node`` lists the nodes, empty ones included. A configuration with a malformed cpeMatch is
dropped whole (dropping one entry of an AND would change what it means) and reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
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
    json_items,
    load_json,
    mapping,
    parse_day,
    parse_instant,
    top_level_keys,
    top_level_scalars,
)
from hygie.vulns.feeds.report import FeedReport

CPE_FIELDS = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
_BOUNDS = {
    "versionStartIncluding": "version_start_including",
    "versionStartExcluding": "version_start_excluding",
    "versionEndIncluding": "version_end_including",
    "versionEndExcluding": "version_end_excluding",
}


class _BadConfigurationError(ValueError):
    pass


def split_cpe23(criteria: str) -> dict[str, str]:
    """The eleven attributes of a CPE 2.3 formatted string, split on unescaped colons; escapes such
    as ``\\:`` are kept, so that values compare in the same binding on both sides."""
    return dict(zip(CPE_FIELDS, _split_cpe23(criteria), strict=True))


@lru_cache(maxsize=131_072)  # the same criteria recur across thousands of CVEs
def _split_cpe23(criteria: str) -> tuple[str, ...]:
    if "\\" not in criteria:
        parts = criteria.split(":")
    else:
        parts = []
        current: list[str] = []
        escaped = False
        for char in criteria:
            if escaped:
                current.append(char)
                escaped = False
            elif char == "\\":
                current.append(char)
                escaped = True
            elif char == ":":
                parts.append("".join(current))
                current = []
            else:
                current.append(char)
        parts.append("".join(current))
    if len(parts) != 13 or parts[0].lower() != "cpe" or parts[1] != "2.3":
        raise ValueError(f"not a CPE 2.3 formatted string: {criteria!r}")
    return tuple(parts[2:])


def parse_nvd(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    seen: set[str] = set()
    for path in files:
        for position, record in _records(path, report):
            cve = record.get("id") if isinstance(record, dict) else None
            if isinstance(cve, str) and cve in seen:
                report.skip(path.name, position, f"{cve} listed twice")
                continue
            rows = _cve_rows(record, path.name, position, report)
            if rows:
                seen.add(rows[0][1]["cve_id"])
                yield from rows


def _records(path: Path, report: FeedReport) -> Iterator[tuple[str, Any]]:
    keys = top_level_keys(path)
    if not keys:  # a top-level array of records
        for index, item in json_items(path, "item"):
            yield f"[{index}]", _unwrap(item)
        return
    if "vulnerabilities" in keys:
        header = top_level_scalars(path, "vulnerabilities")
        if header.get("version") not in (None, "2.0"):
            raise FeedFileError(
                N_("%(file)s: NVD format version %(version)s is not supported (2.0 is)"),
                str(path),
                version=str(header.get("version")),
            )
        report.version = as_text(header.get("timestamp")) or report.version
        for index, item in json_items(path, "vulnerabilities.item"):
            yield f"vulnerabilities[{index}]", _unwrap(item)
        return
    if "cve_items" in keys:
        for index, item in json_items(path, "cve_items.item"):
            yield f"cve_items[{index}]", _unwrap(item)
        return
    if "CVE_Items" in keys or "CVE_data_type" in keys:
        raise FeedFileError(N_("%(file)s: NVD JSON 1.1 is retired and not supported; use 2.0"), str(path))
    if "id" in keys:
        yield "record", _unwrap(load_json(path))
        return
    raise FeedFileError(
        N_("%(file)s: not an NVD CVE JSON 2.0 file (top-level keys %(keys)s)"),
        str(path),
        keys=", ".join(keys),
    )


def _unwrap(item: Any) -> Any:
    """API pages and feeds wrap each record as ``{"cve": {...}}``."""
    if isinstance(item, dict) and "id" not in item and isinstance(item.get("cve"), dict):
        return item["cve"]
    return item


def _cve_rows(record: Any, file: str, position: str, report: FeedReport) -> list[Row]:
    if not isinstance(record, dict):
        report.skip(file, position, "not a JSON object")
        return []
    cve = as_text(record.get("id"))
    if cve is None or not CVE_ID.fullmatch(cve):
        report.skip(file, position, f"missing or malformed id {record.get('id')!r}")
        return []
    where = f"{position} ({cve})"
    row: dict[str, Any] = {
        "cve_id": cve,
        "source_identifier": as_text(record.get("sourceIdentifier")),
        "vuln_status": as_text(record.get("vulnStatus")),
        "description": _english(record.get("descriptions")),
        "cwes": _cwes(record.get("weaknesses")),
    }
    for column, key in (("published", "published"), ("last_modified", "lastModified")):
        try:
            row[column] = parse_instant(record.get(key))
        except ValueError:
            report.flaw(file, where, f"unreadable {key} {record.get(key)!r}")
            row[column] = None
    report.seen_date(row["last_modified"])
    try:
        row["cisa_exploit_add"] = parse_day(record.get("cisaExploitAdd"))
    except ValueError:
        report.flaw(file, where, f"unreadable cisaExploitAdd {record.get('cisaExploitAdd')!r}")
        row["cisa_exploit_add"] = None
    metrics = mapping(record.get("metrics"))
    row.update(_metric("cvss3", metrics, ("cvssMetricV31", "cvssMetricV30"), file, where, report))
    row.update(_metric("cvss40", metrics, ("cvssMetricV40",), file, where, report))
    nodes: list[Row] = []
    matches: list[Row] = []
    configurations = record.get("configurations") or []
    if not isinstance(configurations, list):
        report.flaw(file, where, "configurations is not a list")
        configurations = []
    kept = 0
    for config_index, config in enumerate(configurations):
        try:
            config_nodes, config_matches = _configuration(cve, config_index, config)
        except _BadConfigurationError as exc:
            report.flaw(file, where, f"configurations[{config_index}] dropped: {exc}")
            continue
        kept += 1
        nodes.extend(config_nodes)
        matches.extend(config_matches)
    row["configuration_count"] = kept
    return [("nvd_cve", row), *nodes, *matches]


def _english(descriptions: Any) -> str | None:
    if not isinstance(descriptions, list):
        return None
    texts = [d for d in descriptions if isinstance(d, dict)]
    for d in texts:
        if d.get("lang") == "en":
            return as_text(d.get("value"))
    return as_text(texts[0].get("value")) if texts else None


def _cwes(weaknesses: Any) -> list[str]:
    values: list[str] = []
    for weakness in weaknesses if isinstance(weaknesses, list) else []:
        for description in weakness.get("description", []) if isinstance(weakness, dict) else []:
            if isinstance(description, dict):
                values.append(str(description.get("value", "")))
    return cwe_ids(values)


def _metric(
    prefix: str, metrics: dict[str, Any], keys: tuple[str, ...], file: str, where: str, report: FeedReport
) -> dict[str, Any]:
    """The primary metric of the first key present (NVD's own), else the first secondary (the CNA's)."""
    out: dict[str, Any] = {f"{prefix}_{k}": None for k in ("vector", "score", "severity", "source")}
    if prefix == "cvss40":
        out["cvss40_nomenclature"] = None
    for key in keys:
        entries = [
            e for e in metrics.get(key) or [] if isinstance(e, dict) and isinstance(e.get("cvssData"), dict)
        ]
        if not entries:
            continue
        chosen = next((e for e in entries if e.get("type") == "Primary"), entries[0])
        data = chosen["cvssData"]
        vector = as_text(data.get("vectorString"))
        if vector is None:
            report.flaw(file, where, f"{key} without vectorString")
            return out
        try:
            scored = score_vector(vector)
        except BadVectorError as exc:
            report.flaw(file, where, f"{key}: {exc}")
            return out
        given = data.get("baseScore")
        if isinstance(given, int | float) and abs(float(given) - scored.score) > 0.05:
            report.flaw(file, where, f"{key}: baseScore {given} but the vector scores {scored.score}")
        out.update(
            {
                f"{prefix}_vector": scored.vector,
                f"{prefix}_score": scored.score,
                f"{prefix}_severity": scored.severity,
                f"{prefix}_source": as_text(chosen.get("source")),
            }
        )
        if prefix == "cvss40":
            out["cvss40_nomenclature"] = scored.nomenclature
        return out
    return out


def _operator(value: Any, default: str = "OR") -> str:
    if value is None:
        return default
    text = str(value).upper()
    if text not in ("AND", "OR"):
        raise _BadConfigurationError(f"operator {value!r} is neither AND nor OR")
    return text


def _flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _BadConfigurationError(f"{name} {value!r} is not a boolean")
    return value


def _configuration(cve: str, config_index: int, config: Any) -> tuple[list[Row], list[Row]]:
    if not isinstance(config, dict) or not isinstance(config.get("nodes"), list):
        raise _BadConfigurationError("no list of nodes")
    head = {
        "cve_id": cve,
        "config_index": config_index,
        "config_operator": _operator(config.get("operator")),
        "config_negate": _flag(config.get("negate"), "negate"),
    }
    nodes: list[Row] = []
    matches: list[Row] = []
    for node_index, node in enumerate(config["nodes"]):
        if not isinstance(node, dict):
            raise _BadConfigurationError(f"node {node_index} is not an object")
        cpe_matches = node.get("cpeMatch") or []
        if not isinstance(cpe_matches, list):
            raise _BadConfigurationError(f"node {node_index}: cpeMatch is not a list")
        node_head = {
            **head,
            "node_index": node_index,
            "node_operator": _operator(node.get("operator")),
            "node_negate": _flag(node.get("negate"), "negate"),
        }
        nodes.append(("nvd_node", {**node_head, "match_count": len(cpe_matches)}))
        for match_index, match in enumerate(cpe_matches):
            matches.append(("nvd_cpe_match", _match(node_head, node_index, match_index, match)))
    return nodes, matches


def _match(node_head: dict[str, Any], node_index: int, match_index: int, match: Any) -> dict[str, Any]:
    where = f"node {node_index}, cpeMatch {match_index}"
    if not isinstance(match, dict):
        raise _BadConfigurationError(f"{where} is not an object")
    criteria = as_text(match.get("criteria"))
    if criteria is None:
        raise _BadConfigurationError(f"{where} has no criteria")
    if not isinstance(match.get("vulnerable"), bool):
        raise _BadConfigurationError(f"{where}: vulnerable {match.get('vulnerable')!r} is not a boolean")
    try:
        attributes = split_cpe23(criteria)
    except ValueError as exc:
        raise _BadConfigurationError(f"{where}: {exc}") from exc
    row = {
        **node_head,
        "match_index": match_index,
        "vulnerable": match["vulnerable"],
        "criteria": criteria,
        **attributes,
        "match_criteria_id": as_text(match.get("matchCriteriaId")),
    }
    for key, column in _BOUNDS.items():
        row[column] = as_text(match.get(key))
    return row
