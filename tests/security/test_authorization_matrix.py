"""Who may open what: every URL of the project as anonymous, owner, another customer and staff.

`MATRIX` maps every URL name (unnamed routes by their pattern) to the requests to send and
the answer each role must get. The test is parametrized over the URL resolver itself, so a
route added without an entry here fails until someone decides who may use it. The admin is
checked separately: every admin URL is for staff only.

The rules (API.md, DESIGN.md):
- API without credentials: 401 in the error shape; pages: a redirect to /login?next=<path>.
- Another customer's object: 404, never 403, on the API and on pages alike.
- Support staff have no customer: customer routes are 404 for them (the dashboard sends them
  to the admin), the admin is theirs alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import Customer, User
from billing.models import Payment, Refund
from subscriptions.services import offered_effective_dates
from tests.accounts.support import JPEG, PNG, upload
from tests.conftest import bearer_client
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.orders.support import ready_to_order, sim_plan

pytestmark = pytest.mark.django_db


# --- Answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    code: int

    def check(self, response: Any, path: str) -> None:
        assert response.status_code == self.code, _describe(response)


@dataclass(frozen=True)
class RedirectTo:
    location: str

    def check(self, response: Any, path: str) -> None:
        assert response.status_code == 302, _describe(response)
        assert response["Location"] == self.location


@dataclass(frozen=True)
class ToLogin:
    """A page for logged-in customers: the login page, coming back here afterwards."""

    login_url: str = "/login"

    def check(self, response: Any, path: str) -> None:
        assert response.status_code == 302, _describe(response)
        assert response["Location"] == f"{self.login_url}?next={quote(path, safe='/')}"


@dataclass(frozen=True)
class ApiError:
    """An API refusal in the one error shape."""

    code: int
    error: str

    def check(self, response: Any, path: str) -> None:
        assert response.status_code == self.code, _describe(response)
        assert response.json()["error"]["code"] == self.error


Answer = Status | RedirectTo | ToLogin | ApiError

OK, CREATED, ACCEPTED, NO_CONTENT = Status(200), Status(201), Status(202), Status(204)
PAGE_NOT_FOUND = Status(404)
API_401 = ApiError(401, "not_authenticated")
API_404 = ApiError(404, "not_found")
API_400 = ApiError(400, "validation_error")
LOGIN = ToLogin()
RESET_SENT = RedirectTo("/password-reset/sent")
SET_PASSWORD = Status(302)  # to the same page without the token in the address bar
INVOICES = RedirectTo("/account/billing/invoices")
PAYMENT_METHODS = RedirectTo("/account/billing/payment-methods")
ADMIN_LOGIN = ToLogin("/admin/login/")


def _describe(response: Any) -> str:
    location = response.get("Location", "")
    return f"{response.status_code} {location} {response.content[:300]!r}"


# --- The table ----------------------------------------------------------------------------

Objects = Callable[[Customer], dict[str, Any]]
Payload = Callable[[Customer], dict[str, Any]]


def no_objects(owner: Customer) -> dict[str, Any]:
    return {}


def no_data(owner: Customer) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Probe:
    """One request and the answer each role gets. `other` is None when the URL names no
    object: another customer then simply uses it as their own."""

    method: str
    anonymous: Answer
    owner: Answer
    staff: Answer
    other: Answer | None = None
    data: Payload = no_data
    multipart: bool = False


@dataclass(frozen=True)
class Route:
    probes: tuple[Probe, ...]
    objects: Objects = no_objects
    api: bool = False


def api(*probes: Probe, objects: Objects = no_objects) -> Route:
    return Route(probes, objects, api=True)


def page(*probes: Probe, objects: Objects = no_objects) -> Route:
    return Route(probes, objects, api=False)


def order(owner: Customer) -> dict[str, Any]:
    return {"order_id": OrderFactory(customer=owner, plan=sim_plan()).pk}


def subscription(owner: Customer) -> dict[str, Any]:
    return {"subscription_id": SubscriptionFactory(customer=owner, plan=sim_plan()).pk}


def invoice(owner: Customer) -> dict[str, Any]:
    return {"invoice_id": InvoiceFactory(customer=owner).pk}


def payment_method(owner: Customer) -> dict[str, Any]:
    # Two methods and no service: the owner may remove this one.
    PaymentMethodFactory(customer=owner, is_default=True)
    return {"payment_method_id": PaymentMethodFactory(customer=owner).pk}


def paid_payment(owner: Customer) -> dict[str, Any]:
    invoice = InvoiceFactory(customer=owner, status="paid", paid_at=timezone.now())
    payment = Payment.objects.create(
        customer=owner,
        invoice=invoice,
        idempotency_key="matrix",
        amount=invoice.total,
        status="succeeded",
        created_at=timezone.now(),
        paid_at=timezone.now(),
    )
    return {"payment_id": payment.pk}


def refund(owner: Customer) -> dict[str, Any]:
    invoice = InvoiceFactory(customer=owner, status="paid", paid_at=timezone.now())
    payment = Payment.objects.create(
        customer=owner,
        invoice=invoice,
        idempotency_key="matrix-refund",
        amount=invoice.total,
        status="partially_refunded",
        created_at=timezone.now(),
        paid_at=timezone.now(),
    )
    made = Refund.objects.create(
        payment=payment,
        amount=1,
        reason="Matrix",
        actor=StaffUserFactory(),
        idempotency_key="matrix-refund",
        created_at=timezone.now(),
    )
    return {"refund_id": made.pk}


def support_request(owner: Customer) -> dict[str, Any]:
    return {"topic": "other", "message": "Hello"}


def support_thread(owner: Customer) -> dict[str, Any]:
    from support.services import create_support_request

    created = create_support_request(customer=owner, topic="other", message="Hello")
    return {"request_id": created.support_request.pk}


def support_answer(owner: Customer) -> dict[str, Any]:
    return {"body": "Thank you"}


def card_token(owner: Customer) -> dict[str, Any]:
    return {"token": "tok_visa"}


def processor_card(owner: Customer) -> dict[str, Any]:
    return {"number": "4242 4242 4242 4242", "expiry": "08/30", "security_code": "123"}


def notification(owner: Customer) -> dict[str, Any]:
    return {"notification_id": NotificationFactory(user=owner.user).pk}


def announcement(owner: Customer) -> dict[str, Any]:
    NotificationFactory(user=owner.user, type="SYSTEM_ANNOUNCEMENT", source_id="4242")
    return {"announcement_id": 4242}


def device(owner: Customer) -> dict[str, Any]:
    from notifications.devices import register_device

    registered, _created = register_device(
        user=owner.user, platform="ios", token=f"matrix-token-{owner.pk}"
    )
    return {"device_id": registered.pk}


def device_body(owner: Customer) -> dict[str, Any]:
    return {"platform": "android", "token": f"matrix-new-token-{owner.pk}"}


def snooze_until(owner: Customer) -> dict[str, Any]:
    return {"until": (timezone.now() + timedelta(days=1)).isoformat()}


def confirmed(owner: Customer) -> dict[str, Any]:
    """The confirmation page's button: a destructive POST acts only with it."""
    return {"confirm": "yes"}


