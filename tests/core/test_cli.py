"""The command line, run as a user runs it: a separate process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120, encoding="utf-8")


def test_ask_prints_answer_with_source() -> None:
    proc = run("ask", "How many people have registered their My Number card as a health insurance card?")
    assert proc.returncode == 0, proc.stderr
    assert "86.55 million" in proc.stdout and "https://" in proc.stdout
    assert proc.stderr == ""


def test_ask_json_fields() -> None:
    proc = run("ask", "--json", "マイナ保険証の利用率は？")
    data = json.loads(proc.stdout)
    assert data["answered"] is True and data["fact_id"] == "usage-rate"
    assert set(data) >= {"answered", "text", "fact_id", "score", "suggestions"}
    assert "37.14%" in data["text"]


def test_ask_reads_stdin_in_order() -> None:
    questions = ["tell me a joke", "when did the my number system start?", "", "マイナンバーは何桁？"]
    proc = run("ask", "--json", stdin="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["fact_id"] for line in lines] == [None, "system-launch", None, "my-number-digits"]
    assert [line["question"] for line in lines] == questions


def test_bad_questions_decline_with_exit_zero() -> None:
    for question in ("", "\x01\x02", "🙂🙂🙂", "?!", "x" * 10_000):
        proc = run("ask", question)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr + proc.stdout
        assert proc.stdout.strip()


def test_broken_knowledge_folder_exits_one_with_validator_messages(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("topic: [unclosed\n", encoding="utf-8")
    for command in (["ask", "anything"], ["chat"]):
        proc = run(*command, "--knowledge", str(tmp_path), stdin="hello\n")
        assert proc.returncode == 1
        assert "broken.yaml:2:1: YAML syntax error" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_chat_answers_piped_lines() -> None:
    proc = run("chat", stdin="how many digits does my number have\n")
    assert proc.returncode == 0 and "12 digits" in proc.stdout


def test_schema_prints_the_committed_json_schema(tmp_path: Path) -> None:
    proc = run("schema")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == json.loads((ROOT / "knowledge" / "schema.json").read_text(encoding="utf-8"))
    out = tmp_path / "schema.json"
    assert run("schema", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "Knowledge file"


def test_validate_exit_codes(tmp_path: Path) -> None:
    assert run("validate").returncode == 0
    (tmp_path / "bad.yaml").write_text("sources:\n  - id: x\n    publisher: yes\n", encoding="utf-8")
    proc = run("validate", str(tmp_path))
    assert proc.returncode == 1
    assert "bad.yaml:3:16: sources[0].publisher: expected text, found boolean 'yes'; put it in quotes" in proc.stdout


def test_thousand_questions_in_one_process() -> None:
    questions = ["how many people registered?", "マイナ保険証の利用率は？", "tell me a joke", "hospitals no merit for patients"] * 250
    proc = run("ask", "--json", stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 1000


def test_no_command_prints_the_list_and_exits_two() -> None:
    proc = run()
    assert proc.returncode == 2 and "check-questions" in proc.stdout and "misses" in proc.stdout


def test_the_installed_script_is_the_same_command_line() -> None:
    import shutil

    script = shutil.which("myna-bot", path=str(Path(sys.executable).parent))
    assert script is not None
    proc = subprocess.run([script, "ask", "--json", "マイナンバーは何桁？"], capture_output=True, text=True, cwd=ROOT, timeout=120, encoding="utf-8")
    assert proc.returncode == 0 and json.loads(proc.stdout)["fact_id"] == "my-number-digits"


def test_every_way_a_command_can_end_is_an_exit_code_without_a_traceback(capsys) -> None:
    import argparse

    from bot.cli import output

    def fails(_args: argparse.Namespace) -> int:
        raise ValueError("something no one expected")

    def interrupted(_args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    def reader_gone(_args: argparse.Namespace) -> int:
        raise BrokenPipeError

    args = argparse.Namespace()
    assert output.run(fails, args) == output.EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected ValueError: something no one expected") and err.count("\n") == 1 and "Traceback" not in err
    assert output.run(interrupted, args) == output.EXIT_INTERRUPTED
    assert output.run(reader_gone, args) == output.EXIT_OK
    assert capsys.readouterr().err == ""
