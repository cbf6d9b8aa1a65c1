"""The steps of one benchmark run, in order: data, query counts, load, timings, report.

Every step is bounded in time; every process started here is stopped when the
`ProcessGroup` block ends, however it ends; HTTP goes only to the local servers.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from bench import measure, report, servers
from bench.data import BENCH_PASSWORD, HEAVY_EMAIL, LIGHT_EMAIL, Scale
from bench.measure import QueryCount, UnreadPlan
from bench.report import EndpointRun, Report
from bench.runner import BASE_DIR
from bench.seed import Command as SeedBench
from bench.wrk import (
    WrkCommand,
    WrkResult,
    combine,
    run_in_parallel,
    write_post_script,
    wrk_path,
)
from portal.celery import app as celery_app


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    customer: str  # "light" or "heavy"
    floor: bool = False
    # A page, read with the browser's session rather than a token.
    page: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} ({self.customer})"


# In this order: read-all runs last, because it marks the heavy customer's
# notifications read, and the list and the unread count should see them unread.
ENDPOINTS = (
    Endpoint("GET", "/api/me", "heavy", floor=True),
    Endpoint("GET", "/api/me/status", "light"),
    Endpoint("GET", "/api/me/status", "heavy"),
    Endpoint("GET", "/account/", "heavy", page=True),
    Endpoint("GET", "/api/notifications", "heavy"),
    Endpoint("GET", "/api/notifications/unread-count", "heavy"),
    Endpoint("POST", "/api/notifications/read-all", "heavy"),
)
# SQL statements are counted for the light and the heavy customer: reads before the
# load, read-all after it (for the same reason it is loaded last).
COUNTED_BEFORE_LOAD = (
    ("GET", "/api/me"),
    ("GET", "/api/me/status"),
    ("GET", "/api/me/summary"),
    ("GET", "/api/notifications"),
    ("GET", "/api/notifications/unread-count"),
)
COUNTED_AFTER_LOAD = (("POST", "/api/notifications/read-all"),)
UNREAD_COUNT_PATH = "/api/notifications/unread-count"
NOTIFY_MAX_SECONDS = 60


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def split(total: int, parts: int) -> list[int]:
    """`total` shared as evenly as possible: split(5, 2) == [3, 2]."""
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


@dataclass(frozen=True)
class Layout:
    """How the run is spread over processes: per gunicorn instance, workers and wrk share."""

    workers: list[int]
    threads: int
    connections: list[int]
    wrk_threads: list[int]
    celery_workers: int

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, broker: bool) -> Layout:
        instances = 2 if args.two_instances else 1
        connections = split(args.connections, instances)
        return cls(
            workers=split(args.workers, instances),
            threads=args.threads,
            connections=connections,
            wrk_threads=[
                max(1, min(threads, conns))
                for threads, conns in zip(
                    split(args.wrk_threads, instances), connections, strict=True
                )
            ],
            celery_workers=instances if args.two_instances and broker else 0,
        )

    @property
    def instances(self) -> int:
        return len(self.workers)

    def worker_connections(self, instance: int) -> int:
        """A worker's share of its instance's wrk connections (servers.GunicornOptions), and
        room for one more kept alive beside its threads."""
        share = -(-self.connections[instance] // self.workers[instance])
        return max(share, self.threads + 1)


class LoadDriver:
    """wrk against every instance at once, with the customers' tokens."""

    def __init__(
        self,
        *,
        wrk: str,
        urls: list[str],
        tokens: dict[str, str],
        cookies: dict[str, str],
        layout: Layout,
        scratch: Path,
    ) -> None:
        self.wrk = wrk
        self.urls = urls
        self.tokens = tokens
        self.cookies = cookies
        self.layout = layout
        self.post_script = write_post_script(scratch)

    def commands(self, endpoint: Endpoint, duration: int) -> list[WrkCommand]:
        return [
            WrkCommand(
                url=f"{url}{endpoint.path}",
                method=endpoint.method,
                token=self.tokens[endpoint.customer],
                threads=self.layout.wrk_threads[index],
                connections=self.layout.connections[index],
                duration_seconds=duration,
                post_script=self.post_script,
                cookie=self.cookies[endpoint.customer] if endpoint.page else None,
            )
            for index, url in enumerate(self.urls)
        ]

    def probe(self, endpoint: Endpoint) -> str:
        """'ok', 'not available' (a 404: not built yet) or 'error: ...', over every instance."""
        outcomes = set()
        for url in self.urls:
            answer = servers.request(
                f"{url}{endpoint.path}",
                method=endpoint.method,
                token=self.tokens[endpoint.customer],
                cookie=self.cookies[endpoint.customer] if endpoint.page else None,
            )
            if answer.status == 404:
                outcomes.add("not available")
            elif not 200 <= answer.status < 300:
                outcomes.add(f"error: HTTP {answer.status}")
        # An error outweighs "not available" ("e" < "n"), which outweighs "ok".
        return min(outcomes) if outcomes else "ok"

    def load(self, endpoint: Endpoint, duration: int) -> list[WrkResult]:
        """One report per instance, each from its own wrk, all run at the same time."""
        return run_in_parallel(self.commands(endpoint, duration), self.wrk)


