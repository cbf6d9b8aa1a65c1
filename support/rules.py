"""The thread's rules both reads and writes need."""

from __future__ import annotations

from datetime import timedelta

# A closed request reopens when the customer writes within this long of its closing.
REOPEN_WINDOW = timedelta(days=30)
