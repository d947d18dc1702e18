"""Tables of awareness: training sessions and phishing simulation campaigns.

GDPR: no name and no e-mail address of a member of staff is stored. A training session holds its
invited and completed counts (a per-person CSV is counted on import); a phishing campaign holds one
row of counts per department (recipients, sent, opened, clicked, submitted, reported), made on
import from GoPhish's per-recipient results, which are read and then dropped. The price is that
repeat clickers across campaigns cannot be followed; the gain is that nothing here points at a person.

A campaign is keyed by its name in the establishment: importing it again replaces its counts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow

# The department of a recipient GoPhish gave no position for, and the mapping file does not know.
UNKNOWN_DEPARTMENT = ""


class TrainingFormat(StrEnum):
    E_LEARNING = "e_learning"
    CLASSROOM = "classroom"
    WEBINAR = "webinar"
    WORKSHOP = "workshop"
    OTHER = "other"


class StaffCategory(StrEnum):
    MEDICAL = "medical"
    NURSING = "nursing"
    ADMINISTRATIVE = "administrative"
    TECHNICAL = "technical"
    MANAGEMENT = "management"
    STUDENTS = "students"
    OTHER = "other"


class RecordSource(StrEnum):
    MANUAL = "manual"
    CSV = "csv"
    GOPHISH_CSV = "gophish_csv"
    GOPHISH_API = "gophish_api"


class TrainingSession(Base):
    """A training session for one department and one staff category, with how many were invited
    and how many completed it."""

    __tablename__ = "awareness_training"
    __table_args__ = (Index("ix_awareness_training_establishment_held", "establishment_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    format: Mapped[TrainingFormat] = mapped_column(EnumText(TrainingFormat, 20))
    department: Mapped[str] = mapped_column(String(120))
    staff_category: Mapped[StaffCategory] = mapped_column(EnumText(StaffCategory, 20))
    invited: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    source: Mapped[RecordSource] = mapped_column(EnumText(RecordSource, 20), default=RecordSource.MANUAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhishingCampaign(Base):
    """A phishing simulation, as GoPhish ran it; its results are counted per department."""

    __tablename__ = "awareness_phishing_campaign"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(200))
    launched_on: Mapped[date] = mapped_column(Date)
    source: Mapped[RecordSource] = mapped_column(EnumText(RecordSource, 20))
    gophish_id: Mapped[int | None] = mapped_column(Integer, default=None)
    file_name: Mapped[str | None] = mapped_column(String(200), default=None)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    departments: Mapped[list[PhishingDepartment]] = relationship(
        back_populates="campaign",
        cascade="all, delete-orphan",
        order_by="PhishingDepartment.department",
    )


class PhishingDepartment(Base):
    """The counts of one department in one campaign. Cumulative, as GoPhish's dashboard counts:
    a recipient who submitted data also opened and clicked. ``reported`` is apart from the rest."""

    __tablename__ = "awareness_phishing_department"
    __table_args__ = (UniqueConstraint("campaign_id", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("awareness_phishing_campaign.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(120))
    recipients: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)  # delivered: the sending errors and queued are not
    opened: Mapped[int] = mapped_column(Integer)
    clicked: Mapped[int] = mapped_column(Integer)
    submitted: Mapped[int] = mapped_column(Integer)
    reported: Mapped[int] = mapped_column(Integer)

    campaign: Mapped[PhishingCampaign] = relationship(back_populates="departments")
