"""`ktcp agent --fluentd` to an aggregator with `<transport tls>` and `<security>`: the events
arrive; a wrong shared key stops the agent with what to set; the key never shows."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
FLUENTD_TESTS = ROOT / "tests" / "sinks" / "fluentd"
KERN_LOG = ROOT / "tests" / "data" / "fluentd" / "kern.log"
KEY = "agent-shared-key-never-printed"


def _load(name: str, file: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, FLUENTD_TESTS / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


receiver_module = _load("fluentd_receiver", "receiver.py")
certs = _load("fluentd_test_certs", "certs.py")


def secured_receiver(tmp_path: Path) -> tuple[Any, Path]:
    ca = certs.TestCA(tmp_path)
    server = ca.issue("fluentd", ["localhost", "127.0.0.1"])
    r = receiver_module.ForwardReceiver(
        tls_cert=str(server.cert), tls_key=str(server.key), shared_key=KEY
    ).start()
    return r, ca.cert


def agent_args(tmp_path: Path, port: int, ca: Path) -> list[str]:
    log = tmp_path / "kern.log"
    log.write_bytes(KERN_LOG.read_bytes())
    return [
        "--source",
        "file",
        "--path",
        str(log),
        "--state-dir",
        str(tmp_path / "state"),
        "--http",
        "off",
        "--no-enrich",
        "--timezone",
        "UTC",
        "--fluentd",
        f"localhost:{port}",
        "--fluentd-ca",
        str(ca),
    ]


def test_the_agent_ships_over_tls_with_the_shared_key(tmp_path: Path, start_agent: Any) -> None:
    r, ca = secured_receiver(tmp_path)
    try:
        agent = start_agent(*agent_args(tmp_path, r.port, ca), env={"KTCP_FLUENTD_SHARED_KEY": KEY})
        agent.wait_for(lambda a: len(r.events()) >= 32, "32 events at the receiver")
        assert agent.stop() == 0
        assert len(r.handshakes) >= 1 and r.tls_failures == []
        assert KEY not in orjson.dumps(agent.logs).decode()
    finally:
        r.stop()


def test_a_wrong_shared_key_stops_the_agent_saying_what_to_set(
    tmp_path: Path, start_agent: Any
) -> None:
    r, ca = secured_receiver(tmp_path)
    wrong = "wrong-key-never-printed"
    try:
        agent = start_agent(
            *agent_args(tmp_path, r.port, ca), env={"KTCP_FLUENTD_SHARED_KEY": wrong}
        )
        status = agent.proc.wait(60)
        agent.stop()
        text = orjson.dumps(agent.logs).decode()
        assert status == 1
        assert "shared_key mismatch" in text and "KTCP_FLUENTD_SHARED_KEY" in text
        assert wrong not in text
        assert r.events() == []
    finally:
        r.stop()


def test_check_config_shows_the_transport_and_hides_the_secrets(tmp_path: Path) -> None:
    ca = certs.TestCA(tmp_path).cert
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTCP_")}
    env.update(PYTHONPATH=str(ROOT), KTCP_FLUENTD_SHARED_KEY=KEY, KTCP_FLUENTD_PASSWORD=KEY)
    env.update(KTCP_FLUENTD_USERNAME="ktcp")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "agent",
            "--check-config",
            "--fluentd",
            "aggregator.example:24224",
            "--fluentd-ca",
            str(ca),
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    shown = orjson.loads(done.stdout)
    assert shown["fluentd_ca"] == str(ca) and shown["fluentd_username"] == "ktcp"
    assert shown["fluentd_shared_key"] == "***" and shown["fluentd_password"] == "***"
    assert KEY not in done.stdout + done.stderr
