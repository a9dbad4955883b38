"""A reload that reuses the checked contents of unchanged files gives what a fresh load gives."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge import LoadCache, load_knowledge
from bot.knowledge.yamlsafe import Limits

SECOND_TOPIC = """topic:
  id: second-topic
  title: {en: "Second topic", ja: "二つ目の話題"}
facts:
  - id: clinics-using
    questions:
      en: ["how many clinics take the card"]
      ja: ["カードを使える診療所の数は"]
    answer:
      en: "41 clinics take it."
      ja: "41の診療所が使えます。"
    figures:
      - value: 41
        unit: count
        counts: {en: "clinics taking the card", ja: "カードを使える診療所"}
        as_of: "2024-01"
    source: test-source
"""


def texts(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p) for p in result.problems]


def test_unchanged_files_are_reused_and_give_the_same_knowledge(mini_dir: Path) -> None:
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC, encoding="utf-8")
    cache = LoadCache()
    first = load_knowledge([mini_dir], cache=cache)
    assert first.kb is not None and (cache.hits, cache.misses) == (0, 3)
    again = load_knowledge([mini_dir], cache=cache)
    assert again.kb is not None and (cache.hits, cache.misses) == (3, 3)
    assert again.kb.version == first.kb.version
    assert all(a is b for a, b in zip(again.kb.facts, first.kb.facts, strict=True))  # the very same objects


def test_a_changed_file_is_read_again(mini_dir: Path) -> None:
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC, encoding="utf-8")
    cache = LoadCache()
    before = load_knowledge([mini_dir], cache=cache).kb
    assert before is not None
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC.replace("41", "42"), encoding="utf-8")
    after = load_knowledge([mini_dir], cache=cache).kb
    assert after is not None and after.version != before.version
    assert after.fact("clinics-using").answer.en == "42 clinics take it."  # type: ignore[union-attr]
    assert after.fact("hospitals-using") is before.fact("hospitals-using")  # its file did not change
    assert after == load_knowledge([mini_dir]).kb  # the same as a load without the cache


def test_checks_across_files_run_when_only_one_file_changed(mini_dir: Path) -> None:
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC, encoding="utf-8")
    cache = LoadCache()
    assert load_knowledge([mini_dir], cache=cache).kb is not None
    # the changed file now repeats a fact id and a phrasing of facts.yaml, which is unchanged
    broken = SECOND_TOPIC.replace("id: clinics-using", "id: launch-year").replace("how many clinics take the card", "How many hospitals use the system?")
    (mini_dir / "second.yaml").write_text(broken, encoding="utf-8")
    cached = load_knowledge([mini_dir], cache=cache)
    fresh = load_knowledge([mini_dir])
    assert cached.kb is None
    assert texts(cached) == texts(fresh)
    assert any("duplicate fact id 'launch-year'" in t for t in texts(cached))
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC.replace("how many clinics take the card", "How many hospitals use the system?"), encoding="utf-8")
    collided = load_knowledge([mini_dir], cache=cache)
    assert texts(collided) == texts(load_knowledge([mini_dir]))
    assert [t.split(": ", 1)[1] for t in texts(collided)] == [
        "clinics-using.questions: phrasing 'How many hospitals use the system?' collides with 'how many hospitals use the system' of fact 'hospitals-using'; the bot could not tell them apart"
    ]


def test_a_removed_source_file_is_noticed_by_unchanged_facts(mini_dir: Path) -> None:
    cache = LoadCache()
    assert load_knowledge([mini_dir], cache=cache).kb is not None
    (mini_dir / "sources.yaml").unlink()
    result = load_knowledge([mini_dir], cache=cache)
    assert result.kb is None and texts(result) == texts(load_knowledge([mini_dir]))
    assert "unknown source 'test-source'" in texts(result)[0]


def test_a_broken_file_stays_reported_until_fixed(mini_dir: Path) -> None:
    cache = LoadCache()
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC.replace("unit: count", "unit: counts"), encoding="utf-8")
    first = load_knowledge([mini_dir], cache=cache)
    second = load_knowledge([mini_dir], cache=cache)
    assert first.kb is None and texts(first) == texts(second) and len(texts(first)) == 1
    (mini_dir / "second.yaml").write_text(SECOND_TOPIC, encoding="utf-8")
    assert load_knowledge([mini_dir], cache=cache).kb is not None


def test_other_limits_check_the_files_again(mini_dir: Path) -> None:
    cache = LoadCache()
    assert load_knowledge([mini_dir], cache=cache).kb is not None
    tight = load_knowledge([mini_dir], Limits(max_file_bytes=200), cache=cache)
    assert tight.kb is None and "over the limit of 200 bytes" in texts(tight)[0]
    assert cache.hits == 0


def _series_topic(topic: str, fact: str, as_of: str, value: int, question: str) -> str:
    return f"""topic:
  id: {topic}
  title: {{en: "{topic}", ja: "{topic}"}}
facts:
  - id: {fact}
    questions:
      en: ["{question}"]
      ja: ["{fact}の診療所では？"]
    answer:
      en: "{value} clinics took it."
      ja: "{value}の診療所。"
    figures:
      - value: {value}
        unit: count
        counts: {{en: "clinics taking the card", ja: "カードを使える診療所"}}
        as_of: "{as_of}"
    source: test-source
    series: clinics-over-time
"""


def test_a_series_across_files_is_checked_again_when_one_member_changes(mini_dir: Path) -> None:
    (mini_dir / "a.yaml").write_text(_series_topic("topic-a", "clinics-north", "2023-01", 10, "card use by northern clinics"), encoding="utf-8")
    (mini_dir / "b.yaml").write_text(_series_topic("topic-b", "clinics-south", "2024-01", 12, "how often southern doctors scan it"), encoding="utf-8")
    cache = LoadCache()
    assert load_knowledge([mini_dir], cache=cache).kb is not None
    # b.yaml now dates its figure like a.yaml's: the series has two values for one date
    (mini_dir / "b.yaml").write_text(_series_topic("topic-b", "clinics-south", "2023-01", 12, "how often southern doctors scan it"), encoding="utf-8")
    cached = load_knowledge([mini_dir], cache=cache)
    assert cached.kb is None and texts(cached) == texts(load_knowledge([mini_dir]))
    assert "series 'clinics-over-time' already has a 'count' figure as of 2023-01" in texts(cached)[0]
