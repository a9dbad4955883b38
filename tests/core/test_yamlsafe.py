"""Safe YAML reading (bot/knowledge/yamlsafe.py): values and their positions, the fallback of
`Located.at`, each refusal with its place, which problem wins when there are several, and the
limits enforced while the file is read rather than after it is built."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge import yamlsafe
from bot.knowledge.yamlsafe import Limits, Problem, Scalar, YamlError, parse_yaml_text, plain, read_yaml

DOC = """\
topic:
  id: t1
  title: {en: "Title", ja: タイトル}
facts:
  - id: f1
    questions:
      en: ["q one", 'q two']
    figures:
      - value: 6.5
        unit: percent
  - id: f2
    answer: |
      two
      lines
"""


def parse(text: str, **limits: int) -> tuple[Any, yamlsafe.Located]:
    return parse_yaml_text(text, "f.yaml", Limits(**limits))


def refusal(text: str, **limits: int) -> Problem:
    with pytest.raises(YamlError) as info:
        parse(text, **limits)
    assert str(info.value) == str(info.value.problem)
    return info.value.problem


def test_values_are_plain_containers_of_scalars_with_their_positions() -> None:
    doc, _ = parse(DOC)
    assert isinstance(doc, dict) and isinstance(doc["facts"], list)
    assert plain(doc) == {
        "topic": {"id": "t1", "title": {"en": "Title", "ja": "タイトル"}},
        "facts": [
            {"id": "f1", "questions": {"en": ["q one", "q two"]}, "figures": [{"value": 6.5, "unit": "percent"}]},
            {"id": "f2", "answer": "two\nlines\n"},
        ],
    }
    assert list(doc) == ["topic", "facts"] and list(doc["facts"][0]) == ["id", "questions", "figures"]
    assert type(plain(doc)) is dict and type(plain(doc)["facts"]) is list
    assert doc["topic"]["id"] == Scalar("t1", "text", "t1", 2, 7)
    assert doc["topic"]["title"]["ja"] == Scalar("タイトル", "text", "タイトル", 3, 28)
    assert doc["facts"][0]["questions"]["en"][1] == Scalar("q two", "text", "q two", 7, 21)
    assert doc["facts"][0]["figures"][0]["value"] == Scalar(6.5, "number", "6.5", 9, 16)
    assert doc["facts"][1]["answer"] == Scalar("two\nlines\n", "text", "two\nlines\n", 12, 13)


def test_at_gives_the_key_of_a_mapping_entry_and_the_value_of_a_list_item() -> None:
    _, located = parse(DOC)
    assert located.at(()) == (1, 1)  # the document's mapping
    assert located.at(("topic",)) == (1, 1)  # the key, not the mapping under it (2, 3)
    assert located.at(("facts",)) == (4, 1)
    assert located.at(("facts", 1)) == (11, 5)  # a list item: where its mapping starts
    assert located.at(("facts", 0, "questions", "en", 1)) == (7, 21)  # a list item: the scalar itself
    assert located.at(("facts", 0, "figures", 0, "value")) == (9, 9)  # the key; the value is at (9, 16)
    assert located.at(("topic", "title", "ja")) == (3, 24)


@pytest.mark.parametrize(
    ("path", "nearest"),
    [
        (("facts", 0, "nope"), (5, 5)),  # no such key: the enclosing list item
        (("facts", 7, "id"), (4, 1)),  # no such index
        (("facts", -1), (4, 1)),  # no negative indices
        (("facts", "0"), (4, 1)),  # a key where a list is
        (("topic", 0), (1, 1)),  # an index where a mapping is
        (("topic", "id", "deeper"), (2, 3)),  # below a scalar
        (("nope", "id"), (1, 1)),  # the whole document
    ],
)
def test_at_falls_back_to_the_nearest_enclosing_path(path: tuple[Any, ...], nearest: tuple[int, int]) -> None:
    _, located = parse(DOC)
    assert located.at(path) == nearest


def test_at_on_an_empty_document_and_on_a_lone_scalar() -> None:
    for text in ("", "# only a comment\n"):
        doc, located = parse(text)
        assert doc is None
        assert located.at(()) == located.at(("a", 0)) == (0, 0)
    doc, located = parse("\n  hello\n")
    assert doc == Scalar("hello", "text", "hello", 2, 3)
    assert located.at(()) == located.at(("a",)) == (2, 3)


def test_scalar_kinds_as_yaml_resolves_them() -> None:
    text = "i: 0x1F\nu: 1_000\nf: 1.5\nt: yes\nn: ~\nd: 2024-01-02\nq: '42'\nbang: ! 7\nstr: !!str 5\nbad: !!int x\nmerge: '<<'\n"
    doc, _ = parse(text)
    got = {k: (v.value, v.kind) for k, v in doc.items()}
    assert got == {
        "i": (31, "integer"),
        "u": (1000, "integer"),
        "f": (1.5, "number"),
        "t": (True, "boolean"),
        "n": (None, "null"),
        "d": ("2024-01-02", "date"),
        "q": ("42", "text"),  # quoted: always text
        "bang": (7, "integer"),  # the non-specific tag "!" is resolved like no tag
        "str": ("5", "text"),
        "bad": ("x", "integer"),  # an explicit known tag whose text does not convert keeps the text
        "merge": ("<<", "text"),
    }
    assert [k for k in parse("1: a\nnull: b\n'x': c\n")[0]] == ["1", "null", "x"]  # keys are their text


def test_scalar_is_slotted_with_its_fields_and_constructor() -> None:
    s = Scalar(1, "integer", "1", 3, 4)
    assert not hasattr(s, "__dict__")
    assert [f.name for f in fields(Scalar)] == ["value", "kind", "raw", "line", "column"]
    assert s == Scalar(value=1, kind="integer", raw="1", line=3, column=4)


# as PyYAML's composer words it (it composes on libyaml's parser too)
_REPEATED_ANCHOR = "found duplicate anchor 'x'; first occurrence"

# text, limits, (line, column, path, message)
REFUSALS: dict[str, tuple[str, dict[str, int], tuple[int, int, str, str]]] = {
    "syntax": ("a: 1\nb: [1, 2\nc: 3\n", {}, (3, 2, "", "YAML syntax error: while parsing a flow sequence: did not find expected ',' or ']'")),
    "duplicate key": (
        "a: 1\nb:\n  x: 1\n  x: [2]\n",
        {},
        (4, 3, "b.x", "duplicate key 'x' (first defined on line 3); YAML would silently keep only the last one"),
    ),
    "alias": ("a: &x 1\nb: *x\n", {}, (2, 4, "", "uses a YAML alias (*name); anchors and aliases are not allowed in knowledge files")),
    "anchor": ("a: 1\nb: &x [1]\n", {}, (2, 4, "b", "uses a YAML anchor (&name); anchors and aliases are not allowed in knowledge files")),
    "anchor on a key": ("a: 1\n&x b: 2\n", {}, (2, 1, "", "uses a YAML anchor (&name); anchors and aliases are not allowed in knowledge files")),
    "repeated anchor": ("a: &x 1\nb: &x 2\n", {}, (2, 4, "", f"YAML syntax error: {_REPEATED_ANCHOR}: second occurrence")),
    "tag": ("a:\n  - 1\n  - !foo 2\n", {}, (3, 5, "a[1]", "uses the YAML tag '!foo'; tags are not allowed in knowledge files")),
    "tag on a mapping": ("a: !!set {x, y}\n", {}, (1, 4, "a", "uses the YAML tag 'tag:yaml.org,2002:set'; tags are not allowed in knowledge files")),
    "tag on the document": (
        "!!python/name:os.system\n",
        {},
        (1, 1, "", "uses the YAML tag 'tag:yaml.org,2002:python/name:os.system'; tags are not allowed in knowledge files"),
    ),
    "merge key": ("a: {x: 1}\nb:\n  <<: {y: 2}\n", {}, (3, 3, "b", "uses a YAML merge key (<<); not allowed in knowledge files")),
    "key not text": ("a:\n  ? [x, y]\n  : 1\n", {}, (2, 5, "a", "has a key that is not plain text")),
    "mappings too deep": ("a:\n  b:\n    c:\n      d: 1\n", {"max_depth": 2}, (4, 7, "", "is nested more than 2 levels deep")),
    "scalar too deep": ("a:\n  b:\n    c: 1\n", {"max_depth": 2}, (3, 8, "a.b.c", "is nested more than 2 levels deep")),
    "too many values": ("a: [1, 2, 3, 4, 5, 6]\n", {"max_nodes": 5}, (1, 11, "", "has more than 5 values")),
    "too many keys": ("x:\n  a: 1\n  b: 2\n  c: 3\n  d: 4\n  e: 5\n", {"max_mapping_keys": 3}, (2, 3, "x", "has 5 keys, over the limit of 3")),
    "two documents": ("a: 1\n---\nb: 2\n", {}, (2, 1, "", "YAML syntax error: expected a single document in the stream: but found another document")),
    # when there are several problems, the one reported is the one reported before this was a single pass
    "a later syntax error before a tag": (
        "a: !foo 1\nb: [1, 2\n",
        {},
        (3, 1, "", "YAML syntax error: while parsing a flow sequence: did not find expected ',' or ']'"),
    ),
    "a later alias before a duplicate key": (
        "a: 1\na: 2\nb: *x\n",
        {},
        (3, 4, "", "uses a YAML alias (*name); anchors and aliases are not allowed in knowledge files"),
    ),
    "too many values later before a tag": ("a: !foo 1\nb: [1, 2, 3, 4]\n", {"max_nodes": 5}, (2, 5, "", "has more than 5 values")),
    "a second document before an earlier tag": (
        "a: !foo 1\n---\nb: 2\n",
        {},
        (2, 1, "", "YAML syntax error: expected a single document in the stream: but found another document"),
    ),
    "a repeated anchor before a later syntax error": (
        "a: &x 1\nb: &x 2\nc: [\n",
        {},
        (2, 4, "", f"YAML syntax error: {_REPEATED_ANCHOR}: second occurrence"),
    ),
    "a second document before a syntax error in it": (
        "a: 1\n---\nb: [\n",
        {},
        (2, 1, "", "YAML syntax error: expected a single document in the stream: but found another document"),
    ),
    "too many keys before a duplicate inside": ("a: {x: 1, x: 2}\nb: 2\nc: 3\nd: 4\n", {"max_mapping_keys": 3}, (1, 1, "", "has 4 keys, over the limit of 3")),
    "an earlier duplicate before a mapping with too many keys": (
        "a: 1\na: 2\nb: {p: 1, q: 2, r: 3, s: 4}\n",
        {"max_mapping_keys": 3},
        (2, 1, "a", "duplicate key 'a' (first defined on line 1); YAML would silently keep only the last one"),
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_each_refusal_says_where(name: str) -> None:
    text, limits, (line, column, path, message) = REFUSALS[name]
    assert refusal(text, **limits) == Problem("f.yaml", line, column, path, message)


@pytest.mark.parametrize(
    ("at_limit", "over", "limits", "message"),
    [
        ("a: 1\nb: 2\nc: 3\n", "a: 1\nb: 2\nc: 3\nd: 4\n", {"max_mapping_keys": 3}, "has 4 keys, over the limit of 3"),
        ("a: 1\nb: 2\n", "a: 1\nb: 2\nc: 3\n", {"max_nodes": 5}, "has more than 5 values"),  # the document's mapping counts
        ("a: {b: {}}\n", "a: {b: {c: {}}}\n", {"max_depth": 2}, "is nested more than 2 levels deep"),
        ("a: {b: {}}\n", "a: {b: {c: 1}}\n", {"max_depth": 2}, "is nested more than 2 levels deep"),
    ],
)
def test_a_limit_lets_through_what_is_at_it(at_limit: str, over: str, limits: dict[str, int], message: str) -> None:
    parse(at_limit, **limits)
    assert refusal(over, **limits).message == message


_Base: Any = yamlsafe._Loader  # libyaml's loader when there is one


class _CountingLoader(_Base):
    events = 0

    def get_event(self) -> Any:
        _CountingLoader.events += 1
        return super().get_event()


def _events_read(monkeypatch: pytest.MonkeyPatch, text: str, **limits: int) -> tuple[int, Problem]:
    monkeypatch.setattr(yamlsafe, "_Loader", _CountingLoader)
    _CountingLoader.events = 0
    problem = refusal(text, **limits)
    return _CountingLoader.events, problem


def test_too_many_values_is_refused_as_soon_as_the_limit_is_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "facts: [" + "1, " * 100_000 + "1]\n"
    events, problem = _events_read(monkeypatch, text, max_nodes=1_000)
    assert problem.message == "has more than 1,000 values"
    assert events < 1_010  # not the 100,000 values after it


def test_too_deep_a_nesting_is_refused_as_soon_as_it_is_met(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: [[[[[[1]]]]]]\nb: [" + "1, " * 100_000 + "1]\n"
    events, problem = _events_read(monkeypatch, text, max_depth=3)
    assert (problem.line, problem.column, problem.message) == (1, 7, "is nested more than 3 levels deep")
    assert events < 20


@pytest.mark.parametrize(
    ("first", "limits", "message"),
    [
        ("a: !foo x\n", {}, "uses the YAML tag '!foo'"),
        ("a: 1\na: 2\n", {}, "duplicate key 'a'"),
        ("".join(f"k{i}: {i}\n" for i in range(20)), {"max_mapping_keys": 10}, "has 21 keys, over the limit of 10"),
    ],
)
def test_the_first_problem_with_a_value_is_reported_before_a_long_valid_rest(first: str, limits: dict[str, int], message: str) -> None:
    rest = "rest:\n" + "".join(f"  - {{z{i}: 'some text'}}\n" for i in range(10_000))
    assert message in str(refusal(first + rest, **limits))


def test_read_yaml_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_bytes("\ufeffa:\n  b: [x]\n".encode())
    digest = hashlib.sha256()
    doc, located = read_yaml(path, "k.yaml", digest=digest)
    assert plain(doc) == {"a": {"b": ["x"]}}
    assert located.at(("a", "b", 0)) == (2, 7)
    assert digest.hexdigest() == hashlib.sha256(b"k.yaml\0" + path.read_bytes() + b"\0").hexdigest()


def test_the_pure_python_parser_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parse(DOC)
    monkeypatch.setattr(yamlsafe, "_Loader", yaml.SafeLoader)
    slow = parse(DOC)
    assert fast[0] == slow[0]
    for path in [(), ("facts", 0, "questions", "en", 1), ("facts", 0, "figures", 0, "value"), ("facts", 9)]:
        assert fast[1].at(path) == slow[1].at(path)
    assert refusal("a: &x 1\nb: &x 2\n").message == "YAML syntax error: found duplicate anchor 'x'; first occurrence: second occurrence"
    # the pure-Python reader refuses a control character when it is created: still one problem
    assert refusal("a: \x07\n").message.startswith("YAML error: unacceptable character #x0007")