def snooze_choice(owner: Customer) -> dict[str, Any]:
    return {"choice": "tomorrow"}


def bulk_read(owner: Customer) -> dict[str, Any]:
    return {"ids": [NotificationFactory(user=owner.user).pk], "action": "read"}


def reset_email(owner: Customer) -> dict[str, Any]:
    return {"email": owner.user.email}


def reset_link(owner: Customer) -> dict[str, Any]:
    uid = urlsafe_base64_encode(force_bytes(owner.user.pk))
    return {"uidb64": uid, "token": default_token_generator.make_token(owner.user)}


def credentials(owner: Customer) -> dict[str, Any]:
    return {"email": owner.user.email, "password": PASSWORD}


def refresh_token(owner: Customer) -> dict[str, Any]:
    token = APIClient().post("/api/auth/token", credentials(owner), format="json")
    return {"refresh": token.json()["refresh"]}


def password_change(owner: Customer) -> dict[str, Any]:
    return {"currentPassword": PASSWORD, "newPassword": "a-long-new-passphrase-42"}


def password_change_form(owner: Customer) -> dict[str, Any]:
    new = "a-long-new-passphrase-42"
    return {"current_password": PASSWORD, "new_password": new, "new_password_again": new}


def profile(owner: Customer) -> dict[str, Any]:
    return {"name": "Owner Renamed", "phone": "090-1234-5678", "language": "ja"}


def sim_order(owner: Customer) -> dict[str, Any]:
    ready_to_order(owner)
    return {"planCode": sim_plan().code}


def cancellation(owner: Customer) -> dict[str, Any]:
    effective_on = offered_effective_dates(now=timezone.now())[0]
    return {"effectiveOn": effective_on.isoformat(), "reason": "moving"}


