"""The compiled fast path (pipeline/native.py) writes byte for byte what the Python chain writes.

Both paths read the same blocks: Python through `Chain.scan_block` (documents rendered by
`ecs.to_document`, encoded by orjson, as `ktcp parse -o ndjson` did before the extension), and
the extension through `Chain.scan_rendering`. Inputs: every catalog, envelope and source
fixture (the torture corpus included) as they are and wrapped in kern.log headers, the
real-world corpus, a generated kern.log like the benchmarks', and lines hypothesis builds from
the rendered wordings with the edge cases of each part (addresses, numbers, headers, tails).

Without the extension these tests are skipped, except in CI (KTCP_REQUIRE_NATIVE=1), where a
missing extension is a failure: CI must test the fast path it ships.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import msgpack
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

from pipeline import envelopes, native  # noqa: E402
from pipeline.chain import Chain  # noqa: E402
from pipeline.drivers import exec_filter  # noqa: E402
from pipeline.ecs import to_document  # noqa: E402
from pipeline.enrich import EnrichSettings, build_resolver  # noqa: E402
from pipeline.events import Event  # noqa: E402
from pipeline.records import Miss, Rendered  # noqa: E402
from pipeline.settings import ParseSettings  # noqa: E402

DATA = ROOT / "tests" / "data"
FIXTURES = sorted(
    [
        *(DATA / "catalog").glob("*.log"),
        *(DATA / "envelopes").glob("*.log"),
        *(DATA / "sources").glob("*.log"),
        ROOT / "samples" / "kern.log",
    ]
)
READ_AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PATH = "/var/log/kern.log"
FILE_ID = "0123456789abcdef"

if not native.available():
    if os.environ.get("KTCP_REQUIRE_NATIVE") == "1":
        raise RuntimeError(
            "the compiled fast path (pipeline._native) is not built: `pip install -e .` "
            "with cargo on PATH builds it"
        )
    pytest.skip("the compiled fast path is not installed", allow_module_level=True)


def _chain(enrich: bool = True, host: str | None = None) -> Chain:
    settings = ParseSettings(timezone="Asia/Shanghai", host=host)
    resolver = build_resolver(EnrichSettings()) if enrich else None
    return Chain(settings, enrich=resolver, now=lambda: READ_AT)


Shown = tuple[bytes, list[tuple[str, str, str, int | None]], tuple[int, ...]]


def _stats(run: Chain) -> tuple[int, ...]:
    s = run.stats
    return (s.lines, s.non_tcp, s.unmatched, s.invalid, *sorted(s.events.items()))  # type: ignore[arg-type]


def python_path(data: bytes, base: int = 0, **kw: object) -> Shown:
    run = _chain(**kw)  # type: ignore[arg-type]
    out: list[bytes] = []
    misses = []
    for o in run.scan_block(data, PATH, base, FILE_ID):
        if isinstance(o, Event):
            out.append(orjson.dumps(to_document(o)) + b"\n")
        else:
            misses.append((o.kind.value, o.reason, o.raw.text, o.raw.offset))
    return b"".join(out), misses, _stats(run)


def native_path(data: bytes, base: int = 0, **kw: object) -> tuple[Shown, int]:
    """Its output, and how many documents the extension rendered itself."""
    run = _chain(**kw)  # type: ignore[arg-type]
    assert run.render_natively()
    out: list[bytes] = []
    misses = []
    rendered = 0
    for o in run.scan_rendering(data, PATH, base, FILE_ID):
        if isinstance(o, Rendered):
            out.append(o.ndjson)
            rendered += o.count
        elif isinstance(o, Event):
            out.append(orjson.dumps(to_document(o)) + b"\n")
        else:
            assert isinstance(o, Miss)
            misses.append((o.kind.value, o.reason, o.raw.text, o.raw.offset))
    return (b"".join(out), misses, _stats(run)), rendered


def _same(data: bytes, **kw: object) -> int:
    got, rendered = native_path(data, 7, **kw)
    want = python_path(data, 7, **kw)
    assert got[0].splitlines() == want[0].splitlines()
    assert got == want
    return rendered


def _kern_log(messages: list[str]) -> bytes:
    """Each message as rsyslog writes it to kern.log, hosts and spacing varied."""
    lines = []
    for i, message in enumerate(messages):
        day = (" 4", "24")[i % 2]
        stamp = (
            f"Nov {day} 10:{i % 60:02d}:40",
            f"2026-11-{day.strip():0>2}T10:{i % 60:02d}:40.{i:06d}+08:00",  # RSYSLOG_FileFormat
            f"2026-12-31T23:{i % 60:02d}:40.000000Z",
            f"2024-02-29T00:{i % 60:02d}:40.500000-05:30",
        )[i % 4]
        host = ("web1 ", "", "db-2.example.com ")[i % 3]
        uptime = ("[ 1000.032383] ", "", "[12345.500000] ")[i % 3]
        lines.append(f"{stamp} {host}kernel: {uptime}{message}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.name}" for p in FIXTURES])
def test_fixtures_as_they_are(path: Path) -> None:
    _same(path.read_bytes())


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.name}" for p in FIXTURES])
def test_fixture_messages_in_kern_log_lines(path: Path) -> None:
    """Every catalog wording (and the torture corpus) under the one header the extension reads."""
    messages = []
    for line in path.read_text(encoding="utf-8", errors="backslashreplace").splitlines():
        try:
            messages.append(envelopes.detect(line).message)
        except envelopes.EnvelopeError:
            continue
    _same(_kern_log(messages))
    _same(_kern_log(messages), enrich=False, host="node-7")


def test_the_realworld_corpus() -> None:
    lines = [
        orjson.loads(row)["line"]
        for row in (DATA / "realworld" / "corpus.jsonl").read_bytes().splitlines()
        if row.strip()
    ]
    _same(("\n".join(lines) + "\n").encode())


def test_a_generated_kern_log_is_mostly_rendered_natively(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    tcp = generate(path, 20_000, 0.5)
    rendered = _same(path.read_bytes())
    assert rendered > 0.95 * tcp  # the benchmark's wordings are the extension's


def test_crlf_lines_long_lines_and_a_block_without_final_newline() -> None:
    treason = "TCP: Treason uncloaked! Peer 1.2.3.4:5/80 shrinks window 1:2. Repaired."
    line = f"Nov 24 10:16:40 web1 kernel: [ 1.000000] {treason}"
    data = (
        f"{line}\r\n{line} {'x' * 1_100_000}\n{line}\n".encode()
        + b"Nov 24 10:16:40 web1 kernel: caf\xe9 TCP: too many orphaned sockets\n"
        + line.encode()
    )
    assert _same(data) == 3


# -- generated lines ----------------------------------------------------------------------------


def _mostly(valid: st.SearchStrategy[str], *odd: str) -> st.SearchStrategy[str]:
    """Usually (9 in 10) a value the extension renders, else one it must decline: most lines
    then mix a few odd parts into a header and wording it reads."""
    if not odd:
        return valid
    return st.sampled_from(range(10)).flatmap(lambda n: st.sampled_from(odd) if n == 9 else valid)


_octet = _mostly(st.integers(0, 255).map(str), "256", "01", "00", "999", "1234", "x", "")
_ipv4 = st.one_of(
    st.tuples(_octet, _octet, _octet, _octet).map(".".join),
    st.tuples(_octet, _octet, _octet, _octet).map(".".join),
    st.sampled_from(["127.0.0.6", "0.0.0.0", "255.255.255.255", "10.0.0.1", "202.106.38.7"]),
    st.sampled_from(["2001:0db8:0000:0000:0000:0000:0000:0001", "195.166.XXX.YYY", "[::1]"]),
)
_number = _mostly(
    st.integers(0, 2**33).map(str),
    *("0", "00", "080", "65535", "65536", "4294967295", "4294967296", "2147483648"),
    *("99999999999999999999999", "\u0661\u0662", "-1", ""),
)
_tail = _mostly(
    st.sampled_from(["", "."]), " .", "..", "\t", " x", "  Check SNMP counters.", "\u00a0", "!"
)
_tcp = _mostly(st.sampled_from(["", "TCP: "]), "TCP: TCP: ", "tcp: ", "[123] ", "TCP:")


@st.composite
def _message(draw: st.DrawFn) -> str:
    ip, tail, tcp = draw(_ipv4), draw(_tail), draw(_tcp)
    a, b, c, d = (draw(_number) for _ in range(4))
    listener = draw(_mostly(st.just("request_sock_TCP"), "TCP", "TCPv6", "x", "request_sock_"))
    response = draw(st.sampled_from(["Sending cookies", "Dropping request"]))
    return draw(
        st.sampled_from(
            [
                f"{tcp}Treason uncloaked! {draw(st.sampled_from('Pp'))}eer {ip}:{a}/{b} "
                f"shrinks window {c}:{d}. Repaired{tail}",
                f"{tcp}Peer {ip}:{a}/{b} unexpectedly shrunk window {c}:{d} (repaired){tail}",
                f"{tcp}Probing zero-window on {ip}:{a}/{b}, seq={c}:{d}, recv {a}ms ago, "
                f"lasting {b}ms{tail}",
                f"{tcp}drop open request from {ip}/{a}{tail}",
                f"{tcp}{listener}: Possible SYN flooding on port {ip}:{a}. {response}.{tail}",
                f"{tcp}{listener}: Possible SYN flooding on port {a}. {response}.{tail}",
                f"{tcp}too many {draw(st.sampled_from(['', 'of ']))}orphaned sockets{tail}",
                f"{draw(st.sampled_from(['', 'nf_conntrack: ', 'nf_conntrack: nf_conntrack: ']))}"
                f"table full, dropping packet{tail}",
                f"net_ratelimit: {a} callbacks suppressed{tail}",
                f"{tcp}{draw(st.text(max_size=30))}",
            ]
        )
    )


@st.composite
def _bsd_stamp(draw: st.DrawFn) -> str:
    month = draw(_mostly(st.sampled_from(["Nov", "Feb", "Dec"]), "Foo", "nov", "Mon Nov"))
    spaces = draw(_mostly(st.just(" "), "  ", "   "))
    day = draw(_mostly(st.sampled_from(["1", "4", "24", "29", "30", "31"]), "04", "123", "0"))
    clock = draw(_mostly(st.sampled_from(["10:16:40", "00:00:00", "23:59:59"]), "24:61:61", "1:2"))
    fraction = draw(_mostly(st.just(""), ".123456", "."))
    return f"{month}{spaces}{day} {clock}{fraction}"


@st.composite
def _iso_stamp(draw: st.DrawFn) -> str:
    year = draw(_mostly(st.sampled_from(["2026", "2024", "2023"]), "0001", "9999", "0000"))
    month = draw(_mostly(st.sampled_from(["01", "02", "11", "12"]), "13", "00", "1"))
    day = draw(_mostly(st.sampled_from(["01", "28", "29", "30", "31"]), "32", "00"))
    sep = draw(_mostly(st.just("T"), " ", "t"))
    clock = draw(_mostly(st.sampled_from(["10:16:40", "00:00:00", "23:59:59"]), "24:00:00"))
    fraction = draw(
        _mostly(st.sampled_from([".123456", ".000000", ".999999"]), "", ".1234567", ",123456")
    )
    offset = draw(
        _mostly(st.sampled_from(["+08:00", "Z", "-05:30", "+00:00"]), "+0800", "", "-00:00")
    )
    return f"{year}-{month}-{day}{sep}{clock}{fraction}{offset}"


@st.composite
def _line(draw: st.DrawFn) -> str:
    stamp = draw(st.one_of(_bsd_stamp(), _iso_stamp()))
    host = draw(
        _mostly(
            st.sampled_from(["web1 ", "", "db-2.example.com "]),
            *("kern.warn ", "kern.warnx ", "web:1 ", "h\u00e9 ", "a]b ", "kernel: ", "stdout "),
        )
    )
    tag = draw(_mostly(st.just("kernel:"), "Kernel:", "vmunix:", "kernel[7]:", "sshd:", "kernel"))
    gap = draw(_mostly(st.just(" "), "", "  ", "\t"))
    uptime = draw(
        _mostly(
            st.sampled_from(["", "[ 1000.123456] ", "[    0.000000] ", "[12345.5] "]),
            *("[1.5]", "[ 0.000001] ", "[12345678901234567.0] ", "[ 5.0][T123] ", "[\t1.0] "),
            "[ 1.0]  ",
        )
    )
    return f"{stamp} {host}{tag}{gap}{uptime}{draw(_message())}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # request_sock_ with nothing after it is no slab name
    [
        "Nov 1 10:16:40 web1 kernel: request_sock_: Possible SYN flooding on port 0. "
        "Sending cookies."
    ],
    "\n",
)
@given(st.lists(_line(), min_size=1, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_generated_lines(lines: list[str], newline: str) -> None:
    _same((newline.join(lines) + newline).encode("utf-8", "surrogatepass"))


def test_ktcp_parse_writes_the_same_with_and_without_the_extension(tmp_path: Path) -> None:
    """The user's view: `ktcp parse FILE -o ndjson`, the switch in the environment."""
    path = tmp_path / "kern.log"
    generate(path, 5_000, 0.3)

    def parse(switch: str) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, native.ENV_SWITCH: switch, "TZ": "UTC"}
        cmd = [sys.executable, "-m", "pipeline.cli", "parse", str(path), "-o", "ndjson"]
        return subprocess.run(cmd, capture_output=True, env=env, check=True)

    on, off = parse("1"), parse("0")
    assert on.stdout == off.stdout
    assert on.stdout.count(b"\n") > 1000
    # the summary (counts per family) is the same; only the time taken differs
    assert on.stderr.splitlines()[1:] == off.stderr.splitlines()[1:]


