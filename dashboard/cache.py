"""The per-customer cache of the dashboard snapshot, and the freshness token that clears it.

Building `GET /api/me/status` takes a dozen queries; reading it from the cache takes one
round trip to the cache. Correctness comes from a freshness token per user: every service
that changes what the snapshot shows calls `mark_stale(user_id)`, which sets a new random
token, and a cached snapshot is only used while it was built under the current token, for
the same Tokyo day and language. The token is set both at once and after commit, so a
snapshot built from data read before the commit can never outlive it.

This module imports no other app, so every app's services can call it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

# Longer than any snapshot lives, so a token never expires under a snapshot built with it.
TOKEN_TTL_SECONDS = 24 * 60 * 60


def _snapshot_ttl() -> int:
    return int(settings.DASHBOARD_CACHE_SECONDS)


def _snapshot_key(name: str, user_id: int) -> str:
    return f"dashboard:{name}:{user_id}"


def _token_key(user_id: int) -> str:
    return f"dashboard:me-status-token:{user_id}"


def _set_new_tokens(user_ids: list[int]) -> None:
    cache.set_many(
        {_token_key(user_id): uuid.uuid4().hex for user_id in user_ids}, TOKEN_TTL_SECONDS
    )


def mark_stale(user_ids: Iterable[int]) -> None:
    """The data behind these users' dashboards changed: their next read rebuilds it."""
    ids = sorted(set(user_ids))
    if not ids or not _snapshot_ttl():
        return
    _set_new_tokens(ids)
    transaction.on_commit(lambda: _set_new_tokens(ids))


def cached_snapshot(
    *,
    name: str,
    user_id: int,
    variant: Hashable,
    build: Callable[[], T],
    keep: Callable[[T], bool],
) -> T:
    """The cached `name` of `user_id` for `variant` (day, language), or build and keep it.

    Every `name` (the snapshot, its JSON) shares the user's one freshness token. A built
    value is kept only when `keep` says so (not a degraded answer).
    """
    if not _snapshot_ttl():
        return build()
    snapshot_key, token_key = _snapshot_key(name, user_id), _token_key(user_id)
    cached = cache.get_many([snapshot_key, token_key])
    token = cached.get(token_key)
    entry = cached.get(snapshot_key)
    if token is not None and entry is not None and entry[0] == (token, variant):
        return entry[1]
    if token is None:
        # Never build under "no token": a token set later must invalidate this snapshot.
        token = uuid.uuid4().hex
        if not cache.add(token_key, token, TOKEN_TTL_SECONDS):
            token = cache.get(token_key) or token
    snapshot = build()
    if keep(snapshot):
        cache.set(snapshot_key, ((token, variant), snapshot), _snapshot_ttl())
    return snapshot
