"""The live stream's fan-out: one hub per web process forwards the changes feed to its streams.

Nothing that writes a notification publishes anything. The database is the source: on
PostgreSQL a statement trigger sends `NOTIFY portal_notifications` when a transaction that
wrote notifications commits (whichever process, the admin, a data fix in psql), and each
process's hub LISTENs on one connection. Woken, the hub reads what changed for the
customers it holds streams for, in one statement, and queues the events for each stream.
Without PostgreSQL (SQLite in development) it polls the same query every second. Either
way a missed wake-up costs latency, never an event: the feed is read by key.

All database work of the hub runs in one thread of its own (one connection per process),
so a thousand open streams cost sockets and queues, not connections or threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import environ
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from notifications.changes import (
    ChangeKey,
    changes_after,
    changes_for_users,
    count_badges,
    latest_change,
)
from notifications.models import Notification

logger = logging.getLogger(__name__)

CHANNEL = "portal_notifications"
T = TypeVar("T")


def keepalive_seconds() -> float:
    return float(settings.LIVE_KEEPALIVE_SECONDS)


def poll_seconds(*, listening: bool) -> float:
    """How often the hub reads the feed without being woken."""
    if listening:
        return float(settings.LIVE_SAFETY_POLL_SECONDS)
    return float(settings.LIVE_POLL_SECONDS)


# --- Server-Sent Events ---------------------------------------------------------------------


def sse_event(event: str, data: Any, *, event_id: str | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(lines) + "\n\n").encode()


KEEPALIVE = b": keep-alive\n\n"
CLOSE = b""  # queued to end a stream (logout, expiry, a client too slow to keep up)


def _language(notification: Notification) -> str:
    # Annotated by the changes feed: the customer's language now, not when it was created.
    return getattr(notification, "reader_language", None) or settings.LANGUAGE_CODE


def serialize(rows: list[Notification]) -> list[dict[str, Any]]:
    """The API's notifications, each in the language of its customer at this moment."""
    from notifications.api import NotificationOutput

    by_language: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_language.setdefault(_language(row), []).append(index)
    result: list[dict[str, Any]] = [{} for _ in rows]
    for language, indexes in by_language.items():
        with translation.override(language):
            data = NotificationOutput([rows[i] for i in indexes], many=True).data
        for index, item in zip(indexes, data, strict=True):
            result[index] = dict(item)
    return result


def events_for(
    rows: list[Notification], *, counts: dict[int, dict[str, int]]
) -> dict[int, list[tuple[ChangeKey, bytes]]]:
    """Per customer: a `notification` event per change, then `counts` with the last key."""
    by_user: dict[int, list[tuple[ChangeKey, bytes]]] = {}
    for row, data in zip(rows, serialize(rows), strict=True):
        key = ChangeKey.of(row)
        event = sse_event("notification", data, event_id=key.encode())
        by_user.setdefault(row.user_id, []).append((key, event))
    for user_id, events in by_user.items():
        last = events[-1][0]
        events.append((last, sse_event("counts", counts[user_id], event_id=last.encode())))
    return by_user


# --- Who may keep a stream open -------------------------------------------------------------


@dataclass
class Credentials:
    """What the stream was opened with, checked again every keep-alive."""

    user_id: int
    token_expires_at: float | None = None  # epoch seconds; the stream ends then
    check: Callable[[], bool] | None = None  # True while the login still holds


@dataclass(eq=False)
class Stream:
    credentials: Credentials
    floor: ChangeKey | None
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    closed: bool = False

    def push(self, payload: bytes) -> None:
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            # A client this far behind reconnects with Last-Event-ID and replays instead.
            self.close()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(CLOSE)


@dataclass
class Feed:
    """One customer's streams in this process and how far the hub has read for them."""

    cursor: ChangeKey
    streams: set[Stream] = field(default_factory=set)


# --- The hub --------------------------------------------------------------------------------


