"""FINESS numbers: nine characters, a département prefix and a Luhn check digit."""

from __future__ import annotations

import re

_FORMAT = re.compile(r"^(\d{2}|2A|2B)\d{6}\d$")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def finess_problem(number: str) -> str | None:
    """Why ``number`` is not a valid FINESS number, or None when it is."""
    if not _FORMAT.match(number):
        return "a FINESS number has 9 characters: a département (2 digits, 2A or 2B) then 7 digits"
    if number[:2] in {"2A", "2B"}:
        # Corsican numbers: how the letters enter the key is not published with the format; we
        # check the format only rather than reject valid numbers.
        return None
    if not luhn_valid(number):
        return "the check digit (Luhn key, 9th digit) does not match"
    return None
