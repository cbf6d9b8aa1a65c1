"""Transaction-scoped locks for check-then-insert code paths."""

from __future__ import annotations

import zlib

from django.db import connection


def advisory_xact_lock(namespace: str, key: str) -> None:
    """Serialise callers that use the same (namespace, key) until the transaction ends.

    On PostgreSQL this is pg_advisory_xact_lock; SQLite runs IMMEDIATE transactions
    (see settings), which already serialise writers, so nothing more is needed there.
    Call it inside transaction.atomic().
    """
    if connection.vendor != "postgresql":
        return
    first = zlib.crc32(namespace.encode()) - 2**31
    second = zlib.crc32(key.encode()) - 2**31
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [first, second])
