"""Provisioning adapters for the fault tests: one holds a worker mid-fulfillment, one waits
on an operator that never answers.

The first runs inside a Celery worker process, so the test steers it through files: when
`<RELIABILITY_PAUSE_DIR>/armed` exists, the next call removes it, writes `waiting` and holds
(with the order's row lock taken, as a slow operator would) until `release` appears. Every
other call provisions like the local adapter.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from orders.models import Order
from orders.provisioning import (
    LocalProvisioningAdapter,
    ProvisionedService,
    TemporaryProvisioningError,
)

HOLD_SECONDS = 30


class PausingProvisioningAdapter:
    def provision(self, *, order: Order) -> ProvisionedService:
        pause_dir = Path(os.environ["RELIABILITY_PAUSE_DIR"])
        with (pause_dir / "calls").open("a") as calls:
            calls.write(f"{order.pk}\n")
        armed = pause_dir / "armed"
        if armed.exists():
            armed.unlink()
            (pause_dir / "waiting").touch()
            deadline = time.monotonic() + HOLD_SECONDS
            while not (pause_dir / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return LocalProvisioningAdapter().provision(order=order)


class HangingOperatorAdapter:
    """An operator adapter as a real one is written: a request to the operator with a timeout,
    a timeout reported as temporary (the port's contract). `address` is an operator that
    accepts connections and never answers."""

    address: tuple[str, int] = ("127.0.0.1", 9)
    timeout_seconds = 0.2
    attempts = 0

    def provision(self, *, order: Order) -> ProvisionedService:
        HangingOperatorAdapter.attempts += 1
        try:
            with socket.create_connection(self.address, timeout=self.timeout_seconds) as sock:
                sock.sendall(f"PROVISION {order.external_id}\n".encode())
                answer = sock.recv(1024)
        except TimeoutError as error:
            raise TemporaryProvisioningError(
                _("The network operator did not answer in time. We will keep trying.")
            ) from error
        raise AssertionError(f"the hanging operator answered: {answer!r}")
