"""Charts of the knowledge base's figures: bar charts of chart groups, lines of dated series.

`available_charts`, `chart_for_fact` and `find_chart` say which charts exist without drawing
anything; `render_chart` draws one as PNG bytes (matplotlib, Agg, cached by knowledge version).
No discord here.

The drawing names are loaded on first use: importing matplotlib takes about half a second, and
`python -m bot` imports this package (for the `chart` subcommand) on every run.
"""

from __future__ import annotations

from typing import Any

from bot.charts.spec import BAR, LINE, ChartData, ChartError, ChartSpec, NothingToChart, UnknownChart, available_charts, chart_data, chart_for_fact, find_chart

_RENDER_NAMES = ("HEIGHT", "WIDTH", "ChartRenderer", "default_renderer", "find_japanese_font", "render_chart")

__all__ = [
    "BAR",
    "LINE",
    "ChartData",
    "ChartError",
    "ChartSpec",
    "NothingToChart",
    "UnknownChart",
    "available_charts",
    "chart_data",
    "chart_for_fact",
    "find_chart",
    *_RENDER_NAMES,
]


def __getattr__(name: str) -> Any:
    if name in _RENDER_NAMES:
        from bot.charts import render

        return getattr(render, name)
    raise AttributeError(f"module 'bot.charts' has no attribute {name!r}")