class Hub:
    def __init__(self) -> None:
        self.feeds: dict[int, Feed] = {}
        self.lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.listening = False
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-db")
        self.tasks: list[asyncio.Task[None]] = []

    # Database work, always in the hub's own thread.
    async def db(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def run() -> T:
            # The hub's connection stays open for the life of the process (whatever
            # CONN_MAX_AGE says for requests); one that failed is replaced on the next call.
            try:
                return function(*args, **kwargs)
            except Exception:
                connection.close()
                raise

        return await asyncio.get_running_loop().run_in_executor(self.executor, run)

    def start(self) -> None:
        if self.tasks:
            return
        self.tasks.append(asyncio.create_task(self._read_loop(), name="live-read"))
        self.tasks.append(asyncio.create_task(self._check_loop(), name="live-check"))
        if connection.vendor == "postgresql" and settings.LIVE_LISTEN:
            self.tasks.append(asyncio.create_task(self._listen_loop(), name="live-listen"))

    @property
    def stream_count(self) -> int:
        return sum(len(feed.streams) for feed in self.feeds.values())

    async def subscribe(self, credentials: Credentials, *, after: ChangeKey | None) -> Stream:
        """Register a stream; what changed after `after` (if given) and the counts come first."""
        self.start()
        user_id = credentials.user_id
        stream = Stream(credentials, floor=after)
        async with self.lock:
            feed = self.feeds.get(user_id)
            cursor = feed.cursor if feed is not None else None
            replay, until = await self.db(_catch_up, user_id=user_id, after=after, until=cursor)
            for payload in replay:
                stream.push(payload)
            if feed is None:
                feed = self.feeds[user_id] = Feed(cursor=until)
            feed.streams.add(stream)
        return stream

    def unsubscribe(self, stream: Stream) -> None:
        user_id = stream.credentials.user_id
        feed = self.feeds.get(user_id)
        if feed is None:
            return
        feed.streams.discard(stream)
        if not feed.streams:
            del self.feeds[user_id]

    async def read_once(self) -> None:
        """Read the feed for every customer with a stream here and queue their events."""
        async with self.lock:
            cursors = {user_id: feed.cursor for user_id, feed in self.feeds.items()}
            if not cursors:
                return
            batches = await self.db(_read_changes, cursors=cursors)
            for user_id, (events, cursor) in batches.items():
                feed = self.feeds.get(user_id)
                if feed is None:
                    continue
                feed.cursor = cursor
                for stream in feed.streams:
                    for key, payload in events:
                        if stream.floor is None or key > stream.floor:
                            stream.push(payload)

    async def _read_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.wake.wait(), timeout=poll_seconds(listening=self.listening)
                )
            self.wake.clear()
            try:
                await self.read_once()
            except Exception:
                logger.exception("Reading the notification changes failed; retrying.")
                await asyncio.sleep(1)

    async def _listen_loop(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    **_listen_params(), autocommit=True
                ) as listener:
                    await listener.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    # Whatever committed while nobody listened is read now.
                    self.wake.set()
                    async for _notice in listener.notifies():
                        self.wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Listening for notification changes failed; polling meanwhile.")
            finally:
                self.listening = False
            await asyncio.sleep(1)

    async def _check_loop(self) -> None:
        """Every keep-alive: end the streams whose login no longer holds."""
        while True:
            await asyncio.sleep(keepalive_seconds())
            streams = [stream for feed in self.feeds.values() for stream in feed.streams]
            if not streams:
                continue
            try:
                valid = await self.db(_still_valid, [s.credentials for s in streams])
            except Exception:
                logger.exception("Checking the logins of open streams failed.")
                continue
            for stream, ok in zip(streams, valid, strict=True):
                if not ok:
                    stream.close()

    async def events(self, stream: Stream) -> AsyncIterator[bytes]:
        """What a stream's response sends: events as they come, a comment when it is quiet."""
        expires_at = stream.credentials.token_expires_at
        try:
            while not stream.closed:
                timeout = keepalive_seconds()
                if expires_at is not None:
                    timeout = min(timeout, expires_at - time.time())
                    if timeout <= 0:
                        return
                try:
                    payload = await asyncio.wait_for(stream.queue.get(), timeout=timeout)
                except TimeoutError:
                    yield KEEPALIVE
                    continue
                if payload == CLOSE:
                    return
                yield payload
        finally:
            self.unsubscribe(stream)


_hubs: WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of this process (of this event loop)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub


# --- The hub's database work (its own thread) -----------------------------------------------


def _catch_up(
    *, user_id: int, after: ChangeKey | None, until: ChangeKey | None
) -> tuple[list[bytes], ChangeKey]:
    """Events for a new stream: changes in (after, until], then the counts.

    `until` is the hub's cursor for the customer (None: no stream of theirs yet, so the
    newest key now, which becomes the hub's cursor).
    """
    now = timezone.now()
    until = until or latest_change(user_id=user_id)
    events: list[bytes] = []
    if after is not None and after < until:
        from accounts.models import User

        user = User(pk=user_id)
        rows = [row for row in changes_after(user=user, after=after) if ChangeKey.of(row) <= until]
        events = [
            sse_event("notification", data, event_id=ChangeKey.of(row).encode())
            for row, data in zip(rows, serialize(rows), strict=True)
        ]
    last = max(after, until) if after is not None else until
    counts = count_badges(user_ids=[user_id], now=now)[user_id]
    events.append(sse_event("counts", counts, event_id=last.encode()))
    return events, until


def _read_changes(
    *, cursors: dict[int, ChangeKey]
) -> dict[int, tuple[list[tuple[ChangeKey, bytes]], ChangeKey]]:
    """Every change for these customers after their keys: events per customer, new keys."""
    rows = list(changes_for_users(cursors=cursors))
    if not rows:
        return {}
    counts = count_badges(user_ids={row.user_id for row in rows}, now=timezone.now())
    return {
        user_id: (events, events[-1][0])
        for user_id, events in events_for(rows, counts=counts).items()
    }


def _still_valid(credentials: list[Credentials]) -> list[bool]:
    return [item.check() if item.check is not None else True for item in credentials]


def _listen_params() -> dict[str, Any]:
    """The LISTEN connection's parameters: the portal's database, or LIVE_DATABASE_URL, a
    direct connection past a transaction pooler (which would lend the session that LISTENs
    to other clients and deliver nothing, silently)."""
    db = connection.settings_dict
    if settings.LIVE_DATABASE_URL:
        db = {**environ.Env.db_url_config(settings.LIVE_DATABASE_URL), "OPTIONS": {}}
    params: dict[str, Any] = {
        "dbname": db["NAME"],
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
    }
    options = db.get("OPTIONS") or {}
    params["application_name"] = options.get("application_name", "portal-live")
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options"):
        if key in options:
            params[key] = options[key]
    return {key: value for key, value in params.items() if value is not None}