def test_every_wording_the_extension_knows_is_rendered_by_it() -> None:
    """So that a fast path declining everything cannot pass for one rendering everything."""
    messages = [
        "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window 3573023813:1. Repaired.",
        "Treason uncloaked! peer 202.106.38.7:57824/80 shrinks window 1:2. Repaired",
        "TCP: Peer 1.2.3.4:443/51000 unexpectedly shrunk window 4294967295:0 (repaired)",
        "Peer 1.2.3.4:443/51000 unexpectedly shrunk window 1:2 (repaired)",
        "TCP: Probing zero-window on 10.0.0.9:40000/22, seq=7:9, recv 12ms ago, lasting 30ms",
        "TCP: drop open request from 221.4.5.6/36822",
        "TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:443. Sending cookies.",
        "TCP: request_sock_TCP: Possible SYN flooding on port 80. Dropping request.  "
        "Check SNMP counters.",
        "request_sock_TCPv6: Possible SYN flooding on port 8080. Sending cookies.",
        "TCP: too many orphaned sockets",
        "TCP: too many of orphaned sockets",
        "nf_conntrack: nf_conntrack: table full, dropping packet",
        "nf_conntrack: table full, dropping packet.",
        "net_ratelimit: 396 callbacks suppressed",
    ]
    data = _kern_log(messages)
    assert _same(data) == len(messages)
    assert _same(data, enrich=False) == len(messages)


