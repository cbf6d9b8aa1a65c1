from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from orders.provisioning import (
    LocalProvisioningAdapter,
    PermanentProvisioningError,
    TemporaryProvisioningError,
    get_provisioning_adapter,
)
from tests.factories import OrderFactory
from tests.orders.support import internet_plan, sim_plan

pytestmark = pytest.mark.django_db


def _luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def test_a_sim_gets_a_japanese_mobile_number_and_a_valid_iccid():
    order = OrderFactory(plan=sim_plan())
    service = LocalProvisioningAdapter().provision(order=order)
    assert len(service.msisdn) == 11 and service.msisdn.startswith("070")
    assert len(service.iccid) == 19 and service.iccid.startswith("8981")
    assert _luhn_valid(service.iccid)
    assert service.line_id == ""


def test_an_internet_order_gets_a_line_id():
    order = OrderFactory(plan=internet_plan())
    service = LocalProvisioningAdapter().provision(order=order)
    assert service.line_id.startswith("FLT-")
    assert service.msisdn == service.iccid == ""


def test_provisioning_the_same_order_again_gives_the_same_identifiers():
    order = OrderFactory(plan=sim_plan())
    adapter = LocalProvisioningAdapter()
    assert adapter.provision(order=order) == adapter.provision(order=order)


def test_two_orders_get_different_identifiers():
    plan = sim_plan()
    first, second = OrderFactory(plan=plan), OrderFactory(plan=plan)
    adapter = LocalProvisioningAdapter()
    assert adapter.provision(order=first).iccid != adapter.provision(order=second).iccid


@pytest.mark.parametrize(
    ("mode", "error"),
    [("temporary", TemporaryProvisioningError), ("permanent", PermanentProvisioningError)],
)
def test_the_failure_mode_setting_makes_every_plan_fail(settings, mode, error):
    settings.PROVISIONING_FAILURE_MODE = mode
    with pytest.raises(error) as raised:
        LocalProvisioningAdapter().provision(order=OrderFactory(plan=sim_plan()))
    assert str(raised.value.reason)


def test_one_plan_can_be_made_to_fail_while_others_work(settings):
    settings.PROVISIONING_FAILURE_PLANS = {"sim-broken": "permanent"}
    adapter = LocalProvisioningAdapter()
    with pytest.raises(PermanentProvisioningError):
        adapter.provision(order=OrderFactory(plan=sim_plan(code="sim-broken")))
    assert adapter.provision(order=OrderFactory(plan=sim_plan())).msisdn


def test_a_plan_can_work_even_when_the_mode_fails_everything_else(settings):
    settings.PROVISIONING_FAILURE_MODE = "temporary"
    settings.PROVISIONING_FAILURE_PLANS = {"sim-data-20gb": ""}
    assert LocalProvisioningAdapter().provision(order=OrderFactory(plan=sim_plan())).iccid


def test_an_unknown_failure_mode_is_a_configuration_error(settings):
    settings.PROVISIONING_FAILURE_MODE = "sometimes"
    with pytest.raises(ImproperlyConfigured, match="sometimes"):
        LocalProvisioningAdapter().provision(order=OrderFactory(plan=sim_plan()))


def test_the_setting_selects_the_adapter(settings):
    settings.PROVISIONING_ADAPTER = "tests.orders.adapters.FlakyProvisioningAdapter"
    from tests.orders.adapters import FlakyProvisioningAdapter

    assert isinstance(get_provisioning_adapter(), FlakyProvisioningAdapter)
    settings.PROVISIONING_ADAPTER = "orders.provisioning.LocalProvisioningAdapter"
    assert isinstance(get_provisioning_adapter(), LocalProvisioningAdapter)
