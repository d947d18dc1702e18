"""NVD configurations with their full semantics, evaluated against the CPEs of one asset.

A CVE applies when any of its configurations is true. A configuration combines its nodes with its
operator (AND or OR), a node its ``cpeMatch`` entries with its own; ``negate`` inverts a node or a
configuration. Entries with ``vulnerable: false`` are context ("running on this hardware"): they must
hold for an AND configuration, but never make an asset vulnerable by themselves, so "firmware X on
device Y" does not match a device Y' running X.

Every verdict has three values: MATCH, NO, and REVIEW when the data cannot decide (a version outside
its scheme, an attribute the asset does not state, a platform of the asset that is not known at all).
REVIEW propagates like an unknown in three-valued logic: OR(MATCH, REVIEW) is MATCH, AND(MATCH, REVIEW)
is REVIEW, NOT(REVIEW) is REVIEW.

The catalogue is loaded from DuckDB for the products of the assets only (``load_catalogue``), then
indexed by canonical (vendor, product): an asset is evaluated against the configurations naming one
of its products, so work grows with candidate matches, not with assets × CVEs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import duckdb
import pyarrow as pa

from hygie.vulns.matching.names import ANY, ATTRIBUTES, NA, Aliases, Cpe, unescape
from hygie.vulns.matching.versions import compare


class Verdict(Enum):
    NO = 0
    REVIEW = 1
    MATCH = 2


def any_of(verdicts: Iterable[Verdict]) -> Verdict:
    best = Verdict.NO
    for v in verdicts:
        if v is Verdict.MATCH:
            return v
        if v is Verdict.REVIEW:
            best = v
    return best


def all_of(verdicts: Iterable[Verdict]) -> Verdict:
    worst = Verdict.MATCH
    for v in verdicts:
        if v is Verdict.NO:
            return v
        if v is Verdict.REVIEW:
            worst = v
    return worst


def negate(verdict: Verdict) -> Verdict:
    return {Verdict.NO: Verdict.MATCH, Verdict.MATCH: Verdict.NO}.get(verdict, Verdict.REVIEW)


@dataclass(frozen=True, slots=True)
class CpeMatch:
    vulnerable: bool
    criteria: str
    cpe: Cpe
    start_including: str | None = None
    start_excluding: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None
    # The bounds as (operator, version) pairs, computed once: matching reads them millions of times.
    ranges: tuple[tuple[str, str], ...] = field(init=False, default=(), compare=False, hash=False)

    plain: bool = field(init=False, default=True, compare=False, hash=False)  # every attribute is ANY

    def __post_init__(self) -> None:
        ranges = []
        if self.start_including is not None:
            ranges.append((">=", self.start_including))
        if self.start_excluding is not None:
            ranges.append((">", self.start_excluding))
        if self.end_including is not None:
            ranges.append(("<=", self.end_including))
        if self.end_excluding is not None:
            ranges.append(("<", self.end_excluding))
        object.__setattr__(self, "ranges", tuple(ranges))
        cpe = self.cpe
        plain = cpe.update == cpe.edition == cpe.language == cpe.sw_edition == ANY
        plain = plain and cpe.target_sw == cpe.target_hw == cpe.other == ANY
        object.__setattr__(self, "plain", plain)

    def bounds(self) -> dict[str, str]:
        names = ("start_including", "start_excluding", "end_including", "end_excluding")
        return {n: v for n in names if (v := getattr(self, n)) is not None}


@dataclass(frozen=True, slots=True)
class Node:
    operator: str
    negate: bool
    matches: tuple[CpeMatch, ...]


@dataclass(frozen=True, slots=True)
class Configuration:
    cve_id: str
    index: int
    operator: str
    negate: bool
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Component:
    """A CPE the asset is known to run or be, and where the inventory took it from."""

    cpe: Cpe
    origin: str  # "os_cpe", "software:12", "service:tcp/443", "derived:model", "purl:…"
    purl: str | None = None
    scheme: str | None = None  # the version scheme of its purl type, when it has one
    backport: bool = False  # a distro package: its upstream version may carry backported fixes


@dataclass
class Outcome:
    """A configuration's verdict for one asset, with the entries that decided it."""

    verdict: Verdict
    vulnerable: list[tuple[CpeMatch, Component, Verdict, str]] = field(default_factory=list)
    context: list[tuple[CpeMatch, Component | None, Verdict, str]] = field(default_factory=list)


