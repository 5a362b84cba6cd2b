"""A Kubernetes API server on loopback: etcd plus kube-apiserver, no nodes, no controllers.

Objects are validated and stored exactly as in a real cluster; nothing is scheduled. Stopped
in order: the API server first (it hangs while etcd is gone), then etcd, each by its own PID.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

TOKEN = "ktcp-helm-tests-admin"
START_TIMEOUT_SECS = 90.0
STOP_TIMEOUT_SECS = 30.0
# The session's Elasticsearch helpers (tests/conftest.py loads them) know free ports and how to
# tie a child's life to ours.
esnode = sys.modules["ktcp_esnode"]


class ClusterError(RuntimeError):
    pass


class ApiServer:
    def __init__(self, bin_dir: Path, work: Path) -> None:
        self.bin = bin_dir
        self.work = work
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.port = esnode.free_port()
        self.kubeconfig = work / "kubeconfig"

    # -- lifecycle

    def start(self) -> None:
        try:
            self._start_etcd()
            self._start_apiserver()
        except BaseException:
            self.stop()
            raise
        self.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: loopback\n  cluster:\n    server: https://127.0.0.1:{self.port}\n"
            "    insecure-skip-tls-verify: true\n"
            f"users:\n- name: admin\n  user:\n    token: {TOKEN}\n"
            "contexts:\n- name: loopback\n  context:\n    cluster: loopback\n    user: admin\n"
            "current-context: loopback\n"
        )
        self.kubeconfig.chmod(0o600)

    def stop(self) -> None:
        """API server first, then etcd: each by PID, TERM then KILL after a bounded wait."""
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT_SECS)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=STOP_TIMEOUT_SECS)
        self.procs.clear()

    def pids(self) -> list[int]:
        return [proc.pid for _, proc in self.procs]

    # -- pieces

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 (the child owns it)
        proc = subprocess.Popen(
            [str(self.bin / name), *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=esnode._die_with_parent,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.work / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _wait(self, name: str, proc: subprocess.Popen[bytes], url: str, token: str = "") -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the API server's certificate is self-signed
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ClusterError(f"{name} exited with {proc.returncode}\n{self.log_tail(name)}")
            request = urllib.request.Request(url)
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=2, context=context) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise ClusterError(
            f"{name} not ready within {START_TIMEOUT_SECS:.0f} s\n{self.log_tail(name)}"
        )

    def _start_etcd(self) -> None:
        client, peer = esnode.free_port(), esnode.free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        proc = self._spawn(
            "etcd",
            [
                "--name=ktcp-test",
                f"--data-dir={self.work / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=ktcp-test=http://127.0.0.1:{peer}",
                "--log-level=warn",
            ],
        )
        self._wait("etcd", proc, f"{self.etcd_url}/health")

    def _start_apiserver(self) -> None:
        key, public = self.work / "sa.key", self.work / "sa.pub"
        for argv in (
            ["openssl", "genrsa", "-out", str(key), "2048"],
            ["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(public)],
        ):
            subprocess.run(argv, check=True, capture_output=True, timeout=60)
        tokens = self.work / "tokens.csv"
        tokens.write_text(f'{TOKEN},admin,admin,"system:masters"\n')
        (self.work / "certs").mkdir(exist_ok=True)
        proc = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={self.work / 'certs'}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={public}",
                f"--service-account-signing-key-file={key}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",  # as kubeadm and managed clusters run it
                "--enable-priority-and-fairness=false",
                "--v=0",
            ],
        )
        self._wait("kube-apiserver", proc, f"https://127.0.0.1:{self.port}/readyz", TOKEN)

    def kubectl(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "kubectl"), f"--kubeconfig={self.kubeconfig}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        # helm keeps its cache and config here instead of the user's home
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            env[var] = str(self.work / var.lower())
        return env