# -- exec-filter: a record that is its kernel line alone ---------------------------------------


def _records_stream(tmp_path: Path) -> bytes:
    """Fluentd's records of a generated kern.log (`{"message": line}`, as in_tail gives them)
    and of the fixtures, with other shapes and encodings mixed in."""
    log = tmp_path / "kern.log"
    generate(log, 4_000, 0.5)
    lines = log.read_bytes().splitlines()
    for name in ("nasty.log", "tcp-syn-flood.log", "tcp-window-shrink.log"):
        lines += _kern_log(
            [
                envelopes.detect(line).message
                for line in (DATA / "catalog" / name).read_text(errors="replace").splitlines()
            ]
        ).splitlines()
    bin_packer = msgpack.Packer(use_bin_type=True)
    str_packer = msgpack.Packer(use_bin_type=False)  # bytes as msgpack str, as Ruby may send
    parts = []
    for i, line in enumerate(lines):
        record: dict[str, object] = {"message": line}
        if i % 7 == 3:
            record = {"log": line}
        elif i % 11 == 5:
            record = {"message": line + b"\n"}
        elif i % 13 == 6:
            record = {"message": line, "host": b"other-host"}
        elif i % 17 == 8:
            record = {"MESSAGE": line}
        parts.append((str_packer if i % 5 == 0 else bin_packer).pack(record))
    return b"".join(parts)


