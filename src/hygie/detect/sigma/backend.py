"""One pySigma backend that turns a Sigma detection into a sqlglot expression tree.

The tree is rendered for DuckDB and for Spark SQL by ``render``; both engines get the same semantics:
case-insensitive equality (``lower`` on both sides), wildcards as LIKE,
 ``_``/``%``/``\\`` escaped, numbers
compared through TRY_CAST (text never aborts a query), and every leaf wrapped in ``COALESCE(…, FALSE)`` so a
missing field is "not matched" — also under NOT, where SQL's NULL would otherwise drop the event.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import sqlglot.expressions as exp
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import Backend
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark

from hygie.detect.sigma.logsources import COLUMN_FIELDS, FIELD_ALIASES

FIELDS_COLUMN = "fields"
MESSAGE_COLUMN = "message"
EVENT_CODE_COLUMN = "event_code"
# Correlations need the hits of their base rules: correlation.py builds their windows.
_CORRELATION_ELSEWHERE = "correlations are compiled by hygie.detect.sigma.correlation"


def _key(name: str) -> exp.Expression:
    return exp.Bracket(this=exp.column(FIELDS_COLUMN), expressions=[exp.Literal.string(name)])


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


def raw_column(key: str) -> str:
    return f"f:{key}"


def lower_column(key: str) -> str:
    return f"l:{key}"


def project(tree: exp.Expression) -> tuple[exp.Expression, list[str], list[str]]:
    """The condition over projected columns: ``fields['k']`` becomes "f:k", ``LOWER(fields['k'])`` "l:k".

    A scan computes each such column once per event for all its rules, instead of one map lookup (and one
    lower-casing) per predicate. Returns the new tree and the keys read raw and lower-cased.
    """
    raw: set[str] = set()
    lower: set[str] = set()

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Lower):
            key = _map_key(node.this)
            if key is not None:
                lower.add(key)
                return exp.column(exp.to_identifier(lower_column(key), quoted=True))
            # A field with its fallbacks (4688 names, spaced names): LOWER(COALESCE(a, b)) is
            # COALESCE(LOWER(a), LOWER(b)), so each key keeps its one lower-cased column.
            if isinstance(node.this, exp.Coalesce):
                keys = [_map_key(part) for part in (node.this.this, *node.this.expressions)]
                if all(k is not None for k in keys):
                    names = [lower_column(k) for k in keys if k is not None]
                    lower.update(k for k in keys if k is not None)
                    columns = [exp.column(exp.to_identifier(name, quoted=True)) for name in names]
                    return exp.Coalesce(this=columns[0], expressions=columns[1:])
        key = _map_key(node)
        if key is not None:
            raw.add(key)
            return exp.column(exp.to_identifier(raw_column(key), quoted=True))
        return node

    return tree.transform(replace), sorted(raw), sorted(lower)


def projection(raw_keys: set[str], lower_keys: set[str], dialect: str) -> list[str]:
    """The select-list items that compute the projected columns of ``project``."""
    items: list[exp.Expression] = [
        exp.Alias(this=_key(k), alias=exp.to_identifier(raw_column(k), quoted=True)) for k in sorted(raw_keys)
    ]
    items += [
        exp.Alias(this=exp.Lower(this=_key(k)), alias=exp.to_identifier(lower_column(k), quoted=True))
        for k in sorted(lower_keys)
    ]
    return [render(item, dialect) for item in items]


def field_expr(name: str, spaced: bool = False) -> exp.Expression:
    """The SQL value of a Sigma field: a column of the event table or a key of the ``fields`` map.

    ``spaced``: the log names its fields with spaces ("Threat Name", Defender) where Sigma writes ThreatName.
    """
    name = FIELD_ALIASES.get(name, name)
    column = COLUMN_FIELDS.get(name)
    if column is not None:
        return exp.column(column)
    split = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    if spaced and split != name:
        return exp.Coalesce(this=_key(name), expressions=[_key(split)])
    return _key(name)


def safe(predicate: Any) -> exp.Expression:
    """NULL (missing field, text that is not a number) counts as "not matched", even under NOT."""
    return exp.Coalesce(this=predicate, expressions=[exp.false()])


def like_pattern(value: SigmaString, lower: bool) -> tuple[str, bool]:
    """The LIKE pattern of a Sigma string (escape character ``\\``) and whether it has wildcards."""
    out: list[str] = []
    wild = False
    for part in value.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append("%")
            wild = True
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("_")
            wild = True
        elif isinstance(part, str):
            text = part.lower() if lower else part
            out.append(text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        else:
            raise SigmaFeatureNotSupportedByBackendError("placeholders must be resolved by a pipeline")
    return "".join(out), wild


def plain_text(value: SigmaString) -> str:
    """The literal text of a Sigma string without wildcards."""
    return "".join(part for part in value.s if isinstance(part, str))


def string_match(target: exp.Expression, value: SigmaString, cased: bool) -> exp.Expression:
    """``target`` equals or matches (wildcards) the Sigma string, case-insensitively unless cased."""
    pattern, wild = like_pattern(value, lower=not cased)
    subject = target if cased else exp.Lower(this=target)
    if not wild:
        text = plain_text(value)
        return exp.EQ(this=subject, expression=exp.Literal.string(text if cased else text.lower()))
    simple = _affix_match(subject, value, cased)
    if simple is not None:
        return simple
    like = exp.Like(this=subject, expression=exp.Literal.string(pattern))
    return exp.Escape(this=like, expression=exp.Literal.string("\\"))


def _affix_match(subject: exp.Expression, value: SigmaString, cased: bool) -> exp.Expression | None:
    """``*text*``, ``text*``, ``*text`` as CONTAINS/STARTS_WITH/ENDS_WITH: much cheaper than LIKE … ESCAPE
    (which the engines match with their general pattern matcher). None for any other pattern."""
    parts = list(value.s)
    lead = bool(parts) and parts[0] is SpecialChars.WILDCARD_MULTI
    trail = len(parts) > 1 and parts[-1] is SpecialChars.WILDCARD_MULTI
    middle = parts[int(lead) : len(parts) - int(trail)]
    if not middle or not all(isinstance(part, str) for part in middle):
        return None
    text = "".join(str(part) for part in middle)
    literal = exp.Literal.string(text if cased else text.lower())
    if lead and trail:
        return exp.Anonymous(this="CONTAINS", expressions=[subject, literal])
    if trail:
        return exp.StartsWith(this=subject, expression=literal)
    return exp.EndsWith(this=subject, expression=literal)


def try_number(target: exp.Expression, value: int | float) -> exp.Expression:
    kind = "BIGINT" if isinstance(value, int) else "DOUBLE"
    return exp.TryCast(this=target, to=exp.DataType.build(kind))


def number_literal(value: int | float) -> exp.Expression:
    return exp.Literal.number(value)


class SqlTreeBackend(Backend):
    """pySigma backend whose queries are sqlglot expressions over Hygie's event table."""

    name: ClassVar[str] = "Hygie SQL tree (DuckDB, Spark SQL)"
    formats: ClassVar[dict[str, str]] = {"default": "sqlglot expression tree"}
    requires_pipeline: ClassVar[bool] = False
    spaced_fields: bool = False  # set per rule by the compiler (log sources with spaced field names)

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> Any:  # never chosen: convert_or_as_in is False
        raise SigmaFeatureNotSupportedByBackendError("in-expressions are not generated")

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Any:
        return exp.or_(*(exp.paren(self.convert_condition(arg, state)) for arg in cond.args))

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> Any:
        return exp.and_(*(exp.paren(self.convert_condition(arg, state)) for arg in cond.args))

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        return exp.Not(this=exp.paren(self.convert_condition(cond.args[0], state)))

    def _field(self, cond: ConditionFieldEqualsValueExpression) -> exp.Expression:
        return field_expr(cond.field, self.spaced_fields)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaString)
        return safe(string_match(self._field(cond), cond.value, cased=False))

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaCasedString)
        return safe(string_match(self._field(cond), cond.value, cased=True))

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaNumber)
        number = cond.value.number
        if FIELD_ALIASES.get(cond.field, cond.field) == "EventID":
            # The typed column: fast, and what the log-source grouping filters on too.
            return safe(exp.EQ(this=exp.column(EVENT_CODE_COLUMN), expression=number_literal(number)))
        target = self._field(cond)
        numeric = exp.EQ(this=try_number(target, number), expression=number_literal(number))
        textual = exp.EQ(this=exp.Lower(this=target), expression=exp.Literal.string(str(number)))
        return safe(exp.or_(numeric, textual))

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError("timestamp part modifiers (minute, hour…)")

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaBool)
        text = "true" if cond.value.boolean else "false"
        return safe(exp.EQ(this=exp.Lower(this=self._field(cond)), expression=exp.Literal.string(text)))

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaRegularExpression)
        return safe(regex_match(self._field(cond), cond.value))

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaCIDRExpression)
        target = self._field(cond)
        prefixes = [string_match(target, SigmaString(p), cased=False) for p in cond.value.expand("*")]
        return safe(exp.or_(*prefixes))

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaCompareExpression)
        number = cond.value.number.number
        ops: dict[CompareOperators, type[exp.Binary]] = {
            CompareOperators.LT: exp.LT,
            CompareOperators.LTE: exp.LTE,
            CompareOperators.GT: exp.GT,
            CompareOperators.GTE: exp.GTE,
            CompareOperators.NEQ: exp.NEQ,
        }
        target = self._field(cond)
        if FIELD_ALIASES.get(cond.field, cond.field) == "EventID":
            target = exp.column(EVENT_CODE_COLUMN)
        else:
            target = exp.TryCast(this=target, to=exp.DataType.build("DOUBLE"))
        return safe(ops[cond.value.op](this=target, expression=number_literal(number)))

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        assert isinstance(cond.value, SigmaFieldReference)
        left = exp.Lower(this=self._field(cond))
        right = exp.Lower(this=field_expr(cond.value.field, self.spaced_fields))
        if cond.value.starts_with:
            return safe(exp.func("STARTS_WITH", left, right))
        if cond.value.ends_with:
            return safe(exp.func("ENDS_WITH", left, right))
        return safe(exp.EQ(this=left, expression=right))

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        target = self._field(cond)
        return exp.or_(
            exp.Is(this=target, expression=exp.Null()), exp.EQ(this=target, expression=exp.Literal.string(""))
        )

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return exp.Not(this=exp.Is(this=self._field(cond), expression=exp.Null()))

    def convert_condition_field_not_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return exp.Is(this=self._field(cond), expression=exp.Null())

    def convert_condition_field_eq_query_expr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError("query expressions (placeholders expanded as queries)")

    def convert_condition_val_str(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        # Keywords are searched anywhere in the raw message.
        assert isinstance(cond.value, SigmaString)
        pattern, _ = like_pattern(cond.value, lower=True)
        like = exp.Like(
            this=exp.Lower(this=exp.column(MESSAGE_COLUMN)), expression=exp.Literal.string(f"%{pattern}%")
        )
        return safe(exp.Escape(this=like, expression=exp.Literal.string("\\")))

    def convert_condition_val_num(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        assert isinstance(cond.value, SigmaNumber)
        text = str(cond.value.number)
        like = exp.Like(this=exp.column(MESSAGE_COLUMN), expression=exp.Literal.string(f"%{text}%"))
        return safe(like)

    def convert_condition_val_re(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        assert isinstance(cond.value, SigmaRegularExpression)
        return safe(regex_match(exp.column(MESSAGE_COLUMN), cond.value))

    def convert_condition_query_expr(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        raise SigmaFeatureNotSupportedByBackendError("query expressions")

    def convert_correlation_event_count_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_value_count_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_temporal_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_temporal_ordered_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_extended_temporal_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_extended_temporal_ordered_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_value_sum_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_value_avg_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_value_percentile_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def convert_correlation_value_median_rule(
        self, rule: Any, output_format: str | None = None, method: str | None = None, callback: Any = None
    ) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(_CORRELATION_ELSEWHERE)

    def finalize_query_default(self, rule: SigmaRule, query: Any, index: int, state: ConversionState) -> Any:
        return query


def regex_match(target: exp.Expression, value: SigmaRegularExpression) -> exp.Expression:
    """RE2 (DuckDB) and Java (Spark) agree on the inline flags Sigma uses."""
    flags = "".join(
        letter
        for flag, letter in (
            (SigmaRegularExpressionFlag.IGNORECASE, "i"),
            (SigmaRegularExpressionFlag.MULTILINE, "m"),
            (SigmaRegularExpressionFlag.DOTALL, "s"),
        )
        if flag in value.flags
    )
    pattern = value.regexp.to_plain()
    if flags:
        pattern = f"(?{flags}){pattern}"
    return exp.RegexpLike(this=target, expression=exp.Literal.string(pattern))


class _SparkSql(Spark):
    class Generator(Spark.Generator):  # type: ignore[valid-type,misc]
        # Spark's ANSI mode makes CAST abort on text; TRY_CAST gives NULL like DuckDB's.
        TRANSFORMS: ClassVar[dict[Any, Any]] = {
            **Spark.Generator.TRANSFORMS,
            exp.TryCast: lambda self, e: f"TRY_CAST({self.sql(e, 'this')} AS {self.sql(e, 'to')})",
        }


DIALECTS: dict[str, Any] = {"duckdb": DuckDB, "spark": _SparkSql}


def render(tree: exp.Expression, dialect: str) -> str:
    """The SQL text of a tree for ``duckdb`` or ``spark``."""
    return tree.sql(dialect=DIALECTS[dialect]())
