from __future__ import annotations

import pytest

from accounts.models import EligibilityStatus, VerificationStatus
from orders.models import OrderStatus
from subscriptions.models import SubscriptionStatus

TONES = {"success", "info", "warning", "critical", "neutral"}


@pytest.mark.parametrize(
    "status",
    [*EligibilityStatus, *VerificationStatus, *OrderStatus, *SubscriptionStatus],
    ids=str,
)
def test_every_status_has_a_tone_of_the_design_system(status):
    assert status.tone in TONES


def test_an_address_we_cannot_serve_is_a_warning_and_a_rejected_card_is_critical():
    assert EligibilityStatus.INELIGIBLE.tone == "warning"
    assert VerificationStatus.REJECTED.tone == "critical"
