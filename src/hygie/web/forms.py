"""Values of the pages' plain forms (filters, amounts), read the same way on every page.

A form's empty field arrives as "": it means "not given".
"""

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


def optional_number(value: str | None, field: str) -> float | None:
    """An amount typed the French way or not (``150 000``, ``2,5``): zero or more, finite, below 10^12."""
    if value is None or not value.strip():
        return None
    try:
        number = float(value.strip().replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except ValueError:
        raise ValidationError(f"{field}: not a number") from None
    if not 0 <= number < 1e12:  # also refuses NaN and infinity
        raise ValidationError(f"{field}: must be zero or more")
    return number


def upload_name(filename: str | None, fallback: str) -> str:
    """An uploaded file's own name, kept for the history: without any folder part, NUL, leading dot or
    unprintable character, at most 200 characters; ``fallback`` when nothing is left."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip().lstrip(".")
    return "".join(c if c.isprintable() else "_" for c in base)[-200:] or fallback
