"""CERT-FR (ANSSI) advisories (``avis``, CERTFR-YYYY-AVI-NNNN) and alerts (``alerte``,
CERTFR-YYYY-ALE-NNN), as published: the RSS 2.0 feeds ``/avis/feed/`` and ``/alerte/feed/``, and the
JSON document of each bulletin (``/avis/<reference>/json/``: reference, title, summary, cves[].name,
affected_systems[].product.vendor, risks, revisions, vendor_advisories; ``closed_at`` on alerts).

No CERT-FR sample ships with the shared test data: this follows the published format (field names
of the JSON documents and of RSS 2.0). An RSS item without its JSON document still gives a row
(title, link, date) with ``has_details`` false; the JSON document wins when both are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from hygie.core.i18n import N_
from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.common import CVE_ID, Row, as_text, load_json, mapping, parse_instant
from hygie.vulns.feeds.report import FeedReport

REFERENCE = re.compile(r"CERT(?:FR|A)-\d{4}-(?:AVI|ALE)-\d+")


def kind_of(reference: str) -> str:
    return "alerte" if "-ALE-" in reference else "avis"


def parse_certfr(files: Sequence[Path], report: FeedReport) -> Iterator[Row]:
    bulletins: dict[str, dict[str, Any]] = {}
    for path in files:
        members = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for member in members:
            if _is_xml(member):
                _read_rss(member, bulletins, report)
            else:
                _read_json(member, bulletins, report)
    for reference in sorted(bulletins):
        yield from _rows(bulletins[reference])


def _is_xml(path: Path) -> bool:
    if path.suffix.lower() in (".xml", ".rss"):
        return True
    with path.open("rb") as handle:
        return handle.read(256).lstrip().startswith(b"<")


def _read_rss(path: Path, bulletins: dict[str, dict[str, Any]], report: FeedReport) -> None:
    try:
        root = ElementTree.parse(path).getroot()
        if root is None:
            raise ElementTree.ParseError("empty document")
    except (ElementTree.ParseError, DefusedXmlException, OSError) as exc:
        raise FeedFileError(
            N_("%(file)s: not a readable RSS feed: %(reason)s"), str(path), reason=str(exc)
        ) from exc
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedFileError(N_("%(file)s: not an RSS 2.0 feed (root %(root)s)"), str(path), root=root.tag)
    for index, item in enumerate(channel.findall("item")):
        position = f"item {index + 1}"
        link = _text(item, "link")
        found = REFERENCE.search(" ".join(filter(None, (link, _text(item, "guid"), _text(item, "title")))))
        if found is None:
            report.skip(path.name, position, f"no CERT-FR reference in {link!r}")
            continue
        reference = found.group(0)
        published: datetime | None = None
        when = _text(item, "pubDate")
        if when:
            try:
                published = parsedate_to_datetime(when)
            except (TypeError, ValueError):
                report.flaw(path.name, position, f"{reference}: unreadable pubDate {when!r}")
        bulletin = bulletins.setdefault(reference, _empty(reference))
        if not bulletin["has_details"]:
            bulletin.update(title=_text(item, "title"), summary=_text(item, "description"), url=link)
            bulletin["published"] = published
            bulletin["last_revision"] = published
        report.seen_date(published)


def _text(item: Element, tag: str) -> str | None:
    found = item.find(tag)
    return as_text(found.text) if found is not None else None


def _read_json(path: Path, bulletins: dict[str, dict[str, Any]], report: FeedReport) -> None:
    try:
        data = load_json(path)
    except FeedFileError as exc:  # one bulletin among many: the others go on
        report.skip(path.name, "file", str(exc))
        return
    documents = data if isinstance(data, list) else [data]
    for index, document in enumerate(documents):
        position = f"[{index}]" if isinstance(data, list) else "document"
        if not isinstance(document, dict) or not REFERENCE.fullmatch(str(document.get("reference", ""))):
            report.skip(path.name, position, "not a CERT-FR bulletin (no reference)")
            continue
        _detail(document, path.name, position, bulletins, report)


def _detail(
    document: dict[str, Any],
    file: str,
    position: str,
    bulletins: dict[str, dict[str, Any]],
    report: FeedReport,
) -> None:
    reference = str(document["reference"])
    where = f"{position} ({reference})"
    bulletin = bulletins.setdefault(reference, _empty(reference))
    revisions: list[datetime] = []
    for revision in document.get("revisions") or []:
        value = revision.get("revision_date") if isinstance(revision, dict) else None
        try:
            moment = parse_instant(value)
        except ValueError:
            report.flaw(file, where, f"unreadable revision_date {value!r}")
            continue
        if moment is not None:
            revisions.append(moment)
    try:
        closed = parse_instant(document.get("closed_at"))
    except ValueError:
        report.flaw(file, where, f"unreadable closed_at {document.get('closed_at')!r}")
        closed = None
    cves: list[str] = []
    for entry in document.get("cves") or []:
        name = as_text(entry.get("name")) if isinstance(entry, dict) else None
        if name and CVE_ID.fullmatch(name) and name not in cves:
            cves.append(name)
        elif name:
            report.flaw(file, where, f"malformed CVE id {name!r}")
    affected = []
    for system in document.get("affected_systems") or []:
        if not isinstance(system, dict):
            continue
        product = mapping(system.get("product"))
        vendor = mapping(product.get("vendor"))
        name = as_text(product.get("name"))
        affected.append(
            {
                "vendor": as_text(vendor.get("name")),
                "product": None if name == "N/A" else name,
                "description": as_text(system.get("description")),
                "scada": vendor.get("scada") if isinstance(vendor.get("scada"), bool) else None,
            }
        )
    bulletin.update(
        title=as_text(document.get("title")) or bulletin["title"],
        summary=as_text(document.get("summary")),
        risks=[
            str(r["description"])
            for r in document.get("risks") or []
            if isinstance(r, dict) and r.get("description")
        ],
        published=min(revisions) if revisions else bulletin["published"],
        last_revision=max(revisions) if revisions else bulletin["last_revision"],
        closed_at=closed,
        vendor_advisories=[
            str(v["url"])
            for v in document.get("vendor_advisories") or []
            if isinstance(v, dict) and v.get("url")
        ],
        has_details=True,
        cves=cves,
        affected=affected,
    )
    if bulletin["url"] is None:
        bulletin["url"] = f"https://www.cert.ssi.gouv.fr/{kind_of(reference)}/{reference}/"
    report.seen_date(bulletin["last_revision"])


def _empty(reference: str) -> dict[str, Any]:
    return {
        "reference": reference,
        "kind": kind_of(reference),
        "title": None,
        "summary": None,
        "risks": [],
        "published": None,
        "last_revision": None,
        "closed_at": None,
        "url": None,
        "vendor_advisories": [],
        "has_details": False,
        "cves": [],
        "affected": [],
    }


def _rows(bulletin: dict[str, Any]) -> Iterator[Row]:
    reference = bulletin["reference"]
    yield "certfr_advisory", {k: v for k, v in bulletin.items() if k not in ("cves", "affected")}
    for cve in bulletin["cves"]:
        yield "certfr_cve", {"reference": reference, "cve_id": cve}
    for system in bulletin["affected"]:
        yield "certfr_affected", {"reference": reference, **system}
