"""The --html page in headless Chromium (Debian's package), driven over the DevTools protocol:
no console errors, no network requests, charts drawn from the same numbers as --json.

The screenshot is a test artifact outside git: $KTCP_TEST_ARTIFACTS, else <tmp>/ktcp-artifacts.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from ktcp_report_helpers import SAMPLE, ktcp  # type: ignore[import-not-found]

pytestmark = pytest.mark.timeout(300)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
START_TIMEOUT_SECS = 60
STEP_TIMEOUT_SECS = 60
ARTIFACTS = Path(
    os.environ.get("KTCP_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "ktcp-artifacts"
)


class DevTools:
    """One page target over the DevTools websocket; events are kept for the assertions."""

    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(
            ws_url, timeout=STEP_TIMEOUT_SECS, suppress_origin=True
        )
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                assert "error" not in message, message
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            message = json.loads(self.ws.recv())  # the socket timeout bounds the wait
            self.events.append(message)
            if message.get("method") == method:
                return message

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Callable[[], DevTools]]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (scripts/test does)")
    profile = tmp_path / "profile"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
         "--no-first-run", "--window-size=1200,900", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    sessions: list[DevTools] = []

    def connect() -> DevTools:
        seen = []
        while True:  # the "DevTools listening" line is the readiness signal
            try:
                line = lines.get(timeout=START_TIMEOUT_SECS)
            except queue.Empty:
                pytest.fail(f"chromium did not start its DevTools endpoint: {seen}")
            seen.append(line)
            m = re.search(r"DevTools listening on ws://([\d.]+:\d+)/", line)
            if m:
                break
        with urlopen(f"http://{m.group(1)}/json/list", timeout=STEP_TIMEOUT_SECS) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t["type"] == "page")
        session = DevTools(page["webSocketDebuggerUrl"])
        sessions.append(session)
        return session

    try:
        yield connect
    finally:
        for s in sessions:
            s.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def _is_error(event: dict[str, Any]) -> bool:
    method = event.get("method")
    if method == "Runtime.exceptionThrown":
        return True
    if method == "Runtime.consoleAPICalled":
        return event["params"]["type"] in ("error", "assert")
    return method == "Log.entryAdded" and event["params"]["entry"]["level"] == "error"


CHART_DATA_JS = """JSON.stringify(Array.from(document.querySelectorAll('rect[data-chart]')).map(
  r => Object.assign({}, r.dataset)))"""


def _report_files(tmp_path: Path, source: Path) -> tuple[Path, dict[str, Any]]:
    html = tmp_path / "report.html"
    done = ktcp("report", "--json", "--html", str(html), str(source))
    assert done.returncode == 0, done.stderr.decode()
    return html, json.loads(done.stdout)


@pytest.mark.parametrize("which", ["sample", "corpus"])
def test_the_page_renders_offline_without_errors_and_charts_the_json_numbers(
    which: str, browser: Callable[[], DevTools], tmp_path: Path, corpus: Path
) -> None:
    html, report = _report_files(tmp_path, SAMPLE if which == "sample" else corpus)
    page = browser()
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.call(f"{domain}.enable")
    url = html.resolve().as_uri()
    page.call("Page.navigate", url=url)
    page.wait_for("Page.loadEventFired")
    drawn = json.loads(
        page.call("Runtime.evaluate", expression=CHART_DATA_JS, returnByValue=True)["result"][
            "value"
        ]
    )
    embedded = json.loads(
        page.call(
            "Runtime.evaluate",
            expression="document.getElementById('ktcp-report-data').textContent",
            returnByValue=True,
        )["result"]["value"]
    )
    height = page.call(
        "Runtime.evaluate", expression="document.documentElement.scrollHeight", returnByValue=True
    )["result"]["value"]
    shot = page.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": 1200, "height": min(int(height), 12000), "scale": 1},
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"report-{which}.png").write_bytes(base64.b64decode(shot["data"]))

    errors = [e for e in page.events if _is_error(e)]
    assert errors == []
    requests = [
        e["params"]["request"]["url"]
        for e in page.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests == [url]  # the page itself, and nothing else

    # the numbers drawn are the numbers --json printed
    timeline = {(s["action"], i): c for s in report["timeline"]["families"]
                for i, c in enumerate(s["counts"])}  # fmt: skip
    assert {(d["series"], int(d["index"])): int(d["count"]) for d in drawn
            if d["chart"] == "timeline"} == timeline  # fmt: skip
    for chart in ("isps", "peers"):
        bars = [(d["key"], int(d["count"])) for d in drawn if d["chart"] == chart]
        assert bars == [(e["key"], e["count"]) for e in report["top"][chart]]
    episodes = [(d["peer"], d["start"], d["end"], int(d["count"])) for d in drawn
                if d["chart"] == "episodes"]  # fmt: skip
    expected = [
        (e["peer"], e["start"].replace("Z", "+00:00"), e["end"].replace("Z", "+00:00"), e["events"])
        for e in report["window_shrink"]["episodes"]
    ]
    assert episodes == expected and episodes
    embedded.pop("generated_at"), report.pop("generated_at")
    assert embedded == report
