"""Establishments and the groups (GHT) they belong to.

An establishment is created by its RSSI, then edited; it is never deleted while it has data,
since every other table points to it and filters by it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.core.db import Base, UTCDateTime
from hygie.core.time import utcnow


class EstablishmentKind(StrEnum):
    CHU = "chu"  # centre hospitalier universitaire / régional
    CH = "ch"  # centre hospitalier
    CHS = "chs"  # centre hospitalier spécialisé (psychiatrie)
    CLINIC = "clinic"  # clinique privée
    ESPIC = "espic"  # établissement de santé privé d'intérêt collectif
    CLCC = "clcc"  # centre de lutte contre le cancer
    SMR = "smr"  # soins médicaux et de réadaptation
    HAD = "had"  # hospitalisation à domicile
    DIALYSIS = "dialysis"
    EHPAD = "ehpad"
    LABORATORY = "laboratory"
    OTHER = "other"


class Group(Base):
    """A hospital group, in France a GHT (groupement hospitalier de territoire)."""

    __tablename__ = "org_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    establishments: Mapped[list[Establishment]] = relationship(back_populates="group")


class Establishment(Base):
    __tablename__ = "org_establishment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    finess: Mapped[str] = mapped_column(String(9), unique=True)
    kind: Mapped[EstablishmentKind] = mapped_column(String(20))
    beds: Mapped[int] = mapped_column(Integer, default=0)
    staff: Mapped[int] = mapped_column(Integer, default=0)
    # Euros per year. The budget stands for turnover in the NIS2 size test.
    annual_budget: Mapped[int] = mapped_column(BigInteger, default=0)
    it_budget: Mapped[int] = mapped_column(BigInteger, default=0)
    security_budget: Mapped[int | None] = mapped_column(BigInteger, default=None)
    balance_sheet_total: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Designated by the authorities (critical entity under the CER directive, or named by the State).
    nis2_designated: Mapped[bool] = mapped_column(default=False)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("org_group.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group | None] = relationship(back_populates="establishments")
