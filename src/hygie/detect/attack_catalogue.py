"""The catalogue of ATT&CK techniques the detection coverage is measured against (a YAML file shipped in
the package, ``ransomware_techniques.yaml``): each technique with its tactic, why it matters for care, its
importance and the Sigma log sources that can show it. Validated with Pydantic at load; a bad file raises
ContentError naming the file, line and field."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hygie.core.errors import ContentError, Location
from hygie.core.i18n import N_
from hygie.frameworks.loader import located_error, node_at, parse_yaml
from hygie.frameworks.schema import Text

SHIPPED_CATALOGUE = Path(__file__).resolve().parent / "ransomware_techniques.yaml"

TACTICS: dict[str, str] = {
    "initial-access": N_("Initial access"),
    "execution": N_("Execution"),
    "persistence": N_("Persistence"),
    "privilege-escalation": N_("Privilege escalation"),
    "defense-evasion": N_("Defence evasion"),
    "credential-access": N_("Credential access"),
    "discovery": N_("Discovery"),
    "lateral-movement": N_("Lateral movement"),
    "collection": N_("Collection"),
    "command-and-control": N_("Command and control"),
    "exfiltration": N_("Exfiltration"),
    "impact": N_("Impact"),
}
"""ATT&CK's enterprise tactics a ransomware chain goes through, in kill-chain order (the matrix columns)."""

_NAME = r"^[a-z0-9][a-z0-9_-]*$"
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")


class Importance(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


WEIGHTS: dict[Importance, int] = {
    Importance.CRITICAL: 4,
    Importance.HIGH: 3,
    Importance.MEDIUM: 2,
    Importance.LOW: 1,
}
"""Weight of a technique in the coverage share: a critical technique counts four times a low one."""

IMPORTANCE_LABELS = {
    Importance.CRITICAL: N_("critical"),
    Importance.HIGH: N_("high"),
    Importance.MEDIUM: N_("medium"),
    Importance.LOW: N_("low"),
}


class LogSource(BaseModel):
    """A Sigma log source (product, category, service), or one of Hygie's own products."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str | None = Field(default=None, pattern=_NAME)
    category: str | None = Field(default=None, pattern=_NAME)
    service: str | None = Field(default=None, pattern=_NAME)

    @model_validator(mode="after")
    def _named(self) -> LogSource:
        if not (self.product or self.category or self.service):
            raise ValueError("a log source names a product, a category or a service")
        return self

    @property
    def label(self) -> str:
        """``windows/process_creation``, ``linux/sshd``, ``proxy``: how Sigma users write it."""
        return "/".join(part for part in (self.product, self.category, self.service) if part)


class Technique(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=TECHNIQUE_ID.pattern)
    tactic: str
    name: Text
    importance: Importance
    why: Text
    log_sources: list[LogSource] = Field(min_length=1)

    @field_validator("tactic")
    @classmethod
    def _known_tactic(cls, value: str) -> str:
        if value not in TACTICS:
            raise ValueError(f"unknown tactic {value!r} (expected one of {', '.join(TACTICS)})")
        return value

    @property
    def weight(self) -> int:
        return WEIGHTS[self.importance]

    def covered_by(self, technique: str) -> bool:
        """A rule tagged ``technique`` shows this one: the same id, or one of its sub-techniques."""
        technique = technique.upper()
        return technique == self.id or technique.startswith(self.id + ".")


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["attack-coverage"]
    id: str = Field(pattern=_NAME)
    title: Text
    techniques: list[Technique] = Field(min_length=1)

    def by_id(self) -> dict[str, Technique]:
        return {t.id: t for t in self.techniques}


def load_catalogue(path: Path) -> Catalogue:
    """Read and check a catalogue file; the first problem raises ContentError with its line and field
    (the others are listed in the message), a technique listed twice names the second one's line."""
    data, node = parse_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(
            "a coverage catalogue is a mapping (kind, id, title, techniques)", Location(path, 1)
        )
    try:
        catalogue = Catalogue.model_validate(data)
    except pydantic.ValidationError as exc:
        raise located_error(path, node, exc) from exc
    seen: set[str] = set()
    for index, technique in enumerate(catalogue.techniques):
        if technique.id in seen:
            line = (
                node_at(node, ["techniques", index, "id"]).start_mark.line + 1 if node is not None else None
            )
            field = f"techniques.{index}.id"
            raise ContentError(f"technique {technique.id} is listed twice", Location(path, line, field))
        seen.add(technique.id)
    return catalogue


@cache
def shipped_catalogue() -> Catalogue:
    """The catalogue shipped with Hygie (read once per process)."""
    return load_catalogue(SHIPPED_CATALOGUE)
