"""Fluentd throughput: records/s through `ktcp exec-filter` and events/s through the forwarder.

    python bench/bench_fluentd.py [--lines 200000] [--tcp-share 0.2] [--runs 3]
                                  [--only exec-filter|forwarder]

exec-filter: a generated kernel log (bench/generate.py) as Fluentd's exec_filter writes it to
the child (msgpack stream of {"message": <bin line>}), through a real child process over pipes,
msgpack out; wall time from the first byte written to the child's EOF (start-up included),
with enrichment off and on (bundled data); and the child's CPU time (user + system), the
figure to compare on a loaded machine.
forwarder: the ECS documents of the same log shipped by FluentdSink (spool on local disk,
PackedForward, batches of 500 as `ktcp ship` sends) to the forward receiver of the tests
running in its own process, every message acknowledged; wall time of send() + close(), and
the CPU time of the sending process alone over the same span (events per CPU second: what the
forwarder itself costs, its spool writer thread included, apart from the receiver). The
receiver is Python: like in_forward it passes a PackedForward body on undecoded, reading each
entry's time and counting it; it decodes the records only when a test asks for them.
forwarder over TLS + <security>: the same, to a receiver serving TLS (a certificate of a CA
made for the run, verified) and the shared-key handshake.
Prints a Markdown table with the median of the runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import msgpack
from pydantic import SecretStr

from pipeline.chain import Chain
from pipeline.ecs import to_document
from pipeline.events import Event
from pipeline.fluentd_settings import FluentdSecurity, FluentdTls
from pipeline.settings import ParseSettings
from pipeline.sinks.fluentd import open_sink

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402
from installed import child_env  # noqa: E402

RECEIVER = ROOT / "tests" / "sinks" / "fluentd" / "receiver.py"
SHARED_KEY = "bench-shared-key"


def _load_certs() -> Any:
    path = RECEIVER.with_name("certs.py")
    spec = importlib.util.spec_from_file_location("fluentd_test_certs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fluentd_test_certs"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


certs = _load_certs()
BATCH = 500


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def exec_filter_once(stream: bytes, enrich: bool) -> tuple[float, int, float]:
    """Wall seconds, documents out, and the child's CPU seconds (user + system)."""
    env = child_env(KTCP_ENRICH="1" if enrich else "0")
    env.pop("PYTHONUNBUFFERED", None)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "exec-filter", "--timezone", "UTC"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        for i in range(0, len(stream), 1 << 16):
            proc.stdin.write(stream[i : i + (1 << 16)])
        proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    unpacker = msgpack.Unpacker()
    docs = 0
    while chunk := proc.stdout.read1(1 << 16):
        unpacker.feed(chunk)
        docs += sum(1 for _ in unpacker)
    writer.join()
    proc.wait()
    return time.perf_counter() - started, docs, _children_cpu() - cpu_before


def forwarder_once(
    docs: list[dict[str, object]], secure: Path | None = None
) -> tuple[float, float]:
    """Wall and CPU seconds of this process to ship `docs`; with `secure` (a directory for a
    CA), over TLS + <security>."""
    argv = [sys.executable, str(RECEIVER)]
    options: dict[str, Any] = {}
    if secure is not None:
        ca = certs.TestCA(secure)
        server = ca.issue("fluentd", ["127.0.0.1"])
        argv += [str(server.cert), str(server.key), SHARED_KEY]
        options["tls"] = FluentdTls(ca_file=ca.cert)
        options["security"] = FluentdSecurity(
            shared_key=SecretStr(SHARED_KEY), self_hostname="bench"
        )
    receiver = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert receiver.stdin is not None and receiver.stdout is not None
    port = int(receiver.stdout.readline())
    with tempfile.TemporaryDirectory() as spool:
        sink = open_sink(
            address=f"127.0.0.1:{port}",
            tag_prefix="kernel.tcp",
            spool=Path(spool),
            deadline_secs=60,
            **options,
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        for i in range(0, len(docs), BATCH):
            sink.send(docs[i : i + BATCH])
        delivery = sink.close()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    receiver.stdin.close()
    accepted = int(receiver.stdout.readline())
    receiver.wait()
    assert delivery.created == len(docs) == accepted, (delivery, accepted)
    return seconds, cpu


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--lines", type=int, default=200_000)
    args.add_argument("--tcp-share", type=float, default=0.2)
    args.add_argument("--runs", type=int, default=3)
    args.add_argument("--only", choices=("exec-filter", "forwarder"))
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "kern.log"
        generate(log, opts.lines, opts.tcp_share)
        lines = log.read_bytes().splitlines()
    packer = msgpack.Packer(use_bin_type=True)
    stream = b"".join(packer.pack({"message": line}) for line in lines)
    chain = Chain(ParseSettings(timezone="UTC"))
    docs = [to_document(o) for o in chain.scan_block(b"\n".join(lines)) if isinstance(o, Event)]

    rows = []
    for enrich in (False, True) if opts.only != "forwarder" else ():
        runs = [exec_filter_once(stream, enrich) for _ in range(opts.runs)]
        seconds = statistics.median(s for s, _, _ in runs)
        cpu = statistics.median(c for _, _, c in runs)
        events = runs[0][1]
        label = "on (bundled data)" if enrich else "off"
        rows.append(
            f"| exec-filter, msgpack in/out, enrichment {label} | {len(lines):,} records, "
            f"{events:,} events | {len(lines) / seconds:,.0f} records/s "
            f"({events / seconds:,.0f} events/s; {len(lines) / cpu:,.0f} records per CPU "
            "second of the child) |"
        )
    for label, secure in (("", False), (", TLS + <security> handshake", True)):
        if opts.only == "exec-filter":
            break
        with tempfile.TemporaryDirectory() as pki:
            runs = [forwarder_once(docs, Path(pki) if secure else None) for _ in range(opts.runs)]
        seconds = statistics.median(s for s, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        rows.append(
            f"| forwarder -> local receiver, acked PackedForward{label} | {len(docs):,} events "
            f"| {len(docs) / seconds:,.0f} events/s ({len(docs) / cpu:,.0f} per CPU second "
            "of the sender) |"
        )
    print(f"| measure | input | median of {opts.runs} runs |\n|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
