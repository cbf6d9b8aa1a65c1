"""Helpers for the reliability tests: a broker that is down, one that is back, a database
and a payment processor that go away, threads at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar

from celery import Celery
from django.db import OperationalError, connection

from billing.processor import TestPaymentProcessor
from portal.celery import app as celery_app

T = TypeVar("T")

# What PostgreSQL says to the connections it drops while it restarts.
RESTARTING = "terminating connection due to administrator command"


@contextmanager
def database_fails_on(table: str | None = None, *, times: int | None = None) -> Iterator[list[str]]:
    """Statements (on `table`, or any) fail as they do while PostgreSQL restarts: the first
    `times` of them, or all. Yields the statements that failed.

    The database is the outside world here: our code runs unchanged and meets the error
    where it would meet the real one.
    """
    failed: list[str] = []

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        matches = table is None or f'"{table}"' in sql
        if matches and (times is None or len(failed) < times):
            failed.append(sql)
            raise OperationalError(RESTARTING)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield failed


class ProcessorDownOnce(TestPaymentProcessor):
    """The test payment processor, unreachable for its first `detach` call."""

    calls = 0

    def detach(self, *, reference: str) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            raise ConnectionError("the payment processor did not answer")


# Nothing listens on port 1: a connection is refused at once, as with a broker that is down.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def unreachable_broker() -> Celery:
    """A Celery app whose broker is down, configured to fail fast like the outbox asks."""
    app = Celery("broker-down", set_as_current=False)
    # broker_write_url: Celery lets the CELERY_BROKER_URL variable override broker_url.
    app.conf.broker_write_url = UNREACHABLE_BROKER
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_retry = False
    return app


@dataclass
class InProcessBroker:
    """Stands in for a broker that is back, with a worker behind it: a published task runs
    at once, in this process, as the worker would run it."""

    conf: Any = field(default_factory=lambda: SimpleNamespace(task_always_eager=False))
    delivered: list[tuple[str, list[Any]]] = field(default_factory=list)

    def send_task(self, name: str, args: list[Any], **options: Any) -> None:
        self.delivered.append((name, list(args)))
        # With the message's headers, as a worker has them: the task records its start and end.
        celery_app.tasks[name].apply(args=args, headers=options.get("headers"), throw=True)


@dataclass
class Outcome:
    results: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def all_at_once(count: int, work: Callable[[int], T], *, timeout: float = 60) -> Outcome:
    """Run `work(i)` in `count` threads released together, each on its own connection."""
    barrier = threading.Barrier(count)
    outcome = Outcome()
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(index)
            with lock:
                outcome.results.append(result)
        except BaseException as error:
            with lock:
                outcome.errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"
    return outcome
