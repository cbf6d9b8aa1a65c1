"""`python -m bench.streams`: open streams held by one web process, and how fast they hear.

One ASGI web process (gunicorn with one uvicorn worker, as the Procfile runs it) on
PostgreSQL; N customers each open `GET /api/notifications/stream` with a Bearer token.
The process's memory, file descriptors and threads are read from /proc before and after;
then this process commits notifications (notify_many for all N at once, and notify() for
one) and every stream notes when its event arrived. Latency is commit -> event received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.runner import NEEDS_POSTGRES, POSTGRES_SCHEMES, RESULTS_DIR, run_environment

if TYPE_CHECKING:
    from bench.servers import ProcessGroup

EMAIL = "stream-{n:05d}@streams.bench.example"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.streams", description=__doc__)
    parser.add_argument("--streams", type=int, default=1000, help="streams to hold open")
    parser.add_argument("--rounds", type=int, default=5, help="notifications to all streams")
    parser.add_argument("--single", type=int, default=20, help="notify() calls to one stream")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not 1 <= args.streams <= 5000 or not 1 <= args.rounds <= 50 or args.single > 200:
        parser.error("--streams 1..5000, --rounds 1..50, --single at most 200")
    return args


def _proc(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kib": int(fields["VmRSS"].split()[0]),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one worker under gunicorn {master}, found {children}")
    return int(children[0])


def _customers(count: int) -> list[int]:
    """`count` customers of their own (created once, kept for the next run)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Customer, User

    emails = [EMAIL.format(n=n) for n in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=email, password=password) for email in emails if email not in existing]
    )
    Customer.objects.bulk_create(
        [Customer(user=user, name=f"Stream {user.email[7:12]}") for user in users]
    )
    return list(User.objects.filter(email__in=emails).order_by("pk").values_list("pk", flat=True))


class Client:
    """One open stream: notes when each announcement's event arrives."""

    def __init__(self, user_id: int, token: str) -> None:
        self.user_id = user_id
        self.token = token
        self.arrivals: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.buffer = b""

    async def run(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            (
                "GET /api/notifications/stream HTTP/1.1\r\n"
                f"Host: {host}\r\nAuthorization: Bearer {self.token}\r\n"
                "Accept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                now = time.monotonic()
                self.buffer += chunk
                while b"\n\n" in self.buffer:
                    block, self.buffer = self.buffer.split(b"\n\n", 1)
                    if b"event: counts" in block:
                        self.ready.set()
                    elif b"event: notification" in block:
                        data = block.split(b"data: ", 1)[1]
                        source = json.loads(data)["sourceId"]
                        self.arrivals.setdefault(source, now)
        finally:
            writer.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _measure(args: argparse.Namespace, base_url: str, pid: int) -> dict[str, object]:
    from asgiref.sync import sync_to_async
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from notifications.services.notify import notify, notify_many

    host, port = base_url.removeprefix("http://").split(":")
    user_ids = await sync_to_async(_customers)(args.streams)
    users = await sync_to_async(lambda: list(User.objects.filter(pk__in=user_ids)))()
    tokens = await sync_to_async(
        lambda: [str(RefreshToken.for_user(user).access_token) for user in users]
    )()
    idle = _proc(pid)

    clients = [Client(user.pk, token) for user, token in zip(users, tokens, strict=True)]
    tasks = []
    opened = time.monotonic()
    for index, client in enumerate(clients):
        tasks.append(asyncio.create_task(client.run(host, int(port))))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # a steady ramp, not a SYN flood
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), timeout=300)
    open_seconds = time.monotonic() - opened
    await asyncio.sleep(2)
    held = _proc(pid)

    run_id = f"{time.time_ns()}"
    recipients = [(user.pk, "en") for user in users]
    all_latencies: list[float] = []
    round_max: list[float] = []
    for number in range(args.rounds):
        source = f"bench-{run_id}-{number}"
        committed = await sync_to_async(_notify_all)(notify_many, recipients, source)
        await _wait_for(clients, source, timeout=30)
        latencies = [client.arrivals[source] - committed for client in clients]
        all_latencies += latencies
        round_max.append(max(latencies))
        await asyncio.sleep(0.5)

    single: list[float] = []
    one = clients[0]
    for number in range(args.single):
        source = f"one-{run_id}-{number}"
        committed = await sync_to_async(_notify_one)(notify, users[0], source)
        await _wait_for([one], source, timeout=30)
        single.append(one.arrivals[source] - committed)
        await asyncio.sleep(0.1)

    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "streams": args.streams,
        "open_seconds": round(open_seconds, 2),
        "idle": idle,
        "held": held,
        "rss_per_stream_kib": round((held["rss_kib"] - idle["rss_kib"]) / args.streams, 1),
        "fds_per_stream": round((held["fds"] - idle["fds"]) / args.streams, 2),
        "threads_per_stream": round((held["threads"] - idle["threads"]) / args.streams, 2),
        "all_streams": {
            "rounds": args.rounds,
            "p50_ms": round(_percentile(all_latencies, 0.5) * 1000, 1),
            "p99_ms": round(_percentile(all_latencies, 0.99) * 1000, 1),
            "last_stream_ms": [round(value * 1000, 1) for value in round_max],
        },
        "one_stream": {
            "calls": args.single,
            "p50_ms": round(statistics.median(single) * 1000, 1) if single else None,
            "p99_ms": round(_percentile(single, 0.99) * 1000, 1) if single else None,
        },
    }


def _notify_all(notify_many, recipients, source) -> float:  # type: ignore[no-untyped-def]
    created = notify_many(
        user_ids=[user_id for user_id, _language in recipients],
        type="SYSTEM_ANNOUNCEMENT",
        source_id=source,
        context={"title": "Bench", "message": "Stream bench.", "announcement_id": 1},
    )
    assert created == len(recipients), created
    return time.monotonic()


def _notify_one(notify, user, source) -> float:  # type: ignore[no-untyped-def]
    notify(
        user=user,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=source,
        context={"title": "Bench", "message": "Stream bench.", "announcement_id": 1},
    )
    return time.monotonic()


async def _wait_for(clients: list[Client], source: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(source not in client.arrivals for client in clients):
        if time.monotonic() > deadline:
            missing = sum(source not in client.arrivals for client in clients)
            raise RuntimeError(f"{missing} streams never heard of {source}")
        await asyncio.sleep(0.01)


def _start_asgi(group: ProcessGroup) -> tuple[str, int]:
    """One web process as the Procfile runs it, with a single worker."""
    from bench.servers import HOST, StartupError, free_port, request, wait_until

    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.asgi:application",
        f"--bind={HOST}:{port}",
        "--workers=1",
        "--worker-class=portal.workers.PortalUvicornWorker",
        "--timeout=60",
        "--graceful-timeout=3",
        "--log-level=warning",
    ]
    server = group.start("streams-web", argv)
    base_url = f"http://{HOST}:{port}"

    def healthy() -> bool:
        if not server.alive():
            return True
        try:
            return request(f"{base_url}/healthz", timeout=2).status == 200
        except OSError:
            return False

    if not wait_until(healthy, timeout=60) or not server.alive():
        raise StartupError(f"the ASGI server did not start:\n{server.log_tail()}")
    return base_url, server.process.pid


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        print(NEEDS_POSTGRES, file=sys.stderr)
        return 2
    env = run_environment()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from bench.servers import ProcessGroup

    call_command("migrate", verbosity=0)
    with ProcessGroup(args.output / "streams-logs", env) as group:
        base_url, master = _start_asgi(group)
        result = asyncio.run(_measure(args, base_url, _worker_pid(master)))
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / "streams.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"Written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
