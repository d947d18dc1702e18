"""Pydantic shapes of the incidents at the edges (CLI, API, pages, the sharing exports)."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hygie.core.time import UTCDatetime
from hygie.incidents.clocks import ClockStatus
from hygie.incidents.models import (
    Answer,
    CareService,
    CaseStatus,
    Category,
    ClockKind,
    EntryKind,
    IndicatorKind,
    Severity,
)
from hygie.plan.models import Severity as FindingSeverity

TLP_LABELS = ("clear", "green", "amber", "amber+strict", "red")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+$")
_HASH_LENGTHS = {IndicatorKind.MD5: 32, IndicatorKind.SHA1: 40, IndicatorKind.SHA256: 64}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refang(value: str) -> str:
    """Indicators are often pasted "defanged" (hxxp://, example[.]org): brought back to their value."""
    value = value.strip()
    for old, new in (("[.]", "."), ("(.)", "."), ("[dot]", "."), ("[:]", ":"), ("[@]", "@"), ("[at]", "@")):
        value = value.replace(old, new)
    return re.sub(r"^hxxp", "http", value, flags=re.IGNORECASE)


def guess_kind(value: str) -> IndicatorKind:
    """The kind of an indicator typed without one: an address, a hash by its length, a URL, an
    e-mail address, a domain name; anything else is an account name."""
    value = refang(value)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return IndicatorKind.IPV4 if address.version == 4 else IndicatorKind.IPV6
    if re.fullmatch(r"[0-9a-fA-F]+", value):
        for kind, length in _HASH_LENGTHS.items():
            if len(value) == length:
                return kind
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, flags=re.IGNORECASE):
        return IndicatorKind.URL
    if _EMAIL.match(value) and _DOMAIN.match(value.rsplit("@", 1)[1].lower()):
        return IndicatorKind.EMAIL
    if _DOMAIN.match(value.lower()):
        return IndicatorKind.DOMAIN
    return IndicatorKind.ACCOUNT


def normalise_indicator(kind: IndicatorKind, value: str) -> str:
    """The indicator's value checked for its kind and written one way; ValueError says what is wrong."""
    value = refang(value)
    if not value or _CONTROL.search(value):
        raise ValueError("an indicator needs a value without control characters")
    if kind in (IndicatorKind.IPV4, IndicatorKind.IPV6):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value[:60]!r} is not an IP address") from None
        if (address.version == 4) != (kind == IndicatorKind.IPV4):
            raise ValueError(f"{value[:60]!r} is not an {kind.value} address")
        return str(address)
    if kind in _HASH_LENGTHS:
        if not re.fullmatch(rf"[0-9a-fA-F]{{{_HASH_LENGTHS[kind]}}}", value):
            raise ValueError(f"{kind.value} is {_HASH_LENGTHS[kind]} hexadecimal characters")
        return value.lower()
    if kind == IndicatorKind.DOMAIN:
        if not _DOMAIN.match(value.lower().rstrip(".")):
            raise ValueError(f"{value[:60]!r} is not a domain name")
        return value.lower().rstrip(".")
    if kind == IndicatorKind.URL:
        if not re.match(r"^[a-z][a-z0-9+.-]*://[^\s/]+", value, flags=re.IGNORECASE) or re.search(
            r"\s", value
        ):
            raise ValueError(f"{value[:60]!r} is not a URL (scheme://host...)")
        if len(value) > 2000:
            raise ValueError("a URL indicator is limited to 2000 characters")
        return value
    if kind == IndicatorKind.EMAIL:
        if not _EMAIL.match(value) or not _DOMAIN.match(value.rsplit("@", 1)[1].lower()):
            raise ValueError(f"{value[:60]!r} is not an e-mail address")
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    if len(value) > 300:
        raise ValueError("an account name is limited to 300 characters")
    return value


def check_tlp(value: str) -> str:
    value = value.strip().lower().removeprefix("tlp:")
    if value not in TLP_LABELS:
        raise ValueError(f"TLP is one of {', '.join(TLP_LABELS)}")
    return value


def check_refs(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v.strip()]
    if any(len(v) > 200 or _CONTROL.search(v) for v in cleaned):
        raise ValueError("an alert reference is one line of 200 characters at most")
    return list(dict.fromkeys(cleaned))


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    category: Category
    severity: Severity
    detected_at: UTCDatetime
    aware_at: UTCDatetime | None = None  # the detection time when not given
    started_at: UTCDatetime | None = None
    description: str = Field(default="", max_length=20_000)
    care_services: list[CareService] = Field(default_factory=list)
    asset_ids: list[int] = Field(default_factory=list, max_length=500)
    alert_refs: list[str] = Field(default_factory=list, max_length=100)
    patient_data: Answer = Answer.UNKNOWN
    persons_affected: int | None = Field(default=None, ge=0)
    high_risk_to_persons: Answer = Answer.UNKNOWN
    significant: Answer = Answer.UNKNOWN
    malicious: Answer = Answer.UNKNOWN
    cross_border: Answer = Answer.UNKNOWN
    care_impact: str = Field(default="", max_length=20_000)
    measures: str = Field(default="", max_length=20_000)
    root_cause: str = Field(default="", max_length=20_000)
    tlp: str = "amber"

    @field_validator("tlp")
    @classmethod
    def _tlp(cls, value: str) -> str:
        return check_tlp(value)

    @field_validator("alert_refs")
    @classmethod
    def _refs(cls, values: list[str]) -> list[str]:
        return check_refs(values)