def eligibility(owner: Customer) -> dict[str, Any]:
    return {"postalCode": "150-0002", "address": "1-2-3 Shibuya, Tokyo"}


def card(owner: Customer) -> dict[str, Any]:
    return {"front": upload("front.jpg", JPEG), "back": upload("back.png", PNG, "image/png")}


def language_only(owner: Customer) -> dict[str, Any]:
    return {"language": "ja"}


def language(owner: Customer) -> dict[str, Any]:
    return {"language": "ja", "next": "/account/"}


def _get(anonymous: Answer, owner: Answer, staff: Answer, other: Answer | None = None) -> Probe:
    return Probe("GET", anonymous, owner, staff, other)


def _post(
    anonymous: Answer,
    owner: Answer,
    staff: Answer,
    other: Answer | None = None,
    data: Payload = no_data,
    multipart: bool = False,
) -> Probe:
    return Probe("POST", anonymous, owner, staff, other, data, multipart)


# A customer route on the API: 401 without credentials, 404 for staff (no customer).
def customer_api_get(owner: Answer = OK, other: Answer | None = None) -> Probe:
    return _get(API_401, owner, API_404, other)


def customer_api_post(
    owner: Answer, data: Payload = no_data, other: Answer | None = None, multipart: bool = False
) -> Probe:
    return _post(API_401, owner, API_404, other, data, multipart)


