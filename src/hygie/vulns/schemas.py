"""Shapes of the audit's results at the API's edge (pages read the same objects)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind
from hygie.vulns.ssvc import Priority


class VulnResultOut(BaseModel):
    """One CVE, medical advisory or end of life found on one asset."""

    id: int
    asset_id: int
    asset_name: str
    kind: ResultKind
    cve_id: str | None
    advisory_id: str | None
    eol_product: str | None
    eol_cycle: str | None
    eol_date: date | None
    basis: MatchBasis = Field(description="How it was matched: NVD configuration, purl, CSAF, end of life")
    status: MatchStatus
    component: str | None = Field(description="The CPE, package URL or product that matched")
    version: str | None
    priority: Priority = Field(description="SSVC outcome, raised one level for an asset the internet reaches")
    kev: bool = Field(description="In CISA's catalogue of vulnerabilities exploited in the wild")
    epss: float | None = Field(description="Probability of exploitation in the next 30 days (0 to 1)")
    cvss3: float | None
    cvss4: float | None
    actions: list[str] = Field(description="What to do, as codes: patch, isolate, ask_maker …")
    snapshot_id: str | None = Field(description="The feed snapshot of the scan that found it")
    first_seen: datetime
    last_seen: datetime


class ActionOut(BaseModel):
    code: str
    text: str


class FindingRef(BaseModel):
    """The result's weakness in the action plan."""

    id: int
    status: str
    severity: str
    due: date | None = Field(description="First seen plus the priority's deadline")
    control_ids: list[str]


class KevOut(BaseModel):
    date_added: date | None
    due_date: date | None
    ransomware: bool
    required_action: str | None


class VulnResultDetail(VulnResultOut):
    """A result with why it is there and why it has its priority."""

    explanation: dict[str, Any] = Field(description="Match details, SSVC decision points, scores")
    sentences: list[str] = Field(description="The same decision told step by step, in the asked language")
    action_texts: list[ActionOut]
    compensating: bool = Field(description="A medical device the establishment cannot patch itself")
    kev_entry: KevOut | None = Field(description="The KEV catalogue's entry in the current snapshot")
    finding: FindingRef | None


class ScanOut(BaseModel):
    """What a scan did."""

    establishment_id: int
    snapshot_id: str | None
    assets: int
    results: int
    new: int
    gone: int
    by_priority: dict[str, int]
    needs_review: int
