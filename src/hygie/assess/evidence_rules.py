"""Evidence rules of the control catalogue applied to the figures the providers read. Pure: no database.

A provider reads *metrics* (``Reading``: a value, the date of the facts, the figure in words and
the evidence items). A control's ``evidence:`` block in the catalogue names its metric and the
thresholds that turn it into a level 0–5 (the first that holds, best first, else ``otherwise``);
evidence older than ``fresh_days`` loses ``stale.minus`` levels per period of ``stale.every_days``
(default ``fresh_days``) beyond, and counts at most ``stale.cap`` — and the basis says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from hygie.frameworks.schema import Bound, EvidenceRule, Metric, MetricUnit, Text


@dataclass(frozen=True)
class Reading:
    """One metric as a provider read it."""

    metric: str  # declared in the catalogue's ``metrics``
    value: float
    facts_on: date  # the date of the facts (the audit, the campaign, the firewall export…)
    summary: Text  # the figure in words: "13/15 critical applications backed up…"
    items: tuple[Text, ...] = ()  # the evidence listed: what is missing, what was seen


@dataclass(frozen=True)
class MeasuredLevel:
    control_id: str
    level: int  # 0–5, staleness counted
    basis: Text  # why, in words (figure, and the staleness if any)
    source: str  # the domain the facts come from
    measured_at: date  # the date of the facts
    metric: str = ""
    value: float | None = None
    rule_level: int | None = None  # the level the thresholds give, before staleness
    stale: bool = False
    items: tuple[Text, ...] = ()
    rule: Text | None = None  # the rule, in words

    def __post_init__(self) -> None:
        if not 0 <= self.level <= 5:
            raise ValueError(f"measured level out of 0–5: {self.level}")


def show(value: float, unit: MetricUnit, lang: str) -> str:
    """A metric's value for a reader: a share as a percentage, days and counts as whole numbers."""
    if unit == MetricUnit.SHARE:
        percent = f"{round(100 * value, 1):g}"
        return f"{percent} %" if lang == "fr" else f"{percent}%"
    return f"{value:g}" + ((" j" if lang == "fr" else " d") if unit == MetricUnit.DAYS else "")


def _bound_text(bound: Bound, unit: MetricUnit, lang: str) -> str:
    sign = "≥" if bound.at_least is not None else "≤"
    return f"{sign} {show(bound.value, unit, lang)}"


def rule_text(rule: EvidenceRule, metrics: Mapping[str, Metric]) -> Text:
    """The rule in words, e.g. "Taux de clic… : ≤ 5 % et signalements ≥ 30 % → 5 ; … ; sinon 1"."""
    texts: dict[str, str] = {}
    for lang in ("fr", "en"):
        metric = metrics[rule.metric]
        steps = []
        for threshold in rule.thresholds:
            parts = [_bound_text(threshold, metric.unit, lang)]
            for name, bound in threshold.also.items():
                other = metrics[name]
                title = other.title.get(lang)
                parts.append(f"{title[:1].lower()}{title[1:]} {_bound_text(bound, other.unit, lang)}")
            joined = (" et " if lang == "fr" else " and ").join(parts)
            steps.append(f"{joined} → {threshold.level}")
        otherwise = "sinon" if lang == "fr" else "otherwise"
        steps.append(f"{otherwise} {rule.otherwise}")
        text = f"{metric.title.get(lang)} : " if lang == "fr" else f"{metric.title.get(lang)}: "
        text += ("; " if lang == "en" else " ; ").join(steps)
        if rule.fresh_days is not None:
            text += _stale_rule(rule, lang)
        texts[lang] = text
    return Text(fr=texts["fr"], en=texts["en"])


