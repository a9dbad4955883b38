"""Charts of the knowledge base's figures: bar charts of chart groups, lines of dated series.

`available_charts`, `chart_for_fact` and `find_chart` say which charts exist without drawing
anything; `render_chart` draws one as PNG bytes (matplotlib, Agg, cached by knowledge version).
No discord here.
"""

from bot.charts.render import HEIGHT, WIDTH, ChartRenderer, default_renderer, find_japanese_font, render_chart
from bot.charts.spec import BAR, LINE, ChartData, ChartError, ChartSpec, NothingToChart, UnknownChart, available_charts, chart_data, chart_for_fact, find_chart

__all__ = [
    "BAR",
    "HEIGHT",
    "LINE",
    "WIDTH",
    "ChartData",
    "ChartError",
    "ChartRenderer",
    "ChartSpec",
    "NothingToChart",
    "UnknownChart",
    "available_charts",
    "chart_data",
    "chart_for_fact",
    "default_renderer",
    "find_chart",
    "find_japanese_font",
    "render_chart",
]
