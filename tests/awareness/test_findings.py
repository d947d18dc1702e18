"""Findings from hand-made facts, against the documented thresholds."""

from __future__ import annotations

from datetime import date, timedelta

from hygie.awareness.findings import AwarenessFacts, awareness_findings
from hygie.awareness.rates import Completion, Counts
from hygie.plan.models import Severity

AS_OF = date(2026, 11, 1)


def facts(**changes: object) -> AwarenessFacts:
    values: dict[str, object] = {
        "as_of": AS_OF,
        "last_campaign": date(2026, 10, 1),
        "last_campaign_name": "Automne",
        "latest": {
            "Urgences": Counts(10, 10, 8, 4, 2, 1),  # clicked 40 %, submitted 20 %, reported 10 %
            "Petit": Counts(3, 3, 3, 3, 3, 0),  # under 5 delivered: not judged
            "Bon": Counts(10, 10, 5, 1, 0, 5),  # clicked 10 %, reported 50 %: fine
            "Moyen": Counts(10, 10, 5, 2, 0, 2),  # clicked 20 % (medium), reported 20 % (fine)
        },
        "last_training": date(2026, 9, 1),
        "completion": {"Urgences": Completion(10, 3), "Bloc": Completion(10, 6), "Bon": Completion(10, 9)},
        "categories": {"technical": Completion(10, 5), "nursing": Completion(10, 9)},
    }
    values.update(changes)
    return AwarenessFacts(**values)  # type: ignore[arg-type]


def test_department_findings_and_severities() -> None:
    found = {f.key: f for f in awareness_findings(facts())}
    assert {k: f.severity for k, f in found.items()} == {
        "phishing:submitted:Urgences": Severity.HIGH,
        "phishing:clicked:Urgences": Severity.HIGH,
        "phishing:reported:Urgences": Severity.MEDIUM,
        "phishing:clicked:Moyen": Severity.MEDIUM,
        "training:completion:Urgences": Severity.HIGH,  # 30 %
        "training:completion:Bloc": Severity.MEDIUM,  # 60 %
        "training:completion-category:technical": Severity.MEDIUM,  # 50 %
    }
    assert found["phishing:clicked:Urgences"].control_ids == ["AWA-PHISHING"]
    assert found["training:completion:Bloc"].control_ids == ["AWA-TRAINING"]
    assert found["training:completion-category:technical"].control_ids == ["AWA-IT-STAFF", "AWA-TRAINING"]
    clicked = found["phishing:clicked:Urgences"]
    assert "40" in clicked.title and "Urgences" in clicked.title
    assert clicked.evidence["title_en"].startswith("Urgences: 40")


def test_nothing_recent() -> None:
    old = facts(last_campaign=AS_OF - timedelta(days=400), last_training=None)
    assert {f.key: f.severity for f in awareness_findings(old)} == {
        "phishing:no-recent-campaign": Severity.MEDIUM,
        "training:no-recent-session": Severity.HIGH,
    }
    never = facts(last_campaign=None, last_campaign_name=None, latest={})
    assert "phishing:no-recent-campaign" in {f.key for f in awareness_findings(never)}


def test_good_results_give_no_finding() -> None:
    good = facts(
        latest={"Bon": Counts(10, 10, 5, 1, 0, 5)},
        completion={"Bon": Completion(10, 9)},
        categories={"technical": Completion(4, 0)},  # under 5 invited: not judged
    )
    assert awareness_findings(good) == []
