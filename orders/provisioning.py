"""The provisioning port: creating the internet line or the SIM an order asks for.

The fulfillment orchestrator calls `get_provisioning_adapter().provision(order=...)`.
`settings.PROVISIONING_ADAPTER` selects the adapter; the default one provisions locally
and can be told to fail, for every plan (`PROVISIONING_FAILURE_MODE`) or for some plans
(`PROVISIONING_FAILURE_PLANS`, e.g. `sim-data-3gb=permanent`), for tests and demos.

An adapter to a real network operator must be idempotent per order: it sends the order's
`external_id` as the idempotency key, because a worker can die after the operator created
the line and before our transaction committed, and the retry asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from subscriptions.models import PlanKind

FAILURE_MODES = ("", "temporary", "permanent")


class ProvisioningError(Exception):
    """The operator could not provision. `reason` is a sentence a customer can read."""

    def __init__(self, reason: str | Promise):
        super().__init__(str(reason))
        self.reason = reason


class TemporaryProvisioningError(ProvisioningError):
    """Worth trying again later: the operator is down, busy or timed out."""


class PermanentProvisioningError(ProvisioningError):
    """Trying again cannot help: the operator refused the order."""


@dataclass(frozen=True)
class ProvisionedService:
    """What the operator gave back: a SIM (MSISDN and ICCID) or an internet line."""

    msisdn: str = ""
    iccid: str = ""
    line_id: str = ""


class ProvisioningAdapter(Protocol):
    def provision(self, *, order: Order) -> ProvisionedService: ...


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _failure_mode(plan_code: str) -> str:
    mode = settings.PROVISIONING_FAILURE_PLANS.get(plan_code, settings.PROVISIONING_FAILURE_MODE)
    if mode not in FAILURE_MODES:
        raise ImproperlyConfigured(
            f"Provisioning failure mode {mode!r} is not one of: {', '.join(FAILURE_MODES[1:])} "
            "(or empty for none)."
        )
    return mode


class LocalProvisioningAdapter:
    """Provisions without an operator: identifiers derive from the order, so a retry of the
    same order gets the same line or SIM, as a real operator's idempotency key would give."""

    def provision(self, *, order: Order) -> ProvisionedService:
        mode = _failure_mode(order.plan.code)
        if mode == "temporary":
            raise TemporaryProvisioningError(
                _("The network operator did not answer in time. We will keep trying.")
            )
        if mode == "permanent":
            raise PermanentProvisioningError(
                _(
                    "The network operator could not set up this service. "
                    "Our support team will contact you."
                )
            )
        if order.kind == PlanKind.SIM:
            serial = f"8981200{order.pk:011d}"
            return ProvisionedService(
                msisdn=f"070{order.pk % 10**8:08d}", iccid=serial + _luhn_check_digit(serial)
            )
        return ProvisionedService(line_id=f"FLT-{order.pk:010d}")


@cache
def _adapter_class(path: str) -> type[ProvisioningAdapter]:
    return import_string(path)


def get_provisioning_adapter() -> ProvisioningAdapter:
    return _adapter_class(settings.PROVISIONING_ADAPTER)()
