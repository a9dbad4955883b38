"""Draw charts as PNG images with matplotlib's object-oriented API and the Agg canvas.

No pyplot: pyplot keeps global figure state that is not safe across threads, and the Discord
front end renders from worker threads (asyncio.to_thread). Each image is its own Figure on its
own Agg canvas; a lock still serialises drawing, because matplotlib documents no thread safety
for its text and font caches. Images are cached by (knowledge version, chart key, language), so
a reload of the knowledge files makes fresh images and an unchanged one costs nothing.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import FixedLocator, FuncFormatter

from bot.charts.spec import LINE, ChartData, ChartSpec, axis_scale, chart_data, find_chart, wrap
from bot.knowledge.model import KnowledgeBase

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 750  # pixels of every chart image: wide enough for Discord's embed preview
DPI = 100
_PT = DPI / 72  # pixels per typographic point

# Text a Japanese font must cover before we trust it with our labels.
_JAPANESE_SAMPLE = "マイナ保険証の利用率病院調査患者割合対象期間時点〜（）：、。％"
# Families that ship Japanese glyphs on common systems, tried after matplotlib-fontja's font.
_SYSTEM_JAPANESE_FAMILIES = (
    "IPAexGothic",
    "IPAGothic",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "TakaoGothic",
    "VL Gothic",
    "Hiragino Sans",
    "Yu Gothic",
    "Meiryo",
    "MS Gothic",
)

_INK, _MUTED, _ACCENT, _GRID = "#1f2933", "#52606d", "#2f6da3", "#d9e2ec"
# How the lines of a series with several bases differ: colour, dash and marker, so they read apart in grey too.
_LINE_STYLES = (
    {"color": _ACCENT, "linestyle": "-", "marker": "o"},
    {"color": "#c05621", "linestyle": "--", "marker": "s"},
    {"color": "#2f855a", "linestyle": ":", "marker": "^"},
)
_HEADING_PT, _SUBTITLE_PT, _LABEL_PT, _VALUE_PT, _FOOTER_PT = 17, 11.5, 11, 11.5, 9


def _covers(path: str, sample: str) -> bool:
    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in sample)


@lru_cache(maxsize=1)
def find_japanese_font() -> Path | None:
    """A font file with the Japanese glyphs our labels use: matplotlib-fontja's IPAex Gothic if it
    is installed (found without importing it, since its import rewrites matplotlib's global font
    settings), else a known Japanese family matplotlib sees on this system."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    candidates: list[str] = []
    if spec is not None and spec.submodule_search_locations:
        candidates.extend(str(Path(loc) / "fonts" / "ipaexg.ttf") for loc in spec.submodule_search_locations)
    for family in _SYSTEM_JAPANESE_FAMILIES:
        candidates.extend(entry.fname for entry in fontManager.ttflist if entry.name == family)
    for path in candidates:
        if Path(path).is_file() and _covers(path, _JAPANESE_SAMPLE):
            return Path(path)
    return None


_AUTO: Any = object()


class ChartRenderer:
    """Renders charts to PNG bytes, caching them; safe to call from several threads at once."""

    def __init__(self, japanese_font: Path | None = _AUTO, cache_size: int = 64) -> None:
        self.japanese_font = find_japanese_font() if japanese_font is _AUTO else japanese_font
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._draw_lock = threading.Lock()
        self._warned = False

    def language(self, lang: str) -> str:
        """The language charts are actually drawn in: English when Japanese glyphs are missing,
        because boxes in place of characters are worse than labels in another language."""
        if lang == "ja" and self.japanese_font is None:
            if not self._warned:
                self._warned = True
                log.warning("No Japanese font found (the project installs matplotlib-fontja); drawing charts with English labels.")
            return "en"
        return "ja" if lang == "ja" else "en"

    def render(self, kb: KnowledgeBase, name: str, lang: str = "en") -> bytes:
        """The PNG image of the chart `name` (a chart key, fact id or topic id; see find_chart)."""
        spec = find_chart(kb, name)
        lang = self.language(lang)
        key = (kb.version, spec.key, lang)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with self._draw_lock:
            with self._cache_lock:
                if key in self._cache:  # another thread drew it while this one waited
                    return self._cache[key]
            png = _png(self._draw(chart_data(kb, spec, lang)))
        with self._cache_lock:
            self._cache[key] = png
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return png

    def figure(self, kb: KnowledgeBase, name: str, lang: str = "en") -> Figure:
        """The drawn Figure itself (not cached), for inspecting its text and fonts."""
        spec = find_chart(kb, name)
        with self._draw_lock:
            fig = self._draw(chart_data(kb, spec, self.language(lang)))
            fig.canvas.draw()
        return fig

    def _font(self, lang: str, size: float, bold: bool = False) -> FontProperties:
        if lang == "ja" and self.japanese_font is not None:
            # IPAex Gothic has one weight; asking for bold would only be ignored.
            return FontProperties(fname=str(self.japanese_font), size=size)
        return FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")

    def _draw(self, data: ChartData) -> Figure:
        return _Layout(data, self._font).draw()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


