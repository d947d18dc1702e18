"""Translations: Babel catalogues (``hygie/locale/<lang>/LC_MESSAGES/messages.po``), French by default.

The catalogues are read from their ``.po`` source and compiled in memory on first use, so that a
checkout needs no build step. Message ids are English; ``fr`` translates every one of them.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
# The Babel locale used to format numbers, amounts and dates in each language.
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def normalise_language(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANGUAGE
    short = lang.split("-")[0].split("_")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return translations(normalise_language(lang)).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str = DEFAULT_LANGUAGE) -> str:
    return translations(normalise_language(lang)).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 -- the name gettext tools look for
    """Marks a message for extraction without translating it yet (translated where it is shown)."""
    return message


def babel_locale(lang: str | None) -> str:
    return BABEL_LOCALES[normalise_language(lang)]
