"""`ktcp agent` settings: flags over KTCP_* over the config file, errors naming the bad key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from pipeline.agent.settings import load_settings
from pipeline.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def _agent(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KTCP_")}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "agent", *args],
        capture_output=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_check_config_prints_the_merged_settings_with_secrets_hidden(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(
        'source = "file"\npath = ["/var/log/kern.log*"]\nstate-dir = "/srv/ktcp"\n'
        'elasticsearch = "http://es:9200"\napi_key = "secret"\nhttp = "0.0.0.0:9477"\n'
    )
    done = _agent(
        "--config",
        str(config),
        "--http",
        "127.0.0.1:9999",
        "--check-config",
        env={"KTCP_STATE_DIR": "/var/lib/other"},
    )
    assert done.returncode == 0, done.stderr
    shown = orjson.loads(done.stdout)
    assert shown["source"] == "file"
    assert shown["path"] == ["/var/log/kern.log*"]
    assert shown["state_dir"] == "/var/lib/other"  # environment over file
    assert shown["http"] == "127.0.0.1:9999"  # flag over file
    assert shown["api_key"] == "***"


def test_yaml_config_and_env_list(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text("source: file\nfluentd: 127.0.0.1:24224\n")
    settings = load_settings({}, config, {"KTCP_PATH": "/var/log/kern.log*, /var/log/syslog*"})
    assert settings.fluentd == "127.0.0.1:24224"
    assert settings.path == ("/var/log/kern.log*", "/var/log/syslog*")


def test_unknown_key_in_the_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('stdout = true\nsorce = "kmsg"\n')
    done = _agent("--config", str(config), "--check-config")
    assert done.returncode == 2
    assert b"unknown setting 'sorce'" in done.stderr
    assert str(config).encode() in done.stderr


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(UsageError, match="KTCP_SOURCE"):
        load_settings({"stdout": True}, None, {"KTCP_SOURCE": "dmesg"})


def test_exactly_one_sink() -> None:
    done = _agent("--check-config")
    assert done.returncode == 2
    assert b"exactly one sink" in done.stderr
    done = _agent("--stdout", "--fluentd", "127.0.0.1:24224", "--check-config")
    assert done.returncode == 2
    assert b"given: stdout, fluentd" in done.stderr


def test_check_config_opens_the_files_the_settings_name(tmp_path: Path) -> None:
    done = _agent("--stdout", "--mmdb", str(tmp_path / "missing.mmdb"), "--check-config")
    assert done.returncode == 2
    assert b"missing.mmdb" in done.stderr
    done = _agent("--stdout", "--ca-certs", str(tmp_path / "ca.pem"), "--check-config")
    assert done.returncode == 2
    assert b"--ca-certs" in done.stderr


def test_enrichment_variables_mean_what_they_mean_for_every_command() -> None:
    env = {"KTCP_MMDB": os.pathsep.join(["/db/a.mmdb", "/db/b.mmdb"]), "KTCP_ENRICH": "0"}
    settings = load_settings({"stdout": True}, environ=env)
    assert settings.mmdb == (Path("/db/a.mmdb"), Path("/db/b.mmdb"))
    assert settings.no_enrich
    assert not load_settings({"stdout": True}, environ={}).no_enrich