def _stale_rule(rule: EvidenceRule, lang: str) -> str:
    every = rule.stale.every_days or rule.fresh_days
    parts = []
    if lang == "fr":
        if rule.stale.minus:
            parts.append(f"-{rule.stale.minus} niveau par période de {every} jours au-delà")
        if rule.stale.cap is not None:
            parts.append(f"au plus {rule.stale.cap}")
        return f". Preuve de plus de {rule.fresh_days} jours : " + ", ".join(parts) + "."
    if rule.stale.minus:
        parts.append(f"-{rule.stale.minus} level per {every} days beyond")
    if rule.stale.cap is not None:
        parts.append(f"at most {rule.stale.cap}")
    return f". Evidence over {rule.fresh_days} days old: " + ", ".join(parts) + "."


def level_of(rule: EvidenceRule, value: float, others: Mapping[str, float]) -> int:
    """The level of the first threshold that holds (a bound on a metric not read does not hold)."""
    for threshold in rule.thresholds:
        if threshold.holds(value) and all(
            name in others and bound.holds(others[name]) for name, bound in threshold.also.items()
        ):
            return threshold.level
    return rule.otherwise


def stale_level(rule: EvidenceRule, level: int, facts_on: date, on: date) -> tuple[int, Text | None]:
    """The level once the age of the evidence is counted, and what staleness cost, in words."""
    if rule.fresh_days is None:
        return level, None
    age = (on - facts_on).days
    if age <= rule.fresh_days:
        return level, None
    every = rule.stale.every_days or rule.fresh_days
    periods = math.ceil((age - rule.fresh_days) / every)
    lowered = max(0, level - rule.stale.minus * periods)
    capped = min(lowered, rule.stale.cap) if rule.stale.cap is not None else lowered
    day = facts_on.isoformat()
    fr = f"preuve du {day}, plus de {rule.fresh_days} jours : "
    en = f"evidence of {day}, over {rule.fresh_days} days old: "
    lost = level - capped
    if capped < lowered:
        fr += f"niveau ramené à {capped}"
        en += f"level brought down to {capped}"
    elif lost:
        fr += f"-{lost} niveau" + ("x" if lost > 1 else "")
        en += f"-{lost} level" + ("s" if lost > 1 else "")
    else:
        fr += "niveau inchangé"
        en += "level unchanged"
    lowered = capped
    return lowered, Text(fr=fr, en=en)


def apply(
    control_id: str,
    rule: EvidenceRule,
    readings: Mapping[str, Reading],
    metrics: Mapping[str, Metric],
    source: str,
    on: date,
) -> MeasuredLevel | None:
    """The control's measured level from the readings, or None when its metric was not read."""
    reading = readings.get(rule.metric)
    if reading is None:
        return None
    others = {name: r.value for name, r in readings.items()}
    level = level_of(rule, reading.value, others)
    final, note = stale_level(rule, level, reading.facts_on, on)
    basis = reading.summary
    if note is not None:
        basis = Text(fr=f"{basis.fr} ; {note.fr}", en=f"{basis.en}; {note.en}")
    return MeasuredLevel(
        control_id=control_id,
        level=final,
        basis=basis,
        source=source,
        measured_at=reading.facts_on,
        metric=rule.metric,
        value=reading.value,
        rule_level=level,
        stale=note is not None,
        items=reading.items,
        rule=rule_text(rule, metrics),
    )


def share_summary(done: list[str], missing: list[str], what: Text) -> tuple[float, Text, tuple[Text, ...]]:
    """A share of things in order, its summary ("12/15 …; missing: a, b…") and the items missing."""
    return count_summary(len(done), len(done) + len(missing), missing, what)


def count_summary(
    done: int, total: int, missing: list[str], what: Text
) -> tuple[float, Text, tuple[Text, ...]]:
    """The same from a count of things in order out of ``total`` and the names of those that are not."""
    if total <= 0:
        raise ValueError("no share of nothing")
    fr = f"{done}/{total} {what.fr}"
    en = f"{done}/{total} {what.en}"
    if missing:
        shown = ", ".join(sorted(missing)[:5]) + ("…" if len(missing) > 5 else "")
        fr += f" ; manquent : {shown}"
        en += f"; missing: {shown}"
    items = tuple(Text(fr=f"manque : {name}", en=f"missing: {name}") for name in sorted(missing))
    return done / total, Text(fr=fr, en=en), items