@dataclass
class _Layout:
    data: ChartData
    font: Any  # (lang, size, bold=False) -> FontProperties

    def _text_columns(self, size_pt: float, width_px: float, bold: bool = False) -> int:
        # DejaVu Sans averages about 0.55 em per Latin character (0.62 in bold); a CJK character
        # is 1 em, which wrap() counts as 2 columns.
        return max(20, int(width_px / ((0.62 if bold else 0.55) * size_pt * _PT)))

    def draw(self) -> Figure:
        data = self.data
        fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)
        margin = 24
        y: float = HEIGHT - margin  # pixels from the bottom, moving down as header lines are placed

        heading = wrap(data.heading, self._text_columns(_HEADING_PT, WIDTH - 2 * margin, bold=True))
        y = self._lines(fig, heading, margin, y, _HEADING_PT, _INK, bold=True, spacing=1.3)
        y -= 4
        subtitle = [line for part in data.subtitle for line in wrap(part, self._text_columns(_SUBTITLE_PT, WIDTH - 2 * margin))]
        y = self._lines(fig, subtitle, margin, y, _SUBTITLE_PT, _MUTED, spacing=1.45)
        top = y - 16

        footer = [line for part in data.footer for line in wrap(part, self._text_columns(_FOOTER_PT, WIDTH - 2 * margin))]
        footer_height = len(footer) * _FOOTER_PT * _PT * 1.45
        self._lines(fig, footer, margin, margin + footer_height, _FOOTER_PT, _MUTED, spacing=1.45)
        bottom = margin + footer_height + 62  # room for tick labels and the axis label

        if data.spec.kind == LINE:
            self._line(fig, top, bottom)
        else:
            self._bars(fig, top, bottom)
        return fig

    def _lines(self, fig: Figure, lines: list[str], x: float, y_top: float, size: float, color: str, bold: bool = False, spacing: float = 1.4) -> float:
        step = size * _PT * spacing
        for line in lines:
            fig.text(x / WIDTH, y_top / HEIGHT, line, va="top", ha="left", color=color, fontproperties=self.font(self.data.lang, size, bold), parse_math=False)
            y_top -= step
        return y_top

    def _bars(self, fig: Figure, top: float, bottom: float) -> None:
        data = self.data
        label_px = 400
        left, right = 24 + label_px, WIDTH - 40
        ax = fig.add_axes((left / WIDTH, bottom / HEIGHT, (right - left) / WIDTH, (top - bottom) / HEIGHT))
        bars = list(data.bars)
        positions = list(range(len(bars)))[::-1]  # first bar at the top, as it is read
        values = [b.value for b in bars]
        limit = 100.0 if data.unit == "percent" and max(values) <= 100 else max(values) * 1.25
        scale = axis_scale(data.unit, data.lang)
        ax.barh(positions, [v / scale for v in values], height=0.62 if len(bars) > 1 else 0.4, color=_ACCENT, zorder=2)
        ax.set_xlim(0, limit / scale)
        ax.set_ylim(-0.7, len(bars) - 0.3)
        label_font = self.font(data.lang, _LABEL_PT)
        columns = self._text_columns(_LABEL_PT, label_px - 16)
        ax.set_yticks(positions, ["\n".join(wrap(b.label, columns)) for b in bars], fontproperties=label_font, color=_INK)
        for bar, pos in zip(bars, positions, strict=True):
            inside = bar.value > 0.8 * limit
            x = bar.value / scale + (-0.01 if inside else 0.01) * limit / scale
            ax.text(
                x,
                pos,
                bar.value_label,
                va="center",
                ha="right" if inside else "left",
                color="white" if inside else _INK,
                fontproperties=self.font(data.lang, _VALUE_PT, bold=True),
                parse_math=False,
                zorder=3,
            )
        self._style_value_axis(ax.xaxis, ax, scale)
        ax.grid(axis="x", color=_GRID, zorder=0)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)

    def _line(self, fig: Figure, top: float, bottom: float) -> None:
        data = self.data
        left, right = 96, WIDTH - 60
        ax = fig.add_axes((left / WIDTH, bottom / HEIGHT, (right - left) / WIDTH, (top - bottom) / HEIGHT))
        scale = axis_scale(data.unit, data.lang)
        points = list(data.points)
        xs = [p.when.toordinal() for p in points]
        ys = [p.value / scale for p in points]
        # one line per basis: points counted on different bases are never joined
        for n in sorted({p.line for p in points}):
            on_line = [i for i, p in enumerate(points) if p.line == n]
            style = _LINE_STYLES[n % len(_LINE_STYLES)]
            label = "\n".join(wrap(data.lines[n], 70)) if n < len(data.lines) else None
            ax.plot([xs[i] for i in on_line], [ys[i] for i in on_line], linewidth=2.5, markersize=8, zorder=3, label=label, **style)
        if data.lines:
            ax.legend(loc="upper left", prop=self.font(data.lang, _FOOTER_PT), frameon=False, labelcolor=_INK)
        high = max(ys)
        limit = 100.0 if data.unit == "percent" and high * 1.3 > 100 else high * 1.3
        ax.set_ylim(0, limit)
        ax.set_xlim(_month_before(points[0].when).toordinal(), _month_after(points[-1].when).toordinal())
        value_font = self.font(data.lang, _VALUE_PT, bold=True)
        labelled = _labelled_points(points)
        last_day = max(p.when for p in points)
        previous: dict[int, tuple[date, str]] = {}  # per line: the last label drawn, its day and side
        for i, point in enumerate(points):
            if i not in labelled:
                continue
            label = point.value_label + (f" [{point.note}]" if point.note else "")
            same_line = [p for p in points if p.line == point.line]
            place = _label_place([p.value for p in same_line], same_line.index(point))
            if point.when == last_day and place.endswith("right"):
                place = place.replace("right", "left")  # a label right of the last day runs off the image
            before = previous.get(point.line)
            if before is not None and _facing(before[1], place) and (point.when - before[0]).days < 2 * _MIN_LABEL_GAP_DAYS and point is not same_line[-1]:
                continue  # it would print over the label before it, which reaches towards it
            previous[point.line] = (point.when, place)
            offset, ha, va = _LABEL_PLACES[place]
            ax.annotate(
                label,
                (xs[i], ys[i]),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                color=_INK,
                fontproperties=value_font,
                parse_math=False,
                zorder=4,
            )
        ticks = _month_ticks(points[0].when, points[-1].when)
        ax.xaxis.set_major_locator(FixedLocator([t.toordinal() for t in ticks]))
        ax.set_xticks(
            [t.toordinal() for t in ticks], [_month_label(t, data.lang) for t in ticks], fontproperties=self.font(data.lang, _LABEL_PT - 1), color=_INK
        )
        self._style_value_axis(ax.yaxis, ax, scale)
        ax.grid(axis="y", color=_GRID, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.spines["left"].set_color(_MUTED)

    def _style_value_axis(self, axis: Any, ax: Any, scale: float) -> None:
        data = self.data
        percent = data.unit == "percent"
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}%" if percent else f"{v:,.0f}"))
        axis.set_label_text(data.axis_label, fontproperties=self.font(data.lang, _LABEL_PT), color=_MUTED)
        ax.tick_params(axis="x" if axis is ax.xaxis else "y", labelsize=_LABEL_PT - 1, colors=_MUTED)
        ax.spines["bottom"].set_color(_MUTED)


