"""Measurements taken inside the harness process, through Django itself.

- SQL statements per endpoint: the view runs once under CaptureQueriesContext, for the
  light and for the heavy customer (after one warm-up call, so the count is the steady
  state a server sees, not a first request's).
- The plan of the unread count, from PostgreSQL's EXPLAIN ANALYZE.
- notify() throughput, creating and deduplicating.
- The SYSTEM_ANNOUNCEMENT broadcast to every customer, through the service named by
  BROADCAST_SERVICE.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from bench.data import BENCH_ANNOUNCEMENT_PREFIX, BENCH_DOMAIN
from bench.servers import HOST, wait_until
from notifications.models import Announcement, AnnouncementAudience, Notification
from notifications.services.notify import notify

# The service that sends one SYSTEM_ANNOUNCEMENT to every customer (the admin's "Send").
# Change this one name (and, if its arguments differ, `broadcast_arguments`) if it moves.
BROADCAST_SERVICE = "notifications.services.announcements.queue_announcement"
ANNOUNCEMENT_TYPE = "SYSTEM_ANNOUNCEMENT"
UNREAD_INDEX = "notification_unread_count_idx"


@dataclass
class QueryCount:
    method: str
    path: str
    # None: the endpoint is not available (404).
    light: int | None
    heavy: int | None
    light_status: int
    heavy_status: int
    heavy_statements: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.light_status != 404 and self.heavy_status != 404


def bearer(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


def _client(user: User) -> Client:
    # The same host the servers allow; no exception escapes: a 500 is a result.
    return Client(
        raise_request_exception=False,
        SERVER_NAME=HOST,
        HTTP_AUTHORIZATION=f"Bearer {bearer(user)}",
    )


def _call(client: Client, method: str, path: str) -> int:
    if method == "GET":
        return client.get(path).status_code
    return client.post(path, data={}, content_type="application/json").status_code


def statements_for(user: User, method: str, path: str) -> tuple[int, list[str]]:
    """The status and the SQL statements of one call, after a warm-up call.

    The dashboard's cache is marked stale first, so the count is that of building the
    snapshot (the budget); a warm read costs only the login's statement.
    """
    client = _client(user)
    _call(client, method, path)
    with CaptureQueriesContext(connection) as captured:
        status = _call(client, method, path)
    return status, [query["sql"] for query in captured.captured_queries]


def count_queries(*, method: str, path: str, light: User, heavy: User) -> QueryCount:
    light_status, light_sql = statements_for(light, method, path)
    heavy_status, heavy_sql = statements_for(heavy, method, path)
    return QueryCount(
        method=method,
        path=path,
        light=None if light_status == 404 else len(light_sql),
        heavy=None if heavy_status == 404 else len(heavy_sql),
        light_status=light_status,
        heavy_status=heavy_status,
        heavy_statements=heavy_sql,
    )


@dataclass
class UnreadPlan:
    statement: str | None
    plan: str
    uses_unread_index: bool
    notification_statements: int


def explain_unread_count(statements: list[str]) -> UnreadPlan:
    """EXPLAIN ANALYZE the statement(s) of the unread count that read notifications."""
    table = Notification._meta.db_table
    reads = [sql for sql in statements if f'"{table}"' in sql]
    if len(reads) != 1 or not reads[0].lstrip().upper().startswith("SELECT"):
        return UnreadPlan(None, "", False, len(reads))
    if connection.vendor != "postgresql":
        return UnreadPlan(reads[0], "(EXPLAIN needs PostgreSQL)", False, 1)
    with connection.cursor() as cursor:
        # A SELECT only (checked above), so ANALYZE runs it without changing anything.
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {reads[0]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return UnreadPlan(reads[0], plan, UNREAD_INDEX in plan, 1)


@dataclass
class NotifyTiming:
    calls: int
    created: int
    create_seconds: float
    duplicates: int
    duplicate_seconds: float
    statements_per_create: int
    statements_per_duplicate: int

    @property
    def created_per_second(self) -> float:
        return self.created / self.create_seconds if self.create_seconds else 0.0

    @property
    def duplicates_per_second(self) -> float:
        return self.duplicates / self.duplicate_seconds if self.duplicate_seconds else 0.0


def _bench_users(limit: int) -> list[User]:
    return list(
        User.objects.filter(email__startswith="customer-", email__endswith=f"@{BENCH_DOMAIN}")
        .select_related("customer")
        .order_by("pk")[:limit]
    )


def time_notify(*, calls: int, max_seconds: float, run_id: str) -> NotifyTiming:
    """notify() for `calls` different users, then the same calls again (all duplicates).

    Sequential, from one process: the cost of one call, not the server's capacity. Each
    pass stops early after `max_seconds`; the rates use what was done by then.
    """
    users = _bench_users(calls + 2)
    if len(users) < 3:
        raise ValueError("notify() timing needs the bench data: run `python -m bench.seed` first.")
    probes, users = users[:2], users[2:]
    source_id = f"bench-notify-{run_id}"

    def send(user: User, suffix: str = "") -> Notification | None:
        return notify(
            user=user,
            type="ORDER_APPROVED",
            source_id=f"{source_id}{suffix}",
            context={"order_number": "B0000001", "plan_name": "SIM Data 20GB", "order_id": 1},
        )

    def run_pass() -> tuple[int, int, float]:
        done = hits = 0
        started = time.perf_counter()
        for user in users:
            hits += send(user) is not None
            done += 1
            if time.perf_counter() - started > max_seconds:
                break
        return done, hits, time.perf_counter() - started

    created_calls, created, create_seconds = run_pass()
    duplicate_calls, not_deduplicated, duplicate_seconds = run_pass()
    with CaptureQueriesContext(connection) as first:
        send(probes[0], "-probe")
    with CaptureQueriesContext(connection) as again:
        send(probes[0], "-probe")
    return NotifyTiming(
        calls=created_calls,
        created=created,
        create_seconds=create_seconds,
        duplicates=duplicate_calls - not_deduplicated,
        duplicate_seconds=duplicate_seconds,
        statements_per_create=len(first.captured_queries),
        statements_per_duplicate=len(again.captured_queries),
    )


@dataclass
class BroadcastTiming:
    available: bool
    detail: str = ""
    customers: int = 0
    rows: int = 0
    seconds: float = 0.0
    # None when the work ran in Celery workers, out of this process's sight.
    statements: int | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def find_broadcast_service(name: str = BROADCAST_SERVICE) -> Callable[..., Any] | None:
    try:
        service = import_string(name)
    except ImportError:
        return None
    return service if callable(service) else None


def broadcast_arguments(service: Callable[..., Any], *, run_id: str, now: Any) -> dict[str, Any]:
    """The arguments for the broadcast service, offered by parameter name.

    `queue_announcement(announcement_id=)` sends a stored Announcement, so when the service
    asks for `announcement_id` a draft to every customer is created for it, as support
    staff would in the admin. Raises TypeError when the service needs a parameter outside
    this list: then adapt this function to the service's signature.
    """
    title = f"{BENCH_ANNOUNCEMENT_PREFIX}scheduled maintenance ({run_id})"
    message = "The portal will be unavailable on Sunday from 02:00 to 04:00 JST."
    signature = inspect.signature(service)
    offered: dict[str, Any] = {
        "title": title,
        "message": message,
        "context": {"title": title, "message": message},
        "source_id": f"bench-{run_id}",
        "now": now,
    }
    if "announcement_id" in signature.parameters:
        announcement = Announcement.objects.create(
            title=title, message=message, audience=AnnouncementAudience.ALL
        )
        offered["announcement_id"] = announcement.pk
    arguments = {name: value for name, value in offered.items() if name in signature.parameters}
    signature.bind(**arguments)
    return arguments


def time_broadcast(
    *, run_id: str, in_process: bool, service_name: str = BROADCAST_SERVICE, timeout: float = 240
) -> BroadcastTiming:
    """Time the broadcast until every customer has the announcement.

    In process (Celery eager) the call does all the work; with workers it may only
    enqueue, so the clock stops when the rows exist (or stop appearing).
    """
    service = find_broadcast_service(service_name)
    if service is None:
        return BroadcastTiming(available=False, detail=f"{service_name} does not exist yet")
    customers = User.objects.filter(is_active=True, customer__isnull=False).count()
    started_at = timezone.now()
    rows = Notification.objects.filter(type=ANNOUNCEMENT_TYPE, created_at__gte=started_at)
    try:
        arguments = broadcast_arguments(service, run_id=run_id, now=started_at)
    except TypeError as error:
        signature = f"{service_name}{inspect.signature(service)}"
        return BroadcastTiming(
            available=False, detail=f"cannot call {signature}: {error}; adapt broadcast_arguments"
        )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        service(**arguments)
    call_done = time.perf_counter()
    seen = {"count": rows.count(), "changed": call_done}

    def finished() -> bool:
        count = rows.count()
        if count != seen["count"]:
            seen.update(count=count, changed=time.perf_counter())
        # Done when every customer has it, or nothing new arrived for ten seconds.
        return count >= customers or time.perf_counter() - seen["changed"] > 10

    if not in_process:
        wait_until(finished, timeout=timeout, interval=0.1)
    elapsed = (call_done if in_process else seen["changed"]) - started
    count = rows.count()
    return BroadcastTiming(
        available=True,
        detail="" if count >= customers else f"only {count:,} of {customers:,} customers",
        customers=customers,
        rows=count,
        seconds=elapsed,
        statements=len(captured.captured_queries) if in_process else None,
    )
