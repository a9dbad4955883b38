"""The moderator command line: misses (grouped, three formats), stats, audit, check-questions, hooks."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.answer.reply import Answerer
from bot.cli import main, moderation
from bot.knowledge import load_knowledge
from bot.knowledge.loader import ADDITIONS_FILE
from bot.storage import MissRow, Storage, group_misses

REPO = Path(__file__).resolve().parents[2]
A, B, C = 111111111111111111, 222222222222222222, 333333333333333333


def run(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture
def config(tmp_path: Path, kb_dir: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"knowledge:\n  path: {kb_dir}\nstorage:\n  path: data/bot.sqlite3\n", encoding="utf-8")
    return path


def _ask_all(db: Path, kb_dir: Path, asked: list[tuple[str, int, float]]) -> None:
    """Record real replies of the knowledge base, as the bot would."""
    answerer = Answerer(load_knowledge([kb_dir]).kb)
    storage = Storage(db)
    now = time.time()
    for question, user, days_ago in asked:
        storage.record_reply(answerer.ask(question), 42, user, when=now - days_ago * 86400)
    assert storage.flush(5)
    assert storage.close() == 0


WEEK = [
    ("hospitals?", A, 1),
    ("hospitals?", B, 2),
    ("Hospitals", A, 3),
    ("hospitls?", C, 1),  # a typo
    ("price of the card", A, 1),
    ("how much does it cost", B, 1),
    ("病院の利用状況", C, 2),
    ("hi", A, 1),  # nothing to learn from
    ("when did the my number system start", A, 1),  # answered: not a miss
    ("price of the card", C, 20),  # older than the week
]


def _row(question: str, asker: str, fact: str | None = None, score: float = 0.0, kind: str = "decline") -> MissRow:
    from bot.text.normalise import normalise

    return MissRow(time.time(), question, normalise(question), "en", kind, "no_match", fact, score, None, asker)


def test_grouping_joins_case_punctuation_typos_and_word_order_but_not_other_questions() -> None:
    rows = [
        _row("How much does the card cost?", "a", "fees", 0.3),
        _row("how much does the card cost", "b", "fees", 0.35),
        _row("how much does the crad cost", "a"),
        _row("the card cost how much does", "c", "other", 0.2),
        _row("how many pharmacies accept it", "a", "pharmacy", 0.4, "suggest"),
        _row("how many hospitals accept it", "b"),
        _row("when did it start", "a"),
        _row("when did it stop", "a"),
    ]
    groups = group_misses(rows)
    assert (groups[0].question, groups[0].count, groups[0].askers) == ("How much does the card cost?", 4, 3)
    assert sorted((g.question, g.count) for g in groups[1:]) == [
        ("how many hospitals accept it", 1),
        ("how many pharmacies accept it", 1),
        ("when did it start", 1),
        ("when did it stop", 1),
    ]
    first = groups[0]
    assert (first.closest_fact, first.closest_score, first.declined) == ("fees", 0.35, 4)
    assert dict(first.variants)["how much does the crad cost"] == 1
    assert next(g for g in groups if g.question == "how many pharmacies accept it").declined == 0


def test_misses_table_groups_counts_people_and_closest_fact(config: Path, kb_dir: Path, capsys) -> None:
    _ask_all(config.parent / "data" / "bot.sqlite3", kb_dir, WEEK)
    assert run("misses", "--config", str(config)) == 0
    out = capsys.readouterr().out
    assert "Unanswered questions (last 7 days" in out and "7 asked, 4 distinct" in out
    lines = out.splitlines()
    top = lines[2]
    assert top.split()[:3] == ["4", "3", "hospitals-using"]
    assert top.endswith("hospitals?")
    assert "'hospitls?'" in lines[3]
    assert "when did the my number system start" not in out and " hi" not in out


def test_misses_csv(config: Path, kb_dir: Path, capsys) -> None:
    _ask_all(config.parent / "data" / "bot.sqlite3", kb_dir, WEEK)
    assert run("misses", "--config", str(config), "--format", "csv", "--days", "30") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["question"], r["count"], r["askers"]) for r in rows][:2] == [
        ("hospitals?", "4", "3"),
        ("price of the card", "2", "2"),
    ]
    assert rows[0]["closest_fact"] == "hospitals-using" and rows[0]["today"] == "suggest"
    assert "hospitls?" in rows[0]["variants"].split(" | ")


def test_misses_yaml_pastes_into_the_additions_file_and_then_those_questions_are_answered(config: Path, kb_dir: Path, capsys) -> None:
    _ask_all(config.parent / "data" / "bot.sqlite3", kb_dir, WEEK)
    assert run("misses", "--config", str(config), "--format", "yaml") == 0
    exported = capsys.readouterr().out
    entries = yaml.safe_load(exported)["additions"]
    assert {"fact": "hospitals-using", "question": "hospitals?", "lang": "en"} in entries
    assert {"fact": "hospitals-using", "question": "病院の利用状況", "lang": "ja"} in entries
    placeholders = [e["question"] for e in entries if e["fact"] == moderation.PLACEHOLDER_FACT]
    assert sorted(placeholders) == ["how much does it cost", "price of the card"]
    # pasted as is: the validator points at each entry still lacking a fact
    (kb_dir / ADDITIONS_FILE).write_text(exported, encoding="utf-8")
    problems = load_knowledge([kb_dir]).problems
    assert len(problems) == 2 and all("unknown fact 'choose-a-fact'" in p.message and p.line > 0 for p in problems)
    # the moderator deletes those two and validates again
    kept = "additions:\n" + "".join(
        f"  - fact: {e['fact']}\n    question: {e['question']!r}\n    lang: {e['lang']}\n" for e in entries if e["fact"] != "choose-a-fact"
    )
    (kb_dir / ADDITIONS_FILE).write_text(kept, encoding="utf-8")
    result = load_knowledge([kb_dir])
    assert result.problems == []
    reply = Answerer(result.kb).ask("hospitals?")
    assert (reply.kind, reply.fact_id) == ("answer", "hospitals-using")
    # and the next export leaves out what is answered now
    assert run("misses", "--config", str(config), "--format", "yaml") == 0
    again = capsys.readouterr().out
    assert "already answers are left out" in again and "hospitals?" not in again


def test_stats_shows_per_fact_counts_votes_and_rates(config: Path, kb_dir: Path, capsys) -> None:
    db = config.parent / "data" / "bot.sqlite3"
    _ask_all(db, kb_dir, WEEK)
    storage = Storage(db)
    storage.record_vote(1, "launch-year", A, up=True)
    storage.record_vote(1, "launch-year", B, up=False)
    storage.record_vote(1, "launch-year", B, up=True)
    storage.close()
    assert run("stats", "--config", str(config)) == 0
    out = capsys.readouterr().out
    assert "Questions (all time): 10; answered 1 (10.0%), did-you-mean 4 (40.0%), declined 5 (50.0%)." in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert rows["hospitals-using"] == ["5", "0", "4", "0", "0"]  # 4 did-you-mean and the closest to one decline
    assert rows["launch-year"] == ["1", "1", "0", "2", "0"]


def test_audit_prints_newest_first(config: Path, capsys) -> None:
    storage = Storage(config.parent / "data" / "bot.sqlite3")
    storage.record_audit("Aiko (/kb add-question)", "add-question", "launch-year: 'year it went live'", when=1_700_000_000)
    storage.record_audit("watcher", "reload", "changed: launch-year", when=1_700_000_100)
    storage.close()
    assert run("audit", "--config", str(config)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2023-11-14 22:15 UTC  watcher") and lines[0].endswith("changed: launch-year")
    assert "Aiko (/kb add-question)" in lines[1] and "add-question" in lines[1]


def test_commands_explain_a_missing_database_or_config_in_one_line(config: Path, tmp_path: Path, capsys) -> None:
    assert run("misses", "--config", str(config)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no database at ") and err.count("\n") == 1
    assert run("stats", "--config", str(tmp_path / "nope.yaml")) == 2
    assert "config file" in capsys.readouterr().err


CHECKS = """\
# questions moderators care about
when did the my number system start => launch-year
how many hospitals use the system => hospitals-using
price of the card => -
year the id launched
"""


def test_check_questions_passes_when_every_expectation_holds(kb_dir: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "checks.txt"
    path.write_text(CHECKS, encoding="utf-8")
    assert run("check-questions", str(path), "--knowledge", str(kb_dir)) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0].split()
    assert first[:4] == ["2", "ok", "answer", "launch-year"] and first[4] == "1.00"
    assert "candidates: launch-year 1.00" in out
    assert out.rstrip().endswith("4 question(s): 3 answered, 0 did-you-mean, 1 declined; 3 with an expected fact: 3 as expected, 0 not.")


def test_check_questions_fails_when_a_question_gets_another_fact(kb_dir: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "checks.txt"
    path.write_text(CHECKS + "how many hospitals use the system => launch-year\n", encoding="utf-8")
    assert run("check-questions", str(path), "--knowledge", str(kb_dir)) == 1
    out = capsys.readouterr().out
    assert "   6 FAIL answer  hospitals-using" in out
    assert "expected an answer from launch-year" in out
    assert "1 not." in out


def test_check_questions_reads_a_yaml_list_like_the_labelled_set(kb_dir: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        '- "year the id launched => launch-year"\n- q: "price of the card"\n  expect: null\n- q: "how many hospitals use the system"\n  expect: launch-year\n  accept: [hospitals-using]\n',
        encoding="utf-8",
    )
    assert run("check-questions", str(path), "--knowledge", str(kb_dir)) == 0
    assert "3 with an expected fact: 3 as expected" in capsys.readouterr().out


def test_check_questions_errors(kb_dir: Path, tmp_path: Path, capsys) -> None:
    assert run("check-questions", str(tmp_path / "missing.txt"), "--knowledge", str(kb_dir)) == 2
    assert "missing.txt not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("- [unclosed\n", encoding="utf-8")
    assert run("check-questions", str(bad), "--knowledge", str(kb_dir)) == 2
    assert "not valid YAML" in capsys.readouterr().err
    typo = tmp_path / "typo.txt"
    typo.write_text("year the id launched => launch-yaer\n", encoding="utf-8")
    assert run("check-questions", str(typo), "--knowledge", str(kb_dir)) == 1
    assert "not in the knowledge base: launch-yaer" in capsys.readouterr().err
    (kb_dir / "facts.yaml").write_text("topic: [\n", encoding="utf-8")
    assert run("check-questions", str(typo), "--knowledge", str(kb_dir)) == 1
    err = capsys.readouterr().err
    assert "facts.yaml:" in err and "fix them first" in err


def test_pre_commit_hook_runs_the_validator_on_the_repository() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"] == "python -m bot validate" and hook["pass_filenames"] is False
    command = [sys.executable, *hook["entry"].split()[1:], *hook["args"]]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: ")


def test_example_workflow_runs_validate_and_check_questions_on_knowledge_changes() -> None:
    flow = yaml.safe_load((REPO / ".github" / "workflows" / "validate-knowledge.yml").read_text(encoding="utf-8"))
    assert "knowledge/**" in flow[True]["pull_request"]["paths"]  # YAML 1.1 reads the key `on` as True
    commands = [step.get("run", "") for step in flow["jobs"]["validate"]["steps"]]
    assert "python -m bot validate knowledge" in commands
    assert any(c.startswith("python -m bot check-questions ") for c in commands)
