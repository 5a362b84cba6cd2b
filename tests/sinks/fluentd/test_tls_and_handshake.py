"""TLS (`<transport tls>`) and the `<security>` handshake against a receiver doing both as
in_forward does: certificates from a CA made here, HELO / PING / PONG byte for byte.

Refusals (an untrusted certificate, a wrong key) are final: the sink says why and what to set,
does not retry, and keeps every event in the spool.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from pipeline.fluentd_settings import FluentdSecurity, FluentdTls
from pipeline.sinks.fluentd import FluentdSink, open_sink

ReceiverFactory = Callable[..., Any]
Docs = Callable[[int], list[dict[str, Any]]]

KERN_LOG = Path(__file__).parent.parent.parent / "data" / "fluentd" / "kern.log"
KEY = "s3cret-shared-key"


def deliver(
    address: str, spool: Path, docs: list[dict[str, Any]], **kwargs: Any
) -> tuple[Any, FluentdSink, list[str]]:
    warnings: list[str] = []
    sink = open_sink(
        address=address,
        tag_prefix="kernel.tcp",
        spool=spool,
        deadline_secs=20.0,
        warn=warnings.append,
        **kwargs,
    )
    for start in range(0, len(docs), 100):
        sink.send(docs[start : start + 100])
    return sink.close(), sink, warnings


def security(key: str = KEY, **kwargs: Any) -> FluentdSecurity:
    return FluentdSecurity(shared_key=SecretStr(key), self_hostname="node-1", **kwargs)


def spooled_events(spool: Path) -> int:
    return sum(int(p.name.split("-")[1]) for p in spool.iterdir() if p.suffix == ".fwd")


def assert_refused_and_kept(
    delivery: Any, sink: FluentdSink, spool: Path, docs: list[dict[str, Any]], *words: str
) -> None:
    assert delivery.created == 0 and delivery.not_delivered == len(docs)
    assert sink.refused is not None
    for word in words:
        assert word in sink.refused, sink.refused
    assert spooled_events(spool) == len(docs), "a refused run keeps every event for the next"


# -- the <security> handshake ---------------------------------------------------------------------


def test_the_shared_key_handshake_lets_events_through(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY).start()
    docs = make_docs(5)
    delivery, _, _ = deliver(r.address, tmp_path, docs, security=security())
    assert delivery.created == len(docs) and delivery.complete
    assert r.handshakes == [("node-1", "")]
    assert {e.record["event"]["id"] for e in r.events()} == {d["event"]["id"] for d in docs}


def test_a_wrong_shared_key_is_refused_once_with_what_to_set(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY).start()
    docs = make_docs(3)
    delivery, sink, warnings = deliver(r.address, tmp_path, docs, security=security("wrong"))
    assert_refused_and_kept(
        delivery, sink, tmp_path, docs, "shared_key mismatch", "KTCP_FLUENTD_SHARED_KEY"
    )
    assert r.refusals == ["shared_key mismatch"], "refused for good: no retry loop"
    assert r.events() == []
    assert any("not retrying" in w for w in warnings)


def test_user_auth_checks_username_and_password(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY, users={"ktcp": "pa55"}).start()
    docs = make_docs(2)
    good = security(username="ktcp", password=SecretStr("pa55"))
    delivery, _, _ = deliver(r.address, tmp_path / "a", docs, security=good)
    assert delivery.created == len(docs)
    assert r.handshakes == [("node-1", "ktcp")]

    bad = security(username="ktcp", password=SecretStr("nope"))
    delivery, sink, _ = deliver(r.address, tmp_path / "b", docs, security=bad)
    assert_refused_and_kept(
        delivery, sink, tmp_path / "b", docs, "username/password mismatch", "KTCP_FLUENTD_PASSWORD"
    )


def test_a_secured_fluentd_without_a_key_here_says_to_set_it(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY).start()
    docs = make_docs(2)
    delivery, sink, _ = deliver(r.address, tmp_path, docs)
    assert_refused_and_kept(
        delivery, sink, tmp_path, docs, "requires the <security>", "KTCP_FLUENTD_SHARED_KEY"
    )
    assert r.events() == []


def test_a_key_here_but_no_security_there_is_refused_after_the_handshake_timeout(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver().start()
    docs = make_docs(1)
    quick = security(handshake_timeout_secs=0.5)
    delivery, sink, _ = deliver(r.address, tmp_path, docs, security=quick)
    assert_refused_and_kept(delivery, sink, tmp_path, docs, "sent no HELO", "<security>")
    assert r.events() == []


def test_a_server_that_cannot_prove_the_key_gets_no_events(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY, impostor=True).start()
    docs = make_docs(2)
    delivery, sink, _ = deliver(r.address, tmp_path, docs, security=security())
    assert_refused_and_kept(delivery, sink, tmp_path, docs, "did not prove it knows")
    assert r.events() == []


def test_the_same_hostname_on_both_ends_is_refused_as_fluentd_does(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY, self_hostname="node-1").start()
    docs = make_docs(1)
    delivery, sink, _ = deliver(r.address, tmp_path, docs, security=security())
    assert_refused_and_kept(delivery, sink, tmp_path, docs, "--fluentd-hostname")


# -- TLS ------------------------------------------------------------------------------------------


def tls_receiver(receiver: ReceiverFactory, issued: Any, **kwargs: Any) -> Any:
    return receiver(tls_cert=str(issued.cert), tls_key=str(issued.key), **kwargs).start()


def test_tls_with_the_ca_given_delivers(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, pki: Any
) -> None:
    r = tls_receiver(receiver, pki["server"])
    docs = make_docs(5)
    delivery, _, _ = deliver(r.address, tmp_path, docs, tls=FluentdTls(ca_file=pki["ca"]))
    assert delivery.created == len(docs) and delivery.complete
    assert len(r.events()) == len(docs)
    assert r.tls_failures == []


def test_an_unverified_certificate_is_refused_by_default(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, pki: Any
) -> None:
    r = tls_receiver(receiver, pki["untrusted"])
    docs = make_docs(2)
    delivery, sink, _ = deliver(r.address, tmp_path, docs, tls=FluentdTls(ca_file=pki["ca"]))
    assert_refused_and_kept(delivery, sink, tmp_path, docs, "not trusted", "--fluentd-ca")
    assert r.events() == []
    assert r.connections == 1, "refused for good: no retry loop"


def test_a_certificate_for_another_name_is_refused_unless_that_name_is_expected(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, pki: Any
) -> None:
    r = tls_receiver(receiver, pki["other_name"])
    docs = make_docs(1)
    delivery, sink, _ = deliver(r.address, tmp_path / "a", docs, tls=FluentdTls(ca_file=pki["ca"]))
    assert_refused_and_kept(delivery, sink, tmp_path / "a", docs, "--fluentd-server-name")

    named = FluentdTls(ca_file=pki["ca"], server_name="aggregator.example")
    delivery, _, _ = deliver(r.address, tmp_path / "b", docs, tls=named)
    assert delivery.created == len(docs)


def test_insecure_mode_skips_verification(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, pki: Any
) -> None:
    r = tls_receiver(receiver, pki["untrusted"])
    docs = make_docs(1)
    delivery, _, _ = deliver(r.address, tmp_path, docs, tls=FluentdTls(verify=False))
    assert delivery.created == len(docs)


def test_tls_client_certificate_and_shared_key_together(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, pki: Any
) -> None:
    r = tls_receiver(receiver, pki["server"], tls_client_ca=str(pki["ca"]), shared_key=KEY)
    docs = make_docs(5)
    tls = FluentdTls(
        ca_file=pki["ca"], client_cert=pki["client"].cert, client_key=pki["client"].key
    )
    delivery, _, _ = deliver(r.address, tmp_path, docs, tls=tls, security=security())
    assert delivery.created == len(docs) and delivery.complete
    assert r.handshakes == [("node-1", "")]


# -- ktcp ship --fluentd ---------------------------------------------------------------------------

KTCP = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def ship(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KTCP_")}
    environ.update(KTCP_ENRICH="0", **env)
    command = [*KTCP, "ship", *args, "--timezone", "UTC", "--year", "2026", str(KERN_LOG)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=environ)


def test_ship_over_tls_with_the_key_from_the_environment(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, pki: Any
) -> None:
    r = tls_receiver(receiver, pki["server"], shared_key=KEY)
    args = ["--fluentd", f"localhost:{r.port}", "--fluentd-ca", str(pki["ca"])]
    done = ship([*args, "--spool", str(tmp_path)], KTCP_FLUENTD_SHARED_KEY=KEY)
    assert done.returncode == 0, done.stderr
    assert len(r.events()) == len(make_docs(1))
    assert KEY not in done.stdout + done.stderr


def test_ship_with_a_wrong_key_exits_1_says_why_and_never_prints_the_key(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs
) -> None:
    r = receiver(shared_key=KEY).start()
    wrong = "wrong-key-do-not-print"
    done = ship(["--fluentd", r.address, "--spool", str(tmp_path)], KTCP_FLUENTD_SHARED_KEY=wrong)
    assert done.returncode == 1
    assert "shared_key mismatch" in done.stderr and "KTCP_FLUENTD_SHARED_KEY" in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert spooled_events(tmp_path) == len(make_docs(1))


def test_ship_with_an_unreadable_ca_bundle_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    done = ship(["--fluentd", "127.0.0.1:1", "--fluentd-ca", str(bogus)])
    assert done.returncode == 2
    assert f"cannot use {bogus} as the Fluentd CA bundle" in done.stderr
