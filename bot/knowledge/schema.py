"""The shape of knowledge files as pydantic models, and their errors as moderators read them.

Four kinds of file: a topic with its facts, the sources, `not_covered` (what the sources have no
figure for) and `added_questions.yaml` (phrasings the bot added). The models are strict: a YAML
boolean, number or date where text is expected is an error, as is any key not named here.
`problems_from` turns pydantic's errors into `Problem`s at the line and column of the YAML,
worded as the validator has always worded them. `json_schema()` is the same shape for editors.
"""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from bot.knowledge.yamlsafe import Located, Problem, Scalar, format_path

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DATE_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?$"
LINK_PATTERN = r"^https?://"
MAX_QUESTION_CHARS = 200
Unit = Literal["count", "date", "digits", "hospitals", "people", "percent", "year", "years"]
Qualifier = Literal["about", "at_least", "more_than", "over", "up_to"]
UNITS: tuple[str, ...] = typing.get_args(Unit)
QUALIFIERS: tuple[str, ...] = typing.get_args(Qualifier)


@dataclass(frozen=True, slots=True)
class YamlDate:
    """An unquoted YAML date (`2024-01-02`), given to the models as such: a date field takes it
    as its text, a text field refuses it ("put it in quotes")."""

    raw: str


def _date_as_text(value: Any) -> Any:
    return value.raw if isinstance(value, YamlDate) else value


def _figure_value(value: Any) -> Any:
    if isinstance(value, YamlDate):
        return value.raw
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PydanticCustomError("figure_value", "expected a number")
    return float(value) if isinstance(value, int) else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=ID_PATTERN)]
IsoDate = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=DATE_PATTERN), BeforeValidator(_date_as_text)]
Link = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=LINK_PATTERN)]
Phrasing = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_CHARS)]
FigureValue = Annotated[float | str, BeforeValidator(_figure_value), Field(description="a number; an ISO date when unit is date")]


class StrictModel(BaseModel):
    """A part of a knowledge file: no keys but its fields, no conversion between YAML types.

    An optional field defaults to None but is typed without it: a key given as YAML null is
    refused ("expected text, found null") rather than read as absent."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Bilingual(StrictModel):
    """Text in English and Japanese."""

    en: Text
    ja: Text


class Label(StrictModel):
    """Text in English, and in Japanese when it differs."""

    en: Text
    ja: Text = None  # type: ignore[assignment]


def _text_or_mapping(value: Any) -> str:
    return "<mapping>" if isinstance(value, dict) else "<text>"


# one text for both languages, or {en, ja}; the tags pick the branch whose errors are reported
LabelOrText = Annotated[Annotated[Text, Tag("<text>")] | Annotated[Label, Tag("<mapping>")], Discriminator(_text_or_mapping)]


class Questions(StrictModel):
    en: Annotated[list[Phrasing], Field(min_length=1)]
    ja: Annotated[list[Phrasing], Field(min_length=1)]


class Keywords(StrictModel):
    en: list[Text] = []
    ja: list[Text] = []


class FigureSpec(StrictModel):
    value: FigureValue
    unit: Unit
    counts: LabelOrText
    as_of: IsoDate
    qualifier: Qualifier = None  # type: ignore[assignment]
    base: LabelOrText = None  # type: ignore[assignment]
    period: LabelOrText = None  # type: ignore[assignment]
    source: Id = Field(default=None, description="when it differs from the fact's source")  # type: ignore[assignment]


class FactSpec(StrictModel):
    id: Id
    questions: Questions
    keywords: Keywords = None  # type: ignore[assignment]
    answer: Bilingual
    figures: list[FigureSpec]
    source: Id
    series: Id = None  # type: ignore[assignment]
    chart: Id = None  # type: ignore[assignment]


class TopicSpec(StrictModel):
    id: Id
    title: Bilingual


class TopicFile(StrictModel):
    """One topic and its facts."""

    topic: TopicSpec
    facts: list[FactSpec]


class SourceSpec(StrictModel):
    id: Id
    publisher: LabelOrText
    title: LabelOrText = None  # type: ignore[assignment]
    url: Link
    date: IsoDate = None  # type: ignore[assignment]
    survey_by: LabelOrText = None  # type: ignore[assignment]


class SourcesFile(StrictModel):
    """The sources facts cite."""

    sources: list[SourceSpec]


class GapSpec(StrictModel):
    id: Id
    what: Bilingual
    terms: Keywords


class NotCoveredFile(StrictModel):
    """What people ask about that the sources have no figure for."""

    not_covered: list[GapSpec]


class AdditionSpec(StrictModel):
    fact: Id
    question: Text
    lang: Literal["en", "ja"] = None  # type: ignore[assignment]


class AdditionsFile(StrictModel):
    """Phrasings the bot added to facts (added_questions.yaml)."""

    additions: list[AdditionSpec] | None


FILE_MODELS: tuple[type[StrictModel], ...] = (TopicFile, SourcesFile, NotCoveredFile, AdditionsFile)
SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "knowledge" / "schema.json"


def is_date(text: str) -> bool:
    """Whether the text is a date as the files write them (YYYY-MM-DD or YYYY-MM)."""
    return re.match(DATE_PATTERN, text) is not None


def json_schema() -> dict[str, Any]:
    """One JSON Schema for every knowledge file (any of the four kinds), for editors."""
    schema = TypeAdapter(TopicFile | SourcesFile | NotCoveredFile | AdditionsFile).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Knowledge file"
    return schema


def json_schema_text() -> str:
    """`json_schema()` as the text of knowledge/schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    """Write `json_schema()` where editors find it (knowledge/schema.json by default)."""
    path.write_text(json_schema_text(), encoding="utf-8")
    return path


