"""End of life by product and release cycle (endoflife.date), and the maker's end-of-support date.

A CPE of the asset names an endoflife.date product through the product's CPE identifiers, or through
the alias table for names its identifiers do not give (NVD's ``windows_7``). Its version names the
release cycle by the longest dotted prefix (``22.04.3`` → ``22.04``; ``8.6`` → ``8``). The cycle is
past its end of life when ``eol`` is a past date or simply true.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from hygie.vulns.matching.names import Aliases, Cpe
from hygie.vulns.matching.nvd import Component

SOON = timedelta(days=180)  # "ends within six months": time to budget a replacement


@dataclass(frozen=True, slots=True)
class Release:
    product: str
    cycle: str
    label: str | None
    eol: date | bool | None  # a date, True (ended, date unknown), False/None (not announced)
    latest: str | None


@dataclass(frozen=True, slots=True)
class EolHit:
    product: str
    cycle: str
    label: str
    eol: date | None
    soon: bool  # not yet ended, ends within SOON
    component: Component | None  # None: the maker's end-of-support date
    reason: str


class EolIndex:
    def __init__(self, identifiers: Sequence[tuple[str, str]], releases: Sequence[Release], aliases: Aliases):
        self.aliases = aliases
        self.product_of: dict[tuple[str, str], str] = {}
        for product, cpe_text in identifiers:
            cpe = Cpe.parse(cpe_text)
            if cpe is not None:
                self.product_of.setdefault(aliases.key(cpe.vendor, cpe.product), product)
        self.releases: dict[str, list[Release]] = {}
        for r in releases:
            self.releases.setdefault(r.product, []).append(r)

    @classmethod
    def load(cls, db: duckdb.DuckDBPyConnection, aliases: Aliases) -> EolIndex:
        identifiers = db.execute(
            "SELECT product, id FROM eol_identifier WHERE type = 'cpe' AND id LIKE 'cpe:2.3:%' ORDER BY 1, 2"
        ).fetchall()
        rows = db.execute(
            "SELECT product, cycle, label, eol_flag, eol_date, latest FROM eol_release ORDER BY 1, 2"
        ).fetchall()
        releases = [Release(p, c, lab, d if d is not None else f, lat) for p, c, lab, f, d, lat in rows]
        return cls([(p, i) for p, i in identifiers], releases, aliases)

    def _release(self, component: Component) -> tuple[Release, str] | None:
        key = self.aliases.key(component.cpe.vendor, component.cpe.product)
        mapped = self.aliases.eol.get(key)
        if mapped is not None:
            for r in self.releases.get(mapped[0], ()):
                if r.cycle == mapped[1]:
                    return r, f"{key[0]}:{key[1]} is {mapped[0]} {mapped[1]} (alias table)"
            return None
        product = self.product_of.get(key)
        version = component.cpe.version
        if product is None or version in ("*", "-", ""):
            return None
        best: Release | None = None
        for r in self.releases.get(product, ()):
            cycle = r.cycle.lower()
            if (version == cycle or version.startswith(cycle + ".")) and (
                best is None or len(cycle) > len(best.cycle)
            ):
                best = r
        if best is None:
            return None
        return best, f"version {version} is in release cycle {best.cycle} of {product}"

    def check(
        self, components: Sequence[Component], end_of_support: date | None, today: date
    ) -> list[EolHit]:
        hits: dict[tuple[str, str], EolHit] = {}
        for component in components:
            if component.cpe.part == "h":
                continue
            found = self._release(component)
            if found is None:
                continue
            release, reason = found
            ended, soon, when = _status(release.eol, today)
            if (ended or soon) and (release.product, release.cycle) not in hits:
                label = release.label or release.cycle
                hits[(release.product, release.cycle)] = EolHit(
                    release.product, release.cycle, label, when, soon and not ended, component, reason
                )
        if end_of_support is not None:
            ended, soon, when = _status(end_of_support, today)
            if ended or soon:
                hits[("maker", "")] = EolHit(
                    "maker",
                    "",
                    "",
                    when,
                    soon and not ended,
                    None,
                    f"maker's end of support {end_of_support}",
                )
        return list(hits.values())


def _status(eol: date | bool | None, today: date) -> tuple[bool, bool, date | None]:
    """(ended, ends soon, date) of a support end."""
    if isinstance(eol, bool) or eol is None:
        return bool(eol), False, None
    return eol <= today, today < eol <= today + SOON, eol
