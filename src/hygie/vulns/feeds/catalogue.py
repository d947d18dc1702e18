"""The feeds Hygie knows: where each is downloaded from, how it is parsed, which tables it fills.

Official URLs can be replaced by an internal mirror through ``HYGIE_FEEDS_URLS`` (JSON map from a
source name below to a URL; the NVD one is a template with ``{year}``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from hygie.core.i18n import N_
from hygie.vulns.feeds.download import Fetcher, local_name
from hygie.vulns.feeds.errors import DownloadError, FeedError
from hygie.vulns.feeds.parsers.certfr import REFERENCE, parse_certfr
from hygie.vulns.feeds.parsers.common import Row
from hygie.vulns.feeds.parsers.csaf import parse_csaf
from hygie.vulns.feeds.parsers.endoflife import parse_endoflife
from hygie.vulns.feeds.parsers.epss import parse_epss
from hygie.vulns.feeds.parsers.kev import parse_kev
from hygie.vulns.feeds.parsers.nvd import parse_nvd
from hygie.vulns.feeds.parsers.ssvc import parse_ssvc
from hygie.vulns.feeds.parsers.vulnrichment import parse_vulnrichment
from hygie.vulns.feeds.report import FeedReport

NVD_FIRST_YEAR = 2002  # the NVD yearly files start with 2002, which also holds the CVEs of 1999-2001
SSVC_TABLES = (
    "cisa/cisa_coordinator_2_0_3.csv",
    "ssvc/deployer_patch_application_priority_1_0_0.csv",
    "ssvc/human_impact_1_0_0.csv",
    "ssvc/public_safety_impact_1_0_0.csv",
    "cisa/cisa_bod_26_04_1_0_0.csv",
)

OFFICIAL_URLS: dict[str, str] = {
    "kev": "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
    "epss": "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
    "nvd": "https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-{year}.json.gz",
    "vulnrichment": "https://github.com/cisagov/vulnrichment/archive/refs/heads/develop.zip",
    "eol": "https://endoflife.date/api/v1/products/full",
    "csaf": "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/cisa-csaf-ot-feed-tlp-white.json",
    "certfr_avis": "https://www.cert.ssi.gouv.fr/avis/feed/",
    "certfr_alerte": "https://www.cert.ssi.gouv.fr/alerte/feed/",
    "ssvc": "https://raw.githubusercontent.com/CERTCC/SSVC/main/data/csv/",
}


@dataclass(frozen=True)
class FetchContext:
    fetcher: Fetcher
    folder: Path  # where this feed's downloads go
    urls: Mapping[str, str]
    report: FeedReport
    today: date


Parser = Callable[[Sequence[Path], FeedReport], Iterator[Row]]


@dataclass(frozen=True)
class FeedSpec:
    name: str
    title: str
    primary: str  # the table whose rows the row-loss guard counts
    tables: tuple[str, ...]
    sources: tuple[str, ...]  # keys of OFFICIAL_URLS
    fetch: Callable[[FetchContext], list[Path]]
    parse: Parser

    def file_of(self, table: str) -> str:
        return f"{self.name}/{table}.parquet"


def _single(source: str, fallback: str) -> Callable[[FetchContext], list[Path]]:
    def fetch(ctx: FetchContext) -> list[Path]:
        url = ctx.urls[source]
        return [ctx.fetcher.download(url, ctx.folder / local_name(url, fallback)).path]

    return fetch


def nvd_modified_url(urls: Mapping[str, str]) -> str | None:
    """NVD's file of the CVEs added or changed in the last eight days, beside the yearly files."""
    template = urls["nvd"]
    return template.replace("{year}", "modified") if "{year}" in template else None


def fetch_nvd_modified(ctx: FetchContext) -> list[Path]:
    url = nvd_modified_url(ctx.urls)
    if url is None:
        raise FeedError(N_("the NVD source has no yearly files: no incremental update"))
    return [ctx.fetcher.download(url, ctx.folder / local_name(url, "nvd-modified.json")).path]


def _fetch_nvd(ctx: FetchContext) -> list[Path]:
    template = ctx.urls["nvd"]
    years = range(NVD_FIRST_YEAR, ctx.today.year + 1) if "{year}" in template else [None]
    files = []
    for year in years:
        url = template.replace("{year}", str(year)) if year else template
        files.append(ctx.fetcher.download(url, ctx.folder / local_name(url, f"nvd-{year}.json")).path)
    return files


def _links(entry: dict[str, Any]) -> dict[str, str]:
    links = entry.get("link")
    items = links if isinstance(links, list) else [links] if isinstance(links, dict) else []
    found = {str(i.get("rel")): str(i.get("href")) for i in items if isinstance(i, dict) and i.get("href")}
    content = entry.get("content")
    if "self" not in found and isinstance(content, dict) and content.get("src"):
        found["self"] = str(content["src"])
    return found


def _fetch_csaf(ctx: FetchContext) -> list[Path]:
    """The ROLIE feed of CISA's OT advisories, then each medical one (ICSMA) with its SHA-512."""
    url = ctx.urls["csaf"]
    feed_file = ctx.fetcher.download(url, ctx.folder / "rolie-feed.json").path
    try:
        entries = json.loads(feed_file.read_bytes())["feed"]["entry"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FeedError(
            N_("%(url)s: not a ROLIE feed of CSAF advisories: %(reason)s"), url=url, reason=str(exc)
        ) from exc
    advisories = ctx.folder / "advisories"
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not str(entry.get("id", "")).upper().startswith("ICSMA"):
            continue
        links = _links(entry)
        if "self" not in links:
            ctx.report.skip("rolie-feed.json", str(entry.get("id")), "entry without a link to its document")
            continue
        target = advisories / local_name(links["self"], f"{entry['id']}.json")
        document = ctx.fetcher.download(links["self"], target)
        if "hash" in links and links["hash"].endswith(".sha512"):
            expected = ctx.fetcher.download(links["hash"], target.with_suffix(".sha512")).path
            stated = expected.read_text(encoding="ascii", errors="replace").split()
            expected.unlink()
            actual = hashlib.sha512(document.path.read_bytes()).hexdigest()
            if not stated or stated[0].lower() != actual:
                document.path.unlink()
                ctx.report.skip(target.name, "sha512", "checksum differs from the published one: left out")
    return [advisories] if advisories.is_dir() else []


def _fetch_certfr(ctx: FetchContext) -> list[Path]:
    """The two RSS feeds, then the JSON document of each bulletin they list."""
    for source in ("certfr_avis", "certfr_alerte"):
        rss = ctx.fetcher.download(ctx.urls[source], ctx.folder / f"{source}.xml").path
        try:
            root = ElementTree.parse(rss).getroot()
            if root is None:
                raise ElementTree.ParseError("empty document")
            items = root.findall("channel/item")
        except (ElementTree.ParseError, DefusedXmlException) as exc:
            raise FeedError(
                N_("%(url)s: not a readable RSS feed: %(reason)s"), url=ctx.urls[source], reason=str(exc)
            ) from exc
        for item in items:
            link = (item.findtext("link") or "").strip()
            found = REFERENCE.search(link)
            if not found or not link.startswith(("https://", "http://")):
                continue
            detail = link.rstrip("/") + "/json/"
            try:
                ctx.fetcher.download(detail, ctx.folder / f"{found.group(0)}.json")
            except DownloadError as exc:  # the RSS item still gives title, link and date
                ctx.report.flaw(found.group(0), "json", str(exc))
    return [ctx.folder]


def _fetch_ssvc(ctx: FetchContext) -> list[Path]:
    base = ctx.urls["ssvc"].rstrip("/") + "/"
    folder = ctx.folder / "tables"
    return [ctx.fetcher.download(base + name, folder / name.rsplit("/", 1)[-1]).path for name in SSVC_TABLES]


FEEDS: dict[str, FeedSpec] = {
    spec.name: spec
    for spec in (
        FeedSpec("kev", "CISA KEV", "kev", ("kev",), ("kev",), _single("kev", "kev.json"), parse_kev),
        FeedSpec(
            "epss", "FIRST EPSS", "epss", ("epss",), ("epss",), _single("epss", "epss.csv.gz"), parse_epss
        ),
        FeedSpec(
            "nvd",
            "NVD CVE 2.0",
            "nvd_cve",
            ("nvd_cve", "nvd_node", "nvd_cpe_match"),
            ("nvd",),
            _fetch_nvd,
            parse_nvd,
        ),
        FeedSpec(
            "vulnrichment",
            "CISA Vulnrichment (SSVC)",
            "vulnrichment_ssvc",
            ("vulnrichment_ssvc", "vulnrichment_affected"),
            ("vulnrichment",),
            _single("vulnrichment", "vulnrichment.zip"),
            parse_vulnrichment,
        ),
        FeedSpec(
            "eol",
            "endoflife.date",
            "eol_release",
            ("eol_product", "eol_identifier", "eol_release"),
            ("eol",),
            _single("eol", "products-full.json"),
            parse_endoflife,
        ),
        FeedSpec(
            "csaf",
            "CISA ICS medical advisories (CSAF)",
            "csaf_advisory",
            (
                "csaf_advisory",
                "csaf_product",
                "csaf_vulnerability",
                "csaf_score",
                "csaf_product_status",
                "csaf_remediation",
            ),
            ("csaf",),
            _fetch_csaf,
            parse_csaf,
        ),
        FeedSpec(
            "certfr",
            "CERT-FR",
            "certfr_advisory",
            ("certfr_advisory", "certfr_cve", "certfr_affected"),
            ("certfr_avis", "certfr_alerte"),
            _fetch_certfr,
            parse_certfr,
        ),
        FeedSpec(
            "ssvc",
            "SSVC decision tables",
            "ssvc_decision",
            ("ssvc_decision",),
            ("ssvc",),
            _fetch_ssvc,
            parse_ssvc,
        ),
    )
}

TABLE_FEED: dict[str, str] = {table: spec.name for spec in FEEDS.values() for table in spec.tables}


def resolve_urls(overrides: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(overrides) - set(OFFICIAL_URLS))
    if unknown:
        raise FeedError(
            N_("HYGIE_FEEDS_URLS names unknown sources %(unknown)s (known: %(known)s)"),
            unknown=", ".join(unknown),
            known=", ".join(OFFICIAL_URLS),
        )
    return {**OFFICIAL_URLS, **overrides}


def select(only: Sequence[str] | None) -> list[FeedSpec]:
    """The feeds named (all of them when none is), in the catalogue's order."""
    if not only:
        return list(FEEDS.values())
    unknown = sorted(set(only) - set(FEEDS))
    if unknown:
        raise FeedError(
            N_("unknown feed %(unknown)s (known: %(known)s)"),
            unknown=", ".join(unknown),
            known=", ".join(FEEDS),
        )
    return [spec for name, spec in FEEDS.items() if name in only]
