"""Chart images: their size, that they follow the data, Japanese glyphs, cache and threads."""

from __future__ import annotations

import logging
import shutil
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from bot.charts import HEIGHT, WIDTH, ChartRenderer, available_charts, find_japanese_font, render_chart
from bot.knowledge import KnowledgeBase, default_knowledge_path, load_knowledge

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def chart_keys(kb: KnowledgeBase) -> list[str]:
    return [spec.key for spec in available_charts(kb)]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_chart_renders_at_the_fixed_size(kb: KnowledgeBase, lang: str) -> None:
    keys = chart_keys(kb)
    assert len(keys) == 5
    images = [render_chart(kb, key, lang) for key in keys]
    assert [png_size(png) for png in images] == [(WIDTH, HEIGHT)] * len(keys)
    assert len(set(images)) == len(images)  # no two charts came out the same


def test_two_bases_are_two_labelled_lines_never_joined(kb: KnowledgeBase) -> None:
    figure = ChartRenderer().figure(kb, "usage-rate", "en")
    axes = [ax for ax in figure.axes if ax.get_lines()]
    assert len(axes) == 1
    lines = axes[0].get_lines()
    points = {line.get_label(): list(line.get_ydata()) for line in lines}
    assert len(lines) == 2
    old = next(ys for label, ys in points.items() if label.startswith("Old basis"))
    new = next(ys for label, ys in points.items() if label.startswith("New basis"))
    assert 37.14 in old and 47.26 not in old
    assert new == [47.26]
    legend = axes[0].get_legend()
    assert legend is not None and [t.get_text().replace("\n", " ") for t in legend.get_texts()] == [
        "Old basis: card checks as a share of online eligibility checks",
        "New basis (main figure from the December 2025 release): card users as a share of insurance claims",
    ]
    values = [t.get_text() for t in axes[0].texts]
    # monthly values are not all labelled (they would overlap); both October 2025 values are,
    # and the one on the chart's last day sits left of its point, inside the image
    assert len(values) < 12 and any(v.startswith("37.14%") for v in values) and any(v.startswith("47.26%") for v in values)
    last = next(t for t in axes[0].texts if t.get_text().startswith("47.26%"))
    assert last.get_horizontalalignment() == "right"


def test_one_base_draws_one_line_without_legend(kb: KnowledgeBase) -> None:
    figure = ChartRenderer().figure(kb, "registrations", "en")
    axes = [ax for ax in figure.axes if ax.get_lines()]
    assert len(axes[0].get_lines()) == 1 and axes[0].get_legend() is None


def test_single_fact_chart_renders(kb: KnowledgeBase) -> None:
    assert png_size(render_chart(kb, "survey-overview")) == (WIDTH, HEIGHT)


def test_image_follows_a_changed_figure(tmp_path: Path, kb: KnowledgeBase) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    survey = folder / "hospital_survey.yaml"
    text = survey.read_text(encoding="utf-8")
    assert "value: 29.6\n" in text
    # The answer sentences and questions state the number too; the validator insists they agree.
    survey.write_text(text.replace("29.6", "35.1"), encoding="utf-8")
    changed = load_knowledge([folder])
    assert changed.kb is not None, [str(p) for p in changed.problems]
    assert changed.kb.version != kb.version
    renderer = ChartRenderer()
    before, after = renderer.render(kb, "hospital-use"), renderer.render(changed.kb, "hospital-use")
    assert png_size(after) == (WIDTH, HEIGHT)
    assert before != after
    # a chart that does not show that figure is drawn the same from either knowledge base
    assert renderer.render(kb, "patient-merits") == renderer.render(changed.kb, "patient-merits")


def test_cache_is_keyed_by_version_key_and_language(kb: KnowledgeBase) -> None:
    renderer = ChartRenderer(cache_size=2)
    first = renderer.render(kb, "hospital-use", "en")
    assert renderer.render(kb, "hospitals-using-system", "en") is first  # same chart by its fact's id
    japanese = renderer.render(kb, "hospital-use", "ja")
    assert japanese is not first and japanese != first
    renderer.render(kb, "usage-rate", "en")  # pushes the oldest entry out of a 2-entry cache
    again = renderer.render(kb, "hospital-use", "en")
    assert again is not first and again == first  # drawn afresh, and drawing is deterministic


