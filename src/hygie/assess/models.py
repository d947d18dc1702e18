"""Tables of the maturity assessment: campaigns, their answers and the evidence behind them.

A campaign is created open for one establishment and one date, on the short path (essential
controls, small clinics) or the full one. Its answers are recorded one control at a time (or a
whole questionnaire at once from a workbook); answering a control again updates the answer and
moves ``answered_by``/``answered_at`` to the last change. A closed campaign is read-only: it is a
point on the establishment's trend line. Evidence files are stored once per establishment under
their SHA-256 (``evidence_dir/<establishment_id>/<sha256>``); the row keeps the original name.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.assess.schemas import AnswerStatus, CampaignPath, CampaignStatus, EvidenceKind
from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow


class Campaign(Base):
    __tablename__ = "assess_campaign"
    __table_args__ = (Index("ix_assess_campaign_establishment_date", "establishment_id", "assessed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date] = mapped_column(Date)
    path: Mapped[CampaignPath] = mapped_column(EnumText(CampaignPath, 10))
    status: Mapped[CampaignStatus] = mapped_column(EnumText(CampaignStatus, 10), default=CampaignStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The controls asked, fixed when the campaign opened (None: every control of the path, as it is now).
    control_ids: Mapped[list[str] | None] = mapped_column(JSON, default=None)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(Base):
    __tablename__ = "assess_answer"
    __table_args__ = (
        UniqueConstraint("campaign_id", "control_id"),
        CheckConstraint("level IS NULL OR (level >= 0 AND level <= 5)", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("assess_campaign.id", ondelete="CASCADE"))
    control_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[AnswerStatus] = mapped_column(EnumText(AnswerStatus, 20))
    level: Mapped[int | None] = mapped_column(Integer, default=None)
    justification: Mapped[str | None] = mapped_column(Text, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    answered_by: Mapped[str] = mapped_column(String(200))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="answers")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="Evidence.id"
    )


class Evidence(Base):
    """A link, or a file stored by content under the establishment's evidence folder."""

    __tablename__ = "assess_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("assess_answer.id", ondelete="CASCADE"), index=True)
    # Repeated from the campaign so that every read can filter by establishment directly.
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    kind: Mapped[EvidenceKind] = mapped_column(EnumText(EvidenceKind, 10))
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    size: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    content_type: Mapped[str | None] = mapped_column(String(200), default=None)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    answer: Mapped[Answer] = relationship(back_populates="evidence")
