"""The zone graph as an SVG string: zones as boxes on an ellipse, ordered by how much they are
trusted, and each allowed inter-zone flow as an arrow, thicker with more services, marked when it
breaks the policy. Pure: the page gives the zones, the flows and the link of each pair.

No style attribute (the pages' CSP refuses them): colours come from CSS classes (``kind-*``,
``edge-ok``/``edge-bad``, ``w1``…``w5``) defined in network.css; geometry is in attributes. Every
text is escaped here.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from hygie.network.services import PORTED, ServiceSet
from hygie.reports.charts import FONT

# Zones around the ellipse from the outside in, so that neighbours are alike: internet and guests,
# the DMZ, users, servers, medical devices, then administration and backups (the most critical).
TIERS = {
    "internet": 0,
    "partners": 1,
    "guest_wifi": 1,
    "dmz": 2,
    "clinical_workstations": 3,
    "building_management": 3,
    "other": 3,
    "servers": 4,
    "medical_devices": 5,
    "imaging": 5,
    "laboratory": 5,
    "administration": 6,
    "backup": 6,
}
WIDTH, HEIGHT = 1000.0, 640.0
BOX_W, BOX_H = 128.0, 38.0
RX, RY = 400.0, 250.0


@dataclass(frozen=True)
class GraphZone:
    name: str
    kind: str


@dataclass(frozen=True)
class GraphEdge:
    source: str
    destination: str
    count: int | None  # services allowed; None: every service
    violation: str | None  # the worst severity the pair breaks, None when within the policy
    label: str  # what the link says to a screen reader and in its tooltip


def service_count(allowed: ServiceSet) -> int | None:
    """How many services a set allows: a port or a range of ports each, a protocol without ports
    once; None when every protocol is allowed."""
    if allowed.others:
        return None
    return sum(
        len(service.ports.spans) if service.protocol in PORTED else 1 for service in allowed.services()
    )


def _n(value: float) -> str:
    out = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def order(zones: Sequence[GraphZone]) -> list[GraphZone]:
    return sorted(zones, key=lambda z: (TIERS.get(z.kind, 3), z.name.casefold()))


def positions(zones: Sequence[GraphZone]) -> dict[str, tuple[float, float]]:
    """Each zone's centre, clockwise from the top, in ``order``."""
    placed = order(zones)
    count = max(1, len(placed))
    centre_x, centre_y = WIDTH / 2, HEIGHT / 2
    return {
        zone.name: (
            centre_x + RX * math.cos(-math.pi / 2 + 2 * math.pi * i / count),
            centre_y + RY * math.sin(-math.pi / 2 + 2 * math.pi * i / count),
        )
        for i, zone in enumerate(placed)
    }


def width_class(count: int | None) -> str:
    """Stroke thickness by the number of services: 1, 2-3, 4-6, 7 or more, every service."""
    if count is None:
        return "w5"
    return "w1" if count <= 1 else "w2" if count <= 3 else "w3" if count <= 6 else "w4"


def _to_box(
    cx: float, cy: float, towards_x: float, towards_y: float, margin: float = 3.0
) -> tuple[float, float]:
    """Where the segment from a box's centre towards a point leaves the box (plus a margin)."""
    dx, dy = towards_x - cx, towards_y - cy
    if dx == 0 and dy == 0:
        return cx, cy
    half_w, half_h = BOX_W / 2 + margin, BOX_H / 2 + margin
    scale = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _node(zone: GraphZone, x: float, y: float) -> str:
    lines = textwrap.wrap(zone.name, 18)[:2] or [zone.name]
    if len(textwrap.wrap(zone.name, 18)) > 2:
        lines[-1] = lines[-1][:17] + "…"
    first = y - 6 * (len(lines) - 1) + 4
    texts = "".join(
        f'<text x="{_n(x)}" y="{_n(first + 12 * i)}" text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<g class="zone kind-{_attr(zone.kind)}"><title>{escape(zone.name)}</title>'
        f'<rect x="{_n(x - BOX_W / 2)}" y="{_n(y - BOX_H / 2)}" width="{_n(BOX_W)}" height="{_n(BOX_H)}" '
        f'rx="6"/>{texts}</g>'
    )


def _edge(edge: GraphEdge, start: tuple[float, float], end: tuple[float, float], href: str) -> str:
    (x1, y1), (x2, y2) = start, end
    # bend to the right of the direction: A→B and B→A stay apart
    mid_x, mid_y = (x1 + x2) / 2, (y1 + y2) / 2
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    bend = min(60.0, 0.12 * length)
    ctrl_x, ctrl_y = mid_x - (y2 - y1) / length * bend, mid_y + (x2 - x1) / length * bend
    sx, sy = _to_box(x1, y1, ctrl_x, ctrl_y)
    ex, ey = _to_box(x2, y2, ctrl_x, ctrl_y, margin=6.0)
    state = "edge-bad" if edge.violation else "edge-ok"
    marker = "arrow-bad" if edge.violation else "arrow-ok"
    # the label sits on the curve's middle (a quadratic Bézier at t = 0.5)
    lx, ly = 0.25 * sx + 0.5 * ctrl_x + 0.25 * ex, 0.25 * sy + 0.5 * ctrl_y + 0.25 * ey
    text = "∗" if edge.count is None else str(edge.count)
    return (
        f'<a href="{_attr(href)}" class="edge {state} {width_class(edge.count)}" '
        f'aria-label="{_attr(edge.label)}"><title>{escape(edge.label)}</title>'
        f'<path d="M{_n(sx)},{_n(sy)} Q{_n(ctrl_x)},{_n(ctrl_y)} {_n(ex)},{_n(ey)}" fill="none" '
        f'marker-end="url(#{marker})"/>'
        f'<circle cx="{_n(lx)}" cy="{_n(ly)}" r="8" class="edge-count"/>'
        f'<text x="{_n(lx)}" y="{_n(ly + 3.5)}" text-anchor="middle" class="edge-count">{escape(text)}</text>'
        "</a>"
    )


def _marker(name: str, size: int) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="{size}" '
        f'markerHeight="{size}" orient="auto-start-reverse" markerUnits="userSpaceOnUse">'
        f'<path d="M0,0 L10,5 L0,10 z" class="{name}"/></marker>'
    )


def zone_graph(
    zones: Sequence[GraphZone],
    edges: Sequence[GraphEdge],
    link: Callable[[GraphEdge], str],
    *,
    title: str,
    desc: str,
) -> str:
    """The SVG of the graph; ``link`` gives each edge's href (the pair's detail)."""
    where = positions(zones)
    body: list[str] = ["<defs>" + _marker("arrow-ok", 7) + _marker("arrow-bad", 9) + "</defs>"]
    # within-policy flows first, so the violations are drawn on top of them
    for edge in sorted(edges, key=lambda e: (e.violation is not None, e.source, e.destination)):
        if edge.source in where and edge.destination in where and edge.source != edge.destination:
            body.append(_edge(edge, where[edge.source], where[edge.destination], link(edge)))
    body += [_node(zone, *where[zone.name]) for zone in order(zones)]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="zone-graph" viewBox="0 0 {_n(WIDTH)} {_n(HEIGHT)}" '
        f'role="group" aria-label="{_attr(title)}" font-family="{_attr(FONT)}" font-size="11">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )
