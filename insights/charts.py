"""The geometry of one metric's chart on the admin page: server-side, drawn by the template as
inline SVG (no JavaScript, nothing from elsewhere). A line over the buckets, a dot per bucket
with its figure as a tooltip (`<title>`), y gridlines at round figures, a few x labels."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .selectors import Metric

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 36  # margins around the plot


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    lines: list[str] = field(default_factory=list)  # polyline `points`, split where a ratio is undefined
    dots: list[Dot] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)


def format_value(value: float | int | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}"


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def _date(point_start: object, bucket: str) -> str:
    return f"{point_start:%b} {point_start.day}"  # type: ignore[attr-defined]


def chart(metric: Metric, bucket: str) -> Chart:
    values = [p.value for p in metric.series]
    top_value = 1.0 if metric.unit == "ratio" else _nice_max(max((v for v in values if v is not None), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(metric.series)

    def x_at(i: int) -> float:
        return round(LEFT + (plot_w * (i + 0.5) / n), 1)

    def y_at(v: float) -> float:
        return round(TOP + plot_h * (1 - v / top_value), 1)

    y_ticks = [Tick(y_at(top_value * k / 4), format_value(top_value * k / 4, metric.unit)) for k in range(5)]
    every = max(1, math.ceil(n / 6))
    x_ticks = [Tick(x_at(i), _date(p.start, bucket)) for i, p in enumerate(metric.series) if (n - 1 - i) % every == 0]
    lines: list[str] = []
    current: list[str] = []
    dots: list[Dot] = []
    for i, p in enumerate(metric.series):
        if p.value is None:
            if current:
                lines.append(" ".join(current))
            current = []
            continue
        x, y = x_at(i), y_at(p.value)
        current.append(f"{x},{y}")
        detail = f" ({p.numerator} of {p.denominator})" if metric.unit == "ratio" else ""
        added = f", +{p.added}" if p.added else ""
        dots.append(Dot(x, y, f"{_date(p.start, bucket)}: {format_value(p.value, metric.unit)}{detail}{added}"))
    if current:
        lines.append(" ".join(current))
    per = "week" if bucket == "week" else "day"
    description = (
        f"{metric.label} per {per}, {n} {per}s from {_date(metric.series[0].start, bucket)}; "
        f"now {format_value(metric.current, metric.unit)}."
    )
    return Chart(
        key=metric.key,
        title=metric.label,
        description=description,
        lines=lines,
        dots=dots,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )
