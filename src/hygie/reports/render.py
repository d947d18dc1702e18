"""Render a ``MaturityReport`` as a standalone HTML file or a PDF, from the same template.

The HTML carries everything inline (stylesheet, SVG charts), so it opens offline and WeasyPrint
never needs the network: its URL fetcher refuses anything but ``data:`` URLs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from hygie.core.i18n import gettext, normalise_language
from hygie.plan.models import ActionStatus, Severity
from hygie.reports import charts
from hygie.reports.environment import environment, stylesheet
from hygie.reports.schemas import ManagementSummary, MaturityReport, ThreatKind
from hygie.reports.vocabulary import DIMENSION_ORDER, HEADLINE, headline_label, label

# What the two summary pages can hold; the rest is in the detail sections. WeasyPrint does not clip an
# overflowing page, it carries the rest over: so rows are counted in printed lines, estimated from the
# characters a title column holds on one line (8 pt DejaVu Sans), and the tables stop at a line budget.
SUMMARY_WEAKNESSES = 10
SUMMARY_WEAKNESS_LINES = 15
WEAKNESS_CHARS_PER_LINE = 48
SUMMARY_ACTIONS = 8
SUMMARY_ACTION_LINES = 12
ACTION_CHARS_PER_LINE = 46
SUMMARY_QUARTERS = 6
# Longer titles are cut on the summary (two lines in their column) and shown whole in the detail.
SUMMARY_TITLE_CHARS = 2 * WEAKNESS_CHARS_PER_LINE
SUMMARY_ACTION_CHARS = 2 * ACTION_CHARS_PER_LINE


def _fit(titles: Sequence[str], max_rows: int, max_lines: int, chars_per_line: int) -> int:
    """How many of the first rows fit in ``max_lines`` printed lines (two lines at most per row)."""
    used = 0
    for count, title in enumerate(titles[:max_rows]):
        used += min(2, max(1, math.ceil(len(title) / chars_per_line)))
        if used > max_lines:
            return count
    return min(len(titles), max_rows)


def report_charts(report: MaturityReport, lang: str) -> dict[str, Markup | None]:
    by_dimension = {score.dimension: score for score in report.dimensions}
    ordered = [by_dimension[d] for d in DIMENSION_ORDER if d in by_dimension]
    radar = charts.radar_chart(
        [
            charts.RadarAxis(
                score.label or label(score.dimension, lang), score.score or 0.0, score.previous_score
            )
            for score in ordered
        ],
        lang=lang,
        target=report.target_index,
    )
    bars = (
        charts.compliance_bars(
            [charts.Bar(ref.name, ref.percent, ref.previous_percent) for ref in report.referentials],
            lang=lang,
        )
        if report.referentials
        else None
    )
    trend = (
        charts.trend_chart(
            [charts.TrendPoint(point.name, point.global_index) for point in report.history],
            lang=lang,
            target=report.target_index,
        )
        if len(report.history) >= 2
        else None
    )
    stack = (
        charts.status_stack(
            [
                charts.StackRow(ref.name, [ref.compliant, ref.partial, ref.non_compliant, ref.not_assessed])
                for ref in report.referentials
            ],
            lang=lang,
        )
        if report.referentials
        else None
    )
    gauge = (
        charts.budget_gauge(
            report.budget.share, report.budget.reference_low, report.budget.reference_high, lang=lang
        )
        if report.budget is not None and report.budget.share is not None
        else None
    )
    continuity = report.continuity
    backup = (
        charts.compliance_bars(
            [charts.Bar(p.application, 100.0 * p.met / 5, None) for p in continuity.policies],
            lang=lang,
            title=gettext("3-2-1-1-0 rules met per backup policy", lang),
        )
        if continuity is not None and continuity.policies
        else None
    )
    # The chart functions escape every text they draw: their output is safe markup.
    return {
        name: Markup(svg) if svg is not None else None  # noqa: S704
        for name, svg in {
            "radar": radar,
            "bars": bars,
            "trend": trend,
            "stack": stack,
            "gauge": gauge,
            "backup": backup,
        }.items()
    }


def _rules(report: MaturityReport) -> list[tuple[str, list[str]]]:
    """Each distinct compliance rule with the referentials judged by it: often one rule for all."""
    rules: dict[str, list[str]] = {}
    for ref in report.referentials:
        rules.setdefault(ref.rule.strip().rstrip("."), []).append(ref.name)
    return list(rules.items())


def _context(report: MaturityReport, lang: str) -> dict[str, Any]:
    dimensions = {d: [c for c in report.controls if c.dimension == d] for d in DIMENSION_ORDER}
    actions = report.plan.actions if report.plan else []
    weakness_rows = _fit(
        [w.title for w in report.weaknesses],
        SUMMARY_WEAKNESSES,
        SUMMARY_WEAKNESS_LINES,
        WEAKNESS_CHARS_PER_LINE,
    )
    action_rows = _fit(
        [a.title for a in actions], SUMMARY_ACTIONS, SUMMARY_ACTION_LINES, ACTION_CHARS_PER_LINE
    )
    return {
        "report": report,
        "charts": report_charts(report, lang),
        "css": Markup(stylesheet()),  # noqa: S704 -- our own file, shipped with the package
        "weaknesses": report.weaknesses[:weakness_rows],
        "summary_actions": actions[:action_rows],
        "roadmap": report.roadmap[:SUMMARY_QUARTERS],
        "controls_by_dimension": [(d, controls) for d, controls in dimensions.items() if controls],
        "rules": _rules(report),
        "summary_title_chars": SUMMARY_TITLE_CHARS,
        "summary_action_chars": SUMMARY_ACTION_CHARS,
        "title": gettext("Cyber-resilience maturity report", lang),
    }


def render_html(report: MaturityReport, lang: str = "fr") -> str:
    lang = normalise_language(lang)
    return environment(lang).get_template("maturity.html").render(_context(report, lang))


def html_to_pdf(html: str) -> bytes:
    """A standalone report page as PDF. It may fetch nothing but ``data:`` URLs: a report's text comes
    from users' entries, and must not make the server read files or call the network."""
    import weasyprint  # heavy (Pango, fonts): loaded only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    document = weasyprint.HTML(
        string=html, base_url=None, url_fetcher=URLFetcher(allowed_protocols=("data",))
    )
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf_bytes(report: MaturityReport, lang: str = "fr") -> bytes:
    return html_to_pdf(render_html(report, lang))


