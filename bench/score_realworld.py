"""Field accuracy on real kernel lines that people posted publicly (tests/data/realworld/).

Run: python bench/score_realworld.py [--check] [--show-misses]

Each corpus row is one line as posted, its source, its class (how the line reached the page) and
the fields a reader expects from the line itself, or null when it should give no event. The lines
go through `ktcp parse` as one file (times in UTC); each event is matched to its line by offset.

A field is right when the event has it with the expected value; `null` means the field must be
absent (not invented); `time` is the printed wall clock, `MM-DDTHH:MM:SS` of `@timestamp`. A line
that expects an event and gets none has all its fields wrong; a line that expects none and gets
one is a false event. `--check` exits 1 unless accuracy >= 99.5 %, there is no false event and
every class is represented.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "realworld" / "corpus.jsonl"
BAR_PERCENT = 99.5
CLASSES = (
    "cut-at-program",  # `kernel: ...`, `kernel: [12345.678901] ...`
    "host-program",  # `web1 kernel: ...` (no date)
    "facility-level",  # `kern.info kernel: ...`
    "relay-prefix",  # a relay's host or stamp, a mail quote, a console tag before a whole line
    "logwatch",  # `N Time(s): ...` / `...:  N Time(s)`
    "dmesg-stamp-cut",  # `345.678901] ...`
    "leading-whitespace",
    "prefix-twice",
    "truncated",  # cut at the tail by a mail client, a ticket or a terminal
    "old-wording",  # 2.4-era wordings, `NET: N messages suppressed.`
    "enveloped",  # a whole syslog / dmesg line
    "bare",  # the message alone
    "non-tcp-close",  # kernel or network lines that look close but are no catalog wording
    "prose",  # sentences that name or quote a message
)
_FLOAT_TOLERANCE = 1e-6


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def parse(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Events per corpus row, from one `ktcp parse` run over all lines."""
    offsets: dict[int, int] = {}
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as tmp:
        for index, row in enumerate(rows):
            offsets[tmp.tell()] = index
            tmp.write(row["line"].encode("utf-8") + b"\n")
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "pipeline.cli", "parse", tmp.name]
        out = subprocess.run(
            [*cmd, "--output", "ndjson", "--timezone", "UTC"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    finally:
        os.unlink(tmp.name)
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in out.stdout.splitlines():
        doc = flatten(json.loads(line))
        events[offsets[doc["log.offset"]]].append(doc)
    return events


def field_right(doc: dict[str, Any], name: str, want: Any) -> bool:
    if name == "time":
        return str(doc.get("@timestamp", ""))[5:19] == want
    if want is None:
        return name not in doc
    got = doc.get(name)
    if isinstance(want, float) and isinstance(got, int | float):
        return abs(got - want) < _FLOAT_TOLERANCE
    return bool(got == want)


def score(rows: list[dict[str, Any]], events: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    # per class: fields right, fields expected, lines, false events
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    misses: list[str] = []
    false_events = 0
    for index, row in enumerate(rows):
        stats = per_class[row["class"]]
        stats[2] += 1
        got = events.get(index, [])
        want = row["expect"]
        if want is None:
            if got:
                false_events += 1
                stats[3] += 1
                misses.append(f"FALSE EVENT {got[0]['event.action']}: {row['line']}")
            continue
        doc = got[0] if got else {}
        for name, value in want.items():
            stats[1] += 1
            if doc and field_right(doc, name, value):
                stats[0] += 1
            else:
                shown = doc.get("@timestamp") if name == "time" else doc.get(name, "<absent>")
                misses.append(f"{name}: want {value!r} got {shown!r}: {row['line']}")
    right = sum(s[0] for s in per_class.values())
    total = sum(s[1] for s in per_class.values())
    return {
        "right": right,
        "total": total,
        "percent": 100.0 * right / total if total else 0.0,
        "false_events": false_events,
        "per_class": dict(per_class),
        "misses": misses,
        "missing_classes": [c for c in CLASSES if c not in per_class],
        "unknown_classes": sorted(set(per_class) - set(CLASSES)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--check", action="store_true", help="exit 1 below the bar")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    rows = load(args.corpus)
    result = score(rows, parse(rows))
    events = sum(1 for r in rows if r["expect"] is not None)
    print(
        f"{len(rows)} lines ({events} expect an event, {len(rows) - events} expect none); "
        f"fields right {result['right']}/{result['total']} = {result['percent']:.2f} %; "
        f"false events {result['false_events']}"
    )
    print(f"{'class':<20} {'lines':>5} {'fields':>7} {'right':>6} {'false':>5}")
    for name in CLASSES:
        right, total, lines, false = result["per_class"].get(name, [0, 0, 0, 0])
        print(f"{name:<20} {lines:>5} {total:>7} {right:>6} {false:>5}")
    if args.show_misses:
        for miss in result["misses"]:
            print("  " + miss)
    ok = (
        result["percent"] >= BAR_PERCENT
        and result["false_events"] == 0
        and not result["missing_classes"]
        and not result["unknown_classes"]
    )
    if result["missing_classes"]:
        print("classes without a line: " + ", ".join(result["missing_classes"]))
    if result["unknown_classes"]:
        print("unknown classes: " + ", ".join(result["unknown_classes"]))
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
