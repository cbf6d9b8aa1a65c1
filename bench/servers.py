"""Starting and always stopping the processes under test: gunicorn and Celery workers.

Each process starts in its own session (so its own process group): stopping it signals
the whole group, workers included, and `ProcessGroup` stops everything it started when
the `with` block ends, however it ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

HOST = "127.0.0.1"


class StartupError(RuntimeError):
    """A process under test did not come up."""


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    """Call `check` until it is true or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    *,
    method: str = "GET",
    token: str | None = None,
    payload: dict[str, Any] | None = None,
    timeout: float = 10,
    cookie: str | None = None,
) -> Response:
    """One HTTP request to a local server; HTTP errors are answers, not exceptions."""
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"The bench only talks to {HOST}: {url}")
    headers = {"Accept": "application/json"}
    data = None
    if payload is not None or method == "POST":
        data = json.dumps(payload or {}).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return Response(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read())


@dataclass
class ManagedProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, *, grace_seconds: float = 10) -> None:
        """SIGTERM to the process group, SIGKILL if it is still there after the grace time."""
        try:
            if self.alive():
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=grace_seconds)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=5)
            else:
                # The leader is gone; its children (gunicorn workers) may not be.
                os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            self.log_file.close()


@dataclass
class ProcessGroup:
    """Everything the bench started; `with ProcessGroup(...) as group:` stops it all at exit."""

    log_dir: Path
    env: dict[str, str]
    processes: list[ManagedProcess] = field(default_factory=list)

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        while self.processes:
            self.processes.pop().stop()

    def start(self, name: str, argv: list[str]) -> ManagedProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log_file = log_path.open("wb")
        try:
            process = subprocess.Popen(
                argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except BaseException:
            log_file.close()
            raise
        managed = ManagedProcess(name, process, log_path, log_file)
        self.processes.append(managed)
        return managed


@dataclass(frozen=True)
class GunicornOptions:
    workers: int
    threads: int
    # The most connections one worker holds. wrk opens its few keep-alive connections at
    # once and each stays with the worker that accepted it: unbounded, one worker can take
    # five of eight (one core at most) while the others idle, and the run measures half the
    # server. At its share of the connections, every worker gets its share of the load.
    worker_connections: int = 1000


def start_gunicorn(group: ProcessGroup, name: str, options: GunicornOptions) -> str:
    """Start gunicorn on a free local port; returns its base URL once /healthz answers."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={options.workers}",
        "--worker-class=gthread",
        f"--threads={options.threads}",
        f"--worker-connections={options.worker_connections}",
        "--keep-alive=5",
        "--timeout=30",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    server = group.start(name, argv)
    base_url = f"http://{HOST}:{port}"

    def healthy() -> bool:
        if not server.alive():
            return True  # stop waiting: it crashed
        try:
            return request(f"{base_url}/healthz", timeout=2).status == 200
        except OSError:
            return False

    if not wait_until(healthy, timeout=60) or not server.alive():
        raise StartupError(f"gunicorn ({name}) did not start:\n{server.log_tail()}")
    return base_url


def start_celery_worker(group: ProcessGroup, name: str) -> str:
    """Start one Celery worker with one process; returns its node name."""
    node = f"{name}@bench"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "--app=portal",
        "worker",
        f"--hostname={node}",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    group.start(name, argv)
    return node


def start_outbox_dispatcher(group: ProcessGroup) -> None:
    """The Procfile's dispatcher: what the web processes store in the outbox reaches the
    workers through it."""
    manage = Path(__file__).resolve().parents[1] / "manage.py"
    group.start("dispatcher", [sys.executable, str(manage), "dispatch_outbox"])


def wait_for_celery_workers(nodes: list[str], *, timeout: float = 60) -> None:
    """Ping the workers through the broker until every one of them answers."""
    from portal.celery import app

    answered: set[str] = set()

    def all_answer() -> bool:
        for reply in app.control.ping(destination=nodes, timeout=1.0) or []:
            answered.update(reply)
        return answered >= set(nodes)

    if not wait_until(all_answer, timeout=timeout, interval=0.5):
        missing = ", ".join(sorted(set(nodes) - answered))
        raise StartupError(f"Celery workers did not answer a ping: {missing}")
