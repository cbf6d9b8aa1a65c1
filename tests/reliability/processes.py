"""Real processes for the reliability tests: a Celery worker with the outbox's dispatcher,
and gunicorn, on the test database.

They run the project as deployed (`celery -A portal worker`, `manage.py dispatch_outbox`,
`gunicorn portal.wsgi`, the Procfile's own web command) with the environment pointed at
pytest's test database (or a relay in front of it that can drop connections) and the Redis
broker. Each starts in its own process group and is always stopped, with everything it
started, when the test ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
T = TypeVar("T")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, size: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-size:]

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def database_address() -> tuple[str, int]:
    """Where pytest's test database listens."""
    db = connection.settings_dict
    return db["HOST"] or HOST, int(db["PORT"] or 5432)


def database_url_for(application_name: str, *, address: tuple[str, int] | None = None) -> str:
    """The URL of pytest's test database, tagged so pg_stat_activity tells who is connected;
    reached at `address` (a relay in front of it) when given."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host, port = address or database_address()
    name = quote(db["NAME"], safe="")
    return f"postgres://{credentials}@{host}:{port}/{name}?application_name={application_name}"


def service_environment(
    application_name: str, *, database: tuple[str, int] | None = None, **extra: str
) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url_for(application_name, address=database),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _wait_until_disconnected(application_name: str, timeout: float = 15) -> None:
    """A stopped process's server backends take a moment to go: wait, so the test database
    can be dropped at the end of the run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                [application_name],
            )
            if cursor.fetchone() == (0,):
                return
        time.sleep(0.1)


def _start(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Process:
    log = log_dir / f"{name}.log"
    with log.open("wb") as output:
        popen = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(name, popen, log)


def purge_task_queue() -> None:
    """Tasks left by an earlier run point at rows that no longer exist."""
    with celery_app.connection_for_write() as broker:
        broker.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@contextmanager
def outbox_dispatcher(
    log_dir: Path, *, application_name: str = "reliability-dispatcher", **env: str
) -> Iterator[Process]:
    """The Procfile's dispatcher: publishes the outbox's committed rows to the broker."""
    argv = [sys.executable, "manage.py", "dispatch_outbox", "--interval", "0.2"]
    dispatcher = _start("dispatcher", argv, service_environment(application_name, **env), log_dir)
    try:
        yield dispatcher
    finally:
        dispatcher.stop()
        _wait_until_disconnected(application_name)


@contextmanager
def celery_worker(
    log_dir: Path,
    *,
    application_name: str = "reliability-worker",
    dispatcher: bool = True,
    **env: str,
) -> Iterator[Process]:
    """One worker process (solo pool) on the task queue, and (unless `dispatcher=False`)
    the dispatcher that publishes what this process commits to the outbox."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a real broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/1")
    purge_task_queue()
    if dispatcher:
        with (
            outbox_dispatcher(log_dir, **env),
            celery_worker(
                log_dir, application_name=application_name, dispatcher=False, **env
            ) as worker,
        ):
            yield worker
        return
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--queues",
        settings.CELERY_TASK_DEFAULT_QUEUE,
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"{application_name}-{uuid.uuid4().hex[:8]}@%h",
    ]
    worker = _start("worker", argv, service_environment(application_name, **env), log_dir)
    celery_app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.stop()
        _wait_until_disconnected(application_name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    log_dir: Path,
    *,
    workers: int,
    threads: int,
    application_name: str = "reliability-web",
    **env: str,
) -> Iterator[str]:
    """gunicorn serving the project on a free local port; yields its base URL."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--timeout=30",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    server = _start("gunicorn", argv, service_environment(application_name, **env), log_dir)
    base_url = f"http://{HOST}:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, what="gunicorn to answer /healthz", process=server, timeout=60)
        yield base_url
    finally:
        server.stop()
        _wait_until_disconnected(application_name)


@contextmanager
def asgi_server(
    log_dir: Path,
    *,
    workers: int = 1,
    application_name: str = "live-web",
    **env: str,
) -> Iterator[str]:
    """The web process as the Procfile runs it (gunicorn, uvicorn workers); its base URL."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.asgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=portal.workers.PortalUvicornWorker",
        "--timeout=30",
        "--graceful-timeout=3",
        "--log-level=warning",
    ]
    server = _start("asgi", argv, service_environment(application_name, **env), log_dir)
    base_url = f"http://{HOST}:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, what="the ASGI server to answer /healthz", process=server, timeout=60)
        yield base_url
    finally:
        server.stop()
        _wait_until_disconnected(application_name)


def procfile_command(process_type: str, env: Mapping[str, str]) -> list[str]:
    """A process type's command from the Procfile, its `${NAME:-default}`s filled in from
    `env`, its program run by this Python."""
    for line in (PROJECT_ROOT / "Procfile").read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and not line.startswith("#") and name.strip() == process_type:
            break
    else:
        raise LookupError(f"the Procfile has no {process_type!r} process")
    filled = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m[1]) or m[2] or "", command)
    program, *arguments = shlex.split(filled)
    return [sys.executable, "-m", program, *arguments]


@contextmanager
def procfile_web(
    log_dir: Path,
    *,
    application_name: str = "procfile-web",
    database: tuple[str, int] | None = None,
    **env: str,
) -> Iterator[str]:
    """The Procfile's own web command (one worker) on a free port; yields its base URL.
    `database`: reach the test database there (a relay in front of it)."""
    port = free_port()
    environment = service_environment(
        application_name, database=database, PORT=str(port), WEB_CONCURRENCY="1", **env
    )
    server = _start("web", procfile_command("web", environment), environment, log_dir)
    base_url = f"http://{HOST}:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, what="the Procfile's web process to answer", process=server)
        yield base_url
    finally:
        server.stop()
        _wait_until_disconnected(application_name)


class Relay:
    """A TCP relay in front of a server (the database) that can drop every connection and
    refuse new ones, as a database that restarts or fails over does to its clients."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server((HOST, 0))
        self.address: tuple[str, int] = (HOST, self.listener.getsockname()[1])
        self.refusing = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def refuse(self) -> None:
        """Drop every open connection, and every new one as soon as it comes."""
        self.refusing.set()
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.open.clear()

    def restore(self) -> None:
        self.refusing.clear()

    def close(self) -> None:
        self.refuse()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _peer = self.listener.accept()
            except OSError:
                return  # closed
            if self.refusing.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def database_relay() -> Iterator[Relay]:
    """A relay in front of the test database, closed when the test ends."""
    relay = Relay(database_address())
    try:
        yield relay
    finally:
        relay.close()


def wait_for(
    check: Callable[[], T | None],
    *,
    what: str,
    process: Process | None = None,
    timeout: float = 60,
) -> T:
    """Poll `check` until it returns something truthy: the one place these tests wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if process is not None and not process.alive():
            pytest.fail(f"{process.name} exited while waiting for {what}:\n{process.log_tail()}")
        time.sleep(0.25)
    log = f"\n{process.name} log:\n{process.log_tail()}" if process is not None else ""
    pytest.fail(f"Gave up waiting for {what} after {timeout}s.{log}")
