"""Every notification type the portal sends: its copy, link, source, category, severity,
icon and tone, email note, expiry, dedupe window and what it retires.

This is the one place that says what a notification looks like. A notification stores
its type and context; the entry renders it when it is read, in the reader's language.
A new type is an entry here, the code that creates it and its Japanese; a test fails when
one of the three is missing (tests/notifications/test_catalog_completeness.py and
tests/portal/test_i18n_completeness.py).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from portal.formats import format_day, format_day_and_time, format_money
from portal.links import PageLink
from portal.text import Text

DEFAULT_EXPIRY = timedelta(days=30)
ONE_HOUR = timedelta(hours=1)
ONE_DAY = timedelta(hours=24)
# A cancellation notice stays at least this long after its effective date.
AFTER_EFFECTIVE_DATE = timedelta(days=7)


class UnknownNotificationType(LookupError):
    pass


class MissingPlaceholder(KeyError):
    pass


class Category:
    BILLING = "billing"
    ORDERS = "orders"
    SERVICES = "services"
    ACCOUNT = "account"
    ANNOUNCEMENTS = "announcements"


class Severity:
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Tone:
    """The design system's colours (`.tone-*` in static/css/portal.css) for a type's icon."""

    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Money:
    """An amount placed in customer-facing copy; it is written out in the active language."""

    amount: Decimal
    currency: str = "JPY"

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def encode_context(context: dict[str, Any]) -> dict[str, Any]:
    """The context as JSON: dates, amounts and bilingual texts keep their kind for rendering."""
    encoded: dict[str, Any] = {}
    for key, value in context.items():
        if isinstance(value, datetime):
            encoded[key] = {"$datetime": value.isoformat()}
        elif isinstance(value, date):
            encoded[key] = {"$date": value.isoformat()}
        elif isinstance(value, Money):
            encoded[key] = {"$money": [str(value.amount), value.currency]}
        elif isinstance(value, Text):
            encoded[key] = {"$text": {"en": value.en, "ja": value.ja}}
        elif isinstance(value, Promise):
            encoded[key] = {"$text": asdict(Text.translated(value))}
        elif isinstance(value, Decimal):
            encoded[key] = str(value)
        else:
            encoded[key] = value
    return encoded


def decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "$datetime":
            return datetime.fromisoformat(raw)
        if kind == "$date":
            return date.fromisoformat(raw)
        if kind == "$money":
            return Money(Decimal(raw[0]), raw[1])
        if kind == "$text":
            return Text(en=raw.get("en", ""), ja=raw.get("ja", ""))
    return value


def decode_context(context: dict[str, Any]) -> dict[str, Any]:
    return {key: decode_value(value) for key, value in context.items()}


def _localize(value: Any) -> Any:
    """Values read the way the reader's language writes them (Nov. 30, 2026 / 2026年11月30日)."""
    if isinstance(value, datetime):
        return format_day_and_time(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, (Text, Money)):
        return str(value)
    return value


@dataclass(frozen=True)
class Rendered:
    title: str
    message: str
    action_url: str
    action_label: str


@dataclass(frozen=True)
class Retires:
    """Creating this type retires the user's notifications of `type` about the same subject.

    `source_from` names the context value that holds the subject's source id; None means
    the new notification's own source id, ALL_OF_THE_USERS every one of that type.
    """

    type: str
    source_from: str | None = None


ALL_OF_THE_USERS = "*"


