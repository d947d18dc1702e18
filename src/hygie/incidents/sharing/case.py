"""What an export reads: a case as plain, validated values, free of the ORM.

The incidents service converts its case into a ``SharedCase``; the STIX, MISP and DFIR-IRIS writers
read nothing else. Indicator values are checked and put in one canonical form here, so that every
format carries the same value and a round trip gives back what went out.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hygie.core.time import UTCDatetime

# Fixed namespace of Hygie's export ids (uuid5): the same case always gets the same ids.
HYGIE_NAMESPACE = uuid.UUID("9d347063-1934-4c5f-8faf-e73add589f94")

MAX_VALUE_LENGTH = 8192
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEX = {"md5": 32, "sha1": 40, "sha256": 64}
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class Tlp(StrEnum):
    """TLP 2.0 (FIRST, 2022)."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


class IndicatorKind(StrEnum):
    IPV4 = "ip-v4"
    IPV6 = "ip-v6"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    EMAIL = "email"
    ACCOUNT = "account"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Determination(StrEnum):
    """incident-determination-enum of the OASIS incident core extension 2.0."""

    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    BLOCKED = "blocked"
    FAILED_ATTEMPT = "failed-attempt"
    FALSE_POSITIVE = "false-positive"


def _domain(value: str) -> str:
    name = value.rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("not a domain name") from exc
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not a domain name")
    return name


def canonical_value(kind: IndicatorKind, value: str) -> str:
    """The value in its canonical form for ``kind``, or ValueError saying why it is not one."""
    value = value.strip()
    if not value:
        raise ValueError("empty value")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"longer than {MAX_VALUE_LENGTH} characters")
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    if kind in (IndicatorKind.IPV4, IndicatorKind.IPV6):
        try:
            network = ipaddress.ip_network(value, strict=False) if "/" in value else None
            address = network or ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError("not an IP address or network") from exc
        if address.version != (4 if kind is IndicatorKind.IPV4 else 6):
            raise ValueError(f"not an IPv{4 if kind is IndicatorKind.IPV4 else 6} address")
        return str(address)
    if kind.value in _HEX:
        if not re.fullmatch(rf"[0-9a-fA-F]{{{_HEX[kind.value]}}}", value):
            raise ValueError(f"not a {kind.value.upper()} hash ({_HEX[kind.value]} hexadecimal digits)")
        return value.lower()
    if kind is IndicatorKind.DOMAIN:
        return _domain(value)
    if kind is IndicatorKind.URL:
        parts = urlsplit(value)
        if not parts.scheme or not parts.netloc or " " in value:
            raise ValueError("not an absolute URL")
        return value
    if kind is IndicatorKind.EMAIL:
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        local, domain = value.rsplit("@", 1)
        return f"{local}@{_domain(domain)}"
    return value  # account: any login, as written


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indicator(_Frozen):
    kind: IndicatorKind
    value: str
    first_seen: UTCDatetime | None = None
    comment: str = ""

    @field_validator("value")
    @classmethod
    def _canonical(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return canonical_value(kind, value) if isinstance(kind, IndicatorKind) else value

    @property
    def key(self) -> tuple[IndicatorKind, str]:
        return (self.kind, self.value)


Text = Annotated[str, Field(min_length=1)]


class TimelineEntry(_Frozen):
    time: UTCDatetime
    text: Text


class SharedCase(_Frozen):
    """A case as it may leave the hospital. ``id`` is the case's id in Hygie."""

    id: Text
    title: Text
    description: str = ""
    category: str = ""
    severity: Severity
    status: str
    detected_at: UTCDatetime
    started_at: UTCDatetime | None = None
    closed_at: UTCDatetime | None = None
    updated_at: UTCDatetime | None = None
    establishment_name: Text
    establishment_finess: str | None = None
    care_services: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    tlp: Tlp = Tlp.AMBER
    determination: Determination = Determination.SUSPECTED

    @field_validator("establishment_finess")
    @classmethod
    def _finess(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"(?:[0-9]{2}|2[AB])[0-9]{7}", value):
            raise ValueError("a FINESS number has 9 characters (2A/2B for Corsica)")
        return value

    @property
    def establishment_key(self) -> str:
        return self.establishment_finess or self.establishment_name

    def uuid_for(self, *parts: str) -> str:
        """A stable uuid5 for one object of this case: the establishment, the case id and ``parts``
        (two hospitals' case 1 never share an id)."""
        return str(uuid.uuid5(HYGIE_NAMESPACE, "/".join(("case", self.establishment_key, self.id, *parts))))

    def establishment_uuid(self) -> str:
        return str(uuid.uuid5(HYGIE_NAMESPACE, f"establishment/{self.establishment_key}"))

    @property
    def last_change(self) -> datetime:
        """``updated_at``, else the latest time the case records: the ``modified`` of its exports."""
        if self.updated_at is not None:
            return self.updated_at
        times = [self.detected_at, *(t.time for t in self.timeline)]
        times += [t for t in (self.started_at, self.closed_at) if t is not None]
        return max(times)

    @property
    def investigation_status(self) -> str:
        """incident-investigation-ov: new, open or closed."""
        if self.closed_at is not None:
            return "closed"
        return "new" if self.status.lower() == "new" else "open"

    def unique_timeline(self) -> list[TimelineEntry]:
        """The timeline in time order, each (time, text) once."""
        return sorted(set(self.timeline), key=lambda entry: (entry.time, entry.text))

    def unique_indicators(self) -> list[Indicator]:
        """The indicators, each (kind, value) once, in the order of the case."""
        seen: set[tuple[IndicatorKind, str]] = set()
        unique = []
        for indicator in self.indicators:
            if indicator.key not in seen:
                seen.add(indicator.key)
                unique.append(indicator)
        return unique
