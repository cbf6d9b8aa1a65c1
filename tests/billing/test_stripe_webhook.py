"""POST /api/integrations/stripe/webhook: signed by Stripe, each event handled once, any order."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from billing.models import Invoice, Payment, PaymentStatus, ProcessorEvent
from billing.services.payment_methods import add_payment_method
from billing.services.payments import complete_payment, pay_invoice
from notifications.models import Notification
from portal.api_errors import ApplicationError
from tests.billing.stripe_standin import RunningStandIn, StripeStandIn, signed_event
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/integrations/stripe/webhook"
SECRET = "whsec_standin_0123456789"


@pytest.fixture
def standin(settings) -> Iterator[StripeStandIn]:
    with RunningStandIn() as running:
        settings.PAYMENT_PROCESSOR = "stripe"
        settings.STRIPE_SECRET_KEY = "sk_test_standin"
        settings.STRIPE_API_BASE = running.base_url
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        settings.STRIPE_TIMEOUT_SECONDS = 0.5
        yield running


def _send(client, event_type, obj, *, event_id="evt_1", secret=SECRET):
    body, signature = signed_event(event_type, obj, secret=secret, event_id=event_id)
    return client.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def _pending_payment(customer, standin) -> Payment:
    """A charge Stripe made whose answer never came back: our payment is still pending."""
    add_payment_method(customer=customer, token=standin.create_payment_method("4242424242424242"))
    invoice: Invoice = InvoiceFactory(customer=customer, total=Decimal("6930"))  # type: ignore[assignment]
    standin.mode = "timeout"
    with pytest.raises(ApplicationError):
        pay_invoice(customer=customer, invoice_id=invoice.pk, idempotency_key=str(uuid.uuid4()))
    standin.mode = ""
    return Payment.objects.get(invoice=invoice)


def test_an_event_with_a_wrong_signature_is_400_and_changes_nothing(client, standin):
    response = _send(client, "payment_intent.succeeded", {"id": "pi_x"}, secret="whsec_other")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    unsigned = client.post(WEBHOOK, data=b"{}", content_type="application/json")
    assert unsigned.status_code == 400
    assert not ProcessorEvent.objects.exists()


def test_a_success_event_before_our_own_answer_pays_the_invoice_once(client, customer, standin):
    payment = _pending_payment(customer, standin)
    [intent] = standin.of_type("payment_intent")
    assert _send(client, "payment_intent.succeeded", intent).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.processor_reference == intent["id"]
    assert Invoice.objects.get(pk=payment.invoice_id).status == "paid"
    # Our own finish comes later and finds it done; nothing is charged again.
    assert complete_payment(payment_id=payment.pk).status == PaymentStatus.SUCCEEDED
    assert len(standin.of_type("payment_intent")) == 1
    assert Notification.objects.filter(type="PAYMENT_RECEIVED").count() == 1


def test_a_replayed_event_is_200_and_changes_nothing(client, customer, standin):
    payment = _pending_payment(customer, standin)
    [intent] = standin.of_type("payment_intent")
    assert _send(client, "payment_intent.succeeded", intent).status_code == 200
    calls = len(standin.calls)
    replay = _send(client, "payment_intent.succeeded", intent)
    assert replay.status_code == 200 and replay.json() == {"received": True}
    assert len(standin.calls) == calls
    assert ProcessorEvent.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert Notification.objects.filter(type="PAYMENT_RECEIVED").count() == 1


def test_an_event_about_a_payment_intent_that_is_not_ours_is_recorded_and_ignored(client, standin):
    response = _send(client, "payment_intent.succeeded", {"id": "pi_other", "metadata": {}})
    assert response.status_code == 200
    assert ProcessorEvent.objects.get().type == "payment_intent.succeeded"
    assert standin.calls == []
