"""A small library built in code, so that every expected score can be computed by hand.

Controls (weight, target, essential rank):

    GOV-A governance        w2 t3 rank 2     GOV-B governance   w1 t4
    TEC-A technical         w3 t3 rank 1     TEC-B technical    w1 t2
    AWA-A awareness         w1 t3            AWA-B awareness    w2 t2
    CON-A continuity        w2 t4 rank 3     INC-A incident     w1 t3

``ref-one`` (tiers S and R) and ``ref-two`` (no tier) both map TEC-A and CON-A.
"""

from __future__ import annotations

from typing import Any

from hygie.assess.schemas import AnswerIn, AnswerStatus, AnswerValue
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Control, Referential

CONTROLS: list[tuple[str, str, int, int, int | None]] = [
    ("GOV-A", "governance", 2, 3, 2),
    ("GOV-B", "governance", 1, 4, None),
    ("TEC-A", "technical", 3, 3, 1),
    ("TEC-B", "technical", 1, 2, None),
    ("AWA-A", "awareness", 1, 3, None),
    ("AWA-B", "awareness", 2, 2, None),
    ("CON-A", "continuity", 2, 4, 3),
    ("INC-A", "incident_response", 1, 3, None),
]


def _text(value: str) -> dict[str, str]:
    return {"fr": f"{value} (fr)", "en": f"{value} (en)"}


def control(control_id: str, dimension: str, weight: int, target: int, rank: int | None) -> Control:
    return Control.model_validate(
        {
            "id": control_id,
            "dimension": dimension,
            "title": _text(f"Title {control_id}"),
            "question": _text(f"Question {control_id}?"),
            "weight": weight,
            "target": target,
            "essential_rank": rank,
        }
    )


def _requirement(req_id: str, tiers: list[str], *mappings: tuple[str, str]) -> dict[str, Any]:
    return {
        "id": req_id,
        "title": _text(f"Requirement {req_id}"),
        "tiers": tiers,
        "mappings": [{"control": c, "relationship": r} for c, r in mappings],
    }


def referential(
    ref_id: str, requirements: list[dict[str, Any]], tiers: list[str] | None = None
) -> Referential:
    return Referential.model_validate(
        {
            "kind": "referential",
            "id": ref_id,
            "name": _text(f"Referential {ref_id}"),
            "short_name": ref_id.upper(),
            "version": "1",
            "provider": "test",
            "source": "https://example.org",
            "tiers": [{"id": t, "name": _text(t)} for t in tiers or []],
            "requirements": requirements,
        }
    )


REF_ONE = referential(
    "ref-one",
    [
        _requirement("R1", ["S"], ("GOV-A", "equal")),
        _requirement("R2", ["S"], ("TEC-A", "superset"), ("CON-A", "intersect")),
        _requirement("R3", ["R"], ("TEC-A", "equal"), ("CON-A", "intersect")),
        _requirement("R4", ["R"], ("TEC-B", "equal")),
        _requirement("R5", ["S", "R"], ("AWA-A", "equal")),
        _requirement("R6", ["R"], ("GOV-B", "subset")),
        _requirement("R7", ["S"], ("INC-A", "equal")),
        _requirement("R8", ["S"], ("AWA-B", "equal")),
    ],
    tiers=["S", "R"],
)
REF_TWO = referential(
    "ref-two",
    [
        _requirement("Q1", [], ("TEC-A", "equal")),
        _requirement("Q2", [], ("CON-A", "equal")),
    ],
)


def library() -> Library:
    return Library(
        controls={c[0]: control(*c) for c in CONTROLS},
        referentials={REF_ONE.id: REF_ONE, REF_TWO.id: REF_TWO},
    )


def lvl(level: int) -> AnswerValue:
    return AnswerValue.of_level(level)


ALT = AnswerValue(status=AnswerStatus.ALTERNATIVE)
NA = AnswerValue(status=AnswerStatus.NOT_APPLICABLE)
UNKNOWN = AnswerValue(status=AnswerStatus.UNKNOWN)

# The reference answers of the hand-computed cases.
ANSWERS: dict[str, AnswerValue] = {
    "GOV-A": lvl(2),
    "GOV-B": ALT,
    "TEC-A": lvl(3),
    "TEC-B": NA,
    "AWA-A": UNKNOWN,
    "AWA-B": lvl(0),
    "CON-A": lvl(1),
}


def answer(level: int | None = None, status: AnswerStatus | None = None, **extra: Any) -> AnswerIn:
    if status is None:
        status = AnswerStatus.LEVEL
    return AnswerIn(status=status, level=level, **extra)
