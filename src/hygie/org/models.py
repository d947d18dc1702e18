"""Establishments and the groups (GHT) they belong to.

An establishment is created by its RSSI, then edited; it is never deleted while it has data,
since every other table points to it and filters by it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.core.db import Base, EnumText, UTCDateTime
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
    kind: Mapped[EstablishmentKind] = mapped_column(EnumText(EstablishmentKind, 20))
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


# --- Accounts, roles, sessions, API tokens and the audit trail --------------------------------------


class Role(StrEnum):
    """What a user may do in an establishment (or in every establishment of a group)."""

    ADMIN = "admin"
    RSSI = "rssi"
    TECHNICIAN = "technician"
    MANAGEMENT = "management"
    AUDITOR = "auditor"


class MembershipSource(StrEnum):
    LOCAL = "local"  # granted in Hygie (CLI, web)
    OIDC = "oidc"  # derived from the identity provider's claims at each login, replaced each time


class User(Base):
    """A person who signs in. Never deleted (the audit trail names it): deactivated instead.

    The e-mail is stored lower-cased, which makes it unique whatever the case typed. The TOTP
    secret is stored as is: checking a code needs the shared key itself (HMAC), so it cannot be
    hashed like a password; the database and its backups must be protected accordingly.
    """

    __tablename__ = "org_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # None for accounts that only sign in through OIDC.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Bumped by "log out everywhere": every session carrying an older version is dead.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # "issuer|subject" of the OIDC identity linked to this account, if any.
    oidc_identity: Mapped[str | None] = mapped_column(String(500), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Membership(Base):
    """A role of a user in one establishment, or in every establishment of a group (GHT)."""

    __tablename__ = "org_membership"
    __table_args__ = (
        CheckConstraint(
            "(establishment_id IS NULL) <> (group_id IS NULL)", name="one_of_establishment_or_group"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id", ondelete="CASCADE"), index=True)
    establishment_id: Mapped[int | None] = mapped_column(ForeignKey("org_establishment.id"), default=None)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("org_group.id"), default=None)
    role: Mapped[Role] = mapped_column(EnumText(Role, 20))
    source: Mapped[MembershipSource] = mapped_column(
        EnumText(MembershipSource, 10), default=MembershipSource.LOCAL
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """A single-use second-factor code, kept as its SHA-256 (the codes are random, 50 bits)."""

    __tablename__ = "org_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ApiToken(Base):
    """A token for scripts. Only its SHA-256 is stored; the token is shown once, at creation."""

    __tablename__ = "org_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LoginAttempt(Base):
    """One failed sign-in, for the rate limit shared by every process (a sliding window).

    The e-mail is kept as a SHA-256 so that the table holds no address typed by mistake.
    Rows older than the longest window are pruned as new ones arrive.
    """

    __tablename__ = "org_login_attempt"
    __table_args__ = (
        Index("ix_org_login_attempt_ip_at", "ip", "at"),
        Index("ix_org_login_attempt_email_hash_at", "email_hash", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(45))
    email_hash: Mapped[str] = mapped_column(String(64))


class UserSession(Base):
    """A web session, kept server-side; the cookie carries a random token whose SHA-256 is the key."""

    __tablename__ = "org_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    session_version: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditEntry(Base):
    """One line of the audit trail: append-only, each entry chained to the previous one by hash.

    ``id`` is given by the writer (the head's last id + 1), not by the database, because it is
    part of the hashed content: a gap, a swap or a rewrite breaks the chain.
    """

    __tablename__ = "org_audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))  # "user:<id>" or "cli:<os user>"
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # No foreign key: the trail outlives what it describes and must never block nor cascade.
    establishment_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row naming the last entry: locked while appending, and it shows a cut tail."""

    __tablename__ = "org_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
