"""Start-up: `echo | ktcp parse -` (enrichment on), wall clock, against a bare interpreter.

    python bench/bench_startup.py [--runs N]

Short runs are mostly start-up, and Fluentd's exec_filter pays it again at every respawn of
its child. Bytecode is compiled first (as `pip install` does), so the figure is a user's.
Prints the median and spread of N runs of each command, and the ratio. The one-TCP-line run
shows what the first event adds: the catalog (pydantic and the family models) loads then.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from installed import child_env  # noqa: E402

PARSE = [sys.executable, "-m", "pipeline.cli", "parse", "-"]
TCP_LINE = (
    b"Nov 24 08:00:00 web1 kernel: TCP: Peer 203.0.113.9:443/51234 unexpectedly shrunk window "
    b"1000:2000 (repaired)\n"
)
# label -> (command, its standard input)
COMMANDS = {
    "python -c pass": ([sys.executable, "-c", "pass"], b"\n"),
    "echo | ktcp parse -": (PARSE, b"\n"),
    "ktcp --version": ([sys.executable, "-m", "pipeline.cli", "--version"], b"\n"),
    "one TCP line | parse -": ([*PARSE, "--output", "ndjson"], TCP_LINE),
}


def wall(argv: list[str], env: dict[str, str], data: bytes) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv,
        input=data,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = child_env()
    medians = {}
    for label, (argv, data) in COMMANDS.items():
        wall(argv, env, data)  # warm the page cache
        times = sorted(wall(argv, env, data) for _ in range(args.runs))
        medians[label] = statistics.median(times)
        print(
            f"{label:>22}: median {medians[label] * 1000:6.1f} ms "
            f"(min {times[0] * 1000:.1f}, max {times[-1] * 1000:.1f}, {args.runs} runs)"
        )
    ratio = medians["echo | ktcp parse -"] / medians["python -c pass"]
    print(f"ktcp parse start-up = {ratio:.1f}x a bare interpreter")


if __name__ == "__main__":
    main()