class CaseUpdate(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    category: Category | None = None
    severity: Severity | None = None
    status: CaseStatus | None = None
    detected_at: UTCDatetime | None = None
    aware_at: UTCDatetime | None = None
    started_at: UTCDatetime | None = None
    description: str | None = Field(default=None, max_length=20_000)
    care_services: list[CareService] | None = None
    asset_ids: list[int] | None = Field(default=None, max_length=500)
    alert_refs: list[str] | None = Field(default=None, max_length=100)
    patient_data: Answer | None = None
    persons_affected: int | None = Field(default=None, ge=0)
    high_risk_to_persons: Answer | None = None
    significant: Answer | None = None
    malicious: Answer | None = None
    cross_border: Answer | None = None
    care_impact: str | None = Field(default=None, max_length=20_000)
    measures: str | None = Field(default=None, max_length=20_000)
    root_cause: str | None = Field(default=None, max_length=20_000)
    tlp: str | None = None

    @field_validator("tlp")
    @classmethod
    def _tlp(cls, value: str | None) -> str | None:
        return None if value is None else check_tlp(value)

    @field_validator("alert_refs")
    @classmethod
    def _refs(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else check_refs(values)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    kind: EntryKind = EntryKind.NOTE
    at: UTCDatetime | None = None  # now when not given


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    owner: str = Field(min_length=1, max_length=100)
    due_at: UTCDatetime | None = None


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=2000)
    kind: IndicatorKind | None = None  # guessed from the value when not given
    comment: str = Field(default="", max_length=500)


class SentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sent_at: UTCDatetime | None = None  # now when not given
    reference: str = Field(default="", max_length=200)


class RequestIn(BaseModel):
    """An authority asks for an intermediate report by ``due_at``."""

    model_config = ConfigDict(extra="forbid")

    due_at: UTCDatetime
    requested_at: UTCDatetime | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what_happened: str = Field(default="", max_length=20_000)
    what_worked: str = Field(default="", max_length=20_000)
    what_failed: str = Field(default="", max_length=20_000)


class ConclusionIn(BaseModel):
    """A conclusion of the review: with an owner and a due date it becomes an action of the plan;
    with controls it becomes a finding on them."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    control_ids: list[str] = Field(default_factory=list, max_length=50)
    owner: str | None = Field(default=None, max_length=100)
    due_date: date | None = None
    severity: FindingSeverity | None = None  # of the finding; from the incident's when not given


class DeadlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clock: ClockKind
    hours: int = Field(ge=1, le=24 * 31)
    note: str = Field(default="", max_length=500)


# --- Out ---------------------------------------------------------------------------------------


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    author: str
    kind: EntryKind
    text: str


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    owner: str
    due_at: datetime | None
    done: bool
    done_at: datetime | None


class IndicatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: IndicatorKind
    value: str
    comment: str
    added_by: str
    added_at: datetime


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    size: int
    sha256: str
    content_type: str
    added_by: str
    added_at: datetime


class ConclusionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    control_ids: list[str]
    owner: str | None
    due_date: date | None
    plan_action_id: int | None
    finding_key: str | None


class ClockOut(BaseModel):
    """A clock in the reader's language (deadline in UTC; ``deadline_local`` in Europe/Paris)."""

    kind: ClockKind
    title: str
    authority: str
    basis: str
    status: ClockStatus
    deadline: datetime | None
    deadline_local: datetime | None
    remaining_seconds: int | None
    sent_at: datetime | None
    missing: list[str]
    assumption: str


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    establishment_id: int
    title: str
    category: Category
    severity: Severity
    status: CaseStatus
    detected_at: datetime
    started_at: datetime | None
    aware_at: datetime
    closed_at: datetime | None
    care_services: list[str]
    created_by: str
    created_at: datetime


class CaseDetail(CaseOut):
    description: str
    asset_ids: list[int]
    alert_refs: list[str]
    patient_data: Answer
    persons_affected: int | None
    high_risk_to_persons: Answer
    significant: Answer
    malicious: Answer
    cross_border: Answer
    care_impact: str
    measures: str
    root_cause: str
    tlp: str
    review_what_happened: str
    review_what_worked: str
    review_what_failed: str
    entries: list[EntryOut]
    tasks: list[TaskOut]
    indicators: list[IndicatorOut]
    evidence: list[EvidenceOut]
    conclusions: list[ConclusionOut]
    clocks: list[ClockOut] = Field(default_factory=list)


class AssetRef(BaseModel):
    id: int
    name: str
    hostname: str | None = None
    ips: list[str] = Field(default_factory=list)


class CaseExport(BaseModel):
    """Everything the sharing formats (STIX, MISP, DFIR-IRIS) need, read once from the database.

    ``hygie.incidents.service.export_data`` builds it; the exporters take it and nothing else.
    """

    establishment_id: int
    establishment_name: str
    finess: str
    case: CaseDetail
    assets: list[AssetRef]
    reports_sent: dict[str, datetime]
    extra: dict[str, Any] = Field(default_factory=dict)


class UnreadOut(BaseModel):
    """An entry of an imported file that was not taken, and why."""

    ref: str
    text: str
    reason: str


class IndicatorImportOut(BaseModel):
    """What an import of indicators did."""

    source: str
    added: int
    duplicates: int
    unread: list[UnreadOut]