# Where a point's value label sits, relative to the point: (offset in points, ha, va).
_LABEL_PLACES = {
    "upper-left": ((-6, 9), "right", "bottom"),
    "upper-right": ((6, 9), "left", "bottom"),
    "lower-left": ((-6, -9), "right", "top"),
    "lower-right": ((6, -9), "left", "top"),
    "above": ((0, 10), "center", "bottom"),
    "below": ((0, -10), "center", "top"),
}


_MIN_LABEL_GAP_DAYS = 75  # closer value labels on one line overlap at the chart's width


def _labelled_points(points: list[Any]) -> set[int]:
    """Which points get a value label: the first and last of each line, and in between those at
    least `_MIN_LABEL_GAP_DAYS` after the last labelled one on their line (monthly values would
    otherwise print over each other; replies and the footer's sources still give every one)."""
    chosen: set[int] = set()
    for line in {p.line for p in points}:
        on_line = [i for i, p in enumerate(points) if p.line == line]
        last_labelled = None
        for i in on_line:
            is_end = i in (on_line[0], on_line[-1])
            far = last_labelled is None or (points[i].when - points[last_labelled].when).days >= _MIN_LABEL_GAP_DAYS
            near_end = (points[on_line[-1]].when - points[i].when).days < _MIN_LABEL_GAP_DAYS and i != on_line[-1]
            if is_end or (far and not near_end):
                chosen.add(i)
                last_labelled = i
    return chosen


