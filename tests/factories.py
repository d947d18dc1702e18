"""Factories shared by the domains' tests."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from hygie.org import service as org_service
from hygie.org.models import Establishment, EstablishmentKind
from hygie.org.schemas import EstablishmentIn

_serial = count(1)


def valid_finess(prefix: str = "75") -> str:
    """A FINESS number with a correct Luhn key, different at each call."""
    body = f"{prefix}{next(_serial):06d}"
    for key in range(10):
        candidate = f"{body}{key}"
        from hygie.org.finess import luhn_valid

        if luhn_valid(candidate):
            return candidate
    raise AssertionError("unreachable: one key always fits")


def make_establishment(session: Session, **overrides: object) -> Establishment:
    values: dict[str, object] = {
        "name": f"Centre hospitalier {next(_serial)}",
        "finess": valid_finess(),
        "kind": EstablishmentKind.CH,
        "beds": 400,
        "staff": 1800,
        "annual_budget": 180_000_000,
        "it_budget": 3_600_000,
    }
    values.update(overrides)
    return org_service.create_establishment(session, EstablishmentIn.model_validate(values))