def _version_verdict(match: CpeMatch, component: Component, scheme: str) -> tuple[Verdict, str]:
    wanted, have = match.cpe.version, component.cpe.version
    ranges = match.ranges
    if wanted == ANY and not ranges:
        return Verdict.MATCH, "any version"
    if have in (ANY, "", NA):
        if wanted == NA or (wanted == ANY and not ranges and have == NA):
            return Verdict.MATCH, "no version"
        return Verdict.REVIEW, "the asset's version is not known"
    if wanted == NA:
        return Verdict.REVIEW, f"catalogue names no version, asset has {have}"
    use = component.scheme or scheme
    if wanted != ANY:
        if wanted == have or compare(have, wanted, use) == 0:
            return Verdict.MATCH, f"version {have} = {wanted}"
        return Verdict.NO, "other version"
    for operator, bound in ranges:
        order = compare(have, bound, use)
        if order is None:
            return Verdict.REVIEW, f"version {have} cannot be compared with {bound} ({use})"
        if not (
            order >= 0
            if operator == ">="
            else order > 0
            if operator == ">"
            else order <= 0
            if operator == "<="
            else order < 0
        ):
            return Verdict.NO, "outside the range"
    return Verdict.MATCH, f"version {have} in {range_text(match)}"


def range_text(match: CpeMatch) -> str:
    return " ".join(f"{op}{v}" for op, v in match.ranges)


def match_component(match: CpeMatch, component: Component, scheme: str) -> tuple[Verdict, str]:
    """Does one CPE of the asset satisfy one cpeMatch (vendor and product already equal)?"""
    wanted_cpe, have_cpe = match.cpe, component.cpe
    if wanted_cpe.part != have_cpe.part:
        return Verdict.NO, "other part"
    pending = ""
    for attribute in () if match.plain else ATTRIBUTES:
        wanted, have = getattr(wanted_cpe, attribute), getattr(have_cpe, attribute)
        if wanted in (ANY, have) or (wanted == NA and have == ANY):
            continue
        if have == ANY:
            pending = f"{attribute} {wanted} not known on the asset"
            continue
        return Verdict.NO, "other " + attribute
    verdict, reason = _version_verdict(match, component, scheme)
    if pending and verdict is Verdict.MATCH:
        return Verdict.REVIEW, pending
    if component.backport and verdict is Verdict.MATCH and match.ranges:
        return Verdict.REVIEW, reason + " (distribution package: fix may be backported)"
    return verdict, reason


class AssetPlatform:
    """The CPEs of one asset, grouped by canonical (vendor, product)."""

    def __init__(self, components: Sequence[Component], aliases: Aliases) -> None:
        self.by_key: dict[tuple[str, str], list[Component]] = {}
        self.parts = {c.cpe.part for c in components}
        for c in components:
            self.by_key.setdefault(aliases.key(c.cpe.vendor, c.cpe.product), []).append(c)


# Keyed by object ids: entries and components all live as long as the memo (one match_assets call).
Memo = dict[tuple[int, int, str | None, bool], tuple[Verdict, str]]


def cached_match(
    match: CpeMatch, component: Component, scheme: str, memo: Memo | None
) -> tuple[Verdict, str]:
    """``match_component`` remembered per (entry, CPE): many assets run the same product version."""
    if memo is None:
        return match_component(match, component, scheme)
    key = (id(match), id(component.cpe), component.scheme, component.backport)
    found = memo.get(key)
    if found is None:
        found = memo[key] = match_component(match, component, scheme)
    return found


def evaluate(
    config: Configuration, platform: AssetPlatform, aliases: Aliases, memo: Memo | None = None
) -> Outcome:
    outcome = Outcome(Verdict.NO)
    node_verdicts = []
    for node in config.nodes:
        entry_verdicts = []
        for match in node.matches:
            key = aliases.key(match.cpe.vendor, match.cpe.product)
            candidates = platform.by_key.get(key, [])
            best, best_component, best_reason = Verdict.NO, None, "not on the asset"
            if not candidates and not match.vulnerable and match.cpe.part not in platform.parts:
                best, best_reason = Verdict.REVIEW, f"the asset's {match.cpe.part} platform is not known"
            for component in candidates:
                verdict, reason = cached_match(match, component, aliases.scheme(key), memo)
                if verdict.value > best.value or best_component is None:
                    best, best_component, best_reason = verdict, component, reason
                if best is Verdict.MATCH:
                    break
            if match.vulnerable and best_component is not None and best is not Verdict.NO:
                outcome.vulnerable.append((match, best_component, best, best_reason))
            elif not match.vulnerable and best is not Verdict.NO:
                outcome.context.append((match, best_component, best, best_reason))
            entry_verdicts.append(best)
        verdict = any_of(entry_verdicts) if node.operator != "AND" else all_of(entry_verdicts)
        node_verdicts.append(negate(verdict) if node.negate else verdict)
    verdict = all_of(node_verdicts) if config.operator == "AND" else any_of(node_verdicts)
    verdict = negate(verdict) if config.negate else verdict
    # Only a vulnerable entry names what is vulnerable: context alone never makes a finding.
    strongest = any_of(v for _, _, v, _ in outcome.vulnerable)
    if strongest is Verdict.NO:
        verdict = Verdict.NO
    elif strongest is Verdict.REVIEW and verdict is Verdict.MATCH:
        verdict = Verdict.REVIEW
    outcome.verdict = verdict
    return outcome


