"""Charts of the reports as SVG strings, written directly (no JavaScript, no plotting library).

The same SVG goes into the HTML report, the PDF (WeasyPrint draws inline SVG) and the web pages. Every
chart has ``role="img"``, an ``aria-label``, a ``<title>`` and a ``<desc>`` that states the figures in
words. Colours come from the Okabe–Ito palette, which stays distinct for colour-blind readers, and
no information is carried by colour alone: values are printed, the previous campaign is dashed.
Every text is escaped: labels come from user content (establishment and referential names).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import NamedTuple
from xml.sax.saxutils import escape

from hygie.core.formatting import fmt_number, fmt_percent
from hygie.core.i18n import gettext

FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"

# Okabe–Ito
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREEN = "#009E73"
INK = "#1F2933"
MUTED = "#5F6B76"
GRID = "#D5DADF"
TRACK = "#EEF1F4"
NOT_ASSESSED = "#C9CED3"

STATUS_COLOURS = (BLUE, SKY, VERMILLION, NOT_ASSESSED)
STATUS_TEXT_COLOURS = ("#FFFFFF", INK, "#FFFFFF", INK)


class RadarAxis(NamedTuple):
    label: str
    value: float
    previous: float | None = None


class Bar(NamedTuple):
    label: str
    value: float
    previous: float | None = None


class TrendPoint(NamedTuple):
    label: str
    value: float


class StackRow(NamedTuple):
    label: str
    counts: Sequence[int]  # compliant, partial, non-compliant, not assessed


def _text(value: str) -> str:
    return escape(value)


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _n(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def _wrap(text: str, width: int, lines: int = 2) -> list[str]:
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(1, width - 1)].rstrip() + "…"
    return wrapped


def _svg(width: float, height: float, title: str, desc: str, body: list[str], css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" viewBox="0 0 {_n(width)} '
        f'{_n(height)}" role="img" aria-label="{_attr(title)}" '
        f'font-family="{_attr(FONT)}" font-size="10" fill="{INK}">'
        f"<title>{_text(title)}</title><desc>{_text(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _label(x: float, y: float, text: str, *, anchor: str = "start", size: float = 10, **extra: str) -> str:
    attrs = "".join(f' {key.replace("_", "-")}="{_attr(value)}"' for key, value in extra.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}"{attrs}>'
        f"{_text(text)}</text>"
    )


def _legend(
    items: Sequence[tuple[str, str]], x: float, y: float, size: float = 9, swatch: float = 14
) -> list[str]:
    """``items`` are (svg swatch, label); the swatch is drawn in a ``swatch``×10 box at the origin."""
    out: list[str] = []
    for drawing, text in items:
        out.append(f'<g transform="translate({_n(x)},{_n(y - 8)})">{drawing}</g>')
        out.append(_label(x + swatch + 4, y, text, size=size, fill=MUTED))
        x += swatch + 4 + text_width(text, size) + 10
    return out


def text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` in DejaVu Sans (0.6 em per character)."""
    return 0.6 * size * len(text)


# -- Radar --------------------------------------------------------------------------------------------


