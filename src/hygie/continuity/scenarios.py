"""The packaged library of hospital crisis-exercise scenarios (``scenarios.yaml``, French and English)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hygie.continuity.models import ExerciseKind
from hygie.core.errors import NotFoundError
from hygie.frameworks.schema import Text

SCENARIOS = Path(__file__).parent / "scenarios.yaml"


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    def get(self, lang: str) -> list[str]:
        return self.en if lang == "en" else self.fr


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: ExerciseKind
    title: Text
    summary: Text
    objectives: Texts
    injects: Texts


class _Library(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenarios: list[Scenario]


@lru_cache(maxsize=1)
def scenarios() -> tuple[Scenario, ...]:
    """Every packaged scenario, in the library's order."""
    with SCENARIOS.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return tuple(_Library.model_validate(data).scenarios)


def get_scenario(scenario_id: str) -> Scenario:
    for scenario in scenarios():
        if scenario.id == scenario_id:
            return scenario
    known = ", ".join(s.id for s in scenarios())
    raise NotFoundError(f"no scenario {scenario_id!r} in the library; known: {known}")
