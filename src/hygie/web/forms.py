"""Values of the pages' plain forms (filters, amounts), read the same way on every page.

A form's empty field arrives as "": it means "not given".
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

import pydantic

from hygie.core.errors import ValidationError
from hygie.core.i18n import N_

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


# What a form field's refused value gets, by Pydantic's error type (msgids; %(limit)s from its context).
_PROBLEMS = {
    "missing": N_("Required."),
    "string_too_short": N_("Required."),
    "string_too_long": N_("At most %(limit)s characters."),
    "too_long": N_("Too many values (at most %(limit)s)."),
    "greater_than": N_("Must be more than %(limit)s."),
    "greater_than_equal": N_("Must be %(limit)s or more."),
    "less_than": N_("Must be less than %(limit)s."),
    "less_than_equal": N_("Must be %(limit)s or less."),
    "float_parsing": N_("Give a number."),
    "float_type": N_("Give a number."),
    "int_parsing": N_("Give a whole number."),
    "int_type": N_("Give a whole number."),
    "int_from_float": N_("Give a whole number."),
    "date_parsing": N_("Give the date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Give the date as YYYY-MM-DD."),
    "date_type": N_("Give the date as YYYY-MM-DD."),
    "enum": N_("Choose one of the values offered."),
    "literal_error": N_("Choose one of the values offered."),
    "bool_parsing": N_("Yes or no."),
}
_BLANK = "must not be blank"


def field_errors(exc: pydantic.ValidationError, translate: Callable[[str], str]) -> dict[str, str]:
    """Each refused field's first problem, in the page's language, keyed by the field's name (its
    first part: ``media.0`` → ``media``); a problem of the whole form is keyed ``""``."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        if name in errors:
            continue
        kind = error["type"]
        context = error.get("ctx") or {}
        limit = next((context[k] for k in ("max_length", "gt", "ge", "lt", "le") if k in context), "")
        if kind == "value_error" and _BLANK in str(error["msg"]):
            kind = "missing"
        message = _PROBLEMS.get(kind)
        if message is None:
            errors[name] = translate(N_("This value is not accepted.")) + f" ({error['msg']})"
        else:
            errors[name] = translate(message) % {"limit": _number(limit)}
    return errors


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def number_text(value: str) -> str:
    """A number typed the French way (``2,5``, ``1 000``) as Pydantic reads it; other text unchanged."""
    return value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
