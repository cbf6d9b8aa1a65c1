"""The dispatcher: publishes the outbox to the broker, every second, until stopped.

The Procfile's `dispatcher` process. One is enough for a deployment and several are safe
(each takes rows the others have not locked). It only ever talks to the database and the
broker: while the broker is down it keeps trying, one message a pass, and the work waits in
the database; while the database is down it waits for it.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from outbox import services

logger = logging.getLogger("outbox.dispatcher")


class Command(BaseCommand):
    help = "Publish the outbox to the broker every second (the Procfile's dispatcher)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.OUTBOX_DISPATCH_INTERVAL_SECONDS,
            help="Seconds between passes while there is nothing more to publish.",
        )
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        if not once:
            # A stop ends the pass in progress first: nothing is left half published.
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            logger.info("Dispatching the outbox every %ss", interval)
        while not stopping:
            busy = False
            try:
                close_old_connections()
                now = timezone.now()
                services.requeue_lost(now=now)
                busy = services.dispatch_pending(now=now) == services.DISPATCH_BATCH
            except DatabaseError as error:
                logger.warning("The database is not answering: %s", error)
                connection.close()
            if once:
                break
            if not busy:
                time.sleep(interval)
        connection.close()
