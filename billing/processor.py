"""The payment processor port: exchanges a processor token for what we may store about a card.

Card numbers and security codes go from the customer's browser or app straight to the
processor, whose client library hands back a single-use token. We exchange that token for
the brand, the last four digits, the expiry and the processor's reference, and keep only
those. settings.PAYMENT_PROCESSOR names the adapter (PAYMENT_PROCESSORS); the default,
`test` (TestPaymentProcessor), runs in-process and accepts the test tokens documented in
docs/decisions.md, and with DEBUG off only where PAYMENT_PROCESSOR_ALLOW_TEST says so.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from billing.models import PaymentMethodType
from portal.dates import add_months, tokyo_today


@dataclass(frozen=True)
class ProcessorPaymentMethod:
    """A payment method as the processor describes it: never a card number."""

    reference: str
    type: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


class TokenRefused(Exception):
    """The processor will not accept the token; the message is meant for the customer."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class ProcessorCharge:
    reference: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class ProcessorRefund:
    reference: str
    amount: Decimal


class ChargeDeclined(Exception):
    """The processor refused the charge; the message is meant for the customer."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)


class PaymentProcessor(Protocol):
    # Tokens the adapter accepts without a client library (token -> description), shown on
    # the add form. Empty for a real processor, whose own widget produces the token.
    test_tokens: Mapping[str, str | Promise]

    def card_form_url(self, *, return_url: str, state: str) -> str:
        """Where the customer types their card: the processor's own page, never ours.

        It sends the browser back to `return_url` with `token` (what `attach` takes) and the
        `state` it was given, or with `cancelled=1` and the state when the customer gives up.
        """
        ...

    def attach(self, *, token: str, customer_reference: str) -> ProcessorPaymentMethod:
        """Store the token's payment method for this customer at the processor.

        Raises TokenRefused. Must give the same answer for the same token and customer, so
        a retried or double-submitted add is harmless: a real adapter sends an idempotency
        key built from both.
        """
        ...

    def detach(self, *, reference: str) -> None:
        """Forget a payment method at the processor; an unknown reference is not an error."""
        ...

    def charge(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ProcessorCharge:
        """Charge a stored payment method. Raises ChargeDeclined.

        The same idempotency key always gives the same charge: a charge retried after a
        crash or a lost answer is never made twice. Any other exception means "unknown":
        the payment stays pending and is finished later with the same key.
        """
        ...

    def refund(
        self, *, charge_reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorRefund:
        """Give back `amount` (in the charge's currency) of a charge.

        The same idempotency key always gives the same refund, so a refund retried after a
        crash or a double click is made once. Any exception means nothing is known to be
        refunded: the caller records nothing and may try again with the same key.
        """
        ...


@dataclass(frozen=True)
class TestCard:
    __test__ = False  # not a pytest test class

    token: str
    description: str | Promise
    type: str = PaymentMethodType.CARD
    brand: str = ""
    last4: str = ""
    # Months from the current month to the expiry month; None for a bank account.
    expires_in_months: int | None = 36
    # Set for tokens the test processor refuses, as a real one would.
    refusal: str | Promise = ""
    # Set for cards that are stored fine but whose charges the issuer declines.
    declines_charges: bool = False
    # The test card number that the processor's hosted card form turns into this token.
    number: str = ""


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard(
        "tok_visa",
        _("Visa ending in 4242"),
        brand="Visa",
        last4="4242",
        number="4242424242424242",
    ),
    TestCard(
        "tok_mastercard",
        _("Mastercard ending in 4444"),
        brand="Mastercard",
        last4="4444",
        number="5555555555554444",
    ),
    TestCard(
        "tok_jcb",
        _("JCB ending in 0505"),
        brand="JCB",
        last4="0505",
        number="3566002020360505",
    ),
    TestCard(
        "tok_amex",
        _("American Express ending in 0005"),
        brand="American Express",
        last4="0005",
        number="378282246310005",
    ),
    TestCard(
        "tok_visa_expiring",
        _("Visa ending in 5556, expiring at the end of this month"),
        brand="Visa",
        last4="5556",
        expires_in_months=0,
        number="4000000000005556",
    ),
    TestCard(
        "tok_bank_account",
        _("Japan Post Bank account ending in 7890 (direct debit)"),
        type=PaymentMethodType.BANK_ACCOUNT,
        brand="Japan Post Bank",
        last4="7890",
        expires_in_months=None,
    ),
    TestCard(
        "tok_visa_insufficient_funds",
        _("Visa ending in 9995: stored, but every charge is declined (insufficient funds)"),
        brand="Visa",
        last4="9995",
        declines_charges=True,
        number="4000000000009995",
    ),
    TestCard(
        "tok_visa_expired",
        _("Visa that expired last month (refused)"),
        brand="Visa",
        last4="0069",
        expires_in_months=-1,
        number="4000000000000069",
        refusal=_("This card has expired. Add a card that is still valid."),
    ),
    TestCard(
        "tok_card_declined",
        _("A card the issuer declines (refused)"),
        brand="Visa",
        last4="0002",
        number="4000000000000002",
        refusal=_("The card was declined. Try another card or contact your card issuer."),
    ),
)


DECLINING_PREFIX = "pm_test_nofunds_"

# The hosted card form: card number (digits only) -> the token it returns.
TEST_CARD_NUMBERS: Mapping[str, TestCard] = {
    card.number: card for card in TEST_CARDS if card.number
}


def tokenize_test_card(number: str) -> str | None:
    """What the test processor's card form returns for a card number: a test token, or None.

    Spaces and dashes are what people type between the groups; anything else is not a card.
    """
    digits = number.replace(" ", "").replace("-", "")
    card = TEST_CARD_NUMBERS.get(digits)
    return card.token if card is not None else None


# A token from the hosted card form carries the expiry typed there: "tok_visa_exp0829".
EXPIRY_IN_TOKEN = re.compile(r"^(?P<token>tok_[a-z0-9_]+?)_exp(?P<month>\d{2})(?P<year>\d{2})$")


def with_expiry(token: str, *, month: int, year: int) -> str:
    """The token of a test card with the expiry the customer typed (MM/YY)."""
    return f"{token}_exp{month:02d}{year % 100:02d}"


class TestPaymentProcessor:
    """A local processor for development, demos and tests: no network, fixed test tokens.

    The same token added by two customers gives two references, and by one customer
    twice the same reference, like a real processor called with an idempotency key.
    """

    __test__ = False  # not a pytest test class

    cards: Mapping[str, TestCard] = {card.token: card for card in TEST_CARDS}
    test_tokens: Mapping[str, str | Promise] = {card.token: card.description for card in TEST_CARDS}

    def card_form_url(self, *, return_url: str, state: str) -> str:
        # Served by this project under /test-processor/, as a real processor serves its own.
        query = urlencode({"return_to": return_url, "state": state})
        return f"{reverse('test-processor-card')}?{query}"

    def attach(self, *, token: str, customer_reference: str) -> ProcessorPaymentMethod:
        typed = EXPIRY_IN_TOKEN.match(token)
        card = self.cards.get(typed["token"] if typed else token)
        if card is None:
            if token.replace(" ", "").replace("-", "").isdigit():
                # Someone sent a card number: refuse it without echoing or logging it.
                raise TokenRefused(
                    _(
                        "Card numbers are never sent to us. Send the token that the payment "
                        "processor's library returned for the card."
                    )
                )
            raise TokenRefused(
                _("The payment processor did not recognise this token. Add the card again.")
            )
        if card.refusal:
            raise TokenRefused(card.refusal)
        exp_year = exp_month = None
        today = tokyo_today()
        if typed is not None and card.expires_in_months is not None:
            exp_month, exp_year = int(typed["month"]), 2000 + int(typed["year"])
            if not 1 <= exp_month <= 12:
                raise TokenRefused(_("The payment processor did not recognise this token."))
            if (exp_year, exp_month) < (today.year, today.month):
                raise TokenRefused(_("This card has expired. Add a card that is still valid."))
        elif card.expires_in_months is not None:
            exp_year, exp_month = add_months(today.year, today.month, card.expires_in_months)
        digest = hashlib.sha256(f"{customer_reference}|{token}".encode()).hexdigest()
        # The test processor keeps no state: the reference itself says how charges go.
        prefix = DECLINING_PREFIX if card.declines_charges else "pm_test_"
        return ProcessorPaymentMethod(
            reference=f"{prefix}{digest[:24]}",
            type=card.type,
            brand=card.brand,
            last4=card.last4,
            exp_month=exp_month,
            exp_year=exp_year,
        )

    def detach(self, *, reference: str) -> None:
        """Nothing is stored on the test processor's side, so there is nothing to forget."""

    # The charges made, by idempotency key: the processor's own ledger, shared by every
    # instance in this process, so tests can count what was charged.
    ledger: dict[str, ProcessorCharge] = {}
    _ledger_lock = threading.Lock()

    def charge(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ProcessorCharge:
        with self._ledger_lock:
            existing = self.ledger.get(idempotency_key)
            if existing is not None:
                return existing
            if reference.startswith(DECLINING_PREFIX):
                raise ChargeDeclined(
                    "insufficient_funds",
                    _("The card was declined (insufficient funds). Try another card."),
                )
            digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            made = ProcessorCharge(
                reference=f"ch_test_{digest[:24]}", amount=amount, currency=currency
            )
            self.ledger[idempotency_key] = made
            return made

    # The refunds made, by idempotency key (the processor's own ledger, as for charges).
    refunds: dict[str, ProcessorRefund] = {}

    def refund(
        self, *, charge_reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorRefund:
        with self._ledger_lock:
            existing = self.refunds.get(idempotency_key)
            if existing is not None:
                return existing
            if amount <= 0:
                raise ValueError("A refund is of a positive amount.")
            digest = hashlib.sha256(f"{charge_reference}|{idempotency_key}".encode()).hexdigest()
            made = ProcessorRefund(reference=f"re_test_{digest[:24]}", amount=amount)
            self.refunds[idempotency_key] = made
            return made


# The adapters by the name settings.PAYMENT_PROCESSOR gives. A real processor's adapter is a
# class with the methods of PaymentProcessor, added here under its name ("stripe"); until
# then a deployment names its adapter by dotted path.
PAYMENT_PROCESSORS: Mapping[str, str] = {
    "test": "billing.processor.TestPaymentProcessor",
    "stripe": "billing.stripe_processor.StripePaymentProcessor",
}


def allows_test_processor() -> bool:
    """Whether the test processor may take payments here: in development, or when asked for."""
    return bool(settings.DEBUG or settings.PAYMENT_PROCESSOR_ALLOW_TEST)


@cache
def _processor_class(name: str) -> type[PaymentProcessor]:
    path = PAYMENT_PROCESSORS.get(name, name)
    if "." not in path:
        known = ", ".join(sorted(PAYMENT_PROCESSORS))
        raise ImproperlyConfigured(
            f"PAYMENT_PROCESSOR {name!r} is not a processor this portal has ({known}) "
            "nor a dotted path to an adapter class."
        )
    return import_string(path)


def get_payment_processor() -> PaymentProcessor:
    processor = _processor_class(settings.PAYMENT_PROCESSOR)()
    # The settings refuse `test` by name at start-up; this catches an adapter built on it.
    if isinstance(processor, TestPaymentProcessor) and not allows_test_processor():
        raise ImproperlyConfigured(
            "The test payment processor takes test cards as payment: with DEBUG off it needs "
            "PAYMENT_PROCESSOR_ALLOW_TEST=true."
        )
    return processor
