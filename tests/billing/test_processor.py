from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from billing.processor import TEST_CARDS, TestPaymentProcessor, TokenRefused, get_payment_processor
from tests.portal.test_settings import _run_settings

NOW = "2026-11-24 10:00 +09:00"
SECRET = {"SECRET_KEY": "k" * 64}


def test_the_test_processor_is_the_default_and_its_name_is_test(settings):
    assert settings.PAYMENT_PROCESSOR == "test"
    assert isinstance(get_payment_processor(), TestPaymentProcessor)


def test_the_dotted_path_of_the_test_processor_still_names_it(settings):
    settings.PAYMENT_PROCESSOR = "billing.processor.TestPaymentProcessor"
    assert isinstance(get_payment_processor(), TestPaymentProcessor)


def test_a_processor_the_portal_does_not_have_is_refused_by_name(settings):
    settings.PAYMENT_PROCESSOR = "paypal"
    with pytest.raises(ImproperlyConfigured, match="'paypal' is not a processor"):
        get_payment_processor()


def test_with_debug_off_the_test_processor_refuses_to_start_unless_allowed():
    for name in ("", "test", "billing.processor.TestPaymentProcessor"):
        env = {**SECRET, "PAYMENT_PROCESSOR_ALLOW_TEST": "false"}
        if name:
            env["PAYMENT_PROCESSOR"] = name
        refused = _run_settings(env)
        assert refused.returncode != 0, name
        assert "PAYMENT_PROCESSOR is the test processor" in refused.stderr, refused.stderr
    allowed = _run_settings({**SECRET, "PAYMENT_PROCESSOR_ALLOW_TEST": "true"})
    assert allowed.returncode == 0, allowed.stderr
    development = _run_settings({"DEBUG": "true", "PAYMENT_PROCESSOR_ALLOW_TEST": "false"})
    assert development.returncode == 0, development.stderr


def test_without_the_allowance_the_card_form_does_not_exist_and_test_cards_pay_nothing():
    """An adapter built on the test processor gets past the settings' check by name: the
    test processor's pages are still absent, and it refuses to be used."""
    code = (
        "import django; django.setup(); from django.urls import Resolver404, resolve; "
        "from billing.processor import get_payment_processor\n"
        "try:\n    resolve('/test-processor/cards'); print('served')\n"
        "except Resolver404:\n    print('absent')\n"
        "try:\n    get_payment_processor(); print('usable')\n"
        "except Exception as error:\n    print(type(error).__name__)"
    )
    env = {
        **SECRET,
        "PAYMENT_PROCESSOR_ALLOW_TEST": "false",
        "PAYMENT_PROCESSOR": "tests.reliability.support.ProcessorDownOnce",
    }
    result = _run_settings(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["absent", "ImproperlyConfigured"]
    allowed = _run_settings({**env, "PAYMENT_PROCESSOR_ALLOW_TEST": "true"}, code)
    assert allowed.stdout.split() == ["served", "usable"], allowed.stderr


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
