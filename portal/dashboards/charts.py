"""Bar and line charts as inline SVG, drawn on the server: no CDN, no script.

Each chart is an ``<svg role="img">`` named by its ``<title>`` (and ``aria-label``); the figures are in the
table printed under it, which is what screen readers read. Geometry uses floats; the figures do not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from portal.dashboards.tables import Cell, Table

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Distinct on white with a 3:1 contrast or better (WCAG non-text contrast).
COLOURS = ("#1f5fa8", "#c0392b", "#2e7d32", "#7b3fa0", "#a35200", "#00695c")
MAX_X_LABELS = 10


def nice_top(value: float) -> tuple[float, float]:
    """An axis top at or above ``value`` and a tick step (1, 2 or 5 times a power of ten), about 4 ticks."""
    if value <= 0:
        return 1.0, 0.25
    rough = value / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * math.ceil(value / step), step


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | Decimal) else 0.0


def _tick(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:.3g}"


def render(table: Table, *, title: str, labels: Sequence[str], names: Sequence[str]) -> SafeString:
    """The chart of ``table`` (its ``chart`` must be set); ``labels`` the x values, ``names`` the series'."""
    assert table.chart is not None
    series = [[_number(row[i]) for row in table.rows] for i in table.chart.series]
    top, step = nice_top(max((v for values in series for v in values), default=0.0))
    count = max(len(labels), 1)
    slot = PLOT_W / count
    y = lambda v: TOP + PLOT_H - PLOT_H * v / top  # noqa: E731
    parts = [
        f'<svg class="dash-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    ticks = round(top / step)
    for n in range(ticks + 1):
        v = step * n
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#d0d0d0"/>'
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#333">'
            f"{_tick(v)}</text>"
        )
    every = max(1, math.ceil(count / MAX_X_LABELS))
    for n, label in enumerate(labels):
        if n % every == 0:
            x = LEFT + slot * (n + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle" font-size="11" fill="#333">'
                f"{escape(label[:14])}</text>"
            )
    for k, values in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        if table.chart.kind == "bar":
            width = slot * 0.8 / len(series)
            for n, v in enumerate(values):
                x = LEFT + slot * n + slot * 0.1 + width * k
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{max(width, 1):.1f}" '
                    f'height="{TOP + PLOT_H - y(v):.1f}" fill="{colour}"/>'
                )
        else:
            points = " ".join(f"{LEFT + slot * (n + 0.5):.1f},{y(v):.1f}" for n, v in enumerate(values))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_H}" stroke="#333"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" stroke="#333"/>'
    )
    x = LEFT
    for k, name in enumerate(names):
        colour = COLOURS[k % len(COLOURS)]
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 22}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{HEIGHT - 12}" font-size="12" fill="#333">{escape(name)}</text>'
        )
        x += 28 + 8 * len(name) + (6 * sum(1 for c in name if ord(c) > 0x2E80))  # wide characters
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
