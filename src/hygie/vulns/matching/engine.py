"""From asset profiles to matches: which CVE, advisory or end of life touches which asset, and why.

An asset's components are the CPEs its inventory gives (OS CPE, software, services), the CPEs its
purls name (endoflife.date identifiers and the alias table; a distro package keeps only its upstream
version and is flagged "backport possible"), and two CPEs derived from its maker and model the way NVD
names devices: ``h:<maker>:<model>`` and, with a firmware version, ``o:<maker>:<model>_firmware``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
from packageurl import PackageURL

from hygie.vulns.matching.advisories import AdvisoryIndex, load_products
from hygie.vulns.matching.eol import EolIndex
from hygie.vulns.matching.names import ANY, NA, Aliases, Cpe, slug
from hygie.vulns.matching.nvd import (
    AssetPlatform,
    Catalogue,
    Component,
    Memo,
    Verdict,
    evaluate,
    load_catalogue,
)
from hygie.vulns.matching.versions import PURL_SCHEMES, upstream_of_distro

DISTRO_TYPES = {"deb", "rpm", "apk", "alpm"}


@dataclass
class SoftwareItem:
    origin: str
    cpe: str | None = None
    purl: str | None = None
    version: str | None = None


@dataclass
class AssetProfile:
    """What matching needs to know of an asset (built by the service from the inventory)."""

    asset_id: int
    maker: str | None = None
    model: str | None = None
    firmware: str | None = None
    os_cpe: str | None = None
    end_of_support: date | None = None
    software: list[SoftwareItem] = field(default_factory=list)


@dataclass
class Match:
    asset_id: int
    kind: str  # cve | advisory | eol | scanner
    basis: str  # nvd | purl | csaf | eol | maker | scanner
    status: str  # affected | needs_review
    cve_id: str | None = None
    advisory_id: str | None = None
    eol_product: str | None = None
    eol_cycle: str | None = None
    eol_date: date | None = None
    nvt_oid: str | None = None  # a scanner check (kind scanner)
    component: str | None = None
    version: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        if self.kind == "eol":
            return f"eol:{self.eol_product}:{self.eol_cycle}@{self.asset_id}"
        return f"{self.kind}:{self.cve_id or self.advisory_id or self.nvt_oid}@{self.asset_id}"


def feed_tables(db: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables the snapshot has: a feed never downloaded has none, and is read as empty."""
    rows = db.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return {str(r[0]) for r in rows}


def purl_cpes(db: duckdb.DuckDBPyConnection | None, aliases: Aliases) -> dict[str, str]:
    """purl (type/namespace/name, no version) → CPE prefix: the alias table, then endoflife.date."""
    mapping: dict[str, str] = {}
    if db is not None and "eol_identifier" in feed_tables(db):
        rows = db.execute(
            """SELECT p.id, min(c.id) FROM eol_identifier p JOIN eol_identifier c USING (product)
               WHERE p.type = 'purl' AND c.type = 'cpe' AND c.id LIKE 'cpe:2.3:%' GROUP BY p.id"""
        ).fetchall()
        mapping.update({str(purl).lower(): str(cpe) for purl, cpe in rows})
    mapping.update({k.lower(): v for k, v in aliases.purls.items()})
    return mapping


def components_of(profile: AssetProfile, purl_map: dict[str, str], aliases: Aliases) -> list[Component]:
    components: list[Component] = []
    if profile.os_cpe and (cpe := Cpe.parse(profile.os_cpe)):
        components.append(Component(cpe, "os_cpe"))
    for item in profile.software:
        if item.cpe and (cpe := Cpe.parse(item.cpe)):
            components.append(Component(cpe, item.origin))
        elif item.purl:
            component = _from_purl(item, purl_map)
            if component is not None:
                components.append(component)
    if profile.maker and profile.model:
        vendor, product = aliases.canonical_vendor(profile.maker), slug(profile.model)
        components.append(Component(Cpe("h", vendor, product, NA), "derived:model"))
        if profile.firmware and not any(c.cpe.part == "o" for c in components):
            firmware = profile.firmware.strip().lower()
            components.append(
                Component(Cpe("o", vendor, product + "_firmware", firmware), "derived:firmware")
            )
    return components


def _from_purl(item: SoftwareItem, purl_map: dict[str, str]) -> Component | None:
    try:
        purl = PackageURL.from_string(item.purl or "")
    except ValueError:
        return None
    base = "pkg:" + purl.type + "/" + (f"{purl.namespace}/" if purl.namespace else "") + purl.name
    target = purl_map.get(base.lower())
    if target is None:
        return None
    cpe = Cpe.parse(target)
    if cpe is None:
        return None
    version = purl.version or item.version or ANY
    backport = purl.type in DISTRO_TYPES
    if backport:
        version = upstream_of_distro(version)
    cpe = Cpe(cpe.part, cpe.vendor, cpe.product, version.lower())
    return Component(cpe, item.origin, purl=item.purl, scheme=PURL_SCHEMES.get(purl.type), backport=backport)


