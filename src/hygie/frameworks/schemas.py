"""Shapes the frameworks service returns (CLI, API, reports).

Not to be confused with ``schema.py``, which is the format of the library files themselves.
"""

from __future__ import annotations

from pydantic import BaseModel

from hygie.frameworks.schema import Dimension, Relationship, Section, Text, Tier


class ControlSummary(BaseModel):
    id: str
    dimension: Dimension
    title: Text
    question: Text
    description: Text | None = None
    weight: int
    target: int
    essential_rank: int | None = None
    origin: str  # "shipped", or the name of the user file that brings it
    referentials: list[str]  # ids of the referentials that map onto it


class MappedControl(BaseModel):
    control: str
    relationship: Relationship
    full: bool  # fulfilling the control alone fulfils the requirement (equal or subset)
    dimension: Dimension
    title: Text


class RequirementDetail(BaseModel):
    id: str
    section: str | None
    title: Text
    description: Text | None = None
    tiers: list[str]
    unverified: bool
    mappings: list[MappedControl]


class ReferentialSummary(BaseModel):
    id: str
    name: Text
    short_name: str
    version: str
    provider: str
    source: str
    origin: str  # "shipped", or the path of the user file
    requirement_count: int
    unverified_count: int
    tiers: list[Tier]
    sections: list[Section]
    mapped_controls: list[str]  # sorted ids of every control its requirements map onto


class ReferentialDetail(ReferentialSummary):
    description: Text | None = None
    own_controls: list[ControlSummary]
    requirements: list[RequirementDetail]


class ImportResult(BaseModel):
    referential_id: str
    path: str
    requirement_count: int
    section_count: int
    tier_count: int
    aligned_on: str | None
    aligned_count: int
    own_control_count: int
    replaced: bool
