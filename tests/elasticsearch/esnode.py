"""One real Elasticsearch node for the tests: fetch, start as an unprivileged user, stop.

The distribution is Elastic's integration-test zip from Maven Central (see pom.xml and
README.md). Used by the pytest session fixture (tests/conftest.py) and, for a node to try
things against by hand, as a script: `python tests/elasticsearch/esnode.py run` (Ctrl-C stops
it). Elasticsearch refuses to run as root, so a root caller runs it as KTCP_ES_USER (created
here when missing); anyone else runs it as themselves.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
ES_USER = os.environ.get("KTCP_ES_USER", "ktcp-es")
HEAP_OPTS = os.environ.get("KTCP_ES_JAVA_OPTS", "-Xms512m -Xmx1g")
START_TIMEOUT_SECS = float(os.environ.get("KTCP_ES_START_TIMEOUT_SECS", "180"))
STOP_TIMEOUT_SECS = 60.0
LOG_TAIL_LINES = 80
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class NodeError(RuntimeError):
    """The node could not be fetched, started or stopped; the message carries its log."""


def distribution(fetch: bool = True) -> Path:
    """The unpacked distribution's home, unpacking it with Maven first when absent."""
    homes = sorted(WORK.glob("dist/elasticsearch-*/bin/elasticsearch"))
    if not homes and fetch:
        cmd = ["mvn", "-q", "-B", "-f", str(HERE / "pom.xml"), "dependency:unpack"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise NodeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
        homes = sorted(WORK.glob("dist/elasticsearch-*/bin/elasticsearch"))
    if not homes:
        raise NodeError(f"no Elasticsearch distribution under {WORK}/dist")
    return homes[-1].parent.parent


def ensure_user() -> pwd.struct_passwd | None:
    """The account the node runs as: ES_USER when we are root (created if missing), else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(ES_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return pwd.getpwnam(ES_USER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def java_home() -> str:
    if os.environ.get("ES_JAVA_HOME"):
        return os.environ["ES_JAVA_HOME"]
    java = shutil.which("java")
    if java is None:
        raise NodeError("no `java` on PATH: install a JDK 17+ or set ES_JAVA_HOME")
    return str(Path(java).resolve().parent.parent)


class Node:
    """A single-node cluster in a fresh temporary directory; restartable on the same data."""

    def __init__(
        self, home: Path | None = None, base: Path | None = None, secure: bool = False
    ) -> None:
        self.home = home or distribution()
        self.secure = secure
        # file-realm users of a secure node: name -> password
        self.users: dict[str, str] = {}
        self.user = ensure_user()
        self.base = base or Path(tempfile.mkdtemp(prefix="ktcp-es-"))
        self.http_port = free_port()
        self.transport_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._prepare()

    # -- files -------------------------------------------------------------------------------

    def _prepare(self) -> None:
        config = self.base / "config"
        shutil.copytree(self.home / "config", config, dirs_exist_ok=True)
        for sub in ("data", "logs", "tmp", "config/jvm.options.d"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (config / "elasticsearch.yml").write_text(
            "\n".join(
                [
                    "cluster.name: ktcp-test",
                    "node.name: ktcp-test-node",
                    "discovery.type: single-node",
                    "network.host: 127.0.0.1",
                    f"http.port: {self.http_port}",
                    f"transport.port: {self.transport_port}",
                    f"path.data: {self.base / 'data'}",
                    f"path.logs: {self.base / 'logs'}",
                    f"xpack.security.enabled: {str(self.secure).lower()}",
                    # plain HTTP even when secure: the tests are about credentials, not TLS
                    "xpack.security.http.ssl.enabled: false",
                    "xpack.security.transport.ssl.enabled: false",
                    # the test machine's disk fill level must not block shard allocation
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    "",
                ]
            )
        )
        # GC logs are noise here (the node log is what a failed start prints), and the JVM's
        # perf-data file would outlive the node in /tmp.
        (config / "jvm.options.d" / "ktcp.options").write_text("-Xlog:disable\n-XX:-UsePerfData\n")
        if self.secure:
            self._add_users(config)
        if self.user is not None:
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.base, 0o755)

    def _add_users(self, config: Path) -> None:
        """`admin` (superuser) and `reader` (may read logs-*, write nothing)."""
        (config / "roles.yml").write_text(
            "ktcp_reader:\n  indices:\n    - names: ['logs-*']\n      privileges: ['read']\n"
        )
        env = {**os.environ, "ES_PATH_CONF": str(config), "ES_JAVA_HOME": java_home()}
        env["CLI_JAVA_OPTS"] = "-XX:-UsePerfData"
        for name, role in (("admin", "superuser"), ("reader", "ktcp_reader")):
            password = secrets.token_urlsafe(12)
            tool = self.home / "bin" / "elasticsearch-users"
            done = subprocess.run(
                [str(tool), "useradd", name, "-p", password, "-r", role],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                raise NodeError(f"elasticsearch-users useradd {name} failed: {done.stderr}")
            self.users[name] = password

    @property
    def pid_file(self) -> Path:
        return self.base / "node.pid"

    @property
    def console_log(self) -> Path:
        return self.base / "console.log"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for path in (self.console_log, self.base / "logs" / "ktcp-test.log"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n".join(parts) or f"(no log under {self.base})"

    # -- process -----------------------------------------------------------------------------

    def start(self, timeout_secs: float = START_TIMEOUT_SECS) -> None:
        """Start the node and wait until the cluster is at least yellow."""
        if self.proc is not None and self.proc.poll() is None:
            raise NodeError("node already running")
        self.pid_file.unlink(missing_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.base),
            "LANG": "C.UTF-8",
            "ES_JAVA_HOME": java_home(),
            "ES_JAVA_OPTS": HEAP_OPTS,
            "CLI_JAVA_OPTS": "-XX:-UsePerfData",  # the launcher JVM's options
            "ES_PATH_CONF": str(self.base / "config"),
            "ES_TMPDIR": str(self.base / "tmp"),
        }
        with self.console_log.open("ab") as console:
            self.proc = subprocess.Popen(
                [str(self.home / "bin" / "elasticsearch"), "-p", str(self.pid_file)],
                cwd=self.base,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one, never by name
                user=self.user.pw_uid if self.user else None,
                group=self.user.pw_gid if self.user else None,
                extra_groups=[] if self.user else None,
                preexec_fn=_die_with_parent,
            )
        self.wait_ready(timeout_secs)

    def wait_ready(self, timeout_secs: float) -> None:
        deadline = time.monotonic() + timeout_secs
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise NodeError(
                    f"Elasticsearch exited with status {self.proc.returncode} while starting\n"
                    + self.log_tail()
                )
            if self.healthy():
                return
            time.sleep(0.5)
        self.stop()
        raise NodeError(
            f"Elasticsearch not healthy within {timeout_secs:.0f} s at {self.url}\n"
            + self.log_tail()
        )

    def healthy(self) -> bool:
        request = urllib.request.Request(
            f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        )
        if self.secure:
            token = base64.b64encode(f"admin:{self.users['admin']}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=3) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def server_pid(self) -> int | None:
        """The server JVM's pid (the launcher JVM is its parent)."""
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """SIGKILL the server JVM, as a crash would, and reap the launcher."""
        pid = self.server_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._reap(STOP_TIMEOUT_SECS)

    def stop(self) -> None:
        """SIGTERM the server (a clean shutdown), SIGKILL the whole group if it lingers."""
        pid = self.server_pid()
        if pid is not None and self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._reap(STOP_TIMEOUT_SECS)

    def _reap(self, timeout_secs: float) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout_secs)
        # The group holds the launcher and the server JVM; nothing of it may outlive a stop.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        pid = self.server_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
        self.pid_file.unlink(missing_ok=True)

    def alive_pids(self) -> list[int]:
        """Processes of this node still running (for the no-JVM-left-behind check)."""
        pids = []
        if self.proc is not None and self.proc.poll() is None:
            pids.append(self.proc.pid)
        pid = self.server_pid()
        if pid is not None and _running(pid):
            pids.append(pid)
        return pids

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def _die_with_parent() -> None:
    """In the launcher, before exec: SIGKILL it when the process that started it dies.

    A test run killed outright (timeout, SIGKILL) runs no teardown; this still ends the node,
    since the server JVM exits when its launcher does.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0); its /proc status says so
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return "Z" not in line.split()[1]
    return True


def _wait_gone(pid: int, timeout_secs: float) -> None:
    deadline = time.monotonic() + timeout_secs
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="unpack the distribution (Maven) and create the node's user")
    sub.add_parser("run", help="start a node, print its URL, stop it on Ctrl-C or SIGTERM")
    args = parser.parse_args(argv)
    try:
        home = distribution()
        ensure_user()
        if args.command == "fetch":
            print(home)
            return 0
        node = Node(home)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            node.start()
            print(f"Elasticsearch ready at {node.url} (data in {node.base}); Ctrl-C stops it")
            sys.stdout.flush()
            while node.proc is not None and node.proc.poll() is None:
                time.sleep(1)
            print("the node exited:\n" + node.log_tail(), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            node.remove()
    except NodeError as exc:
        print(f"esnode: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