def match_assets(
    db: duckdb.DuckDBPyConnection, profiles: Sequence[AssetProfile], aliases: Aliases, today: date
) -> list[Match]:
    """Every match of every asset: NVD configurations, CSAF advisories, end of life."""
    purl_map = purl_cpes(db, aliases)
    components = {p.asset_id: components_of(p, purl_map, aliases) for p in profiles}
    platforms = {a: AssetPlatform(c, aliases) for a, c in components.items()}
    products = {key[1] for platform in platforms.values() for key in platform.by_key}
    tables = feed_tables(db)
    catalogue = load_catalogue(db, products, aliases) if "nvd_cpe_match" in tables else Catalogue([], aliases)
    has_csaf = {"csaf_product", "csaf_product_status"} <= tables
    advisories = AdvisoryIndex(load_products(db) if has_csaf else [], aliases)
    has_eol = {"eol_identifier", "eol_release"} <= tables
    eol = EolIndex.load(db, aliases) if has_eol else EolIndex([], [], aliases)
    matches: list[Match] = []
    memo: Memo = {}
    hits: dict[tuple[Cpe, str | None, bool], set[int]] = {}  # per distinct component
    for profile in profiles:
        platform = platforms[profile.asset_id]
        found: dict[str, Match] = {}
        positions: set[int] = set()
        for component in components[profile.asset_id]:
            signature = (component.cpe, component.scheme, component.backport)
            if signature not in hits:
                hits[signature] = catalogue.hits(component, memo)
            positions |= hits[signature]
        for position in sorted(positions):
            config = catalogue.configurations[position]
            outcome = evaluate(config, platform, aliases, memo)
            if outcome.verdict is Verdict.NO:
                continue
            match = _nvd_match(profile.asset_id, config.cve_id, config.index, outcome)
            _keep(found, match)
        for hit in advisories.match(profile.maker, profile.model, profile.firmware):
            for cve in hit.product.cve_ids or (None,):
                match = Match(
                    profile.asset_id,
                    "cve" if cve else "advisory",
                    "csaf",
                    "affected" if hit.verdict is Verdict.MATCH else "needs_review",
                    cve_id=cve,
                    advisory_id=hit.product.advisory_id,
                    component=f"{hit.product.vendor} {hit.product.product_name}",
                    version=profile.firmware,
                    details={
                        "advisory": hit.product.advisory_id,
                        "product": hit.product.product_name,
                        "advisory_vendor": hit.product.vendor,
                        "advisory_versions": hit.product.version,
                        "reason": hit.reason,
                    },
                )
                _keep(found, match)
        for eol_hit in eol.check(components[profile.asset_id], profile.end_of_support, today):
            source = eol_hit.component
            found_eol = Match(
                profile.asset_id,
                "eol",
                "maker" if source is None else "eol",
                "affected",
                eol_product=eol_hit.product,
                eol_cycle=eol_hit.cycle,
                eol_date=eol_hit.eol,
                component=source.cpe.formatted() if source else None,
                version=source.cpe.version if source else None,
                details={"reason": eol_hit.reason, "soon": eol_hit.soon, "label": eol_hit.label},
            )
            found[found_eol.key] = found_eol
        matches.extend(found.values())
    return matches


def _nvd_match(asset_id: int, cve_id: str, index: int, outcome: Any) -> Match:
    entry, component, _, reason = max(outcome.vulnerable, key=lambda v: v[2].value)
    details = {
        "configuration": index,
        "criteria": entry.criteria,
        "bounds": entry.bounds(),
        "component": component.cpe.formatted(),
        "origin": component.origin,
        "reason": reason,
        "context": [
            {"criteria": m.criteria, "verdict": v.name.lower(), "reason": r} for m, _, v, r in outcome.context
        ],
    }
    return Match(
        asset_id,
        "cve",
        "purl" if component.purl else "nvd",
        "affected" if outcome.verdict is Verdict.MATCH else "needs_review",
        cve_id=cve_id,
        component=component.purl or component.cpe.formatted(),
        version=component.cpe.version,
        details=details,
    )


def _keep(found: dict[str, Match], match: Match) -> None:
    """One match per asset and CVE: an affected one wins over "needs review", NVD over an advisory."""
    current = found.get(match.key)
    if current is None:
        found[match.key] = match
        return
    rank = {"affected": 1, "needs_review": 0}
    if rank[match.status] > rank[current.status]:
        match.details.setdefault("also", []).append(current.basis)
        found[match.key] = match
    elif current.basis != match.basis and match.basis not in current.details.get("also", []):
        current.details.setdefault("also", []).append(match.basis)
