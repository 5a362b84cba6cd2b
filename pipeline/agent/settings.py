"""The agent's settings: one pydantic model filled from a config file, `KTCP_*` and flags.

Precedence, lowest first: the model's defaults (named in pipeline/settings.py), the config file
(TOML or YAML, keys are the field names below, `-` or `_`), `KTCP_<FIELD>` environment
variables, then command-line flags. Every error names the key and where it came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.enrich.settings import ENV_ENABLED
from pipeline.errors import UsageError
from pipeline.fluentd_settings import FluentdSecurity, FluentdTls, fluentd_transport
from pipeline.settings import (
    DEFAULT_AGENT_BATCH_EVENTS,
    DEFAULT_AGENT_SPOOL_MAX_BYTES,
    DEFAULT_DATA_STREAM,
    DEFAULT_FLUSH_SECS,
    DEFAULT_HTTP_ADDRESS,
    DEFAULT_STATE_DIR,
    DEFAULT_STOP_TIMEOUT_SECS,
    DEFAULT_TAG_PREFIX,
    FLUENTD_ACK_TIMEOUT_SECS,
    parse_timezone,
)

SourceKind = Literal["auto", "kmsg", "journald", "file"]
ENV_PREFIX = "KTCP_"
ENV_CONFIG = "KTCP_CONFIG"
# Environment names that predate the agent and are shared with `ktcp ship`.
ENV_NAMES = {"api_key": "KTCP_ES_API_KEY", "user": "KTCP_ES_USER", "password": "KTCP_ES_PASSWORD"}
# The enrichment switch every command shares (pipeline/enrich/settings.py): KTCP_ENRICH=0.
ENV_ENRICH_OFF = frozenset({"0", "false", "no", "off"})
LIST_SEPARATOR = ","  # KTCP_PATH=/var/log/kern.log*,/var/log/syslog*


class AgentSettings(BaseModel):
    """Everything `ktcp agent` needs: source, sink, enrichment, state directory, HTTP."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- source
    source: SourceKind = "auto"
    path: tuple[str, ...] = ()  # globs for `file` (default: DEFAULT_FILE_GLOBS)
    journal_directory: Path | None = None  # journald: a journal directory mounted from the host
    file_start: Literal["beginning", "end"] = "beginning"  # files met on a first start
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    # -- sink (exactly one)
    stdout: bool = False
    elasticsearch: str | None = None
    fluentd: str | None = None
    data_stream: str = DEFAULT_DATA_STREAM
    api_key: str | None = None
    user: str | None = None
    password: str | None = None
    ca_certs: Path | None = None
    insecure: bool = False
    tag_prefix: str = DEFAULT_TAG_PREFIX
    # Fluentd <transport tls> and <security> (see docs/FLUENTD.md); secrets from env or file
    fluentd_tls: bool = False
    fluentd_ca: Path | None = None
    fluentd_server_name: str | None = None
    fluentd_client_cert: Path | None = None
    fluentd_client_key: Path | None = None
    fluentd_tls_insecure: bool = False
    fluentd_hostname: str | None = None  # self_hostname in the handshake (default: host name)
    fluentd_shared_key: SecretStr | None = None  # KTCP_FLUENTD_SHARED_KEY
    fluentd_username: str | None = None  # KTCP_FLUENTD_USERNAME
    fluentd_password: SecretStr | None = None  # KTCP_FLUENTD_PASSWORD
    spool: Path | None = None  # default: <state_dir>/spool
    spool_max_bytes: int = Field(DEFAULT_AGENT_SPOOL_MAX_BYTES, gt=0)
    fluentd_ack_timeout_secs: float = Field(FLUENTD_ACK_TIMEOUT_SECS, gt=0)
    dead_letter: Path | None = None  # default: <state_dir>/dead-letter.ndjson
    # -- parsing and enrichment
    host: str | None = None  # host.name (default: this machine's name)
    timezone: str | None = None
    no_enrich: bool = False
    mmdb: tuple[Path, ...] = ()
    ip2region: Path | None = None
    isp_overrides: Path | None = None
    # -- running
    http: str = DEFAULT_HTTP_ADDRESS  # "off" disables the endpoint
    log_format: Literal["json", "text"] = "json"
    batch_events: int = Field(DEFAULT_AGENT_BATCH_EVENTS, gt=0)
    flush_secs: float = Field(DEFAULT_FLUSH_SECS, gt=0)
    stop_timeout_secs: float = Field(DEFAULT_STOP_TIMEOUT_SECS, gt=0)
    # -- kernel state (docs/SAMPLER.md)
    sample_interval: float | None = Field(None, gt=0)  # seconds; None: no sampler
    enable_kernel_debug: bool = False  # switch on the kernel's own window-shrink debug lines
    kernel_debug_control: Path | None = None  # dynamic debug control file (default: found)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            parse_timezone(value)
        return value

    @field_validator("http")
    @classmethod
    def _address(cls, value: str) -> str:
        if value != "off":
            http_address(value)
        return value

    @field_validator("fluentd")
    @classmethod
    def _fluentd_address(cls, value: str | None) -> str | None:
        if value is not None:
            from pipeline.sinks.fluentd.protocol import parse_address

            parse_address(value)
        return value

    @model_validator(mode="after")
    def _one_sink(self) -> AgentSettings:
        chosen = [
            n
            for n, on in (
                ("stdout", self.stdout),
                ("elasticsearch", self.elasticsearch),
                ("fluentd", self.fluentd),
            )
            if on
        ]
        if len(chosen) != 1:
            given = ", ".join(chosen) if chosen else "none"
            raise ValueError(
                "give exactly one sink: --stdout, --elasticsearch URL or --fluentd HOST:PORT "
                f"(given: {given})"
            )
        if self.path and self.source not in ("file", "auto"):
            raise ValueError(f"--path is for --source file, not --source {self.source}")
        if self.journal_directory is not None and self.source not in ("journald", "auto"):
            raise ValueError(f"--journal-directory is for --source journald, not {self.source}")
        return self

    @model_validator(mode="after")
    def _fluentd_transport_valid(self) -> AgentSettings:
        self.fluentd_transport()
        return self

    def fluentd_transport(self) -> tuple[FluentdTls | None, FluentdSecurity | None]:
        """TLS and `<security>` of the Fluentd sink (None, None: plain, no handshake)."""
        key, password = self.fluentd_shared_key, self.fluentd_password
        try:
            return fluentd_transport(
                tls=self.fluentd_tls,
                ca_file=self.fluentd_ca,
                server_name=self.fluentd_server_name,
                client_cert=self.fluentd_client_cert,
                client_key=self.fluentd_client_key,
                insecure=self.fluentd_tls_insecure,
                self_hostname=self.fluentd_hostname,
                shared_key=key.get_secret_value() if key else None,
                username=self.fluentd_username,
                password=password.get_secret_value() if password else None,
            )
        except ValidationError as exc:
            raise ValueError(f"Fluentd <security>: {exc.errors()[0]['msg']}") from None

    @property
    def sink_name(self) -> str:
        if self.elasticsearch:
            return "elasticsearch"
        return "fluentd" if self.fluentd else "stdout"

    @property
    def spool_directory(self) -> Path:
        return self.spool or self.state_dir / "spool"

    @property
    def dead_letter_path(self) -> Path:
        return self.dead_letter or self.state_dir / "dead-letter.ndjson"

    def redacted(self) -> dict[str, Any]:
        """The settings as JSON-able values, secrets hidden (for --check-config and logs)."""
        shown = self.model_dump(mode="json")
        for secret in ("api_key", "password", "fluentd_shared_key", "fluentd_password"):
            if shown.get(secret):
                shown[secret] = "***"
        return shown


