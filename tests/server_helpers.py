"""Start the real app (`python -m dashboard serve`) in a subprocess for browser and multi-process tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT_S = 60.0


def free_port() -> int:
    """Ask the OS for an unused port so parallel runs and a running `make demo` don't collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _tail(path: Path, limit: int = 4000) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return text[-limit:]


@contextmanager
def running_server(db_url: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app on a free port against `db_url`; yields the base URL and stops the server afterwards."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    stdout_path, stderr_path = log_dir / f"stdout-{port}.log", log_dir / f"stderr-{port}.log"
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "PYTHONUNBUFFERED": "1",
           **(extra_env or {})}
    cmd = [sys.executable, "-m", "dashboard", "serve", "--host", "127.0.0.1", "--port", str(port)]
    # Files, not pipes: a chatty server must never block on a full pipe buffer.
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _answers(base_url + "/login"):
            if proc.poll() is not None:
                pytest.fail(f"`{' '.join(cmd)}` exited with {proc.returncode} before serving.\n"
                            f"stderr:\n{_tail(stderr_path)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"`{' '.join(cmd)}` did not answer on {base_url} within {SERVER_START_TIMEOUT_S:.0f} s."
                            f"\nstderr:\n{_tail(stderr_path)}", pytrace=False)
            time.sleep(0.25)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class TcpProxy:
    """A loopback TCP proxy that a test can cut and restore, to simulate the database becoming unreachable."""

    def __init__(self, target_port: int) -> None:
        import threading

        self.target_port = target_port
        self.port = free_port()
        self._threading = threading
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self.start()

    def start(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        self._threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
            self._server.close()
            self._server = None
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
        self._conns = []

    def restore(self) -> None:
        self.start()


def call_callback(http: requests.Session, base: str, dep: dict, inputs: list,
                  state: list | None = None) -> requests.Response:
    """POST one Dash callback the way the browser does: `inputs` (and `state`) are the values in dependency order."""
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        outputs.append({"id": ident, "property": prop.split("@")[0]})
    body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": [{"id": i["id"], "property": i["property"], "value": v} for i, v in zip(dep["inputs"], inputs,
                                                                                             strict=True)],
            "state": [{"id": s["id"], "property": s["property"], "value": v}
                      for s, v in zip(dep.get("state", []), state or [None] * len(dep.get("state", [])), strict=True)],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
    return http.post(base + "/_dash-update-component", json=body, timeout=30)
