"""Settings of the parse chain and the sinks. Every default is a named constant here and nowhere
else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import UsageError

DEFAULT_RECORD_KEYS = ("message", "log", "msg", "MESSAGE")  # where records keep the kernel line
# A syslog timestamp without a year may lie this far after the reading time (clock skew between
# hosts) before the previous year is preferred.
YEAR_INFERENCE_SLACK = timedelta(days=7)
MAX_LINE_BYTES = 1 << 20  # longer lines are cut here and counted invalid
READ_BLOCK_BYTES = 1 << 20
DEFAULT_TAG_PREFIX = "kernel.tcp"
DEFAULT_DATA_STREAM = "logs-kernel.tcp-default"
DEFAULT_SAMPLE_INTERVAL_SECS = 10.0  # ktcp sample: seconds between two looks at /proc/net
PROC_NET_DIR = "/proc/net"  # this process's network namespace (the host's under hostNetwork)
BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"
# Retrying a destination (Elasticsearch and Fluentd alike, pipeline/sinks/retry.py): the wait
# doubles from the first to the longest, each wait drawn between half and all of it.
RETRY_FIRST_SECS = 0.25
RETRY_MAX_SECS = 8.0  # short enough to notice a restarted destination within seconds

# -- Delivery: parse, ship and exec-filter, Elasticsearch and Fluentd ----------------------------

DEFAULT_BATCH_EVENTS = 500  # events handed to a sink at once (a live input flushes sooner)
DEFAULT_DEADLINE_SECS = 300.0  # retrying an unreachable destination without progress, then give up
ES_CHUNK_DOCS = 2000  # documents per bulk request (see docs/PERFORMANCE.md)
ES_THREADS = 2  # concurrent bulk requests with the parallel helper
FLUENTD_WINDOW_CHUNKS = 16  # messages awaiting their ack at once (Fluentd acks each separately)
# batches handed to the spool writer and not on disk yet, at most (send waits beyond): what a
# crash can lose of what was never confirmed
FLUENTD_UNWRITTEN_BATCHES = 16
# batches written together share one message per tag, up to this many bytes of entries (in_forward
# drops a message above its chunk_size_limit, unlimited by default; Fluentd's own buffer chunks
# are 8 MiB by default)
FLUENTD_MERGED_MESSAGE_BYTES = 1 << 20
FLUENTD_ACK_TIMEOUT_SECS = 60.0  # an ack later than this: the connection is dead, resend
FLUENTD_SOCKET_TIMEOUT_SECS = 10.0  # connect / write timeout of one attempt
FLUENTD_STOP_GRACE_SECS = 2.0  # once asked to stop: wait this long for acks already due, no more
FLUENTD_SPOOL_MAX_BYTES = 256 << 20  # the on-disk spool's bound (ship and the agent alike)


def local_timezone() -> tzinfo:
    """The machine's time zone (naive input times are taken in it unless told otherwise)."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def parse_timezone(name: str) -> tzinfo:
    if name.lower() in {"utc", "z"}:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai or UTC"
        ) from exc


@dataclass(frozen=True)
class ParseSettings:
    """How lines become events: envelope choice and the clock facts the input may lack.

    A plain frozen dataclass, not a pydantic model: every command that parses builds one, and
    importing pydantic would be most of `ktcp parse`'s start-up. Its values come from click
    options and from the agent's validated settings; the checks below are the ones they need.
    """

    envelope: str | None = None  # force one envelope instead of detecting per line
    timezone: str | None = None  # IANA name for naive times; None = the machine's zone
    boot_time: datetime | None = None  # wall clock of boot, to date bare [uptime] lines
    year: int | None = None  # year for syslog timestamps that carry none; None = infer
    host: str | None = None  # host.name when the envelope does not say
    # this machine's boot id, given to /dev/kmsg records read here (identity rule 1)
    boot_id: str | None = None
    record_keys: tuple[str, ...] = DEFAULT_RECORD_KEYS

    def __post_init__(self) -> None:
        if self.timezone is not None:
            parse_timezone(self.timezone)  # UsageError naming the zone
        if self.boot_time is not None and self.boot_time.tzinfo is None:
            object.__setattr__(self, "boot_time", self.boot_time.replace(tzinfo=local_timezone()))
        object.__setattr__(self, "record_keys", tuple(self.record_keys))

    def zone(self) -> tzinfo:
        return parse_timezone(self.timezone) if self.timezone else local_timezone()


# -- ktcp agent -------------------------------------------------------------------------------

DEFAULT_STATE_DIR = "/var/lib/ktcp"
DEFAULT_HTTP_ADDRESS = "127.0.0.1:9477"  # health and metrics; localhost unless told otherwise
DEFAULT_FILE_GLOBS = ("/var/log/kern.log*", "/var/log/messages*")  # --source file without --path
DEFAULT_AGENT_BATCH_EVENTS = 500  # documents per send; a batch also goes out when the source idles
DEFAULT_FLUSH_SECS = 0.5  # longest a read event waits for its batch to fill before it is sent
DEFAULT_STOP_TIMEOUT_SECS = 10.0  # SIGTERM: flush and save within this, then exit 0
DEFAULT_AGENT_SPOOL_MAX_BYTES = FLUENTD_SPOOL_MAX_BYTES  # a full spool stops reading
DEFAULT_FILE_POLL_SECS = 0.25  # how often followed files and globs are checked
FILE_FORGET_SECS = 24 * 3600  # a file gone from every glob this long leaves the state file

# -- ktcp report ------------------------------------------------------------------------------

REPORT_EPISODE_GAP_SECS = 300.0  # window-shrink events of one peer closer than this: one episode
REPORT_ES_SINCE = "7d"  # how far back --elasticsearch reads when --since is not given
REPORT_TOP_N = 10  # rows of each top list
REPORT_MAX_BUCKETS = 60  # the timeline's bucket size is the smallest that keeps this many or fewer
REPORT_EVIDENCE_IDS = 10_000  # event ids a finding cites before it says the list is cut
REPORT_ES_PAGE = 1000  # documents per Elasticsearch search page
PROC_SYS = "/proc/sys"  # where the report reads this machine's sysctls (read-only)


# -- Fluentd forward output: transport and authentication ----------------------------------------

FLUENTD_HANDSHAKE_TIMEOUT_SECS = 10.0  # wait this long for in_forward's HELO and PONG
FLUENTD_SHARED_KEY_ENV = "KTCP_FLUENTD_SHARED_KEY"  # secrets come from the environment only
FLUENTD_USERNAME_ENV = "KTCP_FLUENTD_USERNAME"
FLUENTD_PASSWORD_ENV = "KTCP_FLUENTD_PASSWORD"