@pytest.mark.parametrize(
    "filter_settings",
    [
        {},
        {"output_format": "json"},
        {"time_key": None, "pass_unmatched": True},
        {"error_tag": "kernel.errors"},
    ],
    ids=["msgpack", "json", "pass", "error-tag"],
)
def test_exec_filter_writes_the_same_bytes_with_and_without_the_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filter_settings: dict[str, object]
) -> None:
    stream = _records_stream(tmp_path)
    monkeypatch.setattr(exec_filter, "ingested_now", lambda: "2026-11-24T12:00:00.000000Z")

    def run(switch: str) -> tuple[bytes, object, tuple[int, ...], int]:
        monkeypatch.setenv(native.ENV_SWITCH, switch)
        chain = _chain()
        out = io.BytesIO()
        stage = exec_filter.ExecFilter(
            chain, exec_filter.FilterSettings(**filter_settings), out, lambda line: None
        )
        for at in range(0, len(stream), 65_536):
            stage.feed(stream[at : at + 65_536])
        stage.finish()
        return out.getvalue(), stage.stats, _stats(chain), int(chain.native is not None)

    on, off = run("1"), run("0")
    assert on[3] == 1 and off[3] == 0
    assert on[:3] == off[:3]
    assert on[1].events > 1_500  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=200),
            _line().map(lambda line: line.encode()).flatmap(
                lambda line: st.integers(0, len(line)).map(lambda cut: line[:cut])
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_bytes_and_any_cut_line_give_the_same_outcomes(lines: list[bytes]) -> None:
    """Random bytes and lines cut anywhere: the extension never fails where Python does not."""
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    _same(data)
    _same(data, enrich=False)


def test_an_extension_built_from_other_sources_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old build left beside newer Python code: Python does the work, and --version says so."""
    monkeypatch.setattr(native, "_BUILT_INTERFACE", native.INTERFACE + 1)
    assert not native.available()
    assert "not used" in native.describe()
    run = _chain()
    assert not run.render_natively()
    data = _kern_log(["TCP: too many orphaned sockets"])
    outcomes = list(run.scan_rendering(data, PATH, 0, FILE_ID))
    assert [type(o).__name__ for o in outcomes] == ["Event"]


def test_a_sink_that_takes_documents_gets_the_rendered_ones_as_documents(tmp_path: Path) -> None:
    """The driver hands rendered NDJSON to a sink without `send_rendered` (here the JSON array
    writer, with a decoration as `ship` adds) as documents: the same as the Python path's."""
    from pipeline.drivers.inputs import read_input
    from pipeline.drivers.run import run
    from pipeline.sinks.stdout import JsonArraySink

    path = tmp_path / "kern.log"
    generate(path, 3_000, 0.5)

    def written(native_on: bool) -> tuple[bytes, int]:
        chain = _chain()
        if native_on:
            assert chain.render_natively()
        out = io.BytesIO()
        result = run(
            chain,
            [str(path)],
            lambda c, name: read_input(c, name),
            JsonArraySink(out),
            batch_events=100,
            decorate=lambda doc: doc.setdefault("labels", {"run": "x"}),
        )
        return out.getvalue(), result.delivery.created

    on, off = written(True), written(False)
    assert on == off
    assert on[1] > 1_000
