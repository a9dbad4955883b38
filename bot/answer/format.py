"""How figures, dates and sources read, in English and Japanese."""

from __future__ import annotations

from bot.knowledge.model import Figure, Source

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def date_text(iso: str, lang: str) -> str:
    parts = [int(p) for p in iso.split("-")]
    if lang == "ja":
        return "".join(f"{v}{u}" for v, u in zip(parts, ("年", "月", "日"), strict=False))
    if len(parts) == 3:
        return f"{parts[2]} {_MONTHS[parts[1] - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[parts[1] - 1]} {parts[0]}"
    return str(parts[0])


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def _people(value: float, lang: str) -> str:
    if lang == "ja":
        if value >= 1e8:
            return f"{_number(value / 1e8)}億人"
        if value >= 1e4:
            return f"{_number(value / 1e4)}万人"
        return f"{_number(value)}人"
    if value >= 1e6:
        return f"{_number(value / 1e6)} million people"
    return f"{_number(value)} people"


_QUALIFIER_EN = {"about": "about ", "more_than": "more than ", "over": "over ", "at_least": "at least ", "up_to": "up to "}
_QUALIFIER_JA_PREFIX = {"about": "約", "up_to": "最大"}
_QUALIFIER_JA_SUFFIX = {"more_than": "超", "over": "超", "at_least": "以上"}


def value_text(fig: Figure, lang: str) -> str:
    """The figure as a person reads it: "29.6%", "more than 70 million people", "2024年12月2日"."""
    v = fig.value
    if fig.unit == "date" and isinstance(v, str):
        core = date_text(v, lang)
    elif isinstance(v, float):
        if fig.unit == "percent":
            core = f"{_number(v)}%"
        elif fig.unit == "people":
            core = _people(v, lang)
        elif fig.unit == "hospitals":
            core = f"{_number(v)}病院" if lang == "ja" else f"{_number(v)} hospitals"
        elif fig.unit == "digits":
            core = f"{_number(v)}桁" if lang == "ja" else f"{_number(v)} digits"
        elif fig.unit == "year":
            core = f"{int(v)}年" if lang == "ja" else str(int(v))
        elif fig.unit == "years":
            core = f"{_number(v)}年" if lang == "ja" else f"{_number(v)} {'year' if v == 1 else 'years'}"
        else:
            core = _number(v)
    else:
        core = str(v)
    q = fig.qualifier
    if not q:
        return core
    if lang == "ja":
        return _QUALIFIER_JA_PREFIX.get(q, "") + core + _QUALIFIER_JA_SUFFIX.get(q, "")
    return _QUALIFIER_EN.get(q, "") + core


def source_title(src: Source, lang: str) -> str:
    """The words of the source's link: its title, or its publisher when it has no title."""
    return (src.title or src.publisher).get(lang)


def source_line(src: Source, lang: str) -> str:
    """Who ran the survey, who reported it, when: one line, without the link or the title
    (a source without a title reads the same)."""
    parts = []
    if src.survey_by is not None:
        parts.append(("調査: " if lang == "ja" else "Survey: ") + src.survey_by.get(lang))
    reported = src.publisher.get(lang)
    if src.date:
        reported += f" ({date_text(src.date, lang)})"
    parts.append(
        ("報道・出典: " if lang == "ja" else "Reported by: ") + reported if src.survey_by is not None else ("出典: " if lang == "ja" else "Source: ") + reported
    )
    return " / ".join(parts) if lang == "ja" else "; ".join(parts)
