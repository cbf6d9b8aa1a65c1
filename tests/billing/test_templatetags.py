from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from billing.templatetags.billing import money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("5500.00"), "JPY", "¥5,500"),
        (Decimal("1234567"), "JPY", "¥1,234,567"),
        (Decimal("0"), "JPY", "¥0"),
        (Decimal("-500.00"), "JPY", "-¥500"),
        (Decimal("12.5"), "USD", "12.50 USD"),
        (None, "JPY", ""),
    ],
)
def test_money_reads_as_yen_without_decimals(amount, currency, shown):
    with translation.override("en"):
        assert money(amount, currency) == shown


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(Decimal("5500.00"), "5,500円"), (Decimal("-500"), "-500円")],
)
def test_in_japanese_yen_follow_the_amount(amount, shown):
    with translation.override("ja"):
        assert money(amount) == shown
