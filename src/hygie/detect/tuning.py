"""Rule tuning per establishment: Sigma filters (exclusions), disabled rules, changed levels, and the
host or user exclusions of the statistical detectors.

The only writer of ``detect_rule_tuning`` (kept apart from :mod:`hygie.detect.service`, the writer of the
alerts). :func:`tuned_rules` is what a detection run evaluates for one establishment: the shared rule set,
compiled with that establishment's filters (cached by rule texts + filter texts), then its overrides.
:func:`tune_outcomes` does the same for the statistical detectors (rules ``hygie-stat-…``), on their
detections before they are stored: disabled rules and excluded hosts or users raise nothing, a level
override sets the alert's level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import utcnow
from hygie.detect.models import AlertLevel, EntityField, RuleTuning, TuningKind
from hygie.detect.sigma.compiler import CompiledRules
from hygie.detect.sigma.filters import apply_overrides, compile_tuned, exclusion_filter, parse_filter
from hygie.org import service as org_service

if TYPE_CHECKING:
    from hygie.detect.detectors.base import Detection, Outcome

KIND_LABELS = {
    TuningKind.FILTER: N_("exclusion"),
    TuningKind.DISABLE: N_("disabled"),
    TuningKind.LEVEL: N_("level"),
    TuningKind.ENTITY: N_("detector exclusion"),
}
MAX_RULE_ID = 100
MAX_REASON = 2000
MAX_ENTITY = 255
DETECTOR_PREFIX = "hygie-stat-"
"""Ids of the statistical detectors' rules; the others are Sigma rules."""
ANY_DETECTOR = "any"
"""``rule_id`` of an entity exclusion that applies to every detector rule."""


def is_detector_rule(rule_id: str) -> bool:
    return rule_id.startswith(DETECTOR_PREFIX)


def detector_rules() -> dict[str, str]:
    """Every detector rule id with its title (an English msgid)."""
    # Imported here: the detectors import this module to tune their detections.
    from hygie.detect.detectors import RULES

    return {rule.id: rule.title for rule in RULES.values()}


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
    # Sigma ids depend on the rules installed (and may be installed later); the detectors' are known here,
    # so a misspelt one is refused instead of silently tuning nothing.
    if is_detector_rule(rule_id) and rule_id not in detector_rules():
        known = ", ".join(sorted(detector_rules()))
        raise ValidationError(f"rule: no statistical detector rule {rule_id!r} (known: {known})")
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
    rules = ",".join(parsed.rules)[:500]
    return _add(
        session, establishment_id, TuningKind.FILTER, rules, author, reason,
        title=parsed.title[:300], filter_yaml=parsed.text,
    )  # fmt: skip


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
    if is_detector_rule(rule_id.strip()):
        raise ValidationError(
            f"rule: {rule_id.strip()} is a statistical detector, a Sigma filter cannot apply to it; "
            "exclude a host or a user from it instead (hygie rules exclude-entity)"
        )
    text = exclusion_filter(field, value, rule_id.strip() or None, product)
    return add_filter(session, establishment_id, text, file="<exclusion>", author=author, reason=reason)


def add_entity_exclusion(
    session: Session,
    establishment_id: int,
    field: EntityField | str,
    value: str,
    *,
    rule_id: str = "",
    author: str = "",
    reason: str = "",
) -> RuleTuning:
    """The detections of a statistical detector rule (every one when ``rule_id`` is empty) whose host or
    user (``field``) equals ``value``, case ignored, raise no alert for this establishment. The same
    exclusion twice keeps the first record."""
    org_service.get_establishment(session, establishment_id)
    try:
        chosen = EntityField(field)
    except ValueError as exc:
        raise ValidationError(f"field: {field!r}, host or user") from exc
    value = value.strip()
    if not value or len(value) > MAX_ENTITY:
        raise ValidationError(f"value: 1 to {MAX_ENTITY} characters")
    rule_id = rule_id.strip()
    if rule_id and not is_detector_rule(rule_id):
        raise ValidationError(
            f"rule: {rule_id!r} is not a statistical detector rule ({DETECTOR_PREFIX}…); "
            "a Sigma rule's exclusion names a Sigma field (hygie rules exclude)"
        )
    rule_id = _rule_id(rule_id) if rule_id else ANY_DETECTOR
    for existing in list_tunings(session, establishment_id, TuningKind.ENTITY):
        if (existing.rule_id, existing.entity_field, existing.entity_value.lower()) == (
            rule_id,
            chosen,
            value.lower(),
        ):
            return existing
    return _add(
        session, establishment_id, TuningKind.ENTITY, rule_id, author, reason,
        entity_field=chosen, entity_value=value,
    )  # fmt: skip