def _facing(before: str, after: str) -> bool:
    """Do two labels reach towards each other: the first right of its point, the second not right of its own?"""
    return before.endswith("right") and not after.endswith("right")


def _label_place(values: list[float], i: int) -> str:
    """A side of the point the line does not run through, so the line never crosses its label.

    The segment to a higher neighbour fills the upper quadrant on that side, to a lower one the
    lower quadrant. The first label prefers the right and the last the left, so that both stay
    inside the plot; others prefer to sit above the line, where a reader looks first.
    """
    value = values[i]
    before = values[i - 1] if i > 0 else None
    after = values[i + 1] if i + 1 < len(values) else None
    if before is not None and after is not None:
        if before < value and after < value:
            return "above"
        if before > value and after > value:
            return "below"
    taken = set()
    if before is not None and before != value:
        taken.add("upper-left" if before > value else "lower-left")
    if after is not None and after != value:
        taken.add("upper-right" if after > value else "lower-right")
    if before is None:
        order = ("upper-right", "lower-right", "upper-left", "lower-left")
    elif after is None:
        order = ("upper-left", "lower-left", "upper-right", "lower-right")
    else:
        order = ("upper-left", "upper-right", "lower-right", "lower-left")
    return next(place for place in order if place not in taken)


def _month_before(day: date) -> date:
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def _month_after(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _month_ticks(first: date, last: date) -> list[date]:
    """Month starts between two dates, spaced so at most 8 fit; steps divide the year evenly."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8)
    ticks, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        if (year * 12 + month - 1) % step == 0:
            ticks.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks or [date(first.year, first.month, 1)]


_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_label(day: date, lang: str) -> str:
    return f"{day.year}年{day.month}月" if lang == "ja" else f"{_SHORT_MONTHS[day.month - 1]} {day.year}"


_default: ChartRenderer | None = None
_default_lock = threading.Lock()


def default_renderer() -> ChartRenderer:
    """The shared renderer (one cache for the process), made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ChartRenderer()
        return _default


def render_chart(kb: KnowledgeBase, key: str, lang: str = "en") -> bytes:
    """The chart `key` (chart key, fact id or topic id) as PNG bytes, from the shared cache.
    Raises ChartError (UnknownChart, NothingToChart) with a one-line message."""
    return default_renderer().render(kb, key, lang)


__all__ = ["DPI", "HEIGHT", "WIDTH", "ChartRenderer", "ChartSpec", "default_renderer", "find_japanese_font", "render_chart"]