def obtain_token(base_url: str, email: str) -> str:
    """Log in through the API, as the mobile apps do."""
    answer = servers.request(
        f"{base_url}/api/auth/token",
        method="POST",
        payload={"email": email, "password": BENCH_PASSWORD},
    )
    if answer.status != 200:
        raise RuntimeError(f"Could not log in as {email}: HTTP {answer.status} {answer.body!r}")
    return str(answer.json()["access"])


def session_cookie(user: User) -> str:
    """A browser session for the pages (stored in the database every server reads)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def count_queries(paths: tuple[tuple[str, str], ...], light: User, heavy: User) -> list[QueryCount]:
    return [
        measure.count_queries(method=method, path=path, light=light, heavy=heavy)
        for method, path in paths
    ]


def unread_plan(queries: list[QueryCount]) -> UnreadPlan | None:
    unread = next(count for count in queries if count.path == UNREAD_COUNT_PATH)
    return measure.explain_unread_count(unread.heavy_statements) if unread.available else None


def median_round(rounds: list[list[WrkResult]]) -> list[WrkResult]:
    """The round with the median throughput.

    wrk's keep-alive connections stay with the gunicorn worker that accepted them, so one
    round can put five of eight connections on one worker (one core at most, for the GIL)
    while the others idle, and measure half of what the server can do. Each round opens
    new connections; the median round is the typical one, for every endpoint and the floor
    alike.
    """
    ordered = sorted(rounds, key=lambda results: combine(results).requests_per_second)
    return ordered[len(ordered) // 2]


def drive(driver: LoadDriver, args: argparse.Namespace) -> list[EndpointRun]:
    """Every endpoint in `args.rounds` rounds, the reads taken in turn round after round.

    The floor and the endpoints compared with it are loaded a few seconds apart in each
    round, not a minute apart, so a machine whose speed drifts moves them together. The
    writes (read-all) come after all the reads, for the reason `ENDPOINTS` gives.
    """
    if args.warmup:
        say(f"Warming up for {args.warmup} s.")
        driver.load(ENDPOINTS[0], args.warmup)
    runs: list[EndpointRun] = []
    loaded: list[tuple[Endpoint, EndpointRun, list[list[WrkResult]]]] = []
    for endpoint in ENDPOINTS:
        outcome = driver.probe(endpoint)
        run = EndpointRun(
            endpoint.method, endpoint.path, endpoint.customer, outcome, floor=endpoint.floor
        )
        runs.append(run)
        if outcome == "ok":
            loaded.append((endpoint, run, []))
        else:
            say(f"{endpoint.label}: {outcome}.")
    seconds = args.duration // args.rounds
    reads = [entry for entry in loaded if entry[0].method == "GET"]
    writes = [entry for entry in loaded if entry[0].method != "GET"]
    for number in range(1, args.rounds + 1):
        say(f"Round {number} of {args.rounds}: {seconds} s of load on each of {len(reads)} reads.")
        for endpoint, _, rounds in reads:
            rounds.append(driver.load(endpoint, seconds))
    for endpoint, _, rounds in writes:
        say(f"{endpoint.label}: {args.rounds} round(s) of {seconds} s.")
        rounds.extend(driver.load(endpoint, seconds) for _ in range(args.rounds))
    for _, run, rounds in loaded:
        run.rounds = [combine(results).requests_per_second for results in rounds]
        run.per_instance = median_round(rounds)
        run.result = combine(run.per_instance)
    report.apply_floor(runs)
    return runs


def git_commit() -> str:
    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", *argv], cwd=BASE_DIR, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def machine(wrk: str, *, load_average: str) -> dict[str, str]:
    memory = cpu = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    return {
        "cores": str(os.cpu_count()),
        "memory": memory,
        "CPU": cpu,
        "PostgreSQL": str(row[0]) if row else "unknown",
        "Python": platform.python_version(),
        "load tool": (version.stdout or version.stderr).split(" [")[0],
        # Other work on the machine takes cores from the servers, PostgreSQL and wrk.
        "load average before the run": load_average,
    }


def run(args: argparse.Namespace, *, env: dict[str, str]) -> int:
    started = time.monotonic()
    load_average = " ".join(f"{value:.2f}" for value in os.getloadavg())
    wrk = wrk_path()
    assert wrk is not None, "checked by the preflight"
    layout = Layout.from_args(args, broker=bool(settings.CELERY_BROKER_URL))
    # Without Celery workers of our own, tasks run in this process (as without a broker).
    celery_app.conf.task_always_eager = layout.celery_workers == 0
    run_id = secrets.token_hex(4)
    notes = []
    if args.two_instances and not layout.celery_workers:
        notes.append("No CELERY_BROKER_URL: no Celery workers were started.")

    say("Migrating the database.")
    call_command("migrate", interactive=False, verbosity=0)
    # The pages link their stylesheets through the manifest that collectstatic writes.
    say("Collecting static files for the pages.")
    call_command("collectstatic", interactive=False, verbosity=0)
    say(f"Loading the benchmark data ({args.customers:,} customers).")
    scale = Scale(customers=args.customers)
    call_command(SeedBench(), customers=scale.customers, force=True)
    light = User.objects.select_related("customer").get(email=LIGHT_EMAIL)
    heavy = User.objects.select_related("customer").get(email=HEAVY_EMAIL)

    say("Counting SQL statements per request, in process.")
    queries = count_queries(COUNTED_BEFORE_LOAD, light, heavy)
    plan = unread_plan(queries)

    with (
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
        servers.ProcessGroup(log_dir=args.output / "logs", env=env) as group,
    ):
        say(
            f"Starting {layout.instances} gunicorn instance(s) and "
            f"{layout.celery_workers} Celery worker(s); logs in {group.log_dir}."
        )
        urls = [
            servers.start_gunicorn(
                group,
                f"gunicorn-{number}",
                servers.GunicornOptions(
                    workers,
                    layout.threads,
                    worker_connections=layout.worker_connections(number - 1),
                ),
            )
            for number, workers in enumerate(layout.workers, start=1)
        ]
        nodes = [
            servers.start_celery_worker(group, f"celery-{number}")
            for number in range(1, layout.celery_workers + 1)
        ]
        if nodes:
            servers.start_outbox_dispatcher(group)
            servers.wait_for_celery_workers(nodes)
        # Tokens from the first instance serve every instance: a login lives in no process.
        tokens = {
            "light": obtain_token(urls[0], LIGHT_EMAIL),
            "heavy": obtain_token(urls[0], HEAVY_EMAIL),
        }
        driver = LoadDriver(
            wrk=wrk,
            urls=urls,
            tokens=tokens,
            cookies={"light": session_cookie(light), "heavy": session_cookie(heavy)},
            layout=layout,
            scratch=Path(scratch),
        )
        endpoint_runs = drive(driver, args)
        queries += count_queries(COUNTED_AFTER_LOAD, light, heavy)

        say(f"Timing notify(): {args.notify_calls:,} calls, then the same calls again.")
        notify = measure.time_notify(
            calls=args.notify_calls, max_seconds=NOTIFY_MAX_SECONDS, run_id=run_id
        )
        say(f"Timing the broadcast through {measure.BROADCAST_SERVICE}.")
        broadcast = measure.time_broadcast(run_id=run_id, in_process=not layout.celery_workers)
        notes += [
            f"{process.name} exited during the run; see {process.log_path}."
            for process in group.processes
            if not process.alive()
        ]

    result = Report(
        started_at=timezone.localtime().isoformat(timespec="seconds"),
        command=shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
        commit=git_commit(),
        machine=machine(wrk, load_average=load_average),
        config={
            "instances": layout.instances,
            "workers": layout.workers,
            "threads": layout.threads,
            "worker_connections": [layout.worker_connections(i) for i in range(layout.instances)],
            "celery_workers": layout.celery_workers,
            "connections": args.connections,
            "wrk_threads": sum(layout.wrk_threads),
            "duration": args.duration,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "customers": scale.customers,
            "heavy": {
                "invoices": scale.heavy_invoices,
                "orders": scale.heavy_orders,
                "subscriptions": scale.heavy_subscriptions,
                "notifications": scale.heavy_notifications,
            },
            "notifications_per_customer": scale.notifications_per_customer,
        },
        endpoints=endpoint_runs,
        queries=queries,
        unread_plan=plan,
        notify=notify,
        broadcast=broadcast,
        notes=notes,
        seconds=time.monotonic() - started,
    )
    result.budgets = report.evaluate_budgets(result)
    markdown_path, json_path = report.write(result, args.output)
    print()
    print(report.render_markdown(result))
    say(f"Written to {markdown_path} and {json_path}.")
    return 0
