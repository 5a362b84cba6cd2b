"""Lint of examples/fluentd/*.conf: Fluentd configuration syntax, plugins and parameters we know.

The known types and parameters are those of Fluentd's and fluent-plugin-elasticsearch's
documentation that docs/FLUENTD.md relies on (plus the Fluentd core parameters the examples
use); a typo in a parameter name is silently ignored by Fluentd, so here it fails. The
exec_filter command line must be one `ktcp exec-filter` accepts, and its <parse>/<extract> keys
must be the ones it writes.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.commands.exec_filter import exec_filter_command
from pipeline.drivers.exec_filter import DEFAULT_TAG_KEY, DEFAULT_TIME_KEY
from pipeline.settings import DEFAULT_DATA_STREAM

EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "fluentd"
CONFIGS = sorted(EXAMPLES.glob("*.conf"))

# (section, @type) -> parameters; None: a section without @type (parameters of its parent).
KNOWN: dict[tuple[str, str | None], set[str]] = {
    ("source", "tail"): {"path", "pos_file", "read_from_head", "tag"},
    ("source", "systemd"): {"path", "matches", "read_from_head", "tag"},
    ("source", "forward"): {"bind", "port"},
    ("match", "exec_filter"): {"command", "tag", "child_respawn"},
    ("match", "elasticsearch"): {
        "hosts",
        "scheme",
        "ssl_verify",
        "ca_file",
        "user",
        "password",
        "index_name",
        "data_stream_name",
        "write_operation",
        "id_key",
        "include_tag_key",
        "verify_es_version_at_startup",
        "default_elasticsearch_version",
        "bulk_message_request_threshold",
        "request_timeout",
    },
    ("match", "file"): {"path", "append"},
    ("format", "msgpack"): set(),
    ("format", "json"): set(),
    ("parse", "none"): set(),
    ("parse", "msgpack"): {"time_key", "time_type", "keep_time_key"},
    ("parse", "json"): {"time_key", "time_type", "keep_time_key", "stream_buffer_size"},
    ("extract", None): {"tag_key", "time_key"},
    ("inject", None): {"tag_key", "time_key", "time_type"},
    ("storage", "local"): {"path", "persistent"},
    ("buffer", "file"): {
        "path",
        "chunk_limit_size",
        "flush_interval",
        "retry_forever",
        "retry_max_interval",
        "overflow_action",
    },
    ("buffer", "memory"): {"flush_interval", "retry_forever", "overflow_action"},
    ("buffer", None): {"flush_mode", "flush_interval"},
    ("label", None): set(),
}
PARENTS = {
    "source": {None, "label"},
    "match": {None, "label"},
    "label": {None},
    "parse": {"source", "match"},
    "format": {"match"},
    "extract": {"match"},
    "inject": {"match"},
    "buffer": {"match"},
    "storage": {"source"},
}


@dataclass
class Section:
    name: str
    arg: str
    line: int
    params: dict[str, str] = field(default_factory=dict)
    children: list[Section] = field(default_factory=list)
    parent: Section | None = None

    def type(self) -> str | None:
        return self.params.get("@type")

    def walk(self) -> list[Section]:
        return [self, *(s for c in self.children for s in c.walk())]


_OPEN = re.compile(r"^<([a-z_]+)(?:\s+([^>]*))?>$")
_CLOSE = re.compile(r"^</([a-z_]+)>$")
_PARAM = re.compile(r"^(@?[a-z_][a-z0-9_]*)\s+(.+)$")


def parse_config(text: str) -> Section:
    """Fluentd's v1 syntax as the examples use it: sections, `key value`, whole-line comments."""
    root = Section("root", "", 0)
    current = root
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert "\t" not in raw, f"line {number}: tab"
        if opened := _OPEN.match(line):
            child = Section(opened[1], (opened[2] or "").strip(), number, parent=current)
            current.children.append(child)
            current = child
        elif closed := _CLOSE.match(line):
            assert closed[1] == current.name, (
                f"line {number}: </{closed[1]}> closes <{current.name}>"
            )
            assert current.parent is not None
            current = current.parent
        elif param := _PARAM.match(line):
            key, value = param[1], param[2]
            # Fluentd reads ` # ...` after a value as part of the value: comments own their line
            assert not re.search(r"\s#(?!\{)", value), f"line {number}: comment after a value"
            assert key not in current.params, f"line {number}: {key} given twice"
            current.params[key] = value
        else:
            pytest.fail(f"line {number}: not Fluentd configuration syntax: {raw!r}")
    assert current is root, f"<{current.name}> opened on line {current.line} is never closed"
    return root


