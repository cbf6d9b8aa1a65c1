from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from dashboard.cache import _token_key, cached_snapshot, mark_stale


@pytest.fixture(autouse=True)
def snapshot_cache(settings):
    """The snapshot cache on, as in production with Redis."""
    settings.DASHBOARD_CACHE_SECONDS = 300


class Builder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, int]:
        self.calls += 1
        return {"built": self.calls}


def read(build: Builder, *, variant: object = ("2026-11-24", "en"), keep: bool = True) -> object:
    return cached_snapshot(
        name="test", user_id=1, variant=variant, build=build, keep=lambda _: keep
    )


def test_a_second_read_is_served_from_the_cache():
    build = Builder()
    assert read(build) == read(build) == {"built": 1}
    assert build.calls == 1


@pytest.mark.django_db
def test_marking_stale_rebuilds_on_the_next_read():
    build = Builder()
    read(build)
    mark_stale([1])
    assert read(build) == {"built": 2}


@pytest.mark.django_db
def test_marking_another_customer_stale_keeps_this_one():
    build = Builder()
    read(build)
    mark_stale([2])
    assert read(build) == {"built": 1}


def test_a_new_day_or_language_rebuilds():
    build = Builder()
    read(build)
    assert read(build, variant=("2026-11-25", "en")) == {"built": 2}
    assert read(build, variant=("2026-11-25", "ja")) == {"built": 3}


def test_a_degraded_snapshot_is_not_kept():
    build = Builder()
    read(build, keep=False)
    assert read(build) == {"built": 2}


def test_a_lost_token_never_serves_the_old_snapshot():
    build = Builder()
    read(build)
    cache.delete(_token_key(1))
    assert read(build) == {"built": 2}


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_built_before_the_commit_does_not_outlive_it():
    build = Builder()
    with transaction.atomic():
        mark_stale([1])
        # Another request reads committed (old) data now and caches it...
        read(build)
    # ...but the commit sets a new token, so the next read rebuilds from the new data.
    assert read(build) == {"built": 2}
