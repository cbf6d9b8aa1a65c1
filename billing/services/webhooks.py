"""Stripe's webhook events: verified by the library's signature check, each handled once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Payment, ProcessorEvent
from billing.services.payments import complete_payment
from portal.api_errors import ApplicationError

logger = logging.getLogger(__name__)

# Events that settle a card payment we started: finished through the same service as the page.
PAYMENT_EVENTS = {"payment_intent.succeeded", "payment_intent.payment_failed"}


def receive_stripe_event(
    *, payload: bytes, signature: str | None, now: datetime | None = None
) -> bool:
    """Verify and handle one event; False when it was handled before (a replay changes nothing).

    The event is recorded in the transaction that handles it, so a failure records nothing
    and Stripe's own retry handles it again.
    """
    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8", "replace"), signature or "", settings.STRIPE_WEBHOOK_SECRET
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        message = _("The Stripe signature is missing or wrong.")
        raise ApplicationError(
            "validation_error", message, fields={"Stripe-Signature": [message]}
        ) from error
    now = now or timezone.now()
    with transaction.atomic():
        _event, created = ProcessorEvent.objects.get_or_create(
            event_id=str(event.id), defaults={"type": str(event.type)[:100], "received_at": now}
        )
        if not created:
            return False
        if event.type in PAYMENT_EVENTS:
            _settle_payment(intent=event.data.object.to_dict(), now=now)
    return True


def _settle_payment(*, intent: dict[str, Any], now: datetime) -> None:
    # Our charge sends "payment-<id>" as the PaymentIntent's portal_key: whichever comes first,
    # this event or Stripe's answer to the charge, finishes the payment with the same key.
    metadata = intent.get("metadata") or {}
    key = str(metadata.get("portal_key", ""))
    payment_id = key.removeprefix("payment-")
    if not key.startswith("payment-") or not payment_id.isdigit():
        logger.info("Stripe PaymentIntent %s is not one of our payments", intent.get("id"))
        return
    if not Payment.objects.filter(pk=int(payment_id)).exists():
        return
    complete_payment(payment_id=int(payment_id), now=now)
