"""CISA's medical advisories (CSAF 2.0 product trees) matched to medical devices by maker, model and
firmware.

ICSMA product trees carry no CPE or purl: a product is a vendor branch, a product name and a version
that is often free text (``vers:all/*``, ``<= C.00.04``, ``B.02 | C.02``). So a device matches when its
maker is the advisory's vendor (through the alias table) and its model is the product name; a model
that is only part of the name, or a version the text does not let us decide, gives "needs review".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from hygie.vulns.matching.names import Aliases, slug
from hygie.vulns.matching.nvd import Verdict
from hygie.vulns.matching.versions import compare

_BOUND = re.compile(r"^(<=|<|>=|>|=)?\s*([^\s<>=|]+)$")


@dataclass(frozen=True, slots=True)
class AdvisoryProduct:
    advisory_id: str
    product_id: str
    vendor: str
    product_name: str
    version: str | None
    version_is_range: bool
    cve_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AdvisoryHit:
    product: AdvisoryProduct
    verdict: Verdict
    reason: str


def load_products(db: duckdb.DuckDBPyConnection) -> list[AdvisoryProduct]:
    """Products listed as known affected, each with the CVEs of its advisory that name it."""
    rows = db.execute(
        """
        SELECT p.advisory_id, p.product_id, coalesce(p.vendor, ''), coalesce(p.product_name, p.name, ''),
               p.version, coalesce(p.version_is_range, false),
               list(DISTINCT s.cve_id ORDER BY s.cve_id) FILTER (WHERE s.cve_id IS NOT NULL)
        FROM csaf_product p
        JOIN csaf_product_status s USING (advisory_id, product_id)
        WHERE s.status IN ('known_affected', 'first_affected', 'last_affected')
        GROUP BY ALL ORDER BY p.advisory_id, p.product_id
        """
    ).fetchall()
    return [AdvisoryProduct(r[0], r[1], r[2], r[3], r[4], bool(r[5]), tuple(r[6] or ())) for r in rows]


class AdvisoryIndex:
    """Advisory products by canonical vendor."""

    def __init__(self, products: Sequence[AdvisoryProduct], aliases: Aliases) -> None:
        self.aliases = aliases
        self.by_vendor: dict[str, list[AdvisoryProduct]] = {}
        for p in products:
            self.by_vendor.setdefault(aliases.canonical_vendor(p.vendor), []).append(p)

    def match(self, maker: str | None, model: str | None, firmware: str | None) -> list[AdvisoryHit]:
        if not maker or not model:
            return []
        vendor = self.aliases.canonical_vendor(maker)
        model_slug = slug(model)
        if len(model_slug) < 3:
            return []
        hits = []
        for product in self.by_vendor.get(vendor, ()):
            name = slug(product.product_name)
            vendor_prefix = slug(product.vendor) + "_"
            bare = name[len(vendor_prefix) :] if name.startswith(vendor_prefix) else name
            if model_slug in (name, bare):
                exact = True
            elif f"_{model_slug}_" in f"_{name}_" or f"_{bare}_" in f"_{model_slug}_":
                exact = False
            else:
                continue
            verdict, reason = version_verdict(product.version, product.version_is_range, firmware)
            if not exact and verdict is Verdict.MATCH:
                verdict, reason = Verdict.REVIEW, f"model {model!r} only resembles {product.product_name!r}"
            if verdict is not Verdict.NO:
                hits.append(AdvisoryHit(product, verdict, reason))
        return hits


def version_verdict(version: str | None, is_range: bool, firmware: str | None) -> tuple[Verdict, str]:
    """Whether ``firmware`` is in an advisory's version text; REVIEW when the text cannot say.
    (``is_range`` is kept for the caller's explanation: the text itself says how to read it.)"""
    text = (version or "").strip()
    if text in ("", "vers:all/*", "*"):
        return Verdict.MATCH, "all versions affected"
    if not firmware:
        return Verdict.REVIEW, f"advisory names versions {text!r}, the device's firmware is not known"
    if text.startswith("vers:"):
        text = text.split("/", 1)[1] if "/" in text else ""
    alternatives = [a.strip() for a in text.split("|") if a.strip()]
    have = firmware.strip()
    verdicts = []
    for alternative in alternatives:
        found = _BOUND.match(alternative)
        if found is None:
            return Verdict.REVIEW, f"advisory version {version!r} is free text"
        operator, bound = found.group(1) or "=", found.group(2)
        if operator == "=":
            if slug(bound) == slug(have):
                return Verdict.MATCH, f"firmware {have} listed"
            order = compare(have, bound)
            verdicts.append(Verdict.MATCH if order == 0 else Verdict.NO)
            continue
        order = compare(have, bound)
        if order is None:
            return Verdict.REVIEW, f"firmware {have} cannot be compared with {alternative!r}"
        ok = {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[operator]
        verdicts.append(Verdict.MATCH if ok else Verdict.NO)
    if (version or "").startswith("vers:") and len(alternatives) > 1:
        # A vers range ("vers:generic/>=1|<2") is a conjunction of its constraints.
        both = all(v is Verdict.MATCH for v in verdicts)
        return (Verdict.MATCH, f"firmware {have} in {version}") if both else (Verdict.NO, "outside the range")
    if Verdict.MATCH in verdicts:
        return Verdict.MATCH, f"firmware {have} in {version}"
    return Verdict.NO, f"firmware {have} not in {version}"
