"""Provisioning adapters that stand in for an operator with a bad day, for retry tests."""

from __future__ import annotations

from typing import ClassVar

from orders.models import Order
from orders.provisioning import (
    LocalProvisioningAdapter,
    ProvisionedService,
    TemporaryProvisioningError,
)


class FlakyProvisioningAdapter:
    """Fails temporarily `failures` times in a row, then provisions like the local one."""

    failures: ClassVar[int] = 2
    calls: ClassVar[list[int]] = []

    def provision(self, *, order: Order) -> ProvisionedService:
        FlakyProvisioningAdapter.calls.append(order.pk)
        if len(FlakyProvisioningAdapter.calls) <= FlakyProvisioningAdapter.failures:
            raise TemporaryProvisioningError("The operator is busy.")
        return LocalProvisioningAdapter().provision(order=order)
