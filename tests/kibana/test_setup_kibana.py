"""`ktcp setup kibana` run as a user runs it, against a local server as strict as Kibana's API."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import urllib3

from pipeline import kibana
from tests.kibana.cli import ktcp
from tests.kibana.fake_kibana import FakeKibana

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = ROOT / "tests" / "data" / "kibana" / "responses"
OBJECTS = kibana.saved_objects()
OBJECT_LINE = re.compile(r"^  (?P<type>\S+) (?P<id>\S+) \((?P<title>.*?)\): (?P<detail>.*)$")


def setup_kibana(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return ktcp("setup", "kibana", *args, env=env, timeout=60)


def object_lines(stdout: str) -> dict[str, str]:
    """'type id' -> what ktcp reported for it."""
    lines = (OBJECT_LINE.match(line) for line in stdout.splitlines())
    return {f"{m['type']} {m['id']}": m["detail"] for m in lines if m}


def recorded(name: str) -> tuple[int, Any]:
    data = json.loads((RESPONSES / f"{name}.json").read_text())
    return data["status"], data["body"]


def test_imports_the_whole_set_and_a_second_run_overwrites_it() -> None:
    with FakeKibana() as server:
        first = setup_kibana("--url", server.url)
        assert first.returncode == 0, first.stderr
        reported = object_lines(first.stdout)
        assert reported == {f"{o['type']} {o['id']}": "created" for o in OBJECTS}
        assert "/app/dashboards#/view/ktcp-overview" in first.stdout

        request = server.received[0]
        assert request.path == "/api/saved_objects/_import"
        assert request.query == {"overwrite": ["true"]}
        assert request.file_name == "ktcp.ndjson"
        # What Kibana received is the committed kibana/ktcp.ndjson, object for object.
        committed = (ROOT / "kibana" / "ktcp.ndjson").read_text().splitlines()
        assert request.lines == [json.loads(line) for line in committed]
        stored = dict(server.store["default"])

        second = setup_kibana("--url", server.url)
        assert second.returncode == 0, second.stderr
        assert set(object_lines(second.stdout).values()) == {"overwritten"}
        assert server.store["default"] == stored


def test_space_goes_into_the_path_and_the_dashboard_link() -> None:
    with FakeKibana(spaces={"default", "ops"}) as server:
        done = setup_kibana("--url", server.url + "/", "--space", "ops")
        assert done.returncode == 0, done.stderr
        assert server.received[0].path == "/s/ops/api/saved_objects/_import"
        assert set(server.store) == {"ops"}
        assert f"{server.url}/s/ops/app/dashboards#/view/ktcp-overview" in done.stdout


def test_kibana_behind_a_base_path() -> None:
    with FakeKibana(base_path="/kibana", spaces={"default", "ops"}) as server:
        missed = setup_kibana("--url", server.url)
        done = setup_kibana("--url", server.url + "/kibana/", "--space", "ops")
    assert missed.returncode == 1
    assert "HTTP 404" in missed.stderr and "base path" in missed.stderr
    assert done.returncode == 0, done.stderr
    assert server.received[-1].path == "/kibana/s/ops/api/saved_objects/_import"
    assert f"{server.url}/kibana/s/ops/app/dashboards#/view/ktcp-overview" in done.stdout


def test_an_unknown_space_is_kibanas_404_with_a_hint() -> None:
    with FakeKibana() as server:
        done = setup_kibana("--url", server.url, "--space", "nosuch")
    assert done.returncode == 1
    assert "HTTP 404: Saved object [space/nosuch] not found" in done.stderr
    assert "does space 'nosuch' exist?" in done.stderr


def test_a_space_name_that_is_not_an_id_is_a_usage_error() -> None:
    done = setup_kibana("--url", "http://127.0.0.1:9", "--space", "Kernel Ops")
    assert done.returncode == 2
    assert "not a Kibana space id" in done.stderr


def test_api_key_from_the_environment_and_never_printed() -> None:
    with FakeKibana(authorization="ApiKey a2V5OnNlY3JldA==") as server:
        good = setup_kibana("--url", server.url, env={"KTCP_ES_API_KEY": "a2V5OnNlY3JldA=="})
        bad = setup_kibana("--url", server.url, env={"KTCP_ES_API_KEY": "d3Jvbmc6a2V5"})
    assert good.returncode == 0, good.stderr
    assert bad.returncode == 1
    assert "HTTP 401" in bad.stderr and "KTCP_ES_API_KEY" in bad.stderr
    for done in (good, bad):
        assert "a2V5OnNlY3JldA" not in done.stdout + done.stderr
        assert "d3Jvbmc6a2V5" not in done.stdout + done.stderr


def test_user_and_password_from_the_environment() -> None:
    with FakeKibana(authorization="Basic c2hpcHBlcjpzM2NyZXQ=") as server:
        done = setup_kibana(
            "--url", server.url, env={"KTCP_ES_USER": "shipper", "KTCP_ES_PASSWORD": "s3cret"}
        )
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr


def test_objects_kibana_cannot_import_are_named_and_the_exit_is_nonzero() -> None:
    # A Kibana without Lens (or where Lens is disabled) answers unsupported_type for those.
    with FakeKibana(types={"index-pattern", "search", "dashboard"}) as server:
        done = setup_kibana("--url", server.url)
    assert done.returncode == 1
    reported = object_lines(done.stdout)
    lens = [f"lens {o['id']}" for o in OBJECTS if o["type"] == "lens"]
    assert lens and all(reported[k].startswith("unsupported_type") for k in lens)
    assert reported["dashboard ktcp-overview"] == "created"
    assert f"{len(lens)} of {len(OBJECTS)} saved objects were not imported" in done.stderr


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            "conflict",
            {
                "index-pattern ktcp-events": "conflict with existing object ktcp-events-copy",
                "dashboard ktcp-overview": "ambiguous_conflict: several existing objects share "
                "its origin (ktcp-overview-a, ktcp-overview-b)",
            },
        ),
        (
            "missing_references",
            {"search ktcp-all-events": "missing_references: index-pattern ktcp-events"},
        ),
        (
            "unsupported_type",
            {
                "lens ktcp-local-ports-chart": "unsupported_type: this Kibana "
                "does not know 'lens' objects"
            },
        ),
        (
            "unknown_error",
            {
                "dashboard ktcp-overview": 'unknown (400): Document "ktcp-overview" belongs to a '
                "more recent version of Kibana [8.9.0] when the last known version is [8.7.0]."
            },
        ),
    ],
)
def test_kibanas_documented_object_errors_are_reported_in_its_words(
    response: str, expected: dict[str, str]
) -> None:
    with FakeKibana(replay=recorded(response)) as server:
        done = setup_kibana("--url", server.url)
    assert done.returncode == 1
    reported = object_lines(done.stdout)
    for key, text in expected.items():
        assert reported[key] == text
    # Objects Kibana reported on neither way are failures too, never silently fine.
    silent = [k for k in reported if k not in expected]
    assert all(reported[k] == "Kibana did not report on this object" for k in silent)
    assert f"{len(OBJECTS)} of {len(OBJECTS)} saved objects were not imported" in done.stderr


@pytest.mark.parametrize(
    ("response", "said"),
    [
        ("forbidden", "HTTP 403: Unable to bulk_create index-pattern,search,lens,dashboard"),
        ("too_large", "HTTP 413: Payload content length greater than maximum allowed"),
        ("not_ready", "HTTP 503: Kibana server is not ready yet (Kibana is not ready yet: run"),
    ],
)
def test_kibanas_request_errors_are_reported_in_its_words(response: str, said: str) -> None:
    with FakeKibana(replay=recorded(response)) as server:
        done = setup_kibana("--url", server.url)
    assert done.returncode == 1
    assert said in done.stderr


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    where = tmp_path_factory.mktemp("tls")
    cert, key = str(where / "cert.pem"), str(where / "key.pem")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_tls_takes_the_same_options_as_setup_elasticsearch(certificate: tuple[str, str]) -> None:
    cert, _ = certificate
    with FakeKibana(tls=certificate) as server:
        unverified = setup_kibana("--url", server.url)
        with_ca = setup_kibana("--url", server.url, "--ca-certs", cert)
        insecure = setup_kibana("--url", server.url, "--insecure")
    assert unverified.returncode == 1
    assert "TLS failed with Kibana" in unverified.stderr and "--ca-certs" in unverified.stderr
    assert with_ca.returncode == 0, with_ca.stderr
    assert insecure.returncode == 0, insecure.stderr
    assert "TLS certificate verification was off" in insecure.stdout


def test_no_kibana_listening_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = setup_kibana("--url", f"http://127.0.0.1:{port}")
    assert done.returncode == 1
    assert f"cannot reach Kibana at http://127.0.0.1:{port}" in done.stderr


def test_a_url_that_is_not_kibana_is_a_clear_error() -> None:
    with FakeKibana(not_kibana=True) as server:
        done = setup_kibana("--url", server.url)
    assert done.returncode == 1
    assert "not like Kibana's import API" in done.stderr


def test_the_stand_in_refuses_what_kibana_refuses() -> None:
    """The checks above mean something only if the stand-in is as strict as Kibana."""
    http = urllib3.PoolManager(retries=False)
    body, content_type = urllib3.encode_multipart_formdata(
        {"file": ("ktcp.ndjson", kibana.ndjson().encode(), "application/ndjson")}
    )
    twice = kibana.ndjson() + kibana.ndjson().splitlines(keepends=True)[0]
    dup_body, dup_type = urllib3.encode_multipart_formdata(
        {"file": ("ktcp.ndjson", twice.encode(), "application/ndjson")}
    )
    json_body, json_type = urllib3.encode_multipart_formdata(
        {"file": ("ktcp.json", kibana.ndjson().encode(), "application/json")}
    )
    with FakeKibana() as server:
        url = server.url + "/api/saved_objects/_import?overwrite=true"

        def post(data: bytes, ctype: str, xsrf: bool = True) -> Any:
            headers = {"Content-Type": ctype, **({"kbn-xsrf": "x"} if xsrf else {})}
            answer = http.request("POST", url, body=data, headers=headers)
            return answer.status, json.loads(answer.data)

        assert post(body, content_type, xsrf=False) == (
            400,
            {
                "statusCode": 400,
                "error": "Bad Request",
                "message": "Request must contain a kbn-xsrf header.",
            },
        )
        status, answer = post(dup_body, dup_type)
        assert status == 400
        assert answer["message"] == (
            "Non-unique import objects detected: [index-pattern:ktcp-events]"
        )
        assert post(json_body, json_type)[1]["message"] == "Invalid file extension .json"
        # Without the data view, every search and chart misses its reference. Kibana checks
        # references to data views and searches only: the dashboard's references to Lens
        # charts are never checked on import, which is why test_saved_objects checks them.
        without_view = "".join(kibana.ndjson().splitlines(keepends=True)[1:])
        data, ctype = urllib3.encode_multipart_formdata(
            {"file": ("ktcp.ndjson", without_view.encode(), "application/ndjson")}
        )
        status, answer = post(data, ctype)
        failed = {(e["type"], e["error"]["type"]) for e in answer["errors"]}
        assert failed == {("search", "missing_references"), ("lens", "missing_references")}
        assert list(server.store["default"]) == [("dashboard", "ktcp-overview")]
