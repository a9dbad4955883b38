"""bench/soak.py still runs end to end and loses nothing (a small count; the figures of a full
run are printed by the script, never asserted here), and its verdict fails a run that lost."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "bench" / "soak.py"


def test_a_small_soak_with_many_faults_loses_nothing() -> None:
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--count", "120", "--warm-up", "40", "--fault-rate", "0.06", "--in-flight", "10", "--seed", "3", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert figures["passed"] and figures["asked"] == 120
    assert figures["replies"] + figures["apologies"] == 120 and figures["lost"] == 0 and figures["duplicate_replies"] == 0
    assert figures["records_missing"] == 0 and figures["records_written"] + figures["records_refused_and_logged"] == 120
    assert sum(figures["faults"].values()) >= 2  # faults were really injected...
    assert any(status != "200" for status in figures["rest_answers_by_status"])  # ...and answered as faults
    assert figures["gateway_resumes"] >= 1  # seed 3 closes the gateway too
    assert figures["memory_growth_mb"] is not None


def test_the_verdict_fails_a_lost_reply_a_missing_record_and_too_much_memory() -> None:
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = soak  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(soak)
    finally:
        del sys.modules[spec.name]
    good = {"lost": 0, "records_missing": 0, "memory_growth_mb": 3.0, "memory_limit_mb": 20.0}
    assert soak._verdict(good) == []
    assert soak._verdict({**good, "lost": 1}) == ["1 question(s) got no reply"]
    assert soak._verdict({**good, "records_missing": 2}) == ["2 accepted record(s) missing from the database"]
    assert soak._verdict({**good, "memory_growth_mb": 20.5}) == ["memory grew 20.5 MB after warm-up (limit 20.0 MB)"]