def http_address(text: str) -> tuple[str, int]:
    """`ADDR:PORT` (IPv6 as `[::1]:PORT`); port 0 picks a free one."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} is not ADDR:PORT (e.g. 127.0.0.1:9477, 0.0.0.0:9477)")
    return host.strip("[]") or "127.0.0.1", int(port)


FIELDS = tuple(AgentSettings.model_fields)


def env_name(field: str) -> str:
    return ENV_NAMES.get(field, ENV_PREFIX + field.upper())


def read_config_file(path: Path) -> dict[str, Any]:
    """A TOML (.toml) or YAML (.yaml, .yml) mapping of setting names to values."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the config file {path}: {exc.strerror or exc}") from exc
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise UsageError(f"config file {path} is not valid: {exc}") from exc
    except Exception as exc:  # yaml.YAMLError, without importing yaml for TOML users
        raise UsageError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must be a mapping of settings (key = value)")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    switch = environ.get(ENV_ENABLED, "").strip().lower()
    if switch:
        found["no_enrich"] = switch in ENV_ENRICH_OFF
    for field in FIELDS:
        if field == "no_enrich":
            continue
        value = environ.get(env_name(field))
        if value is None or value == "":
            continue
        if field == "mmdb":  # a path list, as for every command: KTCP_MMDB=a.mmdb:b.mmdb
            found[field] = tuple(p for p in value.split(os.pathsep) if p.strip())
        elif field == "path":
            found[field] = tuple(p.strip() for p in value.split(LIST_SEPARATOR) if p.strip())
        else:
            found[field] = value
    return found


def load_settings(
    flags: Mapping[str, Any],
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AgentSettings:
    """Merge file < environment < flags and validate; UsageError naming the bad key."""
    env = os.environ if environ is None else environ
    if config is None and env.get(ENV_CONFIG):
        config = Path(env[ENV_CONFIG])
    layers: list[tuple[str, dict[str, Any]]] = []
    if config is not None:
        layers.append((f"config file {config}", read_config_file(config)))
    layers.append(("environment", from_environment(env)))
    layers.append(("command line", {k: v for k, v in flags.items() if v not in (None, ())}))
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for where, values in layers:
        for key, value in values.items():
            merged[key] = value
            origin[key] = where
    try:
        return AgentSettings.model_validate(merged)
    except ValidationError as exc:
        raise UsageError(_explain(exc, origin)) from None


def _explain(exc: ValidationError, origin: Mapping[str, str]) -> str:
    problems = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            where = origin.get(key, "settings")
            problems.append(
                f"unknown setting {key!r} in the {where}; known settings: {', '.join(FIELDS)}"
            )
        elif key:
            where = origin.get(key, "defaults")
            shown = "--" + key.replace("_", "-") if where == "command line" else key
            if where == "environment":
                shown = env_name(key)
            problems.append(f"{shown} (from the {where}): {message}")
        else:
            problems.append(message)
    return "; ".join(problems)
