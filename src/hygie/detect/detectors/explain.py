"""Render a detector's explanation in the reader's language.

An explanation is stored on its alert as ``{"text": msgid, "params": {...}}``. Parameters are numbers
(written the language's way), text, or one of these small objects:

- ``{"hour": ISO time, "tz": zone}``: a local clock time (``9 h`` / ``9:00``);
- ``{"moment": ISO time, "tz": zone}``: a local date and time;
- ``{"weekday": 0-6}``: a weekday name (0 = Monday);
- ``{"weekdays": [0, ...]}``: abbreviated weekday names, joined;
- ``{"date": ISO date}``: a date;
- ``{"text": msgid, ...}``: a nested sentence, its other keys being its parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names

from hygie.core.formatting import fmt_number
from hygie.core.i18n import babel_locale, gettext


def _local(value: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(str(value.get("hour") or value.get("moment")))
    return moment.astimezone(ZoneInfo(str(value.get("tz") or "UTC")))


def _param(value: Any, lang: str) -> str:
    locale = babel_locale(lang)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return fmt_number(value, lang)
    if isinstance(value, float):
        return fmt_number(value, lang, 0 if value.is_integer() else 1)
    if isinstance(value, dict):
        if "hour" in value:
            local = _local(value)
            return f"{local.hour}\u00a0h" if lang == "fr" else f"{local.hour}:00"
        if "text" in value:
            return render(
                {"text": value["text"], "params": {k: v for k, v in value.items() if k != "text"}}, lang
            )
        if "date" in value:
            return format_date(date.fromisoformat(str(value["date"])), "long", locale=locale)
        if "moment" in value:
            return format_datetime(_local(value), "short", locale=locale)
        names = get_day_names("wide", locale=locale)
        if "weekday" in value:
            return str(names[int(value["weekday"])])
        if "weekdays" in value:
            return weekday_names(value["weekdays"], lang)
    return str(value)


def weekday_names(days: Iterable[int], lang: str) -> str:
    """Abbreviated names of weekdays (0 = Monday) in ``lang``, joined: "lun., mar., mer."."""
    short = get_day_names("abbreviated", locale=babel_locale(lang))
    return ", ".join(str(short[int(d)]) for d in days)


def render(explanation: dict[str, Any] | None, lang: str) -> str:
    """The explanation as a sentence in ``lang`` (empty when there is none)."""
    if not explanation or not explanation.get("text"):
        return ""
    params = {k: _param(v, lang) for k, v in (explanation.get("params") or {}).items()}
    text = gettext(str(explanation["text"]), lang)
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        return str(explanation["text"])
