"""A small Server-Sent Events reader for the stream tests: events land in a queue as they come."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Event:
    event: str
    data: Any
    id: str | None
    received_at: float


@dataclass
class SSEReader:
    """Reads one stream on a thread; `next()` waits for the next event (or comment)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    events: queue.Queue[Event] = field(default_factory=queue.Queue)
    status: int | None = None
    content_type: str = ""

    def __post_init__(self) -> None:
        self.ended = threading.Event()
        self.connected = threading.Event()
        self.session = requests.Session()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        if not self.connected.wait(20):
            raise AssertionError(f"the stream at {self.url} did not answer")

    def _read(self) -> None:
        try:
            with self.session.get(
                self.url, headers=self.headers, cookies=self.cookies, stream=True, timeout=60
            ) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("Content-Type", "")
                self.response = response
                self.connected.set()
                if response.status_code != 200:
                    return
                fields: dict[str, str] = {}
                data: list[str] = []
                for raw in response.iter_lines(chunk_size=1, decode_unicode=True):
                    line = raw if isinstance(raw, str) else raw.decode()
                    if line.startswith(":"):
                        self.events.put(Event("comment", line[1:].strip(), None, time.monotonic()))
                    elif line == "":
                        if data or fields:
                            payload = "\n".join(data)
                            self.events.put(
                                Event(
                                    fields.get("event", "message"),
                                    json.loads(payload) if payload else None,
                                    fields.get("id"),
                                    time.monotonic(),
                                )
                            )
                        fields, data = {}, []
                    else:
                        name, _sep, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "data":
                            data.append(value)
                        else:
                            fields[name] = value
        except (requests.RequestException, AttributeError, ValueError):
            pass
        finally:
            self.connected.set()
            self.ended.set()

    def next(self, *, timeout: float = 10, skip_comments: bool = True) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no event within {timeout}s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                raise AssertionError(f"no event within {timeout}s") from None
            if skip_comments and event.event == "comment":
                continue
            return event

    def next_of(self, kind: str, *, timeout: float = 10) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(timeout=max(0.01, deadline - time.monotonic()))
            if event.event == kind:
                return event

    def close(self) -> None:
        response = getattr(self, "response", None)
        if response is not None:
            response.close()
        self.session.close()
