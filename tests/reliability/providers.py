"""Billing providers that misbehave the ways a remote billing system does."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from accounts.models import Customer


class RecordingHangingProvider:
    """Calls another system that does not answer until `release` is set; counts the calls."""

    in_process = False
    release: ClassVar[threading.Event] = threading.Event()
    calls: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def count_payment_methods(self, *, customer: Customer) -> int:
        with RecordingHangingProvider.lock:
            RecordingHangingProvider.calls += 1
        RecordingHangingProvider.release.wait(timeout=30)
        return 1


class BrokenConnectionProvider:
    in_process = False

    def count_payment_methods(self, *, customer: Customer) -> int:
        raise ConnectionResetError("Connection reset by peer")


class NonsenseProvider:
    """Answers whatever `answer` is, as a provider with a bug or a changed API might."""

    in_process = True
    answer: ClassVar[Any] = None

    def count_payment_methods(self, *, customer: Customer) -> Any:
        return NonsenseProvider.answer
