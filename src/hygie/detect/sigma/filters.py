"""Per-establishment tuning of a compiled rule set: Sigma filters (exclusions), disabled rules, levels.

Exclusions are standard Sigma filters (pySigma's ``SigmaFilter``: ``logsource`` plus ``filter: rules:
[...]``, selections and a ``condition`` the event must still satisfy, e.g. ``not selection``). They change the
SQL of the rules they apply to, so they are compiled: :func:`compile_tuned` starts from the base rule set
(cached by the hash of the rule texts), recompiles only the rules the filters touch, and caches the result
under a key made of the base key and the filter texts, so a change of filters recompiles. Disabling a rule and
changing its level do not change any SQL: :func:`apply_overrides` applies them on the compiled set.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from sigma.exceptions import SigmaError, SigmaLogsourceError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule

from hygie.core.errors import ContentError, Location
from hygie.detect.sigma.compiler import (
    CompiledRule,
    CompiledRules,
    compile_paths,
    compile_ruleset,
    compile_text,
)
from hygie.detect.sigma.rules import LoadedRule, RuleSet, load_rules, rule_files

LEVELS = ("informational", "low", "medium", "high", "critical")
PRODUCTS = ("windows", "linux", "macos")
# A Sigma field with optional modifiers: ``Computer``, ``Image|endswith``, ``winlog.event_data.User``.
FIELD_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\- ]{0,99}(\|[a-z0-9]{1,20}){0,4}$")
MAX_FILTER_BYTES = 64 * 1024


@dataclass(frozen=True)
class ParsedFilter:
    """A validated Sigma filter: its text, title and the rules it names (``["any"]`` for all)."""

    text: str
    title: str
    rules: list[str]
    product: str


def _key_lines(text: str) -> dict[str, int]:
    """Line (1-based) of the top-level keys and of the keys under ``filter``."""
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        lines[str(key.value)] = key.start_mark.line + 1
        if key.value == "filter" and isinstance(value, yaml.MappingNode):
            for inner, _ in value.value:
                lines[f"filter.{inner.value}"] = inner.start_mark.line + 1
    return lines


def _line_of(error: Exception, lines: dict[str, int], text: str) -> int:
    """Where a pySigma error points: the line of a value it quotes, the key it is about, else ``filter``."""
    start = lines.get("filter", 1)
    for quoted in re.findall(r"'([^'\n]{1,100})'", str(error)):
        for number, line in enumerate(text.splitlines()[start - 1 :], start=start):
            if quoted in line:
                return number
    message = str(error).lower()
    if isinstance(error, SigmaLogsourceError) or "log source" in message or "logsource" in message:
        return lines.get("logsource", 1)
    for name in ("condition", "rules"):
        if name in message and f"filter.{name}" in lines:
            return lines[f"filter.{name}"]
    detections = [
        k for k in lines if k.startswith("filter.") and k not in ("filter.condition", "filter.rules")
    ]
    for key in detections:
        if key.removeprefix("filter.").lower() in message:
            return lines[key]
    return lines.get("filter", 1)


def parse_filter(text: str, file: str = "<filter>") -> ParsedFilter:
    """One Sigma filter document, checked by pySigma and converted once; errors carry file and line."""
    if len(text.encode()) > MAX_FILTER_BYTES:
        raise ContentError(f"larger than {MAX_FILTER_BYTES} bytes", Location(file))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ContentError(f"not valid YAML: {getattr(exc, 'problem', exc)}", Location(file, line)) from exc
    lines = _key_lines(text)
    if not isinstance(data, dict) or "filter" not in data:
        raise ContentError("not a Sigma filter (no 'filter:' block)", Location(file, 1))
    for key in ("detection", "correlation"):
        if key in data:
            raise ContentError(
                f"a filter file holds only a filter, not a rule ({key})", Location(file, lines[key])
            )
    try:
        parsed = SigmaFilter.from_dict(data, collect_errors=False)
    except SigmaError as exc:
        raise ContentError(str(exc), Location(file, _line_of(exc, lines, text))) from exc
    except (TypeError, AttributeError, ValueError) as exc:
        raise ContentError(f"malformed filter: {exc}", Location(file, lines.get("filter", 1))) from exc
    _check_convertible(data["filter"], file, lines)
    rules = parsed.filter.rules
    names = ["any"] if isinstance(rules, str) else [r.reference for r in rules]
    return ParsedFilter(text, parsed.title, names, parsed.logsource.product or "")


def _check_convertible(block: dict[str, Any], file: str, lines: dict[str, int]) -> None:
    """Compile the filter's selections as a rule: a filter Hygie cannot convert is refused when saved,
    not found out later as a rule that silently stopped compiling."""
    detection = {k: v for k, v in block.items() if k != "rules"}
    probe = {
        "title": "filter check",
        "logsource": {"product": "windows", "category": "process_creation"},
        "detection": detection,
    }
    try:
        compiled = compile_text(yaml.safe_dump(probe, sort_keys=False))
    except SigmaError as exc:
        raise ContentError(str(exc), Location(file, lines.get("filter", 1))) from exc
    if compiled.unconvertible:
        reason = compiled.unconvertible[0].reason
        raise ContentError(f"not convertible: {reason}", Location(file, lines.get("filter", 1)))


def exclusion_filter(
    field: str, value: str, rule_id: str | None = None, product: str = "windows", title: str | None = None
) -> str:
    """A Sigma filter excluding the events whose ``field`` is ``value`` (from one rule, or from every
    rule of the product when ``rule_id`` is empty): the form behind "exclude this admin host"."""
    field = field.strip()
    if not FIELD_PATTERN.match(field):
        raise ContentError(f"not a Sigma field name: {field!r}", Location("<exclusion>", None, "field"))
    if not value.strip():
        raise ContentError("empty value", Location("<exclusion>", None, "value"))
    if product not in PRODUCTS:
        raise ContentError(f"product: {product!r} ∉ {', '.join(PRODUCTS)}", Location("<exclusion>"))
    document = {
        "title": title or f"Exclusion {field} = {value}"[:200],
        "logsource": {"product": product},
        "filter": {
            "rules": [rule_id.strip()] if rule_id and rule_id.strip() else "any",
            "selection": {field: value},
            "condition": "not selection",
        },
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


# --- Compiling with filters ---------------------------------------------------------------------------


def tuned_digest(base_digest: str, filters: Sequence[str]) -> str:
    digest = hashlib.sha256(base_digest.encode())
    for text in filters:
        digest.update(b"\x1e")
        digest.update(text.encode())
    return digest.hexdigest()


def _candidate_files(paths: Sequence[Path], filters: Sequence[SigmaFilter]) -> list[Path]:
    """Files that may hold a rule the filters apply to: when every filter names its rules, only the files
    whose text mentions one of the names (parsing all SigmaHQ takes many seconds)."""
    references: set[str] = set()
    for item in filters:
        if isinstance(item.filter.rules, str):
            return list(rule_files(paths))
        references.update(r.reference for r in item.filter.rules)
    found = []
    for path in rule_files(paths):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(reference in text for reference in references):
            found.append(path)
    return found


def apply_filters(base: CompiledRules, paths: Sequence[Path], filters: Sequence[str]) -> CompiledRules:
    """The base set with the rules the filters apply to recompiled with them (pySigma's semantics: the
    rule's condition ``and`` the filter's condition). Correlations are not filtered (pySigma's choice)."""
    parsed = [SigmaFilter.from_yaml(text) for text in filters]
    ruleset = load_rules(_candidate_files(paths, parsed))
    touched = RuleSet()
    for loaded in ruleset.rules:
        sigma_rule = loaded.rule
        if not isinstance(sigma_rule, SigmaRule):
            continue
        before = list(sigma_rule.detection.condition)
        for sigma_filter in parsed:
            sigma_filter.apply_on_rule(sigma_rule)  # in place: the condition gains "and (filter)"
        if sigma_rule.detection.condition != before:
            touched.rules.append(LoadedRule(loaded.path, sigma_rule))
    result = compile_ruleset(touched)
    recompiled = {r.id: r for r in result.rules}
    rules: list[CompiledRule] = []
    for rule in base.rules:
        new = recompiled.get(rule.id)
        rules.append(replace(new, emit=rule.emit) if new is not None else rule)
    problems = list(base.problems)
    for item in result.unconvertible:
        problems.append(f"{item.file}: filter not applied to {item.id}: {item.reason}")
    return CompiledRules(
        digest=tuned_digest(base.digest, filters),
        rules=rules,
        correlations=list(base.correlations),
        unconvertible=list(base.unconvertible),
        problems=problems,
    )


def compile_tuned(paths: Iterable[Path], cache_dir: Path | None, filters: Sequence[str]) -> CompiledRules:
    """The rule set of ``paths`` with ``filters`` applied, cached by rule texts + filter texts."""
    paths = list(paths)
    base = compile_paths(paths, cache_dir)
    if not filters:
        return base
    key = tuned_digest(base.digest, filters)
    cached = cache_dir / f"sigma-tuned-{key}.json" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            return CompiledRules.from_json(cached.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache is recompiled
    compiled = apply_filters(base, paths, filters)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(compiled.to_json(), encoding="utf-8")
        os.replace(temporary, cached)  # noqa: PTH105
    return compiled


def apply_overrides(
    compiled: CompiledRules, disabled: Iterable[str], levels: Mapping[str, str]
) -> CompiledRules:
    """Disabled rules raise no alert (a disabled base rule still feeds the correlations that use it;
    disable the correlation too to silence it); a level override changes the level of the alerts."""
    off = set(disabled)
    rules = [
        replace(r, emit=r.emit and r.id not in off, level=levels.get(r.id, r.level)) for r in compiled.rules
    ]
    correlations = [
        replace(c, level=levels.get(c.id, c.level)) for c in compiled.correlations if c.id not in off
    ]
    return replace(compiled, rules=rules, correlations=correlations)