def _japanese_texts(renderer: ChartRenderer, kb: KnowledgeBase, key: str) -> list[Text]:
    figure = renderer.figure(kb, key, "ja")
    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return [t for t in texts if any(ord(ch) > 0x2FFF for ch in t.get_text())]


def _missing_glyphs(text: Text) -> set[str]:
    path = findfont(text.get_fontproperties(), fallback_to_default=False)
    charmap = FT2Font(path).get_charmap()
    return {ch for ch in text.get_text() if not ch.isspace() and ord(ch) not in charmap}


def test_japanese_labels_use_a_font_with_their_glyphs(kb: KnowledgeBase) -> None:
    font = find_japanese_font()
    assert font is not None, "matplotlib-fontja (a dependency) should provide IPAex Gothic"
    renderer = ChartRenderer()
    for key in chart_keys(kb):
        texts = _japanese_texts(renderer, kb, key)
        assert len(texts) >= 3, key  # heading, subtitle, labels at least
        for text in texts:
            assert _missing_glyphs(text) == set(), (key, text.get_text())


def test_the_glyph_check_would_catch_a_latin_only_font(kb: KnowledgeBase) -> None:
    # The same texts in matplotlib's default font would be drawn as empty boxes.
    texts = _japanese_texts(ChartRenderer(), kb, "hospital-use")
    text = texts[0]
    text.set_fontproperties(FontProperties(family="DejaVu Sans"))
    assert _missing_glyphs(text)


def test_japanese_render_warns_of_no_missing_glyph(kb: KnowledgeBase) -> None:
    renderer = ChartRenderer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for key in chart_keys(kb):
            renderer.render(kb, key, "ja")
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []


def test_without_a_japanese_font_charts_fall_back_to_english(kb: KnowledgeBase, caplog: pytest.LogCaptureFixture) -> None:
    without = ChartRenderer(japanese_font=None)
    with caplog.at_level(logging.WARNING, logger="bot.charts.render"):
        fallback = without.render(kb, "patient-merits", "ja")
        without.render(kb, "hospital-use", "ja")
    assert fallback == ChartRenderer().render(kb, "patient-merits", "en")
    warnings_logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings_logged == ["No Japanese font found (the project installs matplotlib-fontja); drawing charts with English labels."]


def test_rendering_from_threads_matches_rendering_in_turn(kb: KnowledgeBase) -> None:
    jobs = [(key, lang) for key in chart_keys(kb) for lang in ("en", "ja")]
    in_turn = {job: ChartRenderer().render(kb, *job) for job in jobs}
    shared = ChartRenderer()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: (job, shared.render(kb, *job)), jobs * 3))
    assert all(png == in_turn[job] for job, png in results)


@pytest.mark.parametrize(
    ("values", "places"),
    [
        # the usage rate: rising all the way, labels on the side the line does not run through
        ([4, 15.67, 18.52, 37.14], ["lower-right", "upper-left", "upper-left", "upper-left"]),
        ([10, 30, 20], ["lower-right", "above", "lower-left"]),
        ([30, 10, 20], ["upper-right", "below", "upper-left"]),
        ([30, 20, 10], ["upper-right", "upper-right", "lower-left"]),
        ([5, 5], ["upper-right", "upper-left"]),
    ],
)
def test_value_labels_avoid_the_line(values: list[float], places: list[str]) -> None:
    from bot.charts.render import _label_place

    assert [_label_place(values, i) for i in range(len(values))] == places


def test_labels_reaching_towards_each_other_need_twice_the_gap() -> None:
    from bot.charts.render import _facing

    # 4.49% (October 2023) sits right of its point, 4.60% (January 2024) left of its own: they would overlap
    assert _facing("upper-right", "upper-left") and _facing("lower-right", "above")
    assert not _facing("upper-left", "upper-right") and not _facing("upper-right", "lower-right")
