from __future__ import annotations

import pytest
import time_machine

from billing.processor import TEST_CARDS, TestPaymentProcessor, TokenRefused, get_payment_processor

NOW = "2026-11-24 10:00 +09:00"


def test_the_test_processor_is_the_default(settings):
    assert settings.PAYMENT_PROCESSOR == "billing.processor.TestPaymentProcessor"
    assert isinstance(get_payment_processor(), TestPaymentProcessor)


@time_machine.travel(NOW, tick=False)
def test_a_test_token_becomes_brand_last_four_and_expiry():
    method = TestPaymentProcessor().attach(token="tok_visa", customer_reference="customer-1")
    assert (method.type, method.brand, method.last4) == ("card", "Visa", "4242")
    assert (method.exp_month, method.exp_year) == (11, 2029)
    assert method.reference.startswith("pm_test_")


@time_machine.travel("2026-12-31 23:30 +09:00", tick=False)
def test_the_expiring_token_expires_this_month_in_japan():
    method = TestPaymentProcessor().attach(
        token="tok_visa_expiring", customer_reference="customer-1"
    )
    assert (method.exp_month, method.exp_year) == (12, 2026)


def test_a_bank_account_has_no_expiry():
    method = TestPaymentProcessor().attach(token="tok_bank_account", customer_reference="c")
    assert method.type == "bank_account"
    assert method.exp_month is None and method.exp_year is None


def test_every_documented_token_is_listed_for_the_add_form():
    tokens = TestPaymentProcessor().test_tokens
    assert {"tok_visa", "tok_mastercard", "tok_jcb", "tok_amex", "tok_visa_expiring"} <= set(tokens)
    assert set(tokens) == {card.token for card in TEST_CARDS}


def test_the_same_token_for_the_same_customer_gives_the_same_reference():
    processor = TestPaymentProcessor()
    first = processor.attach(token="tok_jcb", customer_reference="customer-1")
    again = processor.attach(token="tok_jcb", customer_reference="customer-1")
    other = processor.attach(token="tok_jcb", customer_reference="customer-2")
    assert first.reference == again.reference
    assert other.reference != first.reference


def test_an_unknown_token_is_refused_with_a_clear_message():
    with pytest.raises(TokenRefused, match="did not recognise this token"):
        TestPaymentProcessor().attach(token="tok_nonsense", customer_reference="c")


def test_a_card_number_is_refused_without_being_repeated():
    with pytest.raises(TokenRefused) as refused:
        TestPaymentProcessor().attach(token="4242 4242 4242 4242", customer_reference="c")
    assert "Card numbers are never sent to us" in refused.value.message
    assert "4242" not in refused.value.message


@pytest.mark.parametrize(
    ("token", "reason"),
    [("tok_visa_expired", "has expired"), ("tok_card_declined", "was declined")],
)
def test_tokens_for_bad_cards_are_refused(token, reason):
    with pytest.raises(TokenRefused, match=reason):
        TestPaymentProcessor().attach(token=token, customer_reference="c")