def validate(
    model: type[StrictModel], doc: Any, display: str, located: Located, file_model: type[StrictModel] | None = None, at: tuple[Any, ...] = ()
) -> tuple[Any, list[Problem]]:
    """The model of `doc`, or None and every problem pydantic found in it. `doc` may be a part of
    a file, at path `at` in it, described by `model` inside the file's `file_model`."""
    try:
        return model.model_validate(as_input(doc)), []
    except ValidationError as exc:
        return None, problems_from(exc, doc, display, located, file_model or model, at)


def as_input(node: Any) -> Any:
    """Read YAML values (with `Scalar`s) as the models take them."""
    if isinstance(node, dict):
        return {k: as_input(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_input(v) for v in node]
    if isinstance(node, Scalar) and node.kind == "date":
        return YamlDate(node.raw)
    return node.value if isinstance(node, Scalar) else node


_LISTS = {"figures": "a list of figures (or [])", "facts": "a list of facts", "sources": "a list of sources", "not_covered": "a list", "additions": "a list"}


def problems_from(exc: ValidationError, doc: Any, display: str, located: Located, model: type[StrictModel], at: tuple[Any, ...] = ()) -> list[Problem]:
    """`exc`'s errors as problems; `doc` is the part of the file at path `at`, `model` the file's."""
    problems = []
    for error in exc.errors(include_url=False):
        inside = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("<")))
        node = _node_at(doc, inside)
        loc = at + inside
        message = _message(error["type"], error.get("ctx") or {}, loc, node, model) or f"{error['msg'][:1].lower()}{error['msg'][1:]}"
        if isinstance(node, Scalar) and error["type"] not in {"literal_error", "extra_forbidden", "missing"}:
            line, column = node.line, node.column
        else:
            line, column = located.at(loc[:-1] if error["type"] == "missing" else loc)
        path = loc[:-1] if error["type"] == "missing" else loc
        problems.append(Problem(display, line, column, format_path(path), message))
    return problems


def _message(kind: str, ctx: dict[str, Any], loc: tuple[Any, ...], node: Any, model: type[StrictModel]) -> str | None:
    """The validator's wording of one pydantic error; None for an error it has no words for."""
    name = loc[-1] if loc else ""
    found = describe(node)
    if kind == "missing":
        return f"missing required key {name!r}"
    if kind == "extra_forbidden":
        return f"unknown key {name!r}; expected one of: {', '.join(sorted(_fields_at(model, loc[:-1])))}"
    if kind == "string_type":
        hint = "; put it in quotes" if isinstance(node, Scalar) and node.kind != "null" else ""
        return f"expected text, found {found}{hint}"
    if kind == "string_too_short":
        return "is empty; expected text"
    if kind == "string_too_long":
        return f"is {len(str(node.value if isinstance(node, Scalar) else node).strip())} characters; a phrasing may have at most {ctx['max_length']}"
    if kind == "string_pattern_mismatch":
        value = str(node.value if isinstance(node, Scalar) else node).strip()
        pattern = ctx.get("pattern")
        if pattern == ID_PATTERN:
            return f"expected an id of lowercase letters, digits and hyphens, found {value!r}"
        if pattern == DATE_PATTERN:
            return f"expected a date as YYYY-MM-DD or YYYY-MM, found {value!r}"
        return f"expected an http(s) link, found {value!r}"
    if kind == "literal_error":
        value = node.value if isinstance(node, Scalar) else node
        if isinstance(node, Scalar) and node.kind != "text":
            return f"expected text, found {found}"
        if name == "unit":
            return f"unknown unit {value!r}; expected one of: {', '.join(sorted(UNITS))}"
        if name == "qualifier":
            return f"unknown qualifier {value!r}; expected one of: {', '.join(sorted(QUALIFIERS))}"
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"expected one of {expected}, found {value!r}"
    if kind == "figure_value":
        return f"expected a number, found {found}"
    if kind == "list_type":
        return f"expected {_LISTS.get(name, 'a list of text')}, found {found}"
    if kind == "too_short":
        return "needs at least one entry"
    if kind == "model_type":
        if ctx.get("class_name") == "Bilingual":
            return f"expected a mapping with 'en' and 'ja', found {found}"
        fields = _fields_at(model, loc)
        keys = sorted(k for k, f in fields.items() if f.is_required()) or sorted(fields)  # else the optional ones
        return f"expected a mapping with keys {', '.join(keys)}, found {found}"
    return None


def describe(node: Any) -> str:
    """What a YAML value is, for messages: "integer '42'", "a mapping", "nothing"."""
    if isinstance(node, Scalar):
        return f"{node.kind} {node.raw!r}"
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, list):
        return "a list"
    return "nothing"


def _node_at(doc: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and isinstance(part, int) and 0 <= part < len(doc):
            doc = doc[part]
        else:
            return None
    return doc


def _fields_at(model: type[StrictModel], loc: tuple[Any, ...]) -> dict[str, Any]:
    """The fields of the model that describes the mapping at `loc` ({} when none does)."""
    kind: Any = model
    for part in loc:
        kind = _model_in(kind)
        if kind is None:
            return {}
        if isinstance(part, str):
            field = kind.model_fields.get(part)
            if field is None:
                return {}
            kind = field.annotation
        # a list index: the item type is found by _model_in on the next step
    kind = _model_in(kind)
    return dict(kind.model_fields) if kind is not None else {}


def _model_in(kind: Any) -> type[StrictModel] | None:
    """The model inside a type (optional, a list of it, annotated or a union with text)."""
    if isinstance(kind, type) and issubclass(kind, StrictModel):
        return kind
    origin = typing.get_origin(kind)
    if origin is Annotated:
        return _model_in(typing.get_args(kind)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(kind):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
