"""The payment flows against both adapters: the test processor, and Stripe through its stand-in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from billing.models import Invoice, Payment, PaymentMethod, PaymentStatus, StripeCustomer
from billing.processor import ChargeDeclined, TestPaymentProcessor, get_payment_processor
from billing.services.payment_methods import add_payment_method
from billing.services.payments import complete_payment, pay_invoice
from billing.stripe_processor import StripePaymentProcessor
from portal.api_errors import ApplicationError
from tests.billing.stripe_standin import RunningStandIn, StripeStandIn
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

# What a customer's card turns into before it reaches the portal, by adapter.
TEST_TOKENS = {"visa": "tok_visa", "no_funds": "tok_visa_insufficient_funds"}
STRIPE_NUMBERS = {
    "visa": "4242424242424242",
    "no_funds": "4000000000009995",
    "authentication": "4000002760003184",
}


@pytest.fixture
def standin(settings) -> Iterator[StripeStandIn]:
    with RunningStandIn() as running:
        settings.PAYMENT_PROCESSOR = "stripe"
        settings.STRIPE_SECRET_KEY = "sk_test_standin"
        settings.STRIPE_API_BASE = running.base_url
        settings.STRIPE_TIMEOUT_SECONDS = 0.5
        yield running


@pytest.fixture(params=["test", "stripe"])
def token_for(request) -> Iterator[Callable[[str], str]]:
    """A function giving the token the processor's own widget returns for a kind of card."""
    TestPaymentProcessor.ledger.clear()
    if request.param == "test":
        yield TEST_TOKENS.__getitem__
    else:
        standin = request.getfixturevalue("standin")
        yield lambda kind: standin.create_payment_method(STRIPE_NUMBERS[kind])
    TestPaymentProcessor.ledger.clear()


@pytest.fixture
def invoice(customer):
    return InvoiceFactory(customer=customer, total=Decimal("6930"), tax=Decimal("630"))


def _pay(customer, invoice, key: str | None = None) -> Payment:
    return pay_invoice(
        customer=customer, invoice_id=invoice.pk, idempotency_key=key or str(uuid.uuid4())
    )


def test_a_card_is_saved_with_its_brand_and_last_four_and_adding_it_again_adds_nothing(
    customer, token_for
):
    token = token_for("visa")
    first = add_payment_method(customer=customer, token=token)
    again = add_payment_method(customer=customer, token=token)
    assert first.created and not again.created
    assert again.payment_method == first.payment_method
    method = PaymentMethod.objects.get(customer=customer)
    assert (method.brand, method.last4, method.is_default) == ("Visa", "4242", True)


def test_paying_an_invoice_charges_once_and_the_same_key_again_charges_nothing(
    customer, invoice, token_for
):
    add_payment_method(customer=customer, token=token_for("visa"))
    payment = _pay(customer, invoice, key="pay-once")
    again = _pay(customer, invoice, key="pay-once")
    assert again == payment
    assert payment.status == PaymentStatus.SUCCEEDED
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    processor = get_payment_processor()
    if isinstance(processor, TestPaymentProcessor):
        assert len(processor.ledger) == 1
    else:
        assert payment.processor_reference.startswith("pi_")


def test_a_declined_card_is_payment_declined_and_the_invoice_stays_unpaid(
    customer, invoice, token_for
):
    add_payment_method(customer=customer, token=token_for("no_funds"))
    with pytest.raises(ApplicationError) as declined:
        _pay(customer, invoice)
    assert declined.value.code == "payment_declined"
    assert "insufficient funds" in declined.value.message
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"
    assert Payment.objects.get(invoice=invoice).status == PaymentStatus.FAILED


def test_a_card_number_sent_as_a_token_is_refused_and_never_reaches_stripe(customer, standin):
    with pytest.raises(ApplicationError) as refused:
        add_payment_method(customer=customer, token="4242 4242 4242 4242")
    assert "Card numbers are never sent to us" in refused.value.message
    assert standin.calls == []
    assert not PaymentMethod.objects.exists()


def test_one_stripe_customer_is_made_per_portal_customer_however_many_cards(
    customer, other_customer, standin
):
    add_payment_method(customer=customer, token=standin.create_payment_method("4242424242424242"))
    add_payment_method(customer=customer, token=standin.create_payment_method("5555555555554444"))
    add_payment_method(
        customer=other_customer, token=standin.create_payment_method("3566002020360505")
    )
    created = standin.calls_to("POST", "/v1/customers")
    assert [call.idempotency_key for call in created] == [
        f"customer:customer-{customer.pk}",
        f"customer:customer-{other_customer.pk}",
    ]
    mine = StripeCustomer.objects.get(customer_reference=f"customer-{customer.pk}")
    attached = {m["customer"] for m in standin.of_type("payment_method") if m["customer"]}
    assert mine.stripe_id in attached and len(attached) == 2


def test_a_stripe_customer_lost_before_it_was_stored_is_the_same_one_next_time(customer, standin):
    processor = StripePaymentProcessor()
    reference = f"customer-{customer.pk}"
    first = processor.stripe_customer_id(customer_reference=reference)
    StripeCustomer.objects.all().delete()  # as if the process died before committing
    assert processor.stripe_customer_id(customer_reference=reference) == first
    assert len(standin.of_type("customer")) == 1


def test_the_charge_carries_an_idempotency_key_derived_from_ours(customer, invoice, standin):
    add_payment_method(customer=customer, token=standin.create_payment_method("4242424242424242"))
    payment = _pay(customer, invoice)
    [created] = standin.calls_to("POST", "/v1/payment_intents")
    assert created.idempotency_key == f"charge:payment-{payment.pk}"
    assert created.params["amount"] == "6930" and created.params["currency"] == "jpy"
    assert "off_session" not in created.params


