"""Every notification type the portal sends: its copy, link, source, expiry and dedupe window.

This is the one place that says what a notification looks like; `services.notify()`
renders an entry at creation time in the recipient's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from portal.formats import format_money

DEFAULT_EXPIRY = timedelta(days=30)
ONE_HOUR = timedelta(hours=1)
ONE_DAY = timedelta(hours=24)


class UnknownNotificationType(LookupError):
    pass


class MissingPlaceholder(KeyError):
    pass


@dataclass(frozen=True)
class Money:
    """An amount placed in customer-facing copy; it is written out in the active language."""

    amount: Decimal
    currency: str = "JPY"

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def _localize(value: Any) -> Any:
    """Dates read the way the recipient's language writes them (Nov. 30, 2026 / 2026年11月30日)."""
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return value


@dataclass(frozen=True)
class Rendered:
    title: str
    message: str
    action_url: str
    action_label: str


@dataclass(frozen=True)
class NotificationTemplate:
    type: str
    title: str | Promise
    message: str | Promise
    action_url: str
    action_label: str | Promise
    source: str
    dedupe_window: timedelta = ONE_HOUR
    expiry: timedelta = DEFAULT_EXPIRY

    def check_context(self, context: dict[str, Any]) -> None:
        """Fail at the call site when a placeholder has no value, before anything is stored."""
        self.render(context, language="en")

    def render(self, context: dict[str, Any], *, language: str) -> Rendered:
        with override(language):
            values = {key: _localize(value) for key, value in context.items()}
            try:
                return Rendered(
                    title=str(self.title) % values,
                    message=str(self.message) % values,
                    action_url=self.action_url % context,
                    action_label=str(self.action_label),
                )
            except KeyError as missing:
                raise MissingPlaceholder(
                    f"{self.type} needs a value for {missing.args[0]!r} in its context"
                ) from None


_TEMPLATES = [
    NotificationTemplate(
        type="ELIGIBILITY_ELIGIBLE",
        title=_("Internet is available at your address"),
        message=_(
            "Good news: our internet service is available at %(address)s. You can now order an internet plan."
        ),
        action_url="/account/orders/new",
        action_label=_("Order internet"),
        source="eligibility",
    ),
    NotificationTemplate(
        type="ELIGIBILITY_INELIGIBLE",
        title=_("Internet is not available at your address"),
        message=_("We checked %(address)s: our internet service cannot reach it yet."),
        action_url="/account/eligibility",
        action_label=_("See details"),
        source="eligibility",
    ),
    NotificationTemplate(
        type="VERIFICATION_VERIFIED",
        title=_("Your residence card is verified"),
        message=_("Thank you. Your identity is verified, so you can now order a SIM."),
        action_url="/account/orders/new",
        action_label=_("Order a SIM"),
        source="verification",
    ),
    NotificationTemplate(
        type="VERIFICATION_REJECTED",
        title=_("We could not verify your residence card"),
        message=_("%(reason)s Please upload your residence card again."),
        action_url="/account/verification",
        action_label=_("Upload again"),
        source="verification",
    ),
    NotificationTemplate(
        type="ORDER_APPROVED",
        title=_("Your order was approved"),
        message=_("Order %(order_number)s (%(plan_name)s) was approved and is being set up."),
        action_url="/account/orders/%(order_id)s",
        action_label=_("View order"),
        source="order",
    ),
    NotificationTemplate(
        type="ORDER_ACTIVATED",
        title=_("Your order is active"),
        message=_("Order %(order_number)s (%(plan_name)s) is now active."),
        action_url="/account/orders/%(order_id)s",
        action_label=_("View order"),
        source="order",
    ),
    NotificationTemplate(
        type="ORDER_FAILED",
        title=_("Your order could not be completed"),
        message=_("Order %(order_number)s (%(plan_name)s) could not be completed: %(reason)s"),
        action_url="/account/orders/%(order_id)s",
        action_label=_("View order"),
        source="order",
    ),
    NotificationTemplate(
        type="CANCELLATION_SCHEDULED",
        title=_("Cancellation scheduled"),
        message=_("%(plan_name)s will end on %(effective_on)s. We will confirm when it is done."),
        action_url="/account/services/%(subscription_id)s",
        action_label=_("View service"),
        source="cancellation",
    ),
    NotificationTemplate(
        type="INVOICE_DUE",
        title=_("Invoice %(invoice_number)s is due"),
        message=_("%(amount)s, due on %(due_date)s."),
        action_url="/account/billing/invoices/%(invoice_id)s",
        action_label=_("View invoice"),
        source="invoice",
        dedupe_window=ONE_DAY,
    ),
    NotificationTemplate(
        type="PAYMENT_METHOD_EXPIRING",
        title=_("Your card is expiring"),
        message=_(
            "Your %(brand)s card ending in %(last4)s expires at the end of %(expiry)s. Add a new card to avoid interruptions."
        ),
        action_url="/account/billing/payment-methods",
        action_label=_("Update payment method"),
        source="payment_method",
        dedupe_window=ONE_DAY,
    ),
    NotificationTemplate(
        type="SYSTEM_ANNOUNCEMENT",
        title="%(title)s",
        message="%(message)s",
        action_url="/account/notifications",
        action_label=_("Read more"),
        source="announcement",
        dedupe_window=ONE_DAY,
    ),
]

CATALOG: dict[str, NotificationTemplate] = {template.type: template for template in _TEMPLATES}
TYPES = tuple(CATALOG)


def get_template(type: str) -> NotificationTemplate:
    try:
        return CATALOG[type]
    except KeyError:
        raise UnknownNotificationType(f"{type!r} is not in the notification catalog") from None


REMINDER_TYPES = frozenset({"INVOICE_DUE", "PAYMENT_METHOD_EXPIRING", "RESIDENCE_CARD_EXPIRING"})
