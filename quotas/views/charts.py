"""The geometry of the quota pages' charts, drawn as inline SVG by the templates.

Server-side and dependency-free: the app works offline and the charts print. Each
function turns figures into coordinates in a fixed ``viewBox`` (CSS scales it to the
card's width); the templates draw them and add the same figures as a table, which is the
charts' text alternative. Coordinates are plain floats: they only place pixels, no figure
people read is computed here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 12, 28  # Room for the axes' labels.


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    tone: str  # "low", "near" or "met": the bar's colour, which the label repeats.


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: dict[str, str]  # Series name → SVG ``points``.
    bars: list[Bar]
    marker: float | None  # The x of today, or of the 100% line for pace.
    reference: float | None  # The y of a reference line (100% pace).


def _nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) giving about ``ticks`` gridlines up to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def short_number(value: float) -> str:
    """``12k``, ``1.5M``: an axis label that fits."""
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            shown = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{shown}{suffix}"
    return f"{value:g}"


def _y_axis(
    top_value: float, *, percent: bool = False, whole: bool = False
) -> tuple[float, list[Tick], Callable[[float], float]]:
    step = max(_nice_step(top_value), 1.0) if whole else _nice_step(top_value)
    ceiling = step * math.ceil(top_value / step) if top_value > 0 else step
    inner = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + inner * (1 - value / ceiling), 1)

    ticks, value = [], 0.0
    while value <= ceiling + step / 2:
        label = f"{value:g}%" if percent else short_number(value)
        ticks.append(Tick(y(value), label))
        value += step
    return ceiling, ticks, y


def _day_axis(first: dt.date, last: dt.date) -> tuple[list[Tick], Callable]:
    """x of the end of each day of the month (a cumulative figure is reached by then)."""
    days = (last - first).days + 1
    inner = WIDTH - LEFT - RIGHT

    def x(day: dt.date | None) -> float:
        done = 0 if day is None else (day - first).days + 1
        return round(LEFT + inner * done / days, 1)

    labels = [1, 8, 15, 22, days]
    ticks = [Tick(x(first + dt.timedelta(days=n - 1)), str(n)) for n in labels]
    return ticks, x


def progress_chart(series, *, today: dt.date | None) -> Chart | None:
    """Cumulative target vs cumulative achieved over a month (``ProgressPoint``\\ s)."""
    if not series:
        return None
    first, last = series[0].day, series[-1].day
    highest = max(
        [float(point.expected) for point in series]
        + [float(point.achieved) for point in series if point.achieved is not None]
    )
    _, y_ticks, y = _y_axis(highest * 1.05 if highest else 1.0)
    x_ticks, x = _day_axis(first, last)
    target = [f"{x(None)},{y(0)}"] + [f"{x(p.day)},{y(float(p.expected))}" for p in series]
    achieved = [f"{x(p.day)},{y(float(p.achieved))}" for p in series if p.achieved is not None]
    if achieved:
        achieved.insert(0, f"{x(None)},{y(0)}")
    marker = x(today) if today is not None and first <= today <= last else None
    return Chart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, x_ticks, y_ticks,
        {"target": " ".join(target), "achieved": " ".join(achieved)}, [], marker, None,
    )  # fmt: skip


def pace_chart(points, *, month: dt.date, last: dt.date) -> Chart | None:
    """The team's pace (%) on each day with snapshots, with the 100% line."""
    paced = [point for point in points if point.pace_pct is not None]
    if not paced:
        return None
    highest = max(150.0, *(float(point.pace_pct) for point in paced))
    _, y_ticks, y = _y_axis(highest, percent=True)
    x_ticks, x = _day_axis(month, last)
    line = " ".join(f"{x(p.day)},{y(float(p.pace_pct))}" for p in paced)
    return Chart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, x_ticks, y_ticks,
        {"pace": line}, [], None, y(100.0),
    )  # fmt: skip


def distribution_chart(distribution: list[tuple[str, int]]) -> Chart | None:
    """One bar per attainment bucket (``BUCKETS``), counting reps."""
    if not distribution or not any(count for _, count in distribution):
        return None
    highest = max(count for _, count in distribution)
    _, y_ticks, y = _y_axis(float(highest), whole=True)
    inner = WIDTH - LEFT - RIGHT
    slot = inner / len(distribution)
    bars, x_ticks = [], []
    for position, (label, count) in enumerate(distribution):
        left = LEFT + slot * position
        top = y(float(count))
        tone = "met" if position >= len(distribution) - 2 else "near" if position == 3 else "low"
        bars.append(
            Bar(
                x=round(left + slot * 0.18, 1),
                y=top,
                width=round(slot * 0.64, 1),
                height=round(HEIGHT - BOTTOM - top, 1),
                label=label,
                count=count,
                tone=tone,
            )
        )
        x_ticks.append(Tick(round(left + slot / 2, 1), label))
    return Chart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, x_ticks, y_ticks,
        {}, bars, None, None,
    )  # fmt: skip
