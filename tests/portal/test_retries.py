from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError

from portal.retries import backoff, retry_policy


@pytest.mark.parametrize("retries", range(12))
def test_the_backoff_doubles_between_half_and_all_of_its_interval_up_to_its_ceiling(retries):
    interval = min(600, 30 * 2**retries)
    for _ in range(20):
        assert interval // 2 <= backoff(retries, base=30, maximum=600) <= interval


def test_without_jitter_the_backoff_is_exactly_the_interval():
    assert [backoff(n, base=30, maximum=3600, jitter=False) for n in range(9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600
    ]  # fmt: skip


def test_a_policy_retries_the_database_going_away_with_celerys_own_backoff():
    assert retry_policy(backoff=5, backoff_max=600, max_retries=5) == {
        "autoretry_for": (OperationalError, InterfaceError),
        "retry_backoff": 5,
        "retry_backoff_max": 600,
        "retry_jitter": True,
        "max_retries": 5,
    }
