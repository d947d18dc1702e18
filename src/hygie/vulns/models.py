"""The results of the vulnerability and obsolescence audit of an establishment.

Lifecycle. ``service.scan`` replaces the establishment's rows with what the current feed snapshot and
inventory (scanner findings included) give, in one transaction: a result found again keeps its id
and ``first_seen`` (same key: asset + CVE, advisory, end-of-life cycle or scanner check) and gets a
new ``last_seen``; a result no longer found is deleted here and its finding resolved in the plan.
Triage decisions live on the finding, not here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow
from hygie.vulns.ssvc import Priority


class ResultKind(StrEnum):
    CVE = "cve"
    ADVISORY = "advisory"  # a medical advisory without a CVE
    EOL = "eol"
    SCANNER = "scanner"  # a check of a vulnerability scanner (OpenVAS) that names no CVE


class MatchStatus(StrEnum):
    AFFECTED = "affected"
    NEEDS_REVIEW = "needs_review"  # the data cannot decide (version not comparable, platform unknown)


class MatchBasis(StrEnum):
    NVD = "nvd"  # an NVD configuration matched the asset's CPEs
    PURL = "purl"  # same, through the CPE a package URL names
    CSAF = "csaf"  # a CISA medical advisory's product tree (maker, model, firmware)
    EOL = "eol"  # endoflife.date release cycle
    MAKER = "maker"  # the maker's end-of-support date in the inventory
    SCANNER = "scanner"  # a vulnerability scanner found it on the asset (OpenVAS report)


class VulnResult(Base):
    """One CVE, medical advisory, end of life or scanner check that touches one asset."""

    __tablename__ = "vulns_result"
    # priority: the SSVC outcome (hygie.vulns.ssvc.Priority), raised by internet exposure.
    __table_args__ = (
        UniqueConstraint("establishment_id", "key"),
        Index("ix_vulns_result_establishment_priority", "establishment_id", "priority"),
        Index("ix_vulns_result_asset", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ResultKind] = mapped_column(EnumText(ResultKind, 10))
    cve_id: Mapped[str | None] = mapped_column(String(30), default=None)
    advisory_id: Mapped[str | None] = mapped_column(String(40), default=None)
    nvt_oid: Mapped[str | None] = mapped_column(String(100), default=None)  # a scanner check's
    eol_product: Mapped[str | None] = mapped_column(String(100), default=None)
    eol_cycle: Mapped[str | None] = mapped_column(String(100), default=None)
    eol_date: Mapped[date | None] = mapped_column(Date, default=None)
    basis: Mapped[MatchBasis] = mapped_column(EnumText(MatchBasis, 10))
    status: Mapped[MatchStatus] = mapped_column(EnumText(MatchStatus, 15))
    component: Mapped[str | None] = mapped_column(String(500), default=None)  # CPE, purl or product
    version: Mapped[str | None] = mapped_column(String(200), default=None)
    priority: Mapped[Priority] = mapped_column(EnumText(Priority, 10))
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    epss: Mapped[float | None] = mapped_column(Float, default=None)
    cvss3: Mapped[float | None] = mapped_column(Float, default=None)
    cvss4: Mapped[float | None] = mapped_column(Float, default=None)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    snapshot_id: Mapped[str | None] = mapped_column(String(40), default=None)  # the feeds it came from
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
