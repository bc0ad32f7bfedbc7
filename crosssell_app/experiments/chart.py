"""A report figure as an inline SVG: one bar per arm with its confidence interval (no script, no CDN).

Drawn on the server so the admin page needs nothing from the internet and prints as it shows.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, LABEL, ROW, TOP = 640, 150, 30, 22
COLOURS = {"control": "#8a8a8a", "better": "#2e7d32", "worse": "#c62828", "same": "#3f6fb5"}


def interval_chart(arms: list[dict[str, Any]], metric: str, title: str, *, percent: bool = False) -> SafeString:
    """Return an SVG of ``metric`` per arm of a report: a bar to the value, a whisker over its interval.

    A treatment arm is green when its difference to the control is significantly above zero, red
    when below, blue when the interval of the difference holds zero; the control is grey.
    """
    values = [(arm, arm[metric]) for arm in arms]
    ends = [0.0] + [end for _, estimate in values for end in (estimate["value"], estimate["high"]) if end is not None]
    lows = [0.0] + [estimate["low"] for _, estimate in values if estimate["low"] is not None]
    low, high = min(lows), max(ends) or 1.0
    span = (high - low) * 1.08 or 1.0
    plot = WIDTH - LABEL - 70

    def x(value: float) -> float:
        return round(LABEL + (value - low) / span * plot, 1)

    rows = []
    for index, (arm, estimate) in enumerate(values):
        y = TOP + index * ROW
        colour = COLOURS["control"] if arm["is_control"] else COLOURS[_direction(arm, metric)]
        value = estimate["value"]
        text = "–" if value is None else (f"{value * 100:.1f} %" if percent else f"{value:,.2f}")
        parts = [format_html('<text x="{}" y="{}" text-anchor="end" class="cs-arm">{}</text>', LABEL - 8, y + 15,
                             arm["name"])]
        if value is not None:
            parts.append(format_html('<rect x="{}" y="{}" width="{}" height="16" fill="{}" fill-opacity="0.35"/>',
                                     x(min(0.0, value)), y + 3, abs(x(value) - x(0.0)), colour))
        if estimate["low"] is not None and estimate["high"] is not None:
            a, b = x(estimate["low"]), x(estimate["high"])
            parts.append(format_html(
                '<g stroke="{}" stroke-width="2"><line x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}"/><line x1="{}" y1="{}" x2="{}" y2="{}"/></g>',
                colour, a, y + 11, b, y + 11, a, y + 5, a, y + 17, b, y + 5, b, y + 17))
        parts.append(format_html('<text x="{}" y="{}" class="cs-value">{}</text>', WIDTH - 64, y + 15, text))
        rows.append(SafeString("".join(parts)))
    height = TOP + len(values) * ROW + 8
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" class="cs-chart" data-metric="{}"><title>{}</title>'
        '<text x="0" y="14" class="cs-chart-title">{}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#444" stroke-width="1"/>{}</svg>',
        title, WIDTH, height, WIDTH, height, metric, title, title,
        x(0.0), TOP - 2, x(0.0), height - 6, format_html_join("", "{}", ((row,) for row in rows)))


def _direction(arm: dict[str, Any], metric: str) -> str:
    difference = (arm.get("difference") or {}).get(metric) or {}
    low, high = difference.get("low"), difference.get("high")
    if low is not None and low > 0:
        return "better"
    if high is not None and high < 0:
        return "worse"
    return "same"
