"""The Stripe adapter of the payment processor port, through Stripe's own library.

Cards are typed on Stripe's hosted Checkout page (setup mode) or in the apps' Stripe SDK; the
portal only ever sees Stripe's ids. Every write carries an idempotency key derived from ours,
so a retried call (the library retries network failures itself) is never made twice.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.models import PaymentMethodType, StripeCustomer
from billing.processor import (
    ChargeDeclined,
    ProcessorCharge,
    ProcessorPaymentMethod,
    ProcessorRefund,
    TokenRefused,
)
from portal.locks import advisory_xact_lock

# Stripe's card brands as the portal names them (ours are shown to customers).
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "jcb": "JCB",
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "unionpay": "UnionPay",
}

# Currencies whose smallest unit is the unit itself (Stripe's "zero-decimal" currencies).
ZERO_DECIMAL = {"jpy", "krw", "vnd"}

# What a customer reads when Stripe declines, by Stripe's code (decline_code first).
DECLINE_MESSAGES: dict[str, str | Promise] = {
    "insufficient_funds": _("The card was declined (insufficient funds). Try another card."),
    "expired_card": _("This card has expired. Choose another payment method or add a new card."),
    "authentication_required": _(
        "Your card issuer asks you to confirm this payment yourself. Pay the invoice from "
        "its page, or choose another card."
    ),
}
DECLINED = _("The card was declined. Try another card or contact your card issuer.")


def minor_units(amount: Decimal, currency: str) -> int:
    """The amount in the currency's smallest unit, as Stripe counts it."""
    if currency.lower() in ZERO_DECIMAL:
        return int(amount)
    return int((amount * 100).to_integral_value())


def _decline(code: str) -> ChargeDeclined:
    return ChargeDeclined(code or "card_declined", DECLINE_MESSAGES.get(code, DECLINED))


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


class StripePaymentProcessor:
    """PAYMENT_PROCESSOR=stripe: a Stripe customer per portal customer, PaymentIntents."""

    test_tokens: dict[str, str | Promise] = {}

    def __init__(self) -> None:
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
            max_network_retries=1,
        )

    # The customer at Stripe.

    def stripe_customer_id(self, *, customer_reference: str) -> str:
        """The Stripe customer of this portal customer, created on first use, exactly once.

        The row is the lasting truth; the lock makes concurrent first uses wait for the one
        that creates it, and the idempotency key makes a second process that got past the lock
        (a crash after Stripe answered, before we stored it) receive the same customer.
        """
        known = StripeCustomer.objects.filter(customer_reference=customer_reference).first()
        if known is not None:
            return known.stripe_id
        with transaction.atomic():
            advisory_xact_lock("billing.stripe_customer", customer_reference)
            known = StripeCustomer.objects.filter(customer_reference=customer_reference).first()
            if known is not None:
                return known.stripe_id
            created = self.client.v1.customers.create(
                params={"metadata": {"portal_customer": customer_reference}},
                options={"idempotency_key": f"customer:{customer_reference}"},
            )
            try:
                with transaction.atomic():
                    StripeCustomer.objects.create(
                        customer_reference=customer_reference, stripe_id=created.id
                    )
            except IntegrityError:
                pass  # stored meanwhile by another process: the same customer, by the key
        return StripeCustomer.objects.get(customer_reference=customer_reference).stripe_id

    # Cards.

    def card_form_url(self, *, return_url: str, state: str) -> str:
        # Stripe replaces {CHECKOUT_SESSION_ID}; attach() takes the session's id as the token.
        session = self.client.v1.checkout.sessions.create(
            params={  # type: ignore[arg-type]
                "mode": "setup",
                "currency": "jpy",
                "payment_method_types": ["card"],
                "success_url": _with_query(
                    return_url, f"state={state}&token={{CHECKOUT_SESSION_ID}}"
                ),
                "cancel_url": _with_query(return_url, f"state={state}&cancelled=1"),
            },
            options={"idempotency_key": f"checkout:{state}"},
        )
        return str(session.url)

    def _payment_method_id(self, token: str) -> str:
        if token.replace(" ", "").replace("-", "").isdigit():
            raise TokenRefused(
                _(
                    "Card numbers are never sent to us. Send the token that the payment "
                    "processor's library returned for the card."
                )
            )
        if token.startswith("cs_"):
            try:
                session = self.client.v1.checkout.sessions.retrieve(
                    token, params={"expand": ["setup_intent"]}
                )
            except stripe.InvalidRequestError as error:
                raise TokenRefused(_unrecognised()) from error
            setup_intent: Any = session.setup_intent
            if session.status != "complete" or not setup_intent:
                raise TokenRefused(_unrecognised())
            method = setup_intent.payment_method
            return str(method if isinstance(method, str) else method.id)
        if token.startswith("pm_"):
            return token
        raise TokenRefused(_unrecognised())

    def attach(self, *, token: str, customer_reference: str) -> ProcessorPaymentMethod:
        method_id = self._payment_method_id(token)
        customer_id = self.stripe_customer_id(customer_reference=customer_reference)
        try:
            method = self.client.v1.payment_methods.attach(
                method_id,
                params={"customer": customer_id},
                options={"idempotency_key": f"attach:{customer_reference}:{method_id}"},
            )
        except stripe.CardError as error:
            raise TokenRefused(_decline(str(error.code or "")).message) from error
        except stripe.InvalidRequestError as error:
            raise TokenRefused(_unrecognised()) from error
        card: Any = method.card
        if method.type != "card" or card is None:
            raise TokenRefused(_("Only cards can be saved here. Add a card."))
        return ProcessorPaymentMethod(
            reference=method.id,
            type=PaymentMethodType.CARD,
            brand=BRANDS.get(card.brand, str(card.brand).title()),
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def detach(self, *, reference: str) -> None:
        # Unknown or already detached: nothing left to forget.
        with contextlib.suppress(stripe.InvalidRequestError):
            self.client.v1.payment_methods.detach(reference)

    # Money.

    def charge(
        self,
        *,
        reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        off_session: bool = False,
    ) -> ProcessorCharge:
        method = self.client.v1.payment_methods.retrieve(reference)
        params: dict[str, Any] = {
            "amount": minor_units(amount, currency),
            "currency": currency.lower(),
            "payment_method": reference,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"portal_key": idempotency_key},
        }
        if method.customer:
            params["customer"] = (
                method.customer if isinstance(method.customer, str) else method.customer.id
            )
        if off_session:
            params["off_session"] = True
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"charge:{idempotency_key}"},
            )
        except stripe.CardError as error:
            raw: Any = error.error
            decline_code = getattr(raw, "decline_code", None) if raw is not None else None
            raise _decline(str(decline_code or error.code or "")) from error
        if intent.status == "succeeded":
            return ProcessorCharge(reference=intent.id, amount=amount, currency=currency)
        if intent.status == "requires_action":
            raise _decline("authentication_required")
        if intent.status in ("requires_payment_method", "canceled"):
            raise _decline("card_declined")
        # "processing": not known yet; the payment stays pending and is finished later.
        raise RuntimeError(f"Stripe PaymentIntent {intent.id} is {intent.status}")

    def refund(
        self, *, charge_reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorRefund:
        # The portal bills in yen (JPY, zero-decimal): the amount goes as it is.
        made = self.client.v1.refunds.create(
            params={"payment_intent": charge_reference, "amount": minor_units(amount, "jpy")},
            options={"idempotency_key": f"refund:{idempotency_key}"},
        )
        return ProcessorRefund(reference=made.id, amount=Decimal(made.amount))


def _unrecognised() -> str | Promise:
    return _("The payment processor did not recognise this token. Add the card again.")
