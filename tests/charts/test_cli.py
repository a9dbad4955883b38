"""`python -m bot chart`: files written, clear one-line errors, exit codes."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bot.charts import HEIGHT, WIDTH
from bot.cli import main
from bot.knowledge import default_knowledge_path

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str]) -> int:
    """Parse and run as `python -m bot` does."""
    return main(argv)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_writes_one_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "use.png"
    assert run(["chart", "hospital-use", "-o", str(target), "--lang", "ja"]) == 0
    assert png_size(target) == (WIDTH, HEIGHT)
    assert capsys.readouterr().out.strip() == str(target)


def test_topic_with_one_chart_and_fact_id(tmp_path: Path) -> None:
    assert run(["chart", "patient-survey", "-o", str(tmp_path / "a.png")]) == 0
    assert run(["chart", "patients-no-merit", "-o", str(tmp_path / "b.png")]) == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_writes_every_chart_in_both_languages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "charts"
    assert run(["chart", "--all", "-o", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    keys = ["hospital-merits", "hospital-use", "patient-merits", "registrations", "usage-rate"]
    assert names == sorted(f"{k}-{lang}.png" for k in keys for lang in ("en", "ja"))
    assert all(png_size(folder / n) == (WIDTH, HEIGHT) for n in names)
    assert len(capsys.readouterr().out.splitlines()) == 10


def test_all_in_one_language(tmp_path: Path) -> None:
    assert run(["chart", "--all", "-o", str(tmp_path), "--lang", "en"]) == 0
    assert len(list(tmp_path.glob("*-en.png"))) == 5 and not list(tmp_path.glob("*-ja.png"))


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["chart", "--list", "--lang", "ja"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "hospital-use\tbar\t2023年の病院調査：システムを導入済みの892病院に占める割合"
    assert len(lines) == 5


def test_unknown_topic_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "x.png"
    assert run(["chart", "no-such-topic", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("No chart, fact or topic named 'no-such-topic'. Charts: hospital-use,")
    assert len(err.strip().splitlines()) == 1 and not target.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["chart", "hospital-use"], "chart: -o PATH is required (a .png file, or a folder with --all)."),
        (["chart", "-o", "x.png"], "chart: give either TOPIC_OR_FACT or --all (see python -m bot chart --help)."),
        (["chart", "hospital-use", "--all", "-o", "x"], "chart: give either TOPIC_OR_FACT or --all (see python -m bot chart --help)."),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    assert capsys.readouterr().err.strip() == message


def test_unwritable_output_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["chart", "hospital-use", "-o", str(tmp_path / "missing" / "x.png")]) == 1
    assert capsys.readouterr().err.strip() == f"Cannot write {tmp_path / 'missing' / 'x.png'}: No such file or directory."


def test_broken_knowledge_folder_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    usage = folder / "usage.yaml"
    usage.write_text(usage.read_text(encoding="utf-8").replace("    series: usage-rate\n", "    series: Usage Rate\n"), encoding="utf-8")
    assert run(["chart", "usage-rate", "-o", str(tmp_path / "x.png"), "--knowledge", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "expected an id of lowercase letters, digits and hyphens, found 'Usage Rate'" in err
    assert err.strip().endswith("problem(s) in the knowledge files; no charts drawn.")


def test_python_dash_m_bot_chart(tmp_path: Path) -> None:
    """The real entry point, in a fresh process: the command is registered and never shows a traceback."""
    target = tmp_path / "usage.png"
    done = subprocess.run([sys.executable, "-m", "bot", "chart", "usage-rate", "-o", str(target)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert png_size(target) == (WIDTH, HEIGHT)
    done = subprocess.run([sys.executable, "-m", "bot", "chart", "nope", "-o", str(target)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.startswith("No chart, fact or topic named 'nope'")


def test_registering_the_command_does_not_import_matplotlib() -> None:
    # python -m bot builds every subcommand's parser on each run; drawing code loads only for `chart`.
    code = "import sys; from bot.cli import build_parser; build_parser(); import bot.charts; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