@dataclass(frozen=True)
class NotificationTemplate:
    type: str
    title: str | Promise
    message: str | Promise
    action_url: str | PageLink
    action_label: str | Promise
    source: str
    category: str
    # Its icon (a name of portal/templatetags/icons.py) and the tone it is drawn in.
    icon: str
    tone: str
    # A sentence the email adds below the message (the feed shows the message alone).
    email_note: str | Promise = ""
    severity: str = Severity.INFO
    # A date in the context from which (Asia/Tokyo, that day included) it is created critical.
    critical_from: str | None = None
    # The title and message used instead when it is created critical (overdue wording).
    critical_title: str | Promise | None = None
    critical_message: str | Promise | None = None
    dedupe_window: timedelta = ONE_HOUR
    # Daily reminders: one per subject and Tokyo calendar day instead of a sliding window.
    daily: bool = False
    expiry: timedelta = DEFAULT_EXPIRY
    # A date in the context that the notification outlives by AFTER_EFFECTIVE_DATE at least.
    expires_after: str | None = None
    retires: tuple[Retires, ...] = ()
    # The wording in each language, translated once (the message catalogs load once too).
    _wordings: dict[tuple[str, bool], tuple[str, str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def check_context(self, context: dict[str, Any]) -> None:
        """Fail at the call site when a placeholder has no value, before anything is stored."""
        self.render(encode_context(context), language="en")

    def dedupe_since(self, now: datetime) -> datetime:
        """Created at or after this, the same notification is a duplicate."""
        if self.daily:
            return timezone.make_aware(datetime.combine(timezone.localdate(now), time()))
        return now - self.dedupe_window

    def severity_for(self, context: dict[str, Any], *, now: datetime) -> str:
        if self.critical_from is not None:
            value = decode_value(context[self.critical_from])
            if timezone.localdate(now) >= value:
                return Severity.CRITICAL
        return self.severity

    def expires_at(self, context: dict[str, Any], *, now: datetime) -> datetime:
        expires = now + self.expiry
        if self.expires_after is not None:
            day: date = decode_value(context[self.expires_after])
            end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))
            expires = max(expires, end_of_day + AFTER_EFFECTIVE_DATE)
        return expires

    def wording(self, *, language: str, critical: bool = False) -> tuple[str, str, str]:
        """The title, message and action label in `language`, placeholders left in."""
        key = (language, critical)
        if key not in self._wordings:
            title, message = self.title, self.message
            if critical:
                title = self.critical_title or title
                message = self.critical_message or message
            with override(language):
                self._wordings[key] = (str(title), str(message), str(self.action_label))
        return self._wordings[key]

    def render(self, context: dict[str, Any], *, language: str, critical: bool = False) -> Rendered:
        """Render a stored (encoded) context in `language`."""
        title, message, action_label = self.wording(language=language, critical=critical)
        decoded = decode_context(context)
        # Most renders are in the reader's language, already active: switching costs more
        # than the rendering.
        with nullcontext() if get_language() == language else override(language):
            values = {key: _localize(value) for key, value in decoded.items()}
            try:
                return Rendered(
                    title=title % values,
                    message=message % values,
                    action_url=self.action_url % decoded,
                    action_label=action_label,
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
        action_url=PageLink("order-new"),
        action_label=_("Order internet"),
        source="eligibility",
        category=Category.ACCOUNT,
        icon="map-pin",
        tone=Tone.SUCCESS,
        email_note=_("You can place your order in the portal at any time."),
        retires=(Retires("ELIGIBILITY_INELIGIBLE", ALL_OF_THE_USERS),),
    ),
    NotificationTemplate(
        type="ELIGIBILITY_INELIGIBLE",
        title=_("Internet is not available at your address"),
        message=_("We checked %(address)s: our internet service cannot reach it yet."),
        action_url=PageLink("account-eligibility"),
        action_label=_("See details"),
        source="eligibility",
        category=Category.ACCOUNT,
        icon="map-pin",
        tone=Tone.WARNING,
        email_note=_("If you move, you can check your new address in the portal."),
        severity=Severity.WARNING,
        retires=(Retires("ELIGIBILITY_ELIGIBLE", ALL_OF_THE_USERS),),
    ),
    NotificationTemplate(
        type="VERIFICATION_VERIFIED",
        title=_("Your residence card is verified"),
        message=_("Thank you. Your identity is verified, so you can now order a SIM."),
        action_url=PageLink("order-new"),
        action_label=_("Order a SIM"),
        source="verification",
        category=Category.ACCOUNT,
        icon="id-card-check",
        tone=Tone.SUCCESS,
        email_note=_("Thank you for waiting while we checked your documents."),
        retires=(
            Retires("VERIFICATION_REJECTED", ALL_OF_THE_USERS),
            Retires("RESIDENCE_CARD_EXPIRING", ALL_OF_THE_USERS),
        ),
    ),
    NotificationTemplate(
        type="VERIFICATION_REJECTED",
        title=_("We could not verify your residence card"),
        message=_("%(reason)s Please upload your residence card again."),
        action_url=PageLink("account-verification"),
        action_label=_("Upload again"),
        source="verification",
        category=Category.ACCOUNT,
        icon="id-card-x",
        tone=Tone.CRITICAL,
        email_note=_("Please upload clear photos of both sides of your residence card."),
        severity=Severity.CRITICAL,
        retires=(Retires("VERIFICATION_REJECTED", ALL_OF_THE_USERS),),
    ),
    NotificationTemplate(
        type="RESIDENCE_CARD_EXPIRING",
        title=_("Your residence card expires on %(expires_on)s"),
        message=_(
            "Your service depends on a valid residence card. Once you have renewed it, please upload the new card."
        ),
        critical_title=_("Your residence card expired on %(expires_on)s"),
        critical_message=_(
            "Please upload your renewed residence card so that your service can continue."
        ),
        action_url=PageLink("account-verification"),
        action_label=_("Upload new card"),
        source="verification",
        category=Category.ACCOUNT,
        icon="id-card-alert",
        tone=Tone.WARNING,
        email_note=_(
            "If you have already sent the renewed card, there is nothing else you need to do."
        ),
        severity=Severity.WARNING,
        critical_from="expires_on",
        daily=True,
        retires=(Retires("RESIDENCE_CARD_EXPIRING"),),
    ),
    NotificationTemplate(
        type="ORDER_APPROVED",
        title=_("Your order was approved"),
        message=_("Order %(order_number)s (%(plan_name)s) was approved and is being set up."),
        action_url=PageLink("order-detail", ("order_id",)),
        action_label=_("View order"),
        source="order",
        category=Category.ORDERS,
        icon="package",
        tone=Tone.INFO,
        email_note=_("We will let you know again when it is active."),
    ),
    NotificationTemplate(
        type="ORDER_ACTIVATED",
        title=_("Your order is active"),
        message=_("Order %(order_number)s (%(plan_name)s) is now active."),
        action_url=PageLink("order-detail", ("order_id",)),
        action_label=_("View order"),
        source="order",
        category=Category.ORDERS,
        icon="package-check",
        tone=Tone.SUCCESS,
        email_note=_("You can see your service in the portal at any time."),
        retires=(Retires("ORDER_APPROVED"),),
    ),
    NotificationTemplate(
        type="ORDER_FAILED",
        title=_("Your order could not be completed"),
        message=_("Order %(order_number)s (%(plan_name)s) could not be completed: %(reason)s"),
        action_url=PageLink("order-detail", ("order_id",)),
        action_label=_("View order"),
        source="order",
        category=Category.ORDERS,
        icon="package-x",
        tone=Tone.CRITICAL,
        email_note=_("We are sorry for the trouble. If you need help, please contact our support."),
        severity=Severity.CRITICAL,
        retires=(Retires("ORDER_APPROVED"),),
    ),
    NotificationTemplate(
        type="CANCELLATION_SCHEDULED",
        title=_("Cancellation scheduled"),
        message=_("%(plan_name)s will end on %(effective_on)s. We will confirm when it is done."),
        action_url=PageLink("service", ("subscription_id",)),
        action_label=_("View service"),
        source="cancellation",
        category=Category.SERVICES,
        icon="calendar",
        tone=Tone.WARNING,
        email_note=_("Until then, you can withdraw the cancellation in the portal."),
        expires_after="effective_on",
    ),
    NotificationTemplate(
        type="CANCELLATION_COMPLETED",
        title=_("Your service has ended"),
        message=_(
            "%(plan_name)s ended on %(effective_on)s as you requested. Thank you for using it."
        ),
        action_url=PageLink("service", ("subscription_id",)),
        action_label=_("View service"),
        source="cancellation",
        category=Category.SERVICES,
        icon="calendar",
        tone=Tone.INFO,
        email_note=_(
            "If you would like to use our services again, you can order in the portal at any time."
        ),
        retires=(Retires("CANCELLATION_SCHEDULED"),),
    ),
    NotificationTemplate(
        type="CANCELLATION_WITHDRAWN",
        title=_("Cancellation withdrawn"),
        message=_("%(plan_name)s will not end on %(effective_on)s: it continues as before."),
        action_url=PageLink("service", ("subscription_id",)),
        action_label=_("View service"),
        source="cancellation",
        category=Category.SERVICES,
        icon="calendar-check",
        tone=Tone.SUCCESS,
        email_note=_("There is nothing else you need to do."),
        retires=(Retires("CANCELLATION_SCHEDULED"),),
    ),
    NotificationTemplate(
        type="INVOICE_DUE",
        title=_("Invoice %(invoice_number)s is due"),
        message=_("%(amount)s, due on %(due_date)s."),
        critical_title=_("Invoice %(invoice_number)s is overdue"),
        critical_message=_(
            "%(amount)s was due on %(due_date)s. Please pay it as soon as possible."
        ),
        action_url=PageLink("billing-invoice", ("invoice_id",)),
        action_label=_("View invoice"),
        source="invoice",
        category=Category.BILLING,
        icon="invoice",
        tone=Tone.WARNING,
        email_note=_("If you have already paid, please disregard this email."),
        severity=Severity.WARNING,
        critical_from="due_date",
        daily=True,
        retires=(Retires("INVOICE_DUE"),),
    ),
    NotificationTemplate(
        type="PAYMENT_METHOD_EXPIRING",
        title=_("Your card is expiring"),
        message=_(
            "Your %(brand)s card ending in %(last4)s expires at the end of %(expiry)s. Add a new card to avoid interruptions."
        ),
        action_url=PageLink("billing-payment-methods"),
        action_label=_("Update payment method"),
        source="payment_method",
        category=Category.BILLING,
        icon="card",
        tone=Tone.WARNING,
        email_note=_("You can add a new card in the portal in a minute."),
        severity=Severity.WARNING,
        daily=True,
        retires=(Retires("PAYMENT_METHOD_EXPIRING"),),
    ),
    NotificationTemplate(
        type="SUPPORT_REPLIED",
        title=_("Support replied to your request"),
        message=_("Our support team answered your request #%(request_id)s."),
        action_url=PageLink("support-request", ("request_id",)),
        action_label=_("Read the reply"),
        source="support_message",
        category=Category.ACCOUNT,
        icon="message",
        tone=Tone.INFO,
        email_note=_("You can answer in the portal; replies to this email are not read."),
    ),
    NotificationTemplate(
        type="SYSTEM_ANNOUNCEMENT",
        title="%(title)s",
        message="%(message)s",
        action_url=PageLink("announcement", ("announcement_id",)),
        action_label=_("Read more"),
        source="announcement",
        category=Category.ANNOUNCEMENTS,
        icon="megaphone",
        tone=Tone.INFO,
        dedupe_window=ONE_DAY,
    ),
    NotificationTemplate(
        type="REFUND_ISSUED",
        title=_("Refund issued for invoice %(invoice_number)s"),
        message=_(
            "We refunded %(amount)s to the way you paid. It can take a few days to reach you. "
            "Your credit note is ready to download."
        ),
        action_url=PageLink("billing-payments"),
        action_label=_("View payment history"),
        source="refund",
        category=Category.BILLING,
        icon="invoice",
        tone=Tone.INFO,
        email_note=_("Your credit note is in the portal."),
        dedupe_window=ONE_HOUR,
    ),
    NotificationTemplate(
        type="PAYMENT_RECEIVED",
        title=_("Payment received for invoice %(invoice_number)s"),
        message=_("We received %(amount)s. Thank you. Your receipt is ready to download."),
        action_url=PageLink("billing-invoice", ("invoice_id",)),
        action_label=_("View invoice"),
        source="payment",
        category=Category.BILLING,
        icon="invoice",
        tone=Tone.SUCCESS,
        email_note=_("If you did not make this payment, please contact our support."),
        dedupe_window=ONE_DAY,
        retires=(Retires("INVOICE_DUE", source_from="invoice_id"),),
    ),
    NotificationTemplate(
        type="INVOICE_ISSUED",
        title=_("Your %(period)s invoice is ready"),
        message=_("Invoice %(invoice_number)s: %(amount)s, due on %(due_date)s."),
        action_url=PageLink("billing-invoice", ("invoice_id",)),
        action_label=_("View invoice"),
        source="invoice",
        category=Category.BILLING,
        dedupe_window=ONE_DAY,
        icon="invoice",
        tone=Tone.INFO,
        email_note=_("You can download the qualified invoice (PDF) from the invoice page."),
    ),
    NotificationTemplate(
        type="PAYMENT_FAILED",
        title=_("We could not charge your card for invoice %(invoice_number)s"),
        message=_(
            "The automatic payment of %(amount)s did not go through. Please pay the invoice "
            "with another card or update your payment method."
        ),
        action_url=PageLink("billing-invoice", ("invoice_id",)),
        action_label=_("Pay invoice"),
        source="invoice",
        category=Category.BILLING,
        icon="card",
        tone=Tone.CRITICAL,
        email_note=_("If you have already paid, please disregard this email."),
        severity=Severity.CRITICAL,
    ),
    NotificationTemplate(
        type="SUSPENSION_WARNING",
        title=_("Your services will be suspended on %(suspends_on)s"),
        message=_(
            "Invoice %(invoice_number)s (%(amount)s) is still unpaid. Please pay it before "
            "%(suspends_on)s to keep your services running."
        ),
        action_url=PageLink("billing-invoice", ("invoice_id",)),
        action_label=_("Pay invoice"),
        source="invoice",
        category=Category.BILLING,
        icon="calendar",
        tone=Tone.CRITICAL,
        email_note=_("If you have already paid, please disregard this email."),
        severity=Severity.CRITICAL,
        dedupe_window=ONE_DAY,
    ),
    NotificationTemplate(
        type="SERVICE_SUSPENDED",
        title=_("%(plan_name)s is suspended"),
        message=_(
            "We suspended %(plan_name)s on %(since)s because an invoice is unpaid. It comes "
            "back within a minute of your payment."
        ),
        action_url=PageLink("service", ("subscription_id",)),
        action_label=_("View service"),
        source="suspension",
        category=Category.SERVICES,
        icon="globe",
        tone=Tone.CRITICAL,
        email_note=_("Pay your overdue invoices in the portal to restore the service."),
        severity=Severity.CRITICAL,
    ),
    NotificationTemplate(
        type="SERVICE_RESTORED",
        title=_("%(plan_name)s is back"),
        message=_("Thank you for your payment. %(plan_name)s works again as before."),
        action_url=PageLink("service", ("subscription_id",)),
        action_label=_("View service"),
        source="suspension",
        category=Category.SERVICES,
        icon="check",
        tone=Tone.SUCCESS,
        email_note=_("Thank you for your payment."),
    ),
]

CATALOG: dict[str, NotificationTemplate] = {template.type: template for template in _TEMPLATES}
TYPES = tuple(CATALOG)


def get_template(type: str) -> NotificationTemplate:
    try:
        return CATALOG[type]
    except KeyError:
        raise UnknownNotificationType(f"{type!r} is not in the notification catalog") from None


def email_note(type: str) -> str | Promise:
    """The sentence the type's email adds below the message; none for a type no longer here."""
    template = CATALOG.get(type)
    return template.email_note if template is not None else ""


def render_notification(
    *, type: str, context: dict[str, Any], severity: str, language: str
) -> Rendered:
    """A stored notification in `language`; a row of an unknown or older shape still reads."""
    legacy = context.get("$legacy")
    if legacy is not None:
        return Rendered(
            title=legacy.get("title", ""),
            message=legacy.get("message", ""),
            action_url=legacy.get("action_url", ""),
            action_label=legacy.get("action_label", ""),
        )
    template = get_template(type)
    return template.render(
        context,
        language=language,
        critical=severity == Severity.CRITICAL and template.critical_from is not None,
    )
