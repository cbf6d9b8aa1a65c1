"""A Redis server of the test's own, on a free port, that the test kills and restarts.

Never the shared one: the tests that take Redis down start this one and point the portal
at it. It runs without persistence, so a restart loses everything, as a broker restarted
without `appendonly` does.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.reliability.processes import HOST, free_port, wait_for


class OwnRedis:
    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.popen: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self) -> None:
        argv = [
            "redis-server",
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
        ]  # fmt: skip
        self.popen = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        client = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, what=f"our own redis-server on port {self.port}", timeout=20)

    def kill(self) -> None:
        """As a crash: SIGKILL, nothing saved."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)
        self.popen = None

    def restart(self) -> None:
        """Killed and started again on the same port, empty."""
        self.kill()
        self.start()


@contextmanager
def own_redis(directory: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (apt-get install redis-server)")
    server = OwnRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()
