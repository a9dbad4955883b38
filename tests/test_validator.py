"""Each rejection the validator makes, with a small broken file and the exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import load_knowledge
from bot.knowledge.yamlsafe import Limits


def problems(folder: Path, limits: Limits = Limits()) -> list[str]:
    result = load_knowledge([folder], limits)
    return [str(p).replace(str(folder) + "/", "") for p in result.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_valid_fixture_loads(mini_dir: Path) -> None:
    result = load_knowledge([mini_dir])
    assert result.problems == []
    assert result.kb is not None and [f.id for f in result.kb.facts] == ["hospitals-using", "launch-year"]


def test_shipped_knowledge_is_valid() -> None:
    from bot.knowledge import default_knowledge_path

    result = load_knowledge([default_knowledge_path()])
    assert [str(p) for p in result.problems] == []


def test_unknown_key(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "    source: test-source\n  - id: launch-year", "    source: test-source\n    sauce: x\n  - id: launch-year")
    assert problems(mini_dir) == [
        "facts.yaml:19:5: facts[0].sauce: unknown key 'sauce'; expected one of: answer, chart, figures, id, keywords, questions, series, source"
    ]


def test_missing_required_field(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", '        counts: {en: "year it started", ja: "開始年"}\n', "")
    assert problems(mini_dir) == ["facts.yaml:27:9: facts[1].figures[0]: missing required key 'counts'"]


def test_duplicate_fact_id_across_files(mini_dir: Path) -> None:
    text = (mini_dir / "facts.yaml").read_text(encoding="utf-8").replace("id: test-topic", "id: other-topic")
    text = text.replace("how many", "how much").replace("launch year", "launching year").replace("when did", "when was")
    (mini_dir / "more.yaml").write_text(text, encoding="utf-8")
    assert problems(mini_dir) == [
        "more.yaml:5:5: facts[0].id: duplicate fact id 'hospitals-using'; also defined in facts.yaml:5",
        "more.yaml:19:5: facts[1].id: duplicate fact id 'launch-year'; also defined in facts.yaml:19",
    ]


def test_duplicate_key_in_mapping(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "    source: test-source\n  - id: launch-year", "    source: test-source\n    source: test-source\n  - id: launch-year")
    assert problems(mini_dir) == [
        "facts.yaml:19:5: facts[0].source: duplicate key 'source' (first defined on line 18); YAML would silently keep only the last one"
    ]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("yes", "boolean"), ("no", "boolean"), ("on", "boolean"), ("3.10", "number"), ("42", "integer")],
)
def test_yaml_scalars_where_text_expected(mini_dir: Path, raw: str, kind: str) -> None:
    edit(mini_dir / "facts.yaml", '"how many hospitals use the system"', raw)
    assert problems(mini_dir) == [f"facts.yaml:7:12: facts[0].questions.en[0]: expected text, found {kind} {raw!r}; put it in quotes"]


def test_unknown_source(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "    source: test-source\n  - id: launch-year", "    source: no-such-source\n  - id: launch-year")
    assert problems(mini_dir) == ["facts.yaml:18:5: facts[0].source: unknown source 'no-such-source'; declare it in sources.yaml"]


def test_number_in_answer_not_among_figures(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", '"29.6% of 892 hospitals use it."', '"31.8% of 892 hospitals use it."')
    assert problems(mini_dir) == [
        "facts.yaml:10:7: facts[0].answer.en: states the number '31.8%', which is not among this fact's figures, dates, bases or periods; add it as a figure or correct the sentence"
    ]


def test_number_with_scale_words(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", '"It started in 2016."', '"It started in 2016 with 70 million people."')
    assert any("states the number '70 million'" in p for p in problems(mini_dir))


def test_colliding_phrasing(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", '"launch year of the id system"', '"How many hospitals use the system?"')
    assert problems(mini_dir) == [
        "facts.yaml:21:51: launch-year.questions: phrasing 'How many hospitals use the system?' collides with 'how many hospitals use the system' of fact 'hospitals-using'; the bot could not tell them apart"
    ]


def test_phrasing_or_keyword_on_a_declared_gap(mini_dir: Path) -> None:
    """A phrasing or keyword naming a subject not_covered.yaml declares could only match itself:
    questions worded like it are declined."""
    (mini_dir / "not_covered.yaml").write_text(
        'not_covered:\n  - id: dental\n    what: {en: "dental clinics", ja: "歯科"}\n    terms:\n      en: ["dental"]\n      ja: ["歯科"]\n',
        encoding="utf-8",
    )
    assert problems(mini_dir) == []
    edit(mini_dir / "facts.yaml", '"launch year of the id system"', '"launch year of the id system at dental clinics"')
    edit(mini_dir / "facts.yaml", '"システムを使っている病院の割合は"', '"システムを使っている病院の割合は", "歯科の割合"')
    edit(mini_dir / "facts.yaml", '    answer:\n      en: "29.6%', '    keywords: {en: ["dental share"]}\n    answer:\n      en: "29.6%')
    tail = "which not_covered.yaml declares unanswered; reword it or narrow that entry's terms"
    assert problems(mini_dir) == [
        f"facts.yaml:8:32: hospitals-using.questions: phrasing '歯科の割合' mentions 'dental', {tail}",
        f"facts.yaml:22:51: launch-year.questions: phrasing 'launch year of the id system at dental clinics' mentions 'dental', {tail}",
        f"facts.yaml:5:0: hospitals-using.keywords: keyword 'dental share' mentions 'dental', {tail}",
    ]


def test_near_colliding_phrasing(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", '"launch year of the id system"', '"how many hospitals used the system"')
    found = problems(mini_dir)
    assert len(found) == 1 and "is nearly identical to" in found[0] or "collides with" in found[0]


def test_object_constructing_tag(mini_dir: Path) -> None:
    (mini_dir / "evil.yaml").write_text("topic: !!python/object/apply:os.system ['echo hi']\nfacts: []\n", encoding="utf-8")
    assert problems(mini_dir) == [
        "evil.yaml:1:8: topic: uses the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'; tags are not allowed in knowledge files"
    ]


def test_every_problem_in_one_run(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "    source: test-source\n  - id: launch-year", "    source: test-source\n    sauce: x\n  - id: launch-year")
    edit(mini_dir / "facts.yaml", '"It started in 2016."', '"It started in 2017."')
    edit(mini_dir / "sources.yaml", '"https://example.org/test"', '"ftp://example.org/test"')
    found = problems(mini_dir)
    assert len(found) == 3, found


def test_syntax_error_names_line(mini_dir: Path) -> None:
    (mini_dir / "facts.yaml").write_text("topic:\n  id: x\n  title: [unclosed\nfacts: []\n", encoding="utf-8")
    (found,) = problems(mini_dir)
    assert found.startswith("facts.yaml:4:") and "YAML syntax error" in found


def test_alias_bomb_rejected(mini_dir: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    (mini_dir / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (found,) = problems(mini_dir)
    assert "uses a YAML alias" in found


def test_non_utf8(mini_dir: Path) -> None:
    (mini_dir / "latin1.yaml").write_bytes("topic: caf\xe9\n".encode("latin-1"))
    assert problems(mini_dir) == ["latin1.yaml:1:0: is not valid UTF-8 (byte 0xe9 at offset 10)"]


def test_file_over_size_limit(mini_dir: Path) -> None:
    (mini_dir / "big.yaml").write_text("# " + "x" * 5000 + "\n", encoding="utf-8")
    assert problems(mini_dir, Limits(max_file_bytes=4096)) == ["big.yaml: is 5,003 bytes, over the limit of 4,096 bytes"]


def test_symlink_outside_folder(mini_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("sources: []\n", encoding="utf-8")
    (mini_dir / "link.yaml").symlink_to(outside)
    assert problems(mini_dir) == ["link.yaml: is a link to a file outside the knowledge folder; refusing to read it"]


def test_missing_folder(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: does not exist"]


def test_chart_group_mixing_units(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "    source: test-source\n  - id: launch-year", "    source: test-source\n    chart: mixed\n  - id: launch-year")
    text = (mini_dir / "facts.yaml").read_text(encoding="utf-8")
    (mini_dir / "facts.yaml").write_text(text.rstrip("\n") + "\n    chart: mixed\n", encoding="utf-8")
    result = load_knowledge([mini_dir])
    assert result.kb is None
    assert any("mixed" in str(p) and "unit" in str(p) for p in result.problems), [str(p) for p in result.problems]