def test_a_card_that_asks_for_authentication_is_payment_declined_with_what_to_do(
    customer, invoice, standin
):
    add_payment_method(customer=customer, token=standin.create_payment_method("4000002760003184"))
    with pytest.raises(ApplicationError) as declined:
        _pay(customer, invoice)
    assert declined.value.code == "payment_declined"
    assert "confirm this payment yourself" in declined.value.message
    assert Payment.objects.get(invoice=invoice).failure_code == "authentication_required"


def test_an_off_session_charge_that_needs_authentication_is_declined_as_such(customer, standin):
    added = add_payment_method(
        customer=customer, token=standin.create_payment_method("4000002760003184")
    )
    with pytest.raises(ChargeDeclined) as declined:
        StripePaymentProcessor().charge(
            reference=added.payment_method.processor_reference,
            amount=Decimal("1000"),
            currency="JPY",
            idempotency_key="auto-1",
            off_session=True,
        )
    assert declined.value.code == "authentication_required"
    [created] = standin.calls_to("POST", "/v1/payment_intents")
    assert created.params["off_session"] == "true"


def test_the_stand_in_declining_every_charge_is_payment_declined(customer, invoice, standin):
    add_payment_method(customer=customer, token=standin.create_payment_method("4242424242424242"))
    standin.mode = "decline"
    with pytest.raises(ApplicationError) as declined:
        _pay(customer, invoice)
    assert declined.value.code == "payment_declined"


def test_a_charge_whose_answer_is_lost_stays_pending_and_is_finished_without_a_second_charge(
    customer, invoice, standin
):
    add_payment_method(customer=customer, token=standin.create_payment_method("4242424242424242"))
    standin.mode = "timeout"
    with pytest.raises(ApplicationError) as unavailable:
        _pay(customer, invoice)
    assert unavailable.value.code == "billing_unavailable"
    payment = Payment.objects.get(invoice=invoice)
    assert payment.status == PaymentStatus.PENDING
    standin.mode = ""
    finished = complete_payment(payment_id=payment.pk)
    assert finished.status == PaymentStatus.SUCCEEDED
    assert len(standin.of_type("payment_intent")) == 1
    assert {c.idempotency_key for c in standin.calls_to("POST", "/v1/payment_intents")} == {
        f"charge:payment-{payment.pk}"
    }


def test_a_refund_is_made_once_per_key_against_the_payment_intent(customer, invoice, standin):
    add_payment_method(customer=customer, token=standin.create_payment_method("4242424242424242"))
    payment = _pay(customer, invoice)
    processor = StripePaymentProcessor()
    refunds = [
        processor.refund(
            charge_reference=payment.processor_reference,
            amount=Decimal("2000"),
            idempotency_key="refund-7",
        )
        for _ in range(2)
    ]
    assert refunds[0] == refunds[1]
    assert refunds[0].amount == Decimal("2000") and refunds[0].reference.startswith("re_")
    assert len(standin.of_type("refund")) == 1


def test_removing_a_card_detaches_it_at_stripe(customer, standin):
    added = add_payment_method(
        customer=customer, token=standin.create_payment_method("4242424242424242")
    )
    processor = StripePaymentProcessor()
    processor.detach(reference=added.payment_method.processor_reference)
    processor.detach(reference=added.payment_method.processor_reference)  # harmless again
    assert standin.objects[added.payment_method.processor_reference]["customer"] is None


def test_a_card_saved_on_stripes_hosted_checkout_page_is_added_to_the_portal(
    browser_client, customer, standin
):
    add = "/account/billing/payment-methods/add"
    response = browser_client.get(add)
    assert response.status_code == 302
    checkout = response["Location"]
    assert checkout.startswith(f"{standin.base_url}/checkout/cs_")
    [session_call] = standin.calls_to("POST", "/v1/checkout/sessions")
    assert session_call.params["mode"] == "setup"
    page = requests.get(checkout, timeout=5)
    assert 'name="number"' in page.text
    typed = requests.post(
        checkout, data={"number": "4242 4242 4242 4242"}, allow_redirects=False, timeout=5
    )
    back = urlsplit(typed.headers["Location"])
    assert back.path == add
    assert parse_qs(back.query)["token"][0].startswith("cs_")
    added = browser_client.get(f"{back.path}?{back.query}")
    assert added.status_code == 302
    method = PaymentMethod.objects.get(customer=customer)
    assert (method.brand, method.last4) == ("Visa", "4242")
    assert method.processor_reference.startswith("pm_")
    # The portal saw Stripe's ids only; the number went to the stand-in's page alone.
    for call in standin.calls:
        assert "4242424242424242" not in str(call.params)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_apps_add_a_stripe_payment_method_id_and_a_decline_reads_in_their_language(
    api, customer, standin, language
):
    customer.language = language
    customer.save(update_fields=["language"])
    token = standin.create_payment_method("4000000000009995")
    added = api.post("/api/payment-methods", {"token": token}, format="json")
    assert added.status_code == 201
    assert added.json()["last4"] == "9995"
    invoice: Invoice = InvoiceFactory(customer=customer, total=Decimal("6930"))  # type: ignore[assignment]
    paid = api.post(
        f"/api/invoices/{invoice.pk}/payments",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert paid.status_code == 402
    error = paid.json()["error"]
    assert error["code"] == "payment_declined"
    expected = "insufficient funds" if language == "en" else "残高不足"
    assert expected in error["message"]