class Catalogue:
    """Configurations indexed by the canonical (vendor, product) of their vulnerable entries."""

    def __init__(self, configurations: Sequence[Configuration], aliases: Aliases) -> None:
        self.configurations = configurations
        self.aliases = aliases
        # (vendor, product) → (configuration position, vulnerable entry)
        self.vulnerable: dict[tuple[str, str], list[tuple[int, CpeMatch]]] = {}
        for position, config in enumerate(configurations):
            for node in config.nodes:
                for m in node.matches:
                    if m.vulnerable:
                        key = aliases.key(m.cpe.vendor, m.cpe.product)
                        self.vulnerable.setdefault(key, []).append((position, m))

    def candidates(self, platform: AssetPlatform) -> list[Configuration]:
        """Configurations naming one of the platform's products in a vulnerable entry."""
        positions = {p for key in platform.by_key for p, _ in self.vulnerable.get(key, ())}
        return [self.configurations[p] for p in sorted(positions)]

    def hits(self, component: Component, memo: Memo) -> set[int]:
        """Configurations with a vulnerable entry this component may satisfy (MATCH or REVIEW): the
        only ones worth evaluating whole for an asset that has it."""
        key = self.aliases.key(component.cpe.vendor, component.cpe.product)
        scheme = self.aliases.scheme(key)
        return {
            p
            for p, m in self.vulnerable.get(key, ())
            if match_component(m, component, scheme)[0] is not Verdict.NO
        }


_COLUMNS = (
    "cve_id, config_index, config_operator, config_negate, node_index, node_operator, node_negate, "
    "vulnerable, criteria, version_start_including, version_start_excluding, "
    "version_end_including, version_end_excluding"
)


def load_catalogue(db: duckdb.DuckDBPyConnection, products: Iterable[str], aliases: Aliases) -> Catalogue:
    """The configurations of ``nvd_cpe_match`` whose vulnerable entries name one of ``products``
    (canonical product names; their aliases are looked up too), all their nodes included."""
    wanted = sorted({name for p in products for name in aliases.products_for(p)})
    db.register("hygie_wanted", pa.table({"product": pa.array(wanted, pa.string())}))
    try:
        rows = db.execute(
            f"""
            WITH hits AS (
                SELECT DISTINCT m.cve_id, m.config_index FROM nvd_cpe_match m
                JOIN hygie_wanted w ON lower(replace(m.product, '\\', '')) = w.product
                WHERE m.vulnerable
            )
            SELECT {_COLUMNS} FROM nvd_cpe_match JOIN hits USING (cve_id, config_index)
            ORDER BY cve_id, config_index, node_index, match_index
            """  # noqa: S608 - constant column list, no user text
        ).fetchall()
    finally:
        db.unregister("hygie_wanted")
    return Catalogue(build_configurations(rows), aliases)


def build_configurations(rows: Iterable[Sequence[Any]]) -> list[Configuration]:
    """Configurations from rows in ``_COLUMNS`` order, sorted by CVE, configuration and node."""
    configs: list[Configuration] = []
    current: tuple[str, int] | None = None
    head: tuple[str, bool] = ("OR", False)
    nodes: list[Node] = []
    node_key: int | None = None
    node_head: tuple[str, bool] = ("OR", False)
    matches: list[CpeMatch] = []

    def close_node() -> None:
        if node_key is not None:
            nodes.append(Node(node_head[0], node_head[1], tuple(matches)))

    def close_config() -> None:
        if current is not None:
            close_node()
            configs.append(Configuration(current[0], current[1], head[0], head[1], tuple(nodes)))

    for row in rows:
        cve, ci, c_op, c_neg, ni, n_op, n_neg, vulnerable, criteria, si, se, ei, ee = row
        if current != (cve, ci):
            close_config()
            current, head, nodes, node_key = (cve, ci), ((c_op or "OR").upper(), bool(c_neg)), [], None
        if node_key != ni:
            close_node()
            node_key, node_head, matches = ni, ((n_op or "OR").upper(), bool(n_neg)), []
        cpe = Cpe.parse(criteria or "")
        if cpe is not None:
            bounds = [unescape(b) if b else None for b in (si, se, ei, ee)]
            matches.append(CpeMatch(bool(vulnerable), criteria, cpe, *bounds))
    close_config()
    return configs
