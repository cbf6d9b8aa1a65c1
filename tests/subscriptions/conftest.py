from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Customer
from subscriptions.models import Subscription
from tests.conftest import bearer_client
from tests.factories import InternetSubscriptionFactory, SubscriptionFactory

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@contextmanager
def api_at(moment: datetime, customer: Customer) -> Iterator[APIClient]:
    """Freeze the clock at `moment` with an API client whose token was issued then."""
    with time_machine.travel(moment, tick=False):
        yield bearer_client(customer.user)


@pytest.fixture
def sim(customer: Customer) -> Subscription:
    return SubscriptionFactory(
        customer=customer,
        plan__name="SIM Data 20GB",
        plan__name_ja="SIM データ 20GB",
        msisdn="08012345678",
        iccid="8981100000000000123",
    )


@pytest.fixture
def internet(customer: Customer) -> Subscription:
    return InternetSubscriptionFactory(customer=customer, plan__name="Hikari Fiber 1 Gbps")
