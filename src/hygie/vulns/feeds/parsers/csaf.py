"""CSAF 2.0 security advisories (CISA's ICS medical advisories, ICSMA): the product tree
(vendor → product name → version or version range → product id), the CVEs with their CWE and
scores, which product ids each CVE affects or is fixed in, and the remediations.

ICSMA product trees carry no CPE or purl and write ranges as free text (``<=3.64``, ``vers:all/*``,
dates in prose): they are kept as written, for fuzzy matching with human confirmation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hygie.vulns.feeds.cvss_scores import BadVectorError, score_vector
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import Row, as_text, load_json, mapping, parse_instant
from hygie.vulns.feeds.report import FeedReport

_VERSION_BRANCHES = {"product_version": False, "product_version_range": True}


def parse_csaf(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    seen: set[str] = set()
    for path in files:
        documents = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for document_path in documents:
            yield from _advisory(document_path, report, seen)


def _advisory(path: Path, report: FeedReport, seen: set[str]) -> list[Row]:
    try:
        data = load_json(path)
    except FeedFileError as exc:  # one advisory among many: the others go on
        report.skip(path.name, "file", str(exc))
        return []
    document = data.get("document") if isinstance(data, dict) else None
    if not isinstance(document, dict):
        report.skip(path.name, "document", "not a CSAF document (no document object)")
        return []
    tracking = mapping(document.get("tracking"))
    advisory_id = as_text(tracking.get("id"))
    if advisory_id is None:
        report.skip(path.name, "document.tracking.id", "advisory without a tracking id")
        return []
    if not str(document.get("csaf_version", "")).startswith("2."):
        report.skip(path.name, "document.csaf_version", f"CSAF version {document.get('csaf_version')!r}")
        return []
    if advisory_id in seen:
        report.skip(path.name, "document.tracking.id", f"{advisory_id} listed twice")
        return []
    seen.add(advisory_id)
    dates = {}
    for column, key in (
        ("initial_release", "initial_release_date"),
        ("current_release", "current_release_date"),
    ):
        try:
            dates[column] = parse_instant(tracking.get(key))
        except ValueError:
            report.flaw(path.name, f"document.tracking.{key}", f"unreadable date {tracking.get(key)!r}")
            dates[column] = None
    report.seen_date(dates["current_release"])
    references = document.get("references") or []
    self_url = next(
        (as_text(r.get("url")) for r in references if isinstance(r, dict) and r.get("category") == "self"),
        None,
    )
    distribution = mapping(document.get("distribution"))
    tlp = mapping(distribution.get("tlp"))
    publisher = mapping(document.get("publisher"))
    rows: list[Row] = [
        (
            "csaf_advisory",
            {
                "advisory_id": advisory_id,
                "title": as_text(document.get("title")),
                "publisher": as_text(publisher.get("name")),
                "category": as_text(document.get("category")),
                "csaf_version": as_text(document.get("csaf_version")),
                "tlp": as_text(tlp.get("label")),
                "status": as_text(tracking.get("status")),
                "version": as_text(tracking.get("version")),
                **dates,
                "url": self_url,
                "file": path.name,
            },
        )
    ]
    tree = mapping(data.get("product_tree"))
    rows.extend(_products(advisory_id, tree))
    for index, vulnerability in enumerate(data.get("vulnerabilities") or []):
        if not isinstance(vulnerability, dict):
            report.skip(path.name, f"vulnerabilities[{index}]", "not an object")
            continue
        rows.extend(_vulnerability(advisory_id, index, vulnerability, path.name, report))
    return rows


def _products(advisory_id: str, tree: dict[str, Any]) -> Iterator[Row]:
    def walk(branches: Any, path: list[tuple[str, str]]) -> Iterator[Row]:
        for branch in branches if isinstance(branches, list) else []:
            if not isinstance(branch, dict):
                continue
            here = [*path, (str(branch.get("category", "")), str(branch.get("name", "")))]
            product = branch.get("product")
            if isinstance(product, dict) and as_text(product.get("product_id")):
                yield _product_row(advisory_id, product, here)
            yield from walk(branch.get("branches"), here)

    yield from walk(tree.get("branches"), [])
    for product in tree.get("full_product_names") or []:
        if isinstance(product, dict) and as_text(product.get("product_id")):
            yield _product_row(advisory_id, product, [])
    for relationship in tree.get("relationships") or []:
        product = relationship.get("full_product_name") if isinstance(relationship, dict) else None
        if isinstance(product, dict) and as_text(product.get("product_id")):
            yield _product_row(
                advisory_id, product, [("relationship", str(relationship.get("category", "")))]
            )


def _product_row(advisory_id: str, product: dict[str, Any], path: list[tuple[str, str]]) -> Row:
    named = {category: name for category, name in path}
    version_category = next((c for c, _ in reversed(path) if c in _VERSION_BRANCHES), None)
    helper = product.get("product_identification_helper")
    helper = helper if isinstance(helper, dict) else {}
    return (
        "csaf_product",
        {
            "advisory_id": advisory_id,
            "product_id": str(product["product_id"]),
            "name": as_text(product.get("name")),
            "vendor": as_text(named.get("vendor")),
            "product_name": as_text(named.get("product_name") or named.get("product_family")),
            "version": as_text(named.get(version_category)) if version_category else None,
            "version_is_range": _VERSION_BRANCHES[version_category] if version_category else None,
            "branch_path": [f"{c}:{n}" for c, n in path],
            "cpe": as_text(helper.get("cpe")),
            "purl": as_text(helper.get("purl")),
        },
    )


def _vulnerability(
    advisory_id: str, index: int, item: dict[str, Any], file: str, report: FeedReport
) -> list[Row]:
    cve = as_text(item.get("cve"))
    head = {"advisory_id": advisory_id, "vuln_index": index, "cve_id": cve}
    cwe = mapping(item.get("cwe"))
    summary = next(
        (
            as_text(n.get("text"))
            for n in item.get("notes") or []
            if isinstance(n, dict) and n.get("category") in ("summary", "description")
        ),
        None,
    )
    rows: list[Row] = [
        (
            "csaf_vulnerability",
            {
                **head,
                "title": as_text(item.get("title")),
                "cwe_id": as_text(cwe.get("id")),
                "cwe_name": as_text(cwe.get("name")),
                "summary": summary,
            },
        )
    ]
    status = mapping(item.get("product_status"))
    for category, product_ids in status.items():
        for product_id in product_ids if isinstance(product_ids, list) else []:
            rows.append(
                ("csaf_product_status", {**head, "product_id": str(product_id), "status": str(category)})
            )
    for remediation in item.get("remediations") or []:
        if isinstance(remediation, dict):
            rows.append(
                (
                    "csaf_remediation",
                    {
                        **head,
                        "category": as_text(remediation.get("category")),
                        "details": as_text(remediation.get("details")),
                        "url": as_text(remediation.get("url")),
                        "product_ids": [str(p) for p in remediation.get("product_ids") or []],
                    },
                )
            )
    for score in item.get("scores") or []:
        if not isinstance(score, dict):
            continue
        for key in ("cvss_v4", "cvss_v3"):
            cvss = score.get(key)
            vector = as_text(cvss.get("vectorString")) if isinstance(cvss, dict) else None
            if vector is None:
                continue
            try:
                scored = score_vector(vector)
            except BadVectorError as exc:
                report.flaw(file, f"vulnerabilities[{index}].scores", str(exc))
                continue
            rows.append(
                (
                    "csaf_score",
                    {
                        **head,
                        "cvss_vector": scored.vector,
                        "cvss_version": scored.version,
                        "cvss_score": scored.score,
                        "cvss_severity": scored.severity,
                        "product_ids": [str(p) for p in score.get("products") or []],
                    },
                )
            )
    return rows