MATRIX: dict[str, Route] = {
    # --- Public and infrastructure ---
    "<root>": page(_get(RedirectTo("/account/"), RedirectTo("/account/"), RedirectTo("/account/"))),
    "healthz": page(_get(OK, OK, OK)),
    "readyz": page(_get(OK, OK, OK)),
    "login": page(
        _get(OK, RedirectTo("/account/"), RedirectTo("/account/")),
        # Whoever posts the owner's credentials is logged in as the owner.
        _post(
            RedirectTo("/account/"),
            RedirectTo("/account/"),
            RedirectTo("/account/"),
            data=credentials,
        ),
    ),
    "logout": page(_post(RedirectTo("/login"), RedirectTo("/login"), RedirectTo("/login"))),
    # The login page's language switch: a cookie for this browser, whoever uses it.
    "choose-language": page(
        _post(RedirectTo("/login"), RedirectTo("/login"), RedirectTo("/login"), data=language_only)
    ),
    # Password reset: public; whoever holds the mailed link may use it (the token is the key).
    "password_reset": page(
        _get(OK, OK, OK),
        _post(RESET_SENT, RESET_SENT, RESET_SENT, data=reset_email),
    ),
    "password_reset_done": page(_get(OK, OK, OK)),
    # The owner goes last and logs in first: a login after the mail used the link up.
    "password_reset_confirm": page(
        _get(SET_PASSWORD, OK, SET_PASSWORD, SET_PASSWORD), objects=reset_link
    ),
    "password_reset_complete": page(_get(OK, OK, OK)),
    # The OpenAPI document and its viewers are public, as the mobile teams read them.
    "api-schema": api(_get(OK, OK, OK)),
    "api-docs": api(_get(OK, OK, OK)),
    "api-redoc": api(_get(OK, OK, OK)),
    # --- Authentication and the CRM webhook (not a customer's credentials) ---
    "api-token": api(_post(OK, OK, OK, data=credentials)),
    "api-token-refresh": api(_post(OK, OK, OK, data=refresh_token)),
    # The refresh token is the credential: whoever holds it may end it.
    "api-logout": api(_post(NO_CONTENT, NO_CONTENT, NO_CONTENT, data=refresh_token)),
    # Any other path under /api/: the error shape, whoever asks.
    "api-not-found": api(_get(API_404, API_404, API_404)),
    # The signature is the only credential: a customer's or staff token is not enough.
    "api-salesforce-events": api(_post(API_401, API_401, API_401)),
    # Stripe signs its events; unsigned is a 400 naming the header (API.md), whoever sends it.
    "api-stripe-webhook": api(_post(API_400, API_400, API_400)),
    # --- The API of a customer ---
    "api-me": api(_get(API_401, OK, OK)),
    # A password of one's own: staff have one too.
    "api-me-password": api(_post(API_401, NO_CONTENT, NO_CONTENT, data=password_change)),
    "api-me-summary": api(customer_api_get()),
    "api-me-status": api(customer_api_get()),
    "api-internet-eligibility": api(customer_api_post(ACCEPTED, eligibility)),
    "api-residence-card": api(customer_api_post(ACCEPTED, card, multipart=True)),
    "api-notifications": api(customer_api_get()),
    "api-notifications-unread-count": api(customer_api_get()),
    "api-notifications-read-all": api(customer_api_post(OK)),
    "api-notification-read": api(customer_api_post(OK, other=API_404), objects=notification),
    "api-notification-dismiss": api(
        customer_api_post(NO_CONTENT, other=API_404), objects=notification
    ),
    "api-notifications-seen": api(customer_api_post(OK)),
    "api-notifications-changes": api(customer_api_get()),
    # Under WSGI the stream sends what is pending and ends; staff have no customer feed.
    "api-notifications-stream": api(customer_api_get()),
    "api-notifications-bulk": api(customer_api_post(OK, bulk_read)),
    "api-notification-archive": api(customer_api_post(OK, other=API_404), objects=notification),
    "api-notification-unarchive": api(customer_api_post(OK, other=API_404), objects=notification),
    "api-notification-snooze": api(
        customer_api_post(OK, snooze_until, other=API_404), objects=notification
    ),
    "api-notification-preferences": api(customer_api_get()),
    "api-devices": api(customer_api_get(), customer_api_post(CREATED, device_body)),
    "api-device": api(Probe("DELETE", API_401, NO_CONTENT, API_404, API_404), objects=device),
    "api-plans": api(customer_api_get()),
    "api-orders": api(customer_api_get(), customer_api_post(CREATED, sim_order)),
    "api-order-detail": api(customer_api_get(OK, API_404), objects=order),
    "api-order-cancel": api(customer_api_post(OK, other=API_404), objects=order),
    "api-subscriptions": api(customer_api_get()),
    "api-subscription": api(customer_api_get(OK, API_404), objects=subscription),
    "api-subscription-cancellation-options": api(
        customer_api_get(OK, API_404), objects=subscription
    ),
    "api-subscription-cancellation": api(
        customer_api_post(ACCEPTED, cancellation, other=API_404), objects=subscription
    ),
    "api-invoices": api(customer_api_get()),
    "api-invoice": api(customer_api_get(OK, API_404), objects=invoice),
    "api-payment-methods": api(customer_api_get(), customer_api_post(CREATED, card_token)),
    "api-payment-method": api(
        Probe("DELETE", API_401, NO_CONTENT, API_404, API_404), objects=payment_method
    ),
    "api-payment-method-default": api(customer_api_post(OK, other=API_404), objects=payment_method),
    # Without its Idempotency-Key header the owner's payment is a 400; nothing is charged.
    "api-invoice-payments": api(
        customer_api_post(ApiError(400, "validation_error"), other=API_404), objects=invoice
    ),
    "api-invoice-pdf": api(customer_api_get(OK, API_404), objects=invoice),
    "api-payment-receipt": api(customer_api_get(OK, API_404), objects=paid_payment),
    "api-payments": api(customer_api_get()),
    "api-refund-pdf": api(customer_api_get(OK, API_404), objects=refund),
    "api-support-requests": api(customer_api_get(), customer_api_post(CREATED, support_request)),
    "api-support-request": api(customer_api_get(OK, API_404), objects=support_thread),
    "api-support-request-messages": api(
        customer_api_post(CREATED, support_answer, other=API_404), objects=support_thread
    ),
    "api-support-request-close": api(customer_api_post(OK, other=API_404), objects=support_thread),
    # --- Pages of a customer ---
    "dashboard": page(_get(LOGIN, OK, RedirectTo("/admin/"))),
    "notifications": page(_get(LOGIN, OK, OK)),
    "notification-bell": page(_get(LOGIN, OK, OK)),
    # An htmx partial of the dashboard; a plain visit goes to the dashboard.
    "notifications-latest": page(_get(LOGIN, RedirectTo("/account/"), RedirectTo("/account/"))),
    # htmx's request for the dashboard's parts; a plain visit is sent to the dashboard.
    "dashboard-parts": page(_get(LOGIN, RedirectTo("/account/"), RedirectTo("/account/"))),
    "notifications-read-all": page(
        _post(LOGIN, RedirectTo("/account/notifications"), RedirectTo("/account/notifications"))
    ),
    "notification-read": page(
        _post(LOGIN, RedirectTo("/account/notifications"), PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        objects=notification,
    ),
    "notification-dismiss": page(
        _post(LOGIN, RedirectTo("/account/notifications"), PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        objects=notification,
    ),
    "notification-archive": page(
        _post(LOGIN, RedirectTo("/account/notifications"), PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        objects=notification,
    ),
    "notification-unarchive": page(
        _post(LOGIN, RedirectTo("/account/notifications"), PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        objects=notification,
    ),
    "notification-snooze": page(
        _post(
            LOGIN,
            RedirectTo("/account/notifications"),
            PAGE_NOT_FOUND,
            PAGE_NOT_FOUND,
            data=snooze_choice,
        ),
        objects=notification,
    ),
    # Opening the bell without JavaScript: everything seen, then the inbox.
    "notification-bell-open": page(
        _post(LOGIN, RedirectTo("/account/notifications"), RedirectTo("/account/notifications"))
    ),
    "notifications-bulk": page(
        _post(LOGIN, RedirectTo("/account/notifications"), RedirectTo("/account/notifications"))
    ),
    "notification-settings": page(
        _get(LOGIN, OK, OK),
        _post(
            LOGIN,
            RedirectTo("/account/settings/notifications"),
            RedirectTo("/account/settings/notifications"),
        ),
    ),
    "device-forget": page(
        _post(
            LOGIN,
            RedirectTo("/account/settings/notifications#devices"),
            PAGE_NOT_FOUND,
            PAGE_NOT_FOUND,
        ),
        objects=device,
    ),
    "order-list": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "order-new": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "order-detail": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=order),
    "services": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "service": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=subscription),
    "service-cancel": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=subscription),
    # Nothing scheduled here: the owner is sent back to the service page with a message.
    "service-withdraw-cancellation": page(
        _post(LOGIN, Status(302), PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=subscription
    ),
    # Only the customers an announcement was sent to can open it.
    "announcement": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=announcement),
    "account-language": page(_post(LOGIN, RedirectTo("/account/"), PAGE_NOT_FOUND, data=language)),
    "billing": page(_get(LOGIN, INVOICES, INVOICES)),
    "billing-invoices": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "billing-invoice": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=invoice),
    # GET asks; the confirmed POST cancels and goes back to the order.
    "order-cancel": page(
        _get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        _post(LOGIN, Status(302), PAGE_NOT_FOUND, PAGE_NOT_FOUND, data=confirmed),
        objects=order,
    ),
    "billing-invoice-pay": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=invoice),
    "billing-invoice-pdf": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=invoice),
    "billing-payment-receipt": page(
        _get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=paid_payment
    ),
    "support": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "billing-payments": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "billing-refund-pdf": page(_get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=refund),
    "support-request": page(
        _get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        _post(LOGIN, Status(302), PAGE_NOT_FOUND, PAGE_NOT_FOUND, data=support_answer),
        objects=support_thread,
    ),
    "support-request-close": page(
        _post(LOGIN, Status(302), PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=support_thread
    ),
    "billing-payment-methods": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    # GET sends the customer to the processor's card form; POST adds a token directly.
    "billing-payment-method-add": page(
        _get(LOGIN, Status(302), PAGE_NOT_FOUND),
        _post(LOGIN, PAYMENT_METHODS, PAGE_NOT_FOUND, data=card_token),
    ),
    # The test processor's own page: it knows no portal user, it turns a test card into a
    # token and sends the browser back with it.
    "test-processor-card": page(
        _get(OK, OK, OK),
        _post(
            RedirectTo("/account/billing/payment-methods/add?token=tok_visa_exp0830&state="),
            RedirectTo("/account/billing/payment-methods/add?token=tok_visa_exp0830&state="),
            RedirectTo("/account/billing/payment-methods/add?token=tok_visa_exp0830&state="),
            data=processor_card,
        ),
    ),
    # GET asks; the confirmed POST removes and goes back to the list.
    "billing-payment-method-remove": page(
        _get(LOGIN, OK, PAGE_NOT_FOUND, PAGE_NOT_FOUND),
        _post(LOGIN, PAYMENT_METHODS, PAGE_NOT_FOUND, PAGE_NOT_FOUND, data=confirmed),
        objects=payment_method,
    ),
    "billing-payment-method-default": page(
        _post(LOGIN, PAYMENT_METHODS, PAGE_NOT_FOUND, PAGE_NOT_FOUND), objects=payment_method
    ),
    "account-settings": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "account-settings-profile": page(
        _post(LOGIN, RedirectTo("/account/settings"), PAGE_NOT_FOUND, data=profile)
    ),
    "account-settings-password": page(
        _post(LOGIN, RedirectTo("/account/settings"), PAGE_NOT_FOUND, data=password_change_form)
    ),
    "account-eligibility": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
    "account-verification": page(_get(LOGIN, OK, PAGE_NOT_FOUND)),
}


