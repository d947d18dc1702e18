"""A literal prefilter: the rules of a scan evaluated only on the events where their literals occur.

Most Sigma rules cannot match unless some field contains one of a few literal strings (an image name, a
command-line switch, a hash). ``anchors_of`` derives from a rule's SQL tree such a *necessary* condition: a
set of anchors (field, how, text), one of which must hold whenever the rule matches. The engine finds, with
one Aho-Corasick pass per distinct field value, the events where some anchor of a rule holds, and evaluates
the exact rule only on those. ``None`` means no necessary literal was found: the rule is evaluated on every
event of its log source, as before. The prefilter can only drop events a rule cannot match; the exact SQL
condition still decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import ahocorasick
import sqlglot.expressions as exp

from hygie.detect.sigma.backend import MESSAGE_COLUMN

CONTAINS = "c"
STARTS = "s"
ENDS = "e"
EQUALS = "q"

MESSAGE_KEY = "(message)"  # the raw message column (keyword rules), never a key of ``fields``

Anchor = tuple[str, str, str]  # (key, how, lower-cased text)
Anchors = list[Anchor] | None


def _column_key(node: exp.Expression) -> tuple[str, bool] | None:
    """The field a leaf reads, and whether it reads it lower-cased: "l:k"/"f:k" columns, LOWER(message)."""
    if isinstance(node, exp.Lower) and isinstance(node.this, exp.Column) and node.this.name == MESSAGE_COLUMN:
        return MESSAGE_KEY, True
    if isinstance(node, exp.Column) and not node.table:
        name = node.name
        if name.startswith("l:"):
            return name[2:], True
        if name.startswith("f:"):
            return name[2:], False
    return None


def _column_keys(node: exp.Expression) -> list[tuple[str, bool]] | None:
    """The fields a leaf reads: one column, or a field with its fallbacks (``COALESCE(f:Image,
    f:NewProcessName)``, lower-cased or not), where the value tested is one of them."""
    lowered = isinstance(node, exp.Lower) and isinstance(node.this, exp.Coalesce)
    inner = node.this if lowered else node
    if isinstance(inner, exp.Coalesce):
        keys = [_column_key(part) for part in (inner.this, *inner.expressions)]
        if any(k is None for k in keys):
            return None
        return [(name, lowered or low) for name, low in cast(list[tuple[str, bool]], keys)]
    key = _column_key(node)
    return None if key is None else [key]


def _literal(node: exp.Expression) -> str | None:
    return str(node.this) if isinstance(node, exp.Literal) and node.is_string else None


def _leaf(keys: list[tuple[str, bool]] | None, how: str, text: str | None) -> Anchors:
    if keys is None or not text:
        return None
    anchors: list[Anchor] = []
    for name, lowered in keys:
        if not lowered and not text.isascii():
            # Case-sensitive leaf: the lower-cased value contains the lower-cased text (ASCII: both engines
            # and Python lower it alike).
            return None
        anchors.append((name, how, text if lowered else text.lower()))
    return anchors


def _like_runs(pattern: str) -> list[str]:
    """The literal runs of a LIKE pattern (escape ``\\``) between its wildcards."""
    runs: list[str] = []
    current: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char in "%_":
            runs.append("".join(current))
            current = []
        else:
            current.append(char)
    runs.append("".join(current))
    return [r for r in runs if r]


def _score(anchors: list[Anchor]) -> float:
    """Lower is more selective: few anchors, long texts, anchored at an end."""
    return sum((0.5 if how != CONTAINS else 1.0) / min(len(text), 12) for _, how, text in anchors)


def _operands(node: exp.Expression) -> list[exp.Expression]:
    """The operands of a chain of the same connector (a OR b OR c…), without recursion: chains of a few
    thousand hashes are nested that deep."""
    kind = type(node)
    operands: list[exp.Expression] = []
    stack = [node]
    while stack:
        current = stack.pop()
        while isinstance(current, exp.Paren) and isinstance(current.this, kind):
            current = current.this
        if type(current) is kind:
            stack += [current.expression, current.this]
        else:
            operands.append(current)
    return operands


def anchors_of(node: exp.Expression) -> Anchors:
    """A necessary condition of ``node`` as anchors (one must hold when it is true), or None."""
    if isinstance(node, exp.Paren):
        return anchors_of(node.this)
    if isinstance(node, exp.Coalesce):
        # COALESCE(p, FALSE) is true only when p is.
        rest = node.expressions
        if len(rest) == 1 and isinstance(rest[0], exp.Boolean) and not rest[0].this:
            return anchors_of(node.this)
        return None
    if isinstance(node, exp.Or):
        union: list[Anchor] = []
        for operand in _operands(node):
            found = anchors_of(operand)
            if found is None:
                return None
            union += found
        return union
    if isinstance(node, exp.And):
        options = [a for a in (anchors_of(o) for o in _operands(node)) if a is not None]
        return min(options, key=_score) if options else None
    if (
        isinstance(node, exp.Anonymous)
        and str(node.this).upper() == "CONTAINS"
        and len(node.expressions) == 2
    ):
        return _leaf(_column_keys(node.expressions[0]), CONTAINS, _literal(node.expressions[1]))
    if isinstance(node, exp.StartsWith):
        return _leaf(_column_keys(node.this), STARTS, _literal(node.expression))
    if isinstance(node, exp.EndsWith):
        return _leaf(_column_keys(node.this), ENDS, _literal(node.expression))
    if isinstance(node, exp.EQ):
        return _leaf(_column_keys(node.this), EQUALS, _literal(node.expression))
    if isinstance(node, exp.Escape) and isinstance(node.this, exp.Like) and _literal(node.expression) == "\\":
        pattern = _literal(node.this.expression)
        key = _column_keys(node.this.this)
        if pattern is None or key is None:
            return None
        runs = _like_runs(pattern)
        if not runs:
            return None
        best = max(runs, key=len)
        how = CONTAINS
        if pattern == best.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"):
            how = EQUALS
        return _leaf(key, how, best)
    return None


@dataclass
class Matcher:
    """Aho-Corasick automata, one per field, over the anchors of a group of rules."""

    automata: dict[str, Any]
    always: list[int]  # rules without anchors: candidates on every event
    texts: dict[str, dict[str, list[tuple[str, int]]]]  # key -> anchor text -> (how, rule) uses

    @classmethod
    def build(cls, anchors: Sequence[Anchors]) -> Matcher:
        by_key: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
        always = []
        for index, rule_anchors in enumerate(anchors):
            if rule_anchors is None:
                always.append(index)
                continue
            for key, how, text in rule_anchors:
                by_key[key][text].append((how, index))
        automata = {}
        for key, texts in by_key.items():
            automaton = ahocorasick.Automaton()
            for text, uses in texts.items():
                automaton.add_word(text, (len(text), tuple(sorted(set(uses)))))
            automaton.make_automaton()
            automata[key] = automaton
        return cls(automata, always, {k: dict(v) for k, v in by_key.items()})

    def fields(self) -> list[str]:
        return sorted(self.automata)

    def rules_of(self, key: str, value: str) -> set[int]:
        """The rules with an anchor on ``key`` that holds for this (lower-cased) value."""
        found: set[int] = set()
        last = len(value) - 1
        for end, (length, uses) in self.automata[key].iter(value):
            start = end - length + 1
            for how, index in uses:
                if (
                    how == CONTAINS
                    or (how == STARTS and start == 0)
                    or (how == ENDS and end == last)
                    or (how == EQUALS and start == 0 and end == last)
                ):
                    found.add(index)
        return found

    def values_rules(self, key: str, values: Iterable[str | None]) -> list[set[int]]:
        return [self.rules_of(key, v) if v is not None else set() for v in values]


# Characters RE2 reads as operators; every other character (space, quote, non-ASCII) is literal as is.
_RE2_SPECIAL = frozenset("\\.^$|?*+()[]{}")
MERGE_AT_LEAST = 3


def re2_literal(text: str) -> str:
    return "".join("\\" + c if c in _RE2_SPECIAL else c for c in text)


def _literal_leaf(node: exp.Expression) -> tuple[str, str] | None:
    """(column SQL, RE2 alternative) of ``COALESCE(<literal test on a column>, FALSE)``, else None."""
    if not (
        isinstance(node, exp.Coalesce)
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.Boolean)
        and not node.expressions[0].this
    ):
        return None
    test = node.this
    while isinstance(test, exp.Paren):
        test = test.this
    if (
        isinstance(test, exp.Anonymous)
        and str(test.this).upper() == "CONTAINS"
        and len(test.expressions) == 2
    ):
        column, literal, form = test.expressions[0], test.expressions[1], "{}"
    elif isinstance(test, exp.StartsWith):
        column, literal, form = test.this, test.expression, "^{}"
    elif isinstance(test, exp.EndsWith):
        column, literal, form = test.this, test.expression, "{}\\z"
    elif isinstance(test, exp.EQ):
        column, literal, form = test.this, test.expression, "^{}\\z"
    else:
        return None
    text = _literal(literal)
    parts = (column.this, *column.expressions) if isinstance(column, exp.Coalesce) else (column,)
    if not all(isinstance(part, exp.Column) for part in parts) or text is None:
        return None
    return column.sql(), form.format(re2_literal(text))


def merge_literal_ors(tree: exp.Expression) -> exp.Expression:
    """OR chains of literal tests on one column as one RE2 alternation (DuckDB's REGEXP_MATCHES).

    ``a = 'x' OR ENDS_WITH(a, 'y') OR CONTAINS(a, 'z')`` is true exactly when ``(?:^x\\z|y\\z|z)`` matches
    ``a``: same hits, but one predicate instead of thousands (hash lists) to plan and to run.
    """

    def merge(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Or):
            return node
        operands = _operands(node)
        by_column: dict[str, list[tuple[int, str]]] = defaultdict(list)
        columns: dict[str, exp.Expression] = {}
        for position, operand in enumerate(operands):
            inner = operand.this if isinstance(operand, exp.Paren) else operand
            leaf = _literal_leaf(inner)
            if leaf is not None:
                by_column[leaf[0]].append((position, leaf[1]))
                test = inner.this
                while isinstance(test, exp.Paren):
                    test = test.this
                columns[leaf[0]] = test.expressions[0] if isinstance(test, exp.Anonymous) else test.this
        merged_positions: set[int] = set()
        replacements: list[exp.Expression] = []
        for column, leaves in by_column.items():
            if len(leaves) < MERGE_AT_LEAST:
                continue
            merged_positions.update(p for p, _ in leaves)
            pattern = "(?:" + "|".join(alternative for _, alternative in leaves) + ")"
            regex = exp.RegexpLike(this=columns[column].copy(), expression=exp.Literal.string(pattern))
            replacements.append(exp.Coalesce(this=regex, expressions=[exp.false()]))
        if not merged_positions:
            return node
        kept = [o for p, o in enumerate(operands) if p not in merged_positions] + replacements
        if len(kept) == 1:
            return kept[0]
        return cast(exp.Expression, exp.or_(*(exp.paren(o) for o in kept)))

    return tree.transform(merge, copy=True)
