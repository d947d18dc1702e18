"""Evidence rules of the control catalogue: schema checks located by file and line, thresholds,
staleness. Pure: no database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hygie.assess.evidence_rules import Reading, apply, level_of, rule_text, stale_level
from hygie.core.errors import ContentError
from hygie.frameworks.loader import SHIPPED_LIBRARY, load_library
from hygie.frameworks.schema import EvidenceRule, Metric, MetricUnit, Text

METRICS = {
    "x.share": Metric(id="x.share", unit=MetricUnit.SHARE, title=Text(fr="Part faite", en="Share done")),
    "x.other": Metric(id="x.other", unit=MetricUnit.SHARE, title=Text(fr="Autre part", en="Other share")),
}
HEAD = """kind: controls
version: "1"
metrics:
  - {id: x.share, unit: share, title: {fr: "Part faite", en: "Share done"}}
controls:
  - id: TEC-X
    dimension: technical
    title: {fr: "X", en: "X"}
    question: {fr: "X ?", en: "X?"}
"""


def rule(**data: object) -> EvidenceRule:
    return EvidenceRule.model_validate({"metric": "x.share", **data})


def write(tmp_path: Path, evidence: str) -> Path:
    (tmp_path / "controls.yaml").write_text(HEAD + evidence, encoding="utf-8")
    return tmp_path


def test_first_threshold_that_holds_gives_the_level() -> None:
    steps = rule(thresholds=[{"at_least": 0.9, "level": 4}, {"at_least": 0.5, "level": 2}], otherwise=1)
    assert [level_of(steps, v, {}) for v in (1.0, 0.9, 0.89, 0.5, 0.49, 0.0)] == [4, 4, 2, 2, 1, 1]
    ages = rule(thresholds=[{"at_most": 31, "level": 4}, {"at_most": 365, "level": 1}])
    assert [level_of(ages, v, {}) for v in (0, 31, 32, 365, 366)] == [4, 4, 1, 1, 0]


def test_also_bounds_read_other_metrics_and_a_missing_one_does_not_hold() -> None:
    both = rule(
        thresholds=[
            {"at_least": 0.9, "level": 5, "also": {"x.other": {"at_least": 0.3}}},
            {"at_least": 0.9, "level": 4},
        ]
    )
    assert level_of(both, 0.95, {"x.other": 0.3}) == 5
    assert level_of(both, 0.95, {"x.other": 0.29}) == 4
    assert level_of(both, 0.95, {}) == 4
    assert "et autre part ≥ 30 %" in rule_text(both, METRICS).fr


def test_staleness_minus_per_period_and_cap() -> None:
    minus = rule(thresholds=[{"at_least": 0.5, "level": 4}], fresh_days=90)
    facts = date(2026, 3, 1)
    assert stale_level(minus, 4, facts, date(2026, 5, 30)) == (4, None)  # 90 days: still fresh
    level, note = stale_level(minus, 4, facts, date(2026, 5, 31))  # 91 days: one period beyond
    assert level == 3 and note is not None
    assert note.fr == "preuve du 2026-03-01, plus de 90 jours : -1 niveau"
    assert note.en == "evidence of 2026-03-01, over 90 days old: -1 level"
    assert stale_level(minus, 4, facts, date(2026, 8, 28))[0] == 3  # 180 days: 90 beyond, one period
    assert stale_level(minus, 4, facts, date(2026, 8, 29))[0] == 2  # 181 days: 91 beyond, two periods
    assert stale_level(minus, 1, facts, date(2027, 3, 1))[0] == 0  # never below 0
    capped = rule(thresholds=[{"at_least": 0.5, "level": 5}], fresh_days=365, stale={"minus": 0, "cap": 1})
    level, note = stale_level(capped, 5, facts, date(2027, 3, 2))
    assert level == 1 and note is not None and note.fr.endswith("niveau ramené à 1")
    ageless = rule(thresholds=[{"at_least": 0.5, "level": 5}])  # no fresh_days: never stale
    assert stale_level(ageless, 5, facts, date(2030, 1, 1)) == (5, None)


def test_apply_says_why_and_marks_stale_evidence() -> None:
    steps = rule(thresholds=[{"at_least": 0.9, "level": 4}, {"at_least": 0.5, "level": 2}], fresh_days=30)
    reading = Reading("x.share", 0.95, date(2026, 1, 1), Text(fr="19/20 faits", en="19/20 done"))
    fresh = apply("TEC-X", steps, {"x.share": reading}, METRICS, "x", date(2026, 1, 31))
    assert fresh is not None and (fresh.level, fresh.stale, fresh.basis.fr) == (4, False, "19/20 faits")
    old = apply("TEC-X", steps, {"x.share": reading}, METRICS, "x", date(2026, 3, 15))
    # 73 days old: 43 beyond 30, two periods of 30 → 4 - 2
    assert old is not None and (old.level, old.rule_level, old.stale) == (2, 4, True)
    assert old.basis.fr == "19/20 faits ; preuve du 2026-01-01, plus de 30 jours : -2 niveaux"
    assert old.rule is not None and old.rule.fr.startswith("Part faite : ≥ 90 % → 4 ; ≥ 50 % → 2 ; sinon 0")
    assert apply("TEC-X", steps, {}, METRICS, "x", date(2026, 1, 31)) is None  # not read: not measured


@pytest.mark.parametrize(
    ("evidence", "line", "field", "message"),
    [
        (
            "    evidence:\n      metric: x.share\n      thresholds:\n"
            "        - {at_least: 0.5, level: 2}\n        - {at_least: 0.9, level: 4}\n",
            13,
            "controls.0.evidence.thresholds",
            "threshold 1: level 4 after level 2",
        ),
        (
            "    evidence:\n      metric: x.share\n      thresholds:\n"
            "        - {at_least: 0.5, level: 4}\n        - {at_least: 0.9, level: 2}\n",
            13,
            "controls.0.evidence.thresholds",
            "at_least 0.9 is stricter than 0.5 above it",
        ),
        (
            "    evidence:\n      metric: x.share\n      thresholds: [{at_least: 0.5, level: 6}]\n",
            12,
            "controls.0.evidence.thresholds.0.level",
            "less than or equal to 5",
        ),
        (
            "    evidence:\n      metric: x.share\n"
            "      thresholds: [{at_least: 0.5, at_most: 0.9, level: 3}]\n",
            12,
            "controls.0.evidence.thresholds.0",
            "exactly one of at_least and at_most",
        ),
        (
            "    evidence:\n      metric: x.shar\n      thresholds: [{at_least: 0.5, level: 3}]\n",
            11,
            "controls.0.evidence.metric",
            "unknown metric 'x.shar' (known: x.share)",
        ),
        (
            "    evidence:\n      metric: x.share\n"
            "      thresholds: [{at_least: 0.5, level: 3, also: {y.none: {at_least: 1}}}]\n",
            12,
            "controls.0.evidence.thresholds",
            "unknown metric 'y.none'",
        ),
    ],
)
def test_a_wrong_rule_is_refused_at_load_with_file_and_line(
    tmp_path: Path, evidence: str, line: int, field: str, message: str
) -> None:
    with pytest.raises(ContentError) as caught:
        load_library([write(tmp_path, evidence)])
    where = caught.value.location
    assert where is not None
    assert (Path(str(where.file)).name, where.line, where.field) == ("controls.yaml", line, field)
    assert message in str(caught.value)


def test_every_shipped_rule_reads_a_declared_metric() -> None:
    library = load_library([SHIPPED_LIBRARY])
    ruled = {c.id for c in library.controls.values() if c.evidence is not None}
    assert {"TEC-PATCH", "TEC-EOL", "TEC-VULN-SCAN", "TEC-SEGMENT", "TEC-EXPOSURE", "AWA-PHISHING"} <= ruled
    for control_id in ruled:
        evidence = library.controls[control_id].evidence
        assert evidence is not None and set(evidence.metrics()) <= set(library.metrics)
