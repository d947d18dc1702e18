"""Values of the pages' plain GET forms (filters), read the same way on every page."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from hygie.core.errors import ValidationError

E = TypeVar("E", bound=StrEnum)


def enum_choice(kind: type[E], value: str, field: str) -> E | None:
    """A filter's value: empty means "any"; anything else must be one of the enum's values."""
    if not value.strip():
        return None
    try:
        return kind(value.strip())
    except ValueError:
        raise ValidationError(f"{field}: unknown value {value!r}") from None