def radar_points(values: Sequence[float], cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """Vertices of a radar polygon: axis ``i`` points up for ``i = 0`` then turns clockwise."""
    count = len(values)
    points = []
    for index, value in enumerate(values):
        angle = -math.pi / 2 + 2 * math.pi * index / count
        r = radius * _clamp(value) / 100
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def _polygon(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


RADAR_WIDTH, RADAR_HEIGHT = 340.0, 270.0
RADAR_CX, RADAR_CY, RADAR_R = 170.0, 140.0, 90.0


def radar_chart(
    axes: Sequence[RadarAxis], *, lang: str, target: float | None = 60.0, title: str = "", series: str = ""
) -> str:
    """Scores of the dimensions (0–100): the current campaign filled, the previous one dashed.

    ``series`` names the filled shape in the legend (default: the current campaign).
    """
    if len(axes) < 3:
        raise ValueError("a radar needs at least three axes")
    cx, cy, radius = RADAR_CX, RADAR_CY, RADAR_R
    title = title or gettext("Maturity by dimension", lang)
    body: list[str] = []
    for ring in (20, 40, 60, 80, 100):
        ring_points = radar_points([ring] * len(axes), cx, cy, radius)
        body.append(
            f'<polygon points="{_polygon(ring_points)}" fill="none" stroke="{GRID}" stroke-width="0.8"/>'
        )
    for x, y in radar_points([100] * len(axes), cx, cy, radius):
        body.append(
            f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}" stroke="{GRID}" '
            f'stroke-width="0.8"/>'
        )
    if target is not None:
        target_points = radar_points([target] * len(axes), cx, cy, radius)
        body.append(
            f'<polygon class="target" points="{_polygon(target_points)}" fill="none" stroke="{VERMILLION}" '
            'stroke-width="1.2" stroke-dasharray="2 2.5"/>'
        )
    previous = [axis.previous for axis in axes]
    if all(value is not None for value in previous):
        prev_points = radar_points([v for v in previous if v is not None], cx, cy, radius)
        body.append(
            f'<polygon class="previous" points="{_polygon(prev_points)}" fill="none" stroke="{ORANGE}" '
            'stroke-width="1.6" stroke-dasharray="5 3"/>'
        )
    current = radar_points([axis.value for axis in axes], cx, cy, radius)
    body.append(
        f'<polygon class="current" points="{_polygon(current)}" fill="{BLUE}" fill-opacity="0.18" '
        f'stroke="{BLUE}" stroke-width="2"/>'
    )
    body.extend(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.6" fill="{BLUE}"/>' for x, y in current)

    for (x, y), axis in zip(radar_points([100] * len(axes), cx, cy, radius + 10), axes, strict=True):
        dx, dy = x - cx, y - cy
        anchor = "start" if dx > 12 else "end" if dx < -12 else "middle"
        lines = _wrap(axis.label, 15)
        block = len(lines) * 11 + 12  # name lines then the score line
        top = y - block + 8 if dy < -radius * 0.5 else y + 2 if dy > radius * 0.5 else y - block / 2 + 8
        for offset, line in enumerate(lines):
            body.append(_label(x, top + offset * 11, line, anchor=anchor))
        score = fmt_number(axis.value, lang)
        if axis.previous is not None:
            delta = axis.value - axis.previous
            sign = "+" if delta > 0 else "−" if delta < 0 else "±"
            score += f"  ({sign}{fmt_number(abs(delta), lang)})"
        body.append(
            _label(
                x, top + len(lines) * 11 + 1, score, anchor=anchor, size=10.5, font_weight="bold", fill=BLUE
            )
        )

    legend = [
        (
            f'<rect width="14" height="9" fill="{BLUE}" fill-opacity="0.35" stroke="{BLUE}"/>',
            series or gettext("Current campaign", lang),
        )
    ]
    if all(value is not None for value in previous):
        legend.append(
            (
                f'<line x1="0" y1="5" x2="14" y2="5" stroke="{ORANGE}" stroke-width="1.6" '
                f'stroke-dasharray="5 3"/>',
                gettext("Previous campaign", lang),
            )
        )
    if target is not None:
        legend.append(
            (
                f'<line x1="0" y1="5" x2="14" y2="5" stroke="{VERMILLION}" stroke-width="1.2" '
                f'stroke-dasharray="2 2.5"/>',
                gettext("Target", lang) + f" {fmt_number(target, lang)}",
            )
        )
    body.extend(_legend(legend, 8, RADAR_HEIGHT - 6))

    # Messages are never looked up inside f-strings: the extractor would not see them.
    previous_word = gettext("previous", lang)
    desc = "; ".join(
        f"{axis.label}: {fmt_number(axis.value, lang)}"
        + (f" ({previous_word} {fmt_number(axis.previous, lang)})" if axis.previous is not None else "")
        for axis in axes
    )
    return _svg(RADAR_WIDTH, RADAR_HEIGHT, title, desc, body, "radar")


# -- Compliance bars ---------------------------------------------------------------------------------

BAR_WIDTH = 300.0
BAR_ROW = 32.0
LEGEND_BAND = 18.0
BAR_PLOT = BAR_WIDTH - 48


def compliance_bars(bars: Sequence[Bar], *, lang: str, title: str = "") -> str:
    """One horizontal bar per referential (percent compliant), the previous campaign as a tick.

    Rows start under an 18-unit legend band, like ``status_stack``, so the two charts side by side align.
    """
    title = title or gettext("Compliance by referential", lang)
    body: list[str] = []
    if any(bar.previous is not None for bar in bars):
        swatch = f'<line x1="7" y1="-1" x2="7" y2="10" stroke="{INK}" stroke-width="2"/>'
        body.extend(_legend([(swatch, gettext("Previous campaign", lang))], 0, 10, size=8.5))
    for index, bar in enumerate(bars):
        top = LEGEND_BAND + index * BAR_ROW
        body.append(_label(0, top + 10, _wrap(bar.label, 52, 1)[0], size=9.5))
        body.append(
            f'<rect x="0" y="{_n(top + 14)}" width="{_n(BAR_PLOT)}" height="13" fill="{TRACK}" rx="1.5"/>'
        )
        body.append(
            f'<rect class="bar" x="0" y="{_n(top + 14)}" width="{_n(BAR_PLOT * _clamp(bar.value) / 100)}" '
            f'height="13" fill="{BLUE}" rx="1.5"/>'
        )
        if bar.previous is not None:
            tick = BAR_PLOT * _clamp(bar.previous) / 100
            body.append(
                f'<line class="previous" x1="{_n(tick)}" y1="{_n(top + 12.5)}" x2="{_n(tick)}" '
                f'y2="{_n(top + 30)}" stroke="{INK}" stroke-width="2"/>'
            )
        body.append(
            _label(
                BAR_WIDTH,
                top + 24.5,
                fmt_percent(bar.value, lang),
                anchor="end",
                size=10.5,
                font_weight="bold",
            )
        )
    previous_word = gettext("previous", lang)
    desc = "; ".join(
        f"{bar.label}: {fmt_percent(bar.value, lang)}"
        + (f" ({previous_word} {fmt_percent(bar.previous, lang)})" if bar.previous is not None else "")
        for bar in bars
    )
    return _svg(BAR_WIDTH, LEGEND_BAND + len(bars) * BAR_ROW + 2, title, desc, body, "bars")


# -- Trend line --------------------------------------------------------------------------------------

TREND_WIDTH, TREND_HEIGHT = 360.0, 120.0
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 26.0, 340.0, 14.0, 96.0


def trend_positions(count: int) -> list[float]:
    if count == 1:
        return [(TREND_LEFT + TREND_RIGHT) / 2]
    step = (TREND_RIGHT - TREND_LEFT - 30) / (count - 1)
    return [TREND_LEFT + 15 + index * step for index in range(count)]


def trend_y(value: float) -> float:
    return TREND_BOTTOM - (TREND_BOTTOM - TREND_TOP) * _clamp(value) / 100


def trend_chart(
    points: Sequence[TrendPoint], *, lang: str, target: float | None = None, title: str = ""
) -> str:
    """The global index across campaigns, oldest first."""
    if not points:
        raise ValueError("a trend needs at least one point")
    title = title or gettext("Global index across campaigns", lang)
    body: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        y = trend_y(tick)
        body.append(
            f'<line x1="{_n(TREND_LEFT)}" y1="{_n(y)}" x2="{_n(TREND_RIGHT)}" y2="{_n(y)}" stroke="{GRID}" '
            'stroke-width="0.8"/>'
        )
        body.append(_label(TREND_LEFT - 4, y + 3, str(tick), anchor="end", size=9, fill=MUTED))
    if target is not None:
        y = trend_y(target)
        body.append(
            f'<line class="target" x1="{_n(TREND_LEFT)}" y1="{_n(y)}" x2="{_n(TREND_RIGHT)}" y2="{_n(y)}" '
            f'stroke="{VERMILLION}" stroke-width="1.2" stroke-dasharray="2 2.5"/>'
        )
    xs = trend_positions(len(points))
    coords = [(x, trend_y(point.value)) for x, point in zip(xs, points, strict=True)]
    if len(coords) > 1:
        body.append(
            f'<polyline class="trend" points="{_polygon(coords)}" fill="none" stroke="{BLUE}" '
            f'stroke-width="2"/>'
        )
    for (x, y), point in zip(coords, points, strict=True):
        body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{BLUE}"/>')
        body.append(
            _label(x, y - 6, fmt_number(point.value, lang), anchor="middle", size=11, font_weight="bold")
        )
        text = _wrap(point.label, 22, 1)[0]
        # Centred under its point, but pushed inside the chart at either end rather than cut off.
        half = text_width(text, 10) / 2
        anchor, at = "middle", x
        if x + half > TREND_WIDTH:
            anchor, at = "end", TREND_WIDTH
        elif x - half < 0:
            anchor, at = "start", 0.0
        body.append(_label(at, TREND_BOTTOM + 15, text, anchor=anchor, size=10, fill=MUTED))
    desc = "; ".join(f"{point.label}: {fmt_number(point.value, lang)}" for point in points)
    return _svg(TREND_WIDTH, TREND_HEIGHT, title, desc, body, "trend")


# -- Stacked statuses --------------------------------------------------------------------------------

STACK_WIDTH, STACK_ROW = 300.0, BAR_ROW


def status_labels(lang: str) -> list[str]:
    return [
        gettext("Compliant", lang),
        gettext("Partial", lang),
        gettext("Non-compliant", lang),
        gettext("Not assessed", lang),
    ]


def status_stack(rows: Sequence[StackRow], *, lang: str, title: str = "") -> str:
    """Requirements of each referential by status, as one stacked bar per referential."""
    title = title or gettext("Requirements by status", lang)
    names = status_labels(lang)
    body = _legend(
        [
            (f'<rect width="10" height="10" fill="{colour}"/>', name)
            for colour, name in zip(STATUS_COLOURS, names, strict=True)
        ],
        0,
        10,
        size=8,
        swatch=10,
    )
    for index, row in enumerate(rows):
        top = LEGEND_BAND + index * STACK_ROW
        total = sum(row.counts)
        body.append(_label(0, top + 10, _wrap(row.label, 52, 1)[0], size=9.5))
        x = 0.0
        for count, colour, text_colour in zip(row.counts, STATUS_COLOURS, STATUS_TEXT_COLOURS, strict=True):
            if total == 0 or count == 0:
                continue
            width = STACK_WIDTH * count / total
            body.append(
                f'<rect class="segment" x="{_n(x)}" y="{_n(top + 14)}" width="{_n(width)}" height="13" '
                f'fill="{colour}"/>'
            )
            if width >= 14:
                body.append(
                    _label(
                        x + width / 2,
                        top + 24,
                        fmt_number(count, lang),
                        anchor="middle",
                        size=8.5,
                        fill=text_colour,
                    )
                )
            x += width
    desc = "; ".join(
        f"{row.label}: " + ", ".join(f"{name} {count}" for name, count in zip(names, row.counts, strict=True))
        for row in rows
    )
    return _svg(STACK_WIDTH, LEGEND_BAND + len(rows) * STACK_ROW + 2, title, desc, body, "stack")


# -- Budget gauge ------------------------------------------------------------------------------------

# Narrow enough to stay legible in a third of a page or of a screen.
GAUGE_WIDTH, GAUGE_HEIGHT = 240.0, 44.0


def budget_gauge(share: float | None, low: float, high: float, *, lang: str, title: str = "") -> str:
    """Security share of the IT budget (percent) against the reference range, shaded."""
    title = title or gettext("Security share of the IT budget", lang)
    scale = max(15.0, high * 1.5, (share or 0) * 1.2)

    def x_of(value: float) -> float:
        return GAUGE_WIDTH * _clamp(value, 0, scale) / scale

    reference = gettext("reference", lang) + f" {fmt_percent(low, lang)}–{fmt_percent(high, lang)}"
    body = [
        f'<rect x="0" y="14" width="{_n(GAUGE_WIDTH)}" height="12" fill="{TRACK}"/>',
        f'<rect class="reference" x="{_n(x_of(low))}" y="14" width="{_n(x_of(high) - x_of(low))}" '
        f'height="12" fill="{SKY}" fill-opacity="0.5"/>',
        _label((x_of(low) + x_of(high)) / 2, 38, reference, anchor="middle", size=9, fill=MUTED),
    ]
    if share is not None:
        x = x_of(share)
        body.append(
            f'<line class="marker" x1="{_n(x)}" y1="11" x2="{_n(x)}" y2="29" stroke="{INK}" '
            f'stroke-width="3"/>'
        )
        body.append(_label(x, 9, fmt_percent(share, lang, 1), anchor="middle", size=10, font_weight="bold"))
    desc = f"{fmt_percent(share, lang, 1)}; {reference}"
    return _svg(GAUGE_WIDTH, GAUGE_HEIGHT, title, desc, body, "gauge")
