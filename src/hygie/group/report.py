"""The group's report as a standalone HTML file or a PDF (WeasyPrint), French or English.

Drawn with the reports' environment (filters, gettext, the report stylesheet) and the reports'
own charts; the template is the group's (``templates/group_report/report.html``). Like the
maturity report, the PDF fetches nothing: only ``data:`` URLs are allowed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from hygie.core.i18n import gettext, normalise_language
from hygie.core.time import today
from hygie.group.schemas import GroupView
from hygie.group.table import side_by_side
from hygie.reports import charts
from hygie.reports.environment import TEMPLATES_DIR as REPORT_TEMPLATES
from hygie.reports.environment import environment as report_environment
from hygie.reports.environment import stylesheet
from hygie.reports.render import html_to_pdf
from hygie.reports.vocabulary import label

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
GROUP_CSS = Path(__file__).resolve().parent / "report.css"
TEMPLATE = "group_report/report.html"


@lru_cache(maxsize=4)
def environment(lang: str) -> Environment:
    """The reports' environment of ``lang`` (its filters and gettext), reading the group's templates
    first, then the reports' (their base and macros)."""
    base = report_environment(normalise_language(lang))
    return base.overlay(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES_DIR), FileSystemLoader(REPORT_TEMPLATES)])
    )


def median_radar(view: GroupView, lang: str) -> Markup | None:
    """The group's median on each dimension (the reports' radar; it escapes what it draws)."""
    if view.global_median is None:
        return None
    axes = [charts.RadarAxis(label(m.dimension, lang), m.median or 0.0) for m in view.medians]
    svg = charts.radar_chart(
        axes,
        lang=lang,
        title=gettext("Group median by dimension", lang),
        legend_names=(gettext("Group median", lang), gettext("Previous campaign", lang)),
    )
    return Markup(svg)  # noqa: S704 -- the chart functions escape every text they draw


def report_context(view: GroupView, lang: str) -> dict[str, Any]:
    return {
        "view": view,
        "rows": side_by_side(view, lang),
        "chart": median_radar(view, lang),
        "css": Markup(stylesheet() + GROUP_CSS.read_text(encoding="utf-8")),  # noqa: S704 -- our own files
        "title": gettext("Group cyber-resilience report", lang),
    }


def render_html(view: GroupView, lang: str = "fr") -> str:
    lang = normalise_language(lang)
    return environment(lang).get_template(TEMPLATE).render(report_context(view, lang))


def render_pdf_bytes(view: GroupView, lang: str = "fr") -> bytes:
    return html_to_pdf(render_html(view, lang))


def render(view: GroupView, lang: str, fmt: str) -> bytes:
    """The report's file in ``fmt`` (``pdf`` or ``html``): what the API, the CLI and the demo write."""
    return render_pdf_bytes(view, lang) if fmt == "pdf" else render_html(view, lang).encode("utf-8")


def file_name(view: GroupView, lang: str, fmt: str) -> str:
    """``hygie-groupe-<id>-<date>-<lang>.<fmt>``: the id, not the name, which may hold any character."""
    return f"hygie-groupe-{view.id}-{today().isoformat()}-{lang}.{fmt}"


__all__ = [
    "environment",
    "file_name",
    "median_radar",
    "render",
    "render_html",
    "render_pdf_bytes",
    "report_context",
]
