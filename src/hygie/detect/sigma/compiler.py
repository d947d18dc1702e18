"""Compile a Sigma rule set once into SQL for DuckDB and Spark, cached by the hash of the rule texts."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp
from sigma.conversion.state import ConversionState
from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from hygie.detect.sigma.backend import (
    DIALECTS,
    FIELDS_COLUMN,
    SqlTreeBackend,
    field_expr,
    lower_column,
    project,
    raw_column,
    render,
)
from hygie.detect.sigma.logsources import (
    PROCESS_CREATION_FALLBACKS,
    SPACED_SERVICES,
    Source,
    UnmappedLogSource,
    source_of,
)
from hygie.detect.sigma.prefilter import anchors_of, merge_literal_ors
from hygie.detect.sigma.rules import LoadedRule, RuleSet, load_rules, rule_files

# Bump when the generated SQL changes: cached rule sets of another version are recompiled.
COMPILER_VERSION = "8"
CORRELATION_KINDS = ("event_count", "value_count", "temporal", "temporal_ordered")


@dataclass
class CompiledRule:
    """A detection rule as SQL conditions over one event row, with the log source it applies to."""

    id: str
    title: str
    level: str
    status: str
    tags: list[str]
    file: str
    channels: list[str]
    event_codes: list[int]
    sql: dict[str, str]  # dialect -> boolean SQL expression over the event table
    emit: bool = True  # False: only feeds correlations (Sigma's generate: false)
    # The same condition over a scan's projected columns (see ``project``): each map key read once per event.
    scan_sql: dict[str, str] = field(default_factory=dict)
    raw_keys: list[str] = field(default_factory=list)  # keys read as is ("f:<key>" columns)
    lower_keys: list[str] = field(default_factory=list)  # keys read lower-cased ("l:<key>" columns)
    # A necessary condition for the prefilter (see prefilter.anchors_of); None: evaluated on every event.
    anchors: list[list[str]] | None = None
    columns: list[str] = field(default_factory=list)  # event-table columns the condition reads
    # Sigma's log source as written (product, category, service; "" when absent): what to send to feed it.
    logsource: list[str] = field(default_factory=list)


@dataclass
class CompiledCorrelation:
    """A correlation: its base rules and, per dialect, the group-by and value expressions of each."""

    id: str
    title: str
    level: str
    tags: list[str]
    file: str
    kind: str
    rules: list[str]
    timespan: int  # seconds
    op: str  # gte, gt, lte, lt, eq, neq
    count: float
    group_by: dict[str, list[list[str]]]  # dialect -> per base rule -> SQL of each group-by field
    value: dict[str, list[str]] = field(default_factory=dict)  # value_count: dialect -> per base rule


@dataclass
class Unconvertible:
    id: str
    title: str
    file: str
    reason: str


@dataclass
class CompiledRules:
    """What the engines evaluate; ``problems`` are files pySigma refused (file: reason)."""

    digest: str
    rules: list[CompiledRule] = field(default_factory=list)
    correlations: list[CompiledCorrelation] = field(default_factory=list)
    unconvertible: list[Unconvertible] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CompiledRules:
        data = json.loads(text)
        return cls(
            digest=data["digest"],
            rules=[CompiledRule(**r) for r in data["rules"]],
            correlations=[CompiledCorrelation(**c) for c in data["correlations"]],
            unconvertible=[Unconvertible(**u) for u in data["unconvertible"]],
            problems=list(data["problems"]),
        )


def source_condition(channels: list[str], event_codes: list[int]) -> Any:
    """The filter a log source puts on the typed columns (what groups rules into one scan)."""
    parts: list[exp.Expression] = []
    if channels:
        parts.append(
            exp.In(this=exp.column("channel"), expressions=[exp.Literal.string(c) for c in channels])
        )
    if event_codes:
        parts.append(
            exp.In(this=exp.column("event_code"), expressions=[exp.Literal.number(c) for c in event_codes])
        )
    return exp.and_(*parts) if parts else exp.true()


def _rule_tree(backend: SqlTreeBackend, rule: SigmaRule) -> Any:
    trees = [backend.convert_condition(c.parsed, ConversionState()) for c in rule.detection.parsed_condition]
    return trees[0] if len(trees) == 1 else exp.or_(*(exp.paren(t) for t in trees))


def _map_key(node: exp.Expression) -> str | None:
    """The key of a ``fields['key']`` lookup, None for any other node."""
    if (
        isinstance(node, exp.Bracket)
        and isinstance(node.this, exp.Column)
        and node.this.name == FIELDS_COLUMN
    ):
        keys = node.expressions
        if len(keys) == 1 and isinstance(keys[0], exp.Literal) and keys[0].is_string:
            return str(keys[0].this)
    return None


def with_fallbacks(tree: Any, fallbacks: dict[str, str]) -> Any:
    """``fields['Image']`` becomes ``COALESCE(fields['Image'], fields['NewProcessName'])``: a Sysmon rule
    also reads the Security 4688 event, whose fields have other names (absent, so NULL, in Sysmon events)."""

    def replace(node: exp.Expression) -> exp.Expression:
        key = _map_key(node)
        if key in fallbacks:
            other = exp.Bracket(
                this=exp.column(FIELDS_COLUMN), expressions=[exp.Literal.string(fallbacks[key])]
            )
            return exp.Coalesce(this=node.copy(), expressions=[other])
        return node

    return tree.transform(replace)


def _compile_rule(backend: SqlTreeBackend, loaded: LoadedRule) -> CompiledRule:
    rule = loaded.rule
    assert isinstance(rule, SigmaRule)
    source = source_of(rule.logsource.product, rule.logsource.category, rule.logsource.service) or Source(())
    backend.spaced_fields = rule.logsource.service in SPACED_SERVICES
    tree = _rule_tree(backend, rule)
    if rule.logsource.category == "process_creation":
        tree = with_fallbacks(tree, PROCESS_CREATION_FALLBACKS)
    projected, raw_keys, lower_keys = project(tree)
    return CompiledRule(
        id=loaded.id,
        title=rule.title,
        level=str(rule.level.name.lower()) if rule.level else "",
        status=str(rule.status.name.lower()) if rule.status else "",
        tags=[str(t) for t in rule.tags],
        file=str(loaded.path),
        channels=list(source.channels),
        event_codes=list(source.event_codes),
        sql={dialect: render(tree, dialect) for dialect in DIALECTS},
        # DuckDB's scan gets the literal OR chains merged into one RE2 alternation each (same hits).
        scan_sql={
            dialect: render(merge_literal_ors(projected) if dialect == "duckdb" else projected, dialect)
            for dialect in DIALECTS
        },
        raw_keys=raw_keys,
        lower_keys=lower_keys,
        anchors=_anchors(projected),
        columns=sorted(
            {c.name for c in projected.find_all(exp.Column)} - {*_projected_names(raw_keys, lower_keys)}
        ),
        logsource=[rule.logsource.product or "", rule.logsource.category or "", rule.logsource.service or ""],
    )


def _anchors(tree: Any) -> list[list[str]] | None:
    found = anchors_of(tree)
    return None if found is None else [list(a) for a in sorted(set(found))]


def _projected_names(raw_keys: list[str], lower_keys: list[str]) -> list[str]:
    return [raw_column(k) for k in raw_keys] + [lower_column(k) for k in lower_keys]


_OPS = {
    SigmaCorrelationConditionOperator.GTE: "gte",
    SigmaCorrelationConditionOperator.GT: "gt",
    SigmaCorrelationConditionOperator.LTE: "lte",
    SigmaCorrelationConditionOperator.LT: "lt",
    SigmaCorrelationConditionOperator.EQ: "eq",
    SigmaCorrelationConditionOperator.NEQ: "neq",
}


def _compile_correlation(loaded: LoadedRule, ids: dict[int, str]) -> CompiledCorrelation:
    rule = loaded.rule
    assert isinstance(rule, SigmaCorrelationRule)
    kind = rule.type.name.lower()
    if rule.type not in (
        SigmaCorrelationType.EVENT_COUNT,
        SigmaCorrelationType.VALUE_COUNT,
        SigmaCorrelationType.TEMPORAL,
        SigmaCorrelationType.TEMPORAL_ORDERED,
    ):
        raise SigmaError(f"correlation type {kind} is not supported")
    condition = rule.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise SigmaError("extended correlation conditions are not supported")
    references = rule.rules or []
    base_ids: list[str] = []
    for reference in references:
        base = reference.rule
        if not isinstance(base, SigmaRule) or id(base) not in ids:
            raise SigmaError(f"correlation of a correlation or an unconvertible rule ({reference.reference})")
        base_ids.append(ids[id(base)])
    group_by: dict[str, list[list[str]]] = {d: [] for d in DIALECTS}
    value: dict[str, list[str]] = {d: [] for d in DIALECTS}
    for reference in references:
        names = []
        for name in rule.group_by or []:
            alias = rule.aliases.aliases.get(name)
            names.append(alias.mapping.get(reference, name) if alias else name)
        for dialect in DIALECTS:
            group_by[dialect].append([render(field_expr(n), dialect) for n in names])
        if rule.type is SigmaCorrelationType.VALUE_COUNT:
            fieldref = condition.fieldref
            if not isinstance(fieldref, str):
                raise SigmaError("value_count needs one field")
            for dialect in DIALECTS:
                value[dialect].append(render(exp.Lower(this=field_expr(fieldref)), dialect))
    return CompiledCorrelation(
        id=loaded.id,
        title=rule.title,
        level=str(rule.level.name.lower()) if rule.level else "",
        tags=[str(t) for t in rule.tags],
        file=str(loaded.path),
        kind=kind,
        rules=base_ids,
        timespan=int(rule.timespan.seconds),
        op=_OPS[condition.op],
        count=float(condition.count),
        group_by=group_by,
        value=value,
    )


def compile_ruleset(ruleset: RuleSet) -> CompiledRules:
    """Convert every rule; one that cannot be converted is listed with the reason, the others go on."""
    backend = SqlTreeBackend()
    compiled = CompiledRules(digest=ruleset.digest, problems=[str(p) for p in ruleset.problems])
    ids: dict[int, str] = {}
    not_emitted: set[int] = set()
    for loaded in ruleset.rules:
        if isinstance(loaded.rule, SigmaCorrelationRule) and not loaded.rule.generate:
            not_emitted.update(id(r.rule) for r in loaded.rule.rules or [])
    for loaded in ruleset.rules:
        if isinstance(loaded.rule, SigmaCorrelationRule):
            continue
        try:
            rule = _compile_rule(backend, loaded)
        except (SigmaError, UnmappedLogSource, NotImplementedError) as exc:
            compiled.unconvertible.append(
                Unconvertible(loaded.id, loaded.rule.title, str(loaded.path), str(exc))
            )
            continue
        rule.emit = id(loaded.rule) not in not_emitted
        ids[id(loaded.rule)] = rule.id
        compiled.rules.append(rule)
    for loaded in ruleset.rules:
        if not isinstance(loaded.rule, SigmaCorrelationRule):
            continue
        try:
            compiled.correlations.append(_compile_correlation(loaded, ids))
        except SigmaError as exc:
            compiled.unconvertible.append(
                Unconvertible(loaded.id, loaded.rule.title, str(loaded.path), str(exc))
            )
    return compiled


def rules_digest(paths: Iterable[Path]) -> str:
    """sha256 over the rule texts and the compiler version: the cache key of a rule set."""
    digest = hashlib.sha256(COMPILER_VERSION.encode())
    for path in rule_files(paths):
        digest.update(str(path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def compile_paths(paths: Iterable[Path], cache_dir: Path | None = None) -> CompiledRules:
    """The compiled rules of these files/folders, from the cache when the same texts were compiled before."""
    paths = list(paths)
    key = rules_digest(paths)
    cached = cache_dir / f"sigma-{key}.json" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            return CompiledRules.from_json(cached.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache is recompiled
    compiled = compile_ruleset(load_rules(paths))
    compiled.digest = key
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(compiled.to_json(), encoding="utf-8")
        os.replace(temporary, cached)  # noqa: PTH105
    return compiled


def compile_text(*texts: str) -> CompiledRules:
    """Compile rules given as YAML texts (tests, Hygie's own rules embedded in code)."""
    from sigma.collection import SigmaCollection

    ruleset = RuleSet()
    for index, text in enumerate(texts):
        collection = SigmaCollection.from_yaml(text)
        ruleset.rules.extend(LoadedRule(Path(f"<text {index}>"), r) for r in collection.rules)
    from hygie.detect.sigma.rules import _resolve_correlations

    _resolve_correlations(ruleset)
    return compile_ruleset(ruleset)


def as_dict(value: Any) -> dict[str, Any]:
    return asdict(value)
