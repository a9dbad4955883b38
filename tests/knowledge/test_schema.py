"""The knowledge-file schema: the published JSON Schema matches the models, the models' errors
read as the validator's, a source may go without a title, and facts are plain frozen values."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.answer.format import source_line, source_title
from bot.answer.reply import Answerer, render_text
from bot.knowledge import Fact, load_knowledge
from bot.knowledge.schema import SCHEMA_PATH, json_schema, json_schema_text


def problems(folder: Path) -> list[str]:
    return [str(p).replace(str(folder) + "/", "") for p in load_knowledge([folder]).problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_committed_json_schema_is_the_models() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == json_schema_text(), (
        "knowledge/schema.json differs from the models in bot/knowledge/schema.py; regenerate it with "
        "`python -c 'import bot.knowledge.schema as s; s.write_json_schema()'` (or `python -m bot schema` where the command line has it)"
    )


def test_the_json_schema_describes_every_kind_of_file() -> None:
    schema = json_schema()
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in schema["anyOf"]}
    assert kinds == {"TopicFile", "SourcesFile", "NotCoveredFile", "AdditionsFile"}
    figure = schema["$defs"]["FigureSpec"]
    assert figure["additionalProperties"] is False
    assert "percent" in figure["properties"]["unit"]["enum"]
    assert set(figure["required"]) == {"value", "unit", "counts", "as_of"}
    assert "title" not in schema["$defs"]["SourceSpec"]["required"]
    json.dumps(schema)  # plain JSON


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('as_of: "2023-12-03"', "as_of: 2023-13", "facts.yaml:17:16: facts[0].figures[0].as_of: expected a date as YYYY-MM-DD or YYYY-MM, found '2023-13'"),
        (
            '"how many hospitals use the system"',
            "2024-01-02",
            "facts.yaml:7:12: facts[0].questions.en[0]: expected text, found date '2024-01-02'; put it in quotes",
        ),
        (
            "unit: percent",
            "unit: per-cent",
            "facts.yaml:{line}:{col}: facts[0].figures[0].unit: unknown unit 'per-cent'; expected one of: count, date, digits, hospitals, people, percent, year, years",
        ),
        (
            "id: hospitals-using",
            "id: Hospitals Using",
            "facts.yaml:5:9: facts[0].id: expected an id of lowercase letters, digits and hyphens, found 'Hospitals Using'",
        ),
    ],
)
def test_schema_errors_read_as_the_validator_words_them(mini_dir: Path, old: str, new: str, expected: str) -> None:
    text = (mini_dir / "facts.yaml").read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    col = text.index(old) - text.rfind("\n", 0, text.index(old))
    edit(mini_dir / "facts.yaml", old, new)
    assert problems(mini_dir) == [expected.format(line=line, col=col)]


def test_every_schema_problem_of_a_file_in_one_run(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "id: hospitals-using", "id: Hospitals")
    edit(mini_dir / "facts.yaml", "unit: percent", "unit: pct")
    edit(mini_dir / "sources.yaml", '"https://example.org/test"', "yes")
    found = problems(mini_dir)
    assert len(found) == 3, found
    assert "sources.yaml:5:10: sources[0].url: expected text, found boolean 'yes'; put it in quotes" in found


def test_a_source_without_a_title_shows_publisher_and_date(mini_dir: Path) -> None:
    edit(mini_dir / "sources.yaml", '    title: "A test source"\n', "")
    result = load_knowledge([mini_dir])
    assert result.ok, [str(p) for p in result.problems]
    assert result.kb is not None
    source = result.kb.sources["test-source"]
    assert source.title is None
    assert source_line(source, "en") == "Survey: Test Ministry; Reported by: Test Publisher (3 December 2023)"
    assert source_line(source, "ja") == "調査: テスト省 / 報道・出典: テスト出版 (2023年12月3日)"
    assert source_title(source, "en") == "Test Publisher"  # the link still has words to click
    reply = Answerer(result.kb).ask("how many hospitals use the system")
    assert reply.kind == "answer"
    text = render_text(reply)
    assert "Test Publisher (3 December 2023)" in text and "not recorded" not in text and "None" not in text


def test_a_fact_is_a_frozen_slotted_dataclass(mini_dir: Path) -> None:
    kb = load_knowledge([mini_dir]).kb
    assert kb is not None
    fact = kb.facts[0]
    assert isinstance(fact, Fact) and dataclasses.is_dataclass(fact) and not hasattr(fact, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.id = "x"  # type: ignore[misc]
    changed = fact.replace(line=99)
    assert changed.line == 99 and changed.id == fact.id and changed != fact and fact.line != 99
    assert fact.replace() == fact and hash(fact.replace()) == hash(fact)


def test_a_fact_with_a_schema_problem_leaves_the_others_checked(mini_dir: Path) -> None:
    edit(mini_dir / "facts.yaml", "unit: percent", "unit: pct")  # the first fact
    edit(mini_dir / "facts.yaml", '"It started in 2016."', '"It started in 2017."')  # the second
    found = problems(mini_dir)
    assert [p.split(": ")[1] for p in found] == ["facts[0].figures[0].unit", "facts[1].answer.en"], found


def test_many_broken_facts_are_each_reported_once(tmp_path: Path) -> None:
    entry = '  - id: fact-{i}\n    questions: {{en: ["question {i}"], ja: ["質問{i}"]}}\n    answer: {{en: "a", ja: "a"}}\n    figures: []\n    source: s\n    sauce: x\n'
    text = "topic: {id: t, title: {en: T, ja: T}}\nfacts:\n" + "".join(entry.format(i=i) for i in range(3000))
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    found = problems(tmp_path)
    assert len(found) == 3000 and all("unknown key 'sauce'" in p for p in found)


def test_an_optional_key_given_as_null_is_refused_not_read_as_absent(mini_dir: Path) -> None:
    edit(mini_dir / "sources.yaml", '    title: "A test source"\n', "    title: ~\n")
    assert problems(mini_dir) == ["sources.yaml:4:12: sources[0].title: expected text, found null '~'"]
