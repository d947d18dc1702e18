"""Numbers, amounts, percentages and dates written the way each language writes them (Babel).

French: ``12 345``, ``12 345 €``, ``72 %``, ``12 mars 2025``; English (en_GB): ``12,345``, ``€12,345``,
``72%``, ``12 March 2025``.
"""

from __future__ import annotations

import datetime as dt

from babel.core import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from hygie.core.i18n import babel_locale


def fmt_number(value: float | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=babel_locale(lang))


def fmt_days(value: float | None, lang: str) -> str:
    """Person-days: one decimal only when there is one (``15``, ``2,5``)."""
    if value is None:
        return "–"
    return format_decimal(round(value, 1), format="#,##0.#", locale=babel_locale(lang))


def fmt_euros(value: float | None, lang: str) -> str:
    """Whole euros: cents mean nothing in a security budget."""
    if value is None:
        return "–"
    locale = Locale.parse(babel_locale(lang))
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(round(value), "EUR", format=pattern, locale=locale, currency_digits=False)


def fmt_keuros(value: float | None, lang: str) -> str:
    """Thousands of euros with one decimal at most, for tight spots: ``12,5 k€`` / ``€12.5k``."""
    if value is None:
        return "–"
    thousands = format_decimal(round(value / 1000, 1), format="#,##0.#", locale=babel_locale(lang))
    symbol = get_currency_symbol("EUR", locale=babel_locale(lang))
    if lang == "en":
        return f"{symbol}{thousands}k"
    return f"{thousands}\u00a0k{symbol}"


def fmt_percent(value: float | None, lang: str, digits: int = 0) -> str:
    """``value`` is on a 0–100 scale."""
    if value is None:
        return "–"
    locale = Locale.parse(babel_locale(lang))
    pattern = locale.percent_formats[None].pattern  # "#,##0 %" in French, "#,##0%" in English
    if digits > 0:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits)
    return format_percent(value / 100, format=pattern, locale=locale)


def fmt_date(value: dt.date | None, lang: str, form: str = "long") -> str:
    if value is None:
        return "–"
    return format_date(value, format=form, locale=babel_locale(lang))