# --- Walking the resolver -----------------------------------------------------------------


@dataclass(frozen=True)
class UrlEntry:
    key: str
    route: str
    namespace: str | None


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str | None = None
) -> Iterator[UrlEntry]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        else:
            route = prefix + str(pattern.pattern)
            yield UrlEntry(pattern.name or f"<{route or 'root'}>", route, namespace)


ALL_URLS = list(_walk(get_resolver().url_patterns))
PROJECT_URLS = {entry.key: entry for entry in ALL_URLS if entry.namespace != "admin"}
ADMIN_URLS = [entry for entry in ALL_URLS if entry.namespace == "admin"]


@dataclass
class Roles:
    owner: Customer
    other: Customer
    staff: User


@pytest.fixture
def roles() -> Roles:
    owner = CustomerFactory(name="Owner")
    other = CustomerFactory(name="Other")
    return Roles(owner, other, StaffUserFactory())


def _client(route: Route, user: User | None) -> Client:
    if route.api:
        return bearer_client(user) if user is not None else APIClient()
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _send(client: Client, probe: Probe, path: str, owner: Customer) -> Any:
    data = probe.data(owner)
    if probe.method == "GET":
        return client.get(path)
    if probe.method == "DELETE":
        return client.delete(path)
    if isinstance(client, APIClient):
        return client.post(path, data, format="multipart" if probe.multipart else "json")
    return client.post(path, data)