def disable_rule(
    session: Session, establishment_id: int, rule_id: str, *, author: str = "", reason: str = ""
) -> RuleTuning:
    """The rule raises no alert for this establishment (once: disabling twice keeps the first record)."""
    org_service.get_establishment(session, establishment_id)
    rule_id = _rule_id(rule_id)
    existing = _find(session, establishment_id, TuningKind.DISABLE, rule_id)
    if existing is not None:
        return existing
    return _add(session, establishment_id, TuningKind.DISABLE, rule_id, author, reason)


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


def _add(
    session: Session,
    establishment_id: int,
    kind: TuningKind,
    rule_id: str,
    author: str,
    reason: str,
    **columns: Any,
) -> RuleTuning:
    """Store a new tuning record of this kind, with its author, reason and time."""
    tuning = RuleTuning(
        establishment_id=establishment_id,
        kind=kind,
        rule_id=rule_id,
        reason=_reason(reason),
        created_by=author[:255],
        created_at=utcnow(),
        **columns,
    )
    session.add(tuning)
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


# --- Statistical detectors -----------------------------------------------------------------------------


def tune_detections(detections: Sequence[Detection], tunings: Iterable[RuleTuning]) -> list[Detection]:
    """The detections that still raise an alert under ``tunings``: those of disabled rules and of excluded
    hosts or users (matched on what each detection is about, :attr:`Detection.entities`) dropped, the level
    overrides applied. An override wins over a detection's own stronger level (the establishment decided
    what the rule is worth to it)."""
    tunings = list(tunings)
    disabled = {t.rule_id for t in tunings if t.kind == TuningKind.DISABLE}
    levels = {t.rule_id: t.level for t in tunings if t.kind == TuningKind.LEVEL and t.level is not None}
    excluded: dict[str, set[tuple[str, str]]] = {}
    for t in tunings:
        if t.kind == TuningKind.ENTITY and t.entity_field is not None:
            excluded.setdefault(t.rule_id, set()).add((t.entity_field, t.entity_value.lower()))
    kept: list[Detection] = []
    for detection in detections:
        rule_id = detection.rule.id
        if rule_id in disabled:
            continue
        names = excluded.get(rule_id, set()) | excluded.get(ANY_DETECTOR, set())
        if names & {(field, value.lower()) for field, value in detection.entities}:
            continue
        level = levels.get(rule_id)
        kept.append(detection if level is None else replace(detection, level=level))
    return kept


def tune_outcomes(session: Session, establishment_id: int, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes of a detectors' run with their detections tuned (:func:`tune_detections`) by the
    establishment's tuning, each counting in ``suppressed`` the detections it dropped (added to any count
    it already had). Only alerts are tuned, not what the detectors learn: an excluded host's or user's
    events still count in the history their baselines are made of."""
    tunings = list_tunings(session, establishment_id)
    if not tunings:
        return list(outcomes)
    tuned = []
    for outcome in outcomes:
        kept = tune_detections(outcome.detections, tunings)
        dropped = len(outcome.detections) - len(kept)
        tuned.append(replace(outcome, detections=kept, suppressed=outcome.suppressed + dropped))
    return tuned