def render_pdf(report: MaturityReport, lang: str, path: Path) -> Path:
    path.write_bytes(render_pdf_bytes(report, lang))
    return path


# --- The management report --------------------------------------------------------------------------


def management_charts(summary: ManagementSummary, lang: str) -> dict[str, Markup | None]:
    """The board's charts: the radar of measured (filled) against declared (dashed) maturity, CaRE's
    domains and the budget gauge; the same chart functions as the maturity report."""
    dimensions = [d for d in summary.standing.dimensions if d.declared is not None]
    radar = (
        charts.radar_chart(
            [
                charts.RadarAxis(
                    label(d.dimension, lang),
                    d.measured if d.measured is not None else d.declared or 0.0,
                    d.declared,
                )
                for d in dimensions
            ],
            lang=lang,
            title=gettext("Maturity by dimension, declared and measured", lang),
            legend_names=(gettext("Measured", lang), gettext("Declared", lang)),
        )
        if len(dimensions) >= 3
        else None
    )
    domains = [d for d in summary.regulatory.care_domains if d.percent is not None]
    care = (
        charts.compliance_bars(
            # "Domain 1 — Internet exposure…": the words after the dash, the chart's line is short.
            [charts.Bar(d.title.split(" — ", 1)[-1], d.percent or 0.0, None) for d in domains],
            lang=lang,
            title=gettext("CaRE programme: share of the requirements met per domain", lang),
        )
        if domains
        else None
    )
    position = summary.plan.budget_position if summary.plan else None
    gauge = (
        charts.budget_gauge(position.share, position.reference_low, position.reference_high, lang=lang)
        if position is not None and position.share is not None
        else None
    )
    # The chart functions escape every text they draw: their output is safe markup.
    return {
        name: Markup(svg) if svg is not None else None  # noqa: S704
        for name, svg in {"radar": radar, "care": care, "gauge": gauge}.items()
    }


def render_management_html(summary: ManagementSummary) -> str:
    lang = normalise_language(summary.lang)
    zero = [t for t in ThreatKind if getattr(summary.threats, t.value) == 0]
    return (
        environment(lang)
        .get_template("management.html")
        .render(
            summary=summary,
            charts=management_charts(summary, lang),
            css=Markup(stylesheet()),  # noqa: S704 -- our own file, shipped with the package
            forms={key: head.form for key, head in HEADLINE.items()},
            labels={key: headline_label(key, lang) for key in HEADLINE},
            zero_threats=zero,
            severity_words={
                **{s.value: label(s, lang) for s in Severity},
                "informational": label(Severity.INFO, lang),
            },
            status_words={
                "proposed": gettext("Proposed", lang),
                **{a.value: label(a, lang) for a in ActionStatus},
            },
            title=gettext("Management report", lang),
        )
    )


def render_management_pdf_bytes(summary: ManagementSummary) -> bytes:
    return html_to_pdf(render_management_html(summary))
