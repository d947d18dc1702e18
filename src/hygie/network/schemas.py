"""Pydantic shapes at the edges of the network domain: what importers produce, what the API shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hygie.network.intervals import parse_network
from hygie.network.models import FirewallFormat, ZoneKind
from hygie.network.reachability import Action
from hygie.network.services import parse_service

NAME = r"^[^\x00-\x1f]+$"


def _check_network(value: str) -> str:
    text = value.strip()
    parse_network(text)
    return text


class ZoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=NAME)
    kind: ZoneKind
    networks: list[str] = Field(default_factory=list)
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [_check_network(v) for v in value]


class ZoneFile(BaseModel):
    """The zone file (YAML): ``zones: [{name, kind, networks, description}]``."""

    model_config = ConfigDict(extra="forbid")

    zones: list[ZoneIn] = Field(max_length=5000)


class RuleIn(BaseModel):
    """A rule as an importer reads it. Sources and destinations: zone names or networks."""

    model_config = ConfigDict(extra="forbid")

    direction: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)
    action: Action
    sources: list[str] = Field(default_factory=list)
    destinations: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    src_negated: bool = False
    dst_negated: bool = False
    in_interface: str | None = Field(default=None, max_length=100)
    out_interface: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, max_length=2000)
    hit_count: int | None = Field(default=None, ge=0)
    disabled: bool = False
    origin: str | None = Field(default=None, max_length=600)
    owner: str | None = Field(default=None, max_length=200)
    expires: date | None = None  # the rule is to be removed or reviewed after this day (R18)
    log: bool | None = None  # the rule logs what it matches; None: the file does not say

    @field_validator("services")
    @classmethod
    def _services(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_service(item)
        return value

    @field_validator("sources", "destinations")
    @classmethod
    def _ends(cls, value: list[str]) -> list[str]:
        # a zone name is checked at analysis time (zones may be imported after the rules)
        return [_check_network(v) if v[:1].isdigit() else v.strip() for v in value]


class FirewallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=NAME)
    source_format: FirewallFormat
    interfaces: dict[str, str] = Field(default_factory=dict)
    policies: dict[str, Action] = Field(default_factory=dict)
    rules: list[RuleIn] = Field(default_factory=list)


class ZoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: ZoneKind
    networks: list[str]
    description: str | None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    direction: str
    position: int
    label: str
    action: Action
    sources: list[str]
    destinations: list[str]
    services: list[str]
    src_negated: bool
    dst_negated: bool
    in_interface: str | None
    out_interface: str | None
    comment: str | None
    hit_count: int | None
    disabled: bool
    origin: str | None
    owner: str | None = None
    expires: date | None = None
    log: bool | None = None


class FirewallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source_format: FirewallFormat
    file_name: str
    imported_at: datetime
    interfaces: dict[str, str]
    policies: dict[str, str]
    catalogue: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    rule_count: int = 0


class FlowOut(BaseModel):
    """One cell of the matrix: what ``source`` may open towards ``destination``."""

    source: str
    destination: str
    services: str
    rules: dict[str, str]


class UselessRuleOut(BaseModel):
    ruleset: str
    label: str
    kind: str
    by: list[str]


class ViolationOut(BaseModel):
    rule_id: str
    title: str
    severity: str
    source: str
    destination: str
    services: str
    allowed_by: dict[str, str]
    controls: list[str]


class MisplacementOut(BaseModel):
    """R26/R27: a network in no zone or in several, a medical device outside its zones."""

    rule_id: str
    title: str
    severity: str
    subject: str
    zones: list[str]
    detail: str
    fix: str
    controls: list[str]


class MatrixOut(BaseModel):
    zones: list[ZoneOut]
    flows: list[FlowOut]
    useless: list[UselessRuleOut]


class ExpiredRuleOut(BaseModel):
    """A permit past its expiration day (R18)."""

    firewall: str
    label: str
    expires: date
    owner: str | None
    origin: str | None


class CheckOut(BaseModel):
    violations: list[ViolationOut]
    exposures: list[dict[str, Any]]
    useless: list[UselessRuleOut]
    expired: list[ExpiredRuleOut] = Field(default_factory=list)
    findings: int
    misplacements: list[MisplacementOut] = Field(default_factory=list)


class FirewallImportOut(BaseModel):
    """What an upload of a firewall's configuration loaded, and the check computed after it."""

    firewall: str
    source_format: FirewallFormat
    file_name: str
    rules: int
    zones: list[str]  # the zones the firewall's rules let something reach or leave
    notes: list[str]
    check: CheckOut
