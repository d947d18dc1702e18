"""Rule tuning per establishment: Sigma filters (exclusions), disabled rules, changed levels.

The only writer of ``detect_rule_tuning`` (kept apart from :mod:`hygie.detect.service`, the writer of the
alerts). :func:`tuned_rules` is what a detection run evaluates for one establishment: the shared rule set,
compiled with that establishment's filters (cached by rule texts + filter texts), then its overrides.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import utcnow
from hygie.detect.models import AlertLevel, RuleTuning, TuningKind
from hygie.detect.sigma.compiler import CompiledRules
from hygie.detect.sigma.filters import apply_overrides, compile_tuned, exclusion_filter, parse_filter
from hygie.org import service as org_service

KIND_LABELS = {
    TuningKind.FILTER: N_("exclusion"),
    TuningKind.DISABLE: N_("disabled"),
    TuningKind.LEVEL: N_("level"),
}
MAX_RULE_ID = 100
MAX_REASON = 2000


def tunings_query(establishment_id: int, kind: TuningKind | None = None) -> Select[RuleTuning]:
    """The establishment's tunings, oldest first (the order filters are applied in)."""
    query = select(RuleTuning).where(RuleTuning.establishment_id == establishment_id)
    if kind is not None:
        query = query.where(RuleTuning.kind == kind)
    return query.order_by(RuleTuning.id)


def list_tunings(session: Session, establishment_id: int, kind: TuningKind | None = None) -> list[RuleTuning]:
    return list(session.scalars(tunings_query(establishment_id, kind)))


def get_tuning(session: Session, establishment_id: int, tuning_id: int) -> RuleTuning:
    tuning = session.get(RuleTuning, tuning_id)
    if tuning is None or tuning.establishment_id != establishment_id:
        raise NotFoundError(f"rule tuning {tuning_id}")
    return tuning


def _rule_id(rule_id: str) -> str:
    rule_id = rule_id.strip()
    if not rule_id or len(rule_id) > MAX_RULE_ID:
        raise ValidationError(f"rule: 1 to {MAX_RULE_ID} characters")
    return rule_id


def _reason(reason: str) -> str:
    if len(reason) > MAX_REASON:
        raise ValidationError(f"reason: {MAX_REASON} characters at most")
    return reason.strip()


def add_filter(
    session: Session,
    establishment_id: int,
    text: str,
    *,
    file: str = "<filter>",
    author: str = "",
    reason: str = "",
) -> RuleTuning:
    """Store a Sigma filter document; a bad one raises ContentError with the file and line."""
    org_service.get_establishment(session, establishment_id)
    parsed = parse_filter(text, file)
    tuning = RuleTuning(
        establishment_id=establishment_id,
        kind=TuningKind.FILTER,
        rule_id=",".join(parsed.rules)[:500],
        title=parsed.title[:300],
        filter_yaml=parsed.text,
        reason=_reason(reason),
        created_by=author[:255],
        created_at=utcnow(),
    )
    session.add(tuning)
    session.flush()
    return tuning


def add_exclusion(
    session: Session,
    establishment_id: int,
    field: str,
    value: str,
    *,
    rule_id: str = "",
    product: str = "windows",
    author: str = "",
    reason: str = "",
) -> RuleTuning:
    """Exclude the events whose ``field`` equals ``value`` (case ignored, Sigma's default) from one rule,
    or from every rule of ``product`` when ``rule_id`` is empty: written as a standard Sigma filter."""
    text = exclusion_filter(field, value, rule_id.strip() or None, product)
    return add_filter(session, establishment_id, text, file="<exclusion>", author=author, reason=reason)


def disable_rule(
    session: Session, establishment_id: int, rule_id: str, *, author: str = "", reason: str = ""
) -> RuleTuning:
    """The rule raises no alert for this establishment (once: disabling twice keeps the first record)."""
    org_service.get_establishment(session, establishment_id)
    rule_id = _rule_id(rule_id)
    existing = _find(session, establishment_id, TuningKind.DISABLE, rule_id)
    if existing is not None:
        return existing
    tuning = RuleTuning(
        establishment_id=establishment_id,
        kind=TuningKind.DISABLE,
        rule_id=rule_id,
        reason=_reason(reason),
        created_by=author[:255],
        created_at=utcnow(),
    )
    session.add(tuning)
    session.flush()
    return tuning


def enable_rule(session: Session, establishment_id: int, rule_id: str) -> RuleTuning | None:
    """Enable a disabled rule again; returns the removed record (None when it was not disabled)."""
    existing = _find(session, establishment_id, TuningKind.DISABLE, _rule_id(rule_id))
    if existing is not None:
        session.delete(existing)
        session.flush()
    return existing


def set_level(
    session: Session,
    establishment_id: int,
    rule_id: str,
    level: AlertLevel,
    *,
    author: str = "",
    reason: str = "",
) -> RuleTuning:
    """The rule's alerts get ``level`` for this establishment (replaces an earlier override)."""
    org_service.get_establishment(session, establishment_id)
    rule_id = _rule_id(rule_id)
    tuning = _find(session, establishment_id, TuningKind.LEVEL, rule_id)
    if tuning is None:
        tuning = RuleTuning(establishment_id=establishment_id, kind=TuningKind.LEVEL, rule_id=rule_id)
        session.add(tuning)
    tuning.level = AlertLevel(level)
    tuning.reason = _reason(reason)
    tuning.created_by = author[:255]
    tuning.created_at = utcnow()
    session.flush()
    return tuning


def remove_tuning(session: Session, establishment_id: int, tuning_id: int) -> RuleTuning:
    """Remove a tuning of this establishment (an exclusion, a disabled rule, a level); returns it."""
    tuning = get_tuning(session, establishment_id, tuning_id)
    session.delete(tuning)
    session.flush()
    return tuning


def _find(session: Session, establishment_id: int, kind: TuningKind, rule_id: str) -> RuleTuning | None:
    return session.scalars(
        select(RuleTuning).where(
            RuleTuning.establishment_id == establishment_id,
            RuleTuning.kind == kind,
            RuleTuning.rule_id == rule_id,
        )
    ).first()


def tune(compiled_with_filters: CompiledRules, tunings: Iterable[RuleTuning]) -> CompiledRules:
    """Apply the disabled rules and level overrides of ``tunings`` to a compiled set."""
    tunings = list(tunings)
    disabled = [t.rule_id for t in tunings if t.kind == TuningKind.DISABLE]
    levels = {t.rule_id: t.level.value for t in tunings if t.kind == TuningKind.LEVEL and t.level is not None}
    return apply_overrides(compiled_with_filters, disabled, levels)


def tuned_rules(
    session: Session, establishment_id: int, paths: Iterable[Path], cache_dir: Path | None = None
) -> CompiledRules:
    """What a detection run evaluates for this establishment: the rules of ``paths`` compiled with its
    filters (recompiled when the filters change), with its disabled rules and levels applied."""
    tunings = list_tunings(session, establishment_id)
    filters = [t.filter_yaml for t in tunings if t.kind == TuningKind.FILTER]
    return tune(compile_tuned(paths, cache_dir, filters), tunings)