@pytest.mark.parametrize("key", sorted(PROJECT_URLS))
def test_every_url_answers_each_role_as_the_matrix_says(key: str, roles: Roles) -> None:
    assert key in MATRIX, (
        f"{key} ({PROJECT_URLS[key].route}) has no entry in MATRIX: decide what anonymous "
        "visitors, the owner, another customer and staff get there, and add it."
    )
    route = MATRIX[key]
    kwargs = route.objects(roles.owner)
    unnamed = key.startswith("<")
    path = "/" + PROJECT_URLS[key].route if unnamed else reverse(key, kwargs=kwargs)
    assert bool(kwargs) == any(probe.other is not None for probe in route.probes), (
        "a URL naming an object must say what another customer gets, and only such a URL"
    )
    for probe in route.probes:
        # The owner goes last: their request may change what the others would see.
        attempts = [("anonymous", None, probe.anonymous), ("staff", roles.staff, probe.staff)]
        if probe.other is not None:
            attempts.insert(1, ("other customer", roles.other.user, probe.other))
        attempts.append(("owner", roles.owner.user, probe.owner))
        for role, user, answer in attempts:
            response = _send(_client(route, user), probe, path, roles.owner)
            try:
                answer.check(response, path)
            except AssertionError as error:
                raise AssertionError(f"{probe.method} {path} as {role}: {error}") from None


def test_the_matrix_names_only_urls_that_exist() -> None:
    assert sorted(set(MATRIX) - set(PROJECT_URLS)) == []


# --- The admin ----------------------------------------------------------------------------

ADMIN_PUBLIC = {"login", "logout"}
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
_SAMPLE_VALUES = {"app_label": "accounts", "side": "front", "url": "no-such-page/"}


def _admin_path(route: str) -> str:
    """A concrete path for an admin route: each argument gets a harmless value."""

    def value(match: re.Match[str]) -> str:
        return _SAMPLE_VALUES.get(match.group(1) or match.group(2), "1")

    return "/" + _CONVERTER.sub(value, route).replace("^", "").replace("$", "")


@pytest.mark.parametrize(
    "route", sorted({entry.route for entry in ADMIN_URLS if entry.key not in ADMIN_PUBLIC})
)
def test_every_admin_url_is_for_staff_only(route: str, roles: Roles) -> None:
    path = _admin_path(route)
    ADMIN_LOGIN.check(Client().get(path), path)
    customer = Client()
    customer.force_login(roles.owner.user)
    ADMIN_LOGIN.check(customer.get(path), path)
    staff = Client()
    staff.force_login(roles.staff)
    response = staff.get(path)
    assert not response.get("Location", "").startswith("/admin/login/"), _describe(response)
    assert response.status_code < 500, _describe(response)


def test_the_admin_site_is_the_only_namespace_left_out() -> None:
    assert admin_site.name == "admin"
    assert {entry.namespace for entry in ALL_URLS} <= {None, "admin"}