def test_there_is_one_example_per_input() -> None:
    assert {p.name for p in CONFIGS} == {"kern-log.conf", "journald.conf", "forward.conf"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_sections_types_and_parameters_are_known(path: Path) -> None:
    root = parse_config(path.read_text())
    for section in root.walk()[1:]:
        parent = section.parent.name if section.parent and section.parent is not root else None
        assert parent in PARENTS[section.name], f"<{section.name}> inside <{parent}>"
        kind = (section.name, section.type())
        assert kind in KNOWN, f"line {section.line}: unknown plugin {kind}"
        unknown = set(section.params) - KNOWN[kind] - {"@type"}
        assert not unknown, f"line {section.line}: unknown parameters {sorted(unknown)} of {kind}"
        if section.name in ("source", "match"):
            assert "@type" in section.params, f"line {section.line}: <{section.name}> needs @type"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_elasticsearch_keeps_our_ids_in_our_data_stream(path: Path) -> None:
    outputs = [s for s in parse_config(path.read_text()).walk() if s.type() == "elasticsearch"]
    assert len(outputs) == 1
    es = outputs[0].params
    assert es["index_name"] == DEFAULT_DATA_STREAM
    assert es["write_operation"] == "create"
    assert es["id_key"] == "$.event.id"
    assert es["verify_es_version_at_startup"] == "false"
    assert es["default_elasticsearch_version"] == "8"
    assert "ENV[" in es["password"], "the password comes from the environment"
    assert outputs[0].arg.startswith("kernel.tcp.")


def size_bytes(text: str) -> int:
    """A Fluentd size (`16MB`, `20m`, `512k`, `1g` or bytes) in bytes."""
    found = re.fullmatch(r"(\d+)\s*([kmgt]?)b?", text.strip().lower())
    assert found, f"not a Fluentd size: {text!r}"
    return int(found[1]) * 1024 ** " kmgt".index(found[2] or " ")


def commented(path: Path, setting: str) -> bool:
    """The setting's line is preceded by a comment line saying why."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    at = next(i for i, line in enumerate(lines) if line.split(" ")[0] == setting)
    return at > 0 and lines[at - 1].startswith("#")


# Written against Fluentd 1.14.6 and 1.15.3 with fluent-plugin-elasticsearch 5.2.5.
ES_HTTP_MAX_CONTENT_BYTES = 100 << 20  # Elasticsearch's http.max_content_length default


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_elasticsearch_requests_stay_small_and_patient(path: Path) -> None:
    # A chunk without chunk_limit_size grew to 75 MB and went out as one bulk request
    # (bulk_message_request_threshold -1): 429 on every retry, for ever. request_timeout's
    # 5 s default resent whole chunks to a busy cluster.
    es = next(s for s in parse_config(path.read_text()).walk() if s.type() == "elasticsearch")
    buffer = next(c for c in es.children if c.name == "buffer")
    chunk = size_bytes(buffer.params["chunk_limit_size"])
    request = size_bytes(es.params["bulk_message_request_threshold"])
    assert chunk == 16 << 20 and request == 20 << 20
    assert chunk <= request < ES_HTTP_MAX_CONTENT_BYTES, "one chunk, one request, accepted"
    assert es.params["request_timeout"] == "60s"
    for setting in ("chunk_limit_size", "bulk_message_request_threshold", "request_timeout"):
        assert commented(path, setting), f"{setting} needs a comment saying why"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_error_outputs_reach_their_file_within_seconds(path: Path) -> None:
    # out_file's default buffer is keyed by time (1 day): nothing is written until the day
    # closes, unless the buffer flushes on an interval.
    root = parse_config(path.read_text())
    files = [s for s in root.walk() if s.name == "match" and s.type() == "file"]
    assert files, "error records and rejected documents go to a file"
    for out in files:
        buffer = next((c for c in out.children if c.name == "buffer"), None)
        assert buffer is not None, f"line {out.line}: out_file without <buffer> waits a day"
        assert buffer.params.get("flush_mode") == "interval"
        assert size_secs(buffer.params["flush_interval"]) <= 60


def size_secs(text: str) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    assert found, f"not a Fluentd time: {text!r}"
    return float(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[found[2]]


@pytest.mark.parametrize(
    "path", [p for p in CONFIGS if "@type exec_filter" in p.read_text()], ids=lambda p: p.name
)
def test_exec_filter_runs_a_command_ktcp_accepts_and_reads_back_its_keys(path: Path) -> None:
    root = parse_config(path.read_text())
    stage = next(s for s in root.walk() if s.type() == "exec_filter")
    argv = shlex.split(stage.params["command"])
    assert argv[:2] == ["ktcp", "exec-filter"]
    ctx = exec_filter_command.make_context("exec-filter", argv[2:])  # raises on a bad flag
    sections = {c.name: c for c in stage.children}
    fmt, parse = sections["format"].type(), sections["parse"]
    assert fmt == (ctx.params["input_format"] or "msgpack")
    assert parse.type() == (ctx.params["output_format"] or fmt)
    assert parse.params["time_key"] == DEFAULT_TIME_KEY and parse.params["time_type"] == "float"
    if parse.type() == "json":
        assert parse.params.get("stream_buffer_size") == "1", "json <parse> reads 8 KiB blocks"
    if ctx.params["error_tag"]:
        assert sections["extract"].params["tag_key"] == DEFAULT_TAG_KEY
        routes = [s.arg for s in root.walk() if s.name == "match"]
        assert ctx.params["error_tag"] in routes, "error records need a <match> of their tag"
    matched = stage.arg
    sources = [s for s in root.walk() if s.name == "source"]
    assert all(s.params["tag"] == matched for s in sources), "inputs feed the exec_filter stage"
    assert stage.params["tag"].startswith("kernel.tcp.")


def test_the_lint_rejects_what_fluentd_would_misread() -> None:
    with pytest.raises(AssertionError, match="never closed"):
        parse_config("<match a>\n  @type file\n")
    with pytest.raises(AssertionError, match="comment after a value"):
        parse_config("<match a>\n  @type file\n  path /x  # note\n</match>\n")
