"""Tables of the network domain: zones, firewalls with their ordered rules, and what a scan from
outside saw open.

Lifecycle. Zones are replaced as a whole by an import of the zone file (they are the map the rules
are read against). A firewall is created by the first import of its configuration and replaced by
each later one: its rules are deleted and written again in the file's order, in the same
transaction, so a rule set is always one file's. The exposure rows are replaced by each import of an
outside scan. Nothing here is derived: the matrix, the useless rules and the policy violations are
computed from these rows when asked (``hygie.network.reachability``), and violations are kept as
findings of the plan.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow
from hygie.network.reachability import Action


class ZoneKind(StrEnum):
    CLINICAL_WORKSTATIONS = "clinical_workstations"
    MEDICAL_DEVICES = "medical_devices"
    IMAGING = "imaging"
    LABORATORY = "laboratory"
    SERVERS = "servers"
    ADMINISTRATION = "administration"
    DMZ = "dmz"
    BACKUP = "backup"
    GUEST_WIFI = "guest_wifi"
    BUILDING_MANAGEMENT = "building_management"
    INTERNET = "internet"
    PARTNERS = "partners"
    OTHER = "other"


class FirewallFormat(StrEnum):
    IPTABLES = "iptables"
    NFTABLES = "nftables"
    PFSENSE = "pfsense"
    CSV = "csv"
    CISCO_IOS = "cisco-ios"
    CISCO_ASA = "cisco-asa"
    AERLEON = "aerleon"


class Zone(Base):
    """A network zone: its name, kind and networks (CIDRs). A zone of kind internet without
    networks holds every address no other zone holds."""

    __tablename__ = "network_zone"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ZoneKind] = mapped_column(EnumText(ZoneKind, 30))
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)


class Firewall(Base):
    """An enforcement point and the file its rules came from."""

    __tablename__ = "network_firewall"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(100))
    source_format: Mapped[FirewallFormat] = mapped_column(EnumText(FirewallFormat, 20))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    interfaces: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # interface → zone name
    policies: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # direction → default action
    # the networks and services a policy file (aerleon) defines: {"networks": {name: [cidr]}, "services": …}
    catalogue: Mapped[dict[str, dict[str, list[str]]]] = mapped_column(JSON, default=dict)

    rules: Mapped[list[Rule]] = relationship(
        back_populates="firewall", cascade="all, delete-orphan", order_by="Rule.direction, Rule.position"
    )


class Rule(Base):
    """One rule of a firewall, at its place in its direction (chain, interface): first match wins."""

    __tablename__ = "network_rule"
    __table_args__ = (UniqueConstraint("firewall_id", "direction", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firewall_id: Mapped[int] = mapped_column(ForeignKey("network_firewall.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))  # how findings and the matrix name the rule
    action: Mapped[Action] = mapped_column(EnumText(Action, 10))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)  # zones or networks; empty: any
    destinations: Mapped[list[str]] = mapped_column(JSON, default=list)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)  # "tcp/3389"…; empty: any
    src_negated: Mapped[bool] = mapped_column(Boolean, default=False)
    dst_negated: Mapped[bool] = mapped_column(Boolean, default=False)
    in_interface: Mapped[str | None] = mapped_column(String(100), default=None)
    out_interface: Mapped[str | None] = mapped_column(String(100), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    hit_count: Mapped[int | None] = mapped_column(Integer, default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str | None] = mapped_column(String(600), default=None)  # "file.rules:12"
    owner: Mapped[str | None] = mapped_column(String(200), default=None)
    expires: Mapped[date | None] = mapped_column(Date, default=None)  # an aerleon term's expiration (R18)
    # whether the rule logs what it matches (R19); None where the format or its reader does not say
    log: Mapped[bool | None] = mapped_column(Boolean, default=None)

    firewall: Mapped[Firewall] = relationship(back_populates="rules")


class ExposedPort(Base):
    """A port a scan taken from outside found open."""

    __tablename__ = "network_exposed_port"

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    address: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str | None] = mapped_column(String(255), default=None)
    protocol: Mapped[str] = mapped_column(String(10))
    port: Mapped[int] = mapped_column(Integer)
    service: Mapped[str | None] = mapped_column(String(100), default=None)
    product: Mapped[str | None] = mapped_column(String(200), default=None)
    file_name: Mapped[str] = mapped_column(String(500))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
