"""The Jinja2 environment of the reports: autoescape, gettext in the reader's language, locale filters.

One environment per language (cached): ``jinja2.ext.i18n`` is installed with that language's
catalogue, so ``{{ _("Global index") }}`` and ``{% trans %}`` blocks translate, and the filters format
numbers, euros, percentages and dates the way that language writes them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hygie.core import formatting
from hygie.core.i18n import normalise_language, translations
from hygie.reports import vocabulary

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=4)
def environment(lang: str) -> Environment:
    lang = normalise_language(lang)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html", "svg", "xml"), default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.filters.update(
        number=lambda value, digits=0: formatting.fmt_number(value, lang, digits),
        days=lambda value: formatting.fmt_days(value, lang),
        euros=lambda value: formatting.fmt_euros(value, lang),
        keuros=lambda value: formatting.fmt_keuros(value, lang),
        percent=lambda value, digits=0: formatting.fmt_percent(value, lang, digits),
        date=lambda value, form="long": formatting.fmt_date(value, lang, form),
        label=lambda value: vocabulary.label(value, lang),
        kind=lambda value: vocabulary.kind_label(value, lang),
        path=lambda value: vocabulary.path_label(value, lang),
    )
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return (STATIC_DIR / "report.css").read_text(encoding="utf-8")
