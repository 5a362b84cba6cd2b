"""Real kernel lines people posted publicly: the scorer holds ktcp to the accuracy bar.

The corpus (tests/data/realworld/corpus.jsonl) records, for every line, its source and the fields
a reader expects from the line itself; bench/score_realworld.py runs `ktcp parse` over it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "realworld" / "corpus.jsonl"
SCORER = ROOT / "bench" / "score_realworld.py"
MIN_LINES = 150


def test_corpus_rows_name_their_source_class_and_expectation() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= MIN_LINES
    for row in rows:
        assert row["source"].startswith(("http://", "https://")), row
        assert row["line"] and "\n" not in row["line"], row
        assert row["expect"] is None or "event.action" in row["expect"], row


def test_field_accuracy_meets_the_bar_with_no_false_event_and_every_class() -> None:
    out = subprocess.run(
        [sys.executable, str(SCORER), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    summary = out.stdout.splitlines()[0]
    assert "false events 0" in summary
    percent = float(summary.split(" = ")[1].split(" %")[0])
    assert percent >= 99.5, summary
