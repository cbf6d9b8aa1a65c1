from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import Invoice, PaymentMethod
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentMethodFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _frozen_in_tokyo(time_machine):
    time_machine.move_to("2026-11-24 10:00 +09:00", tick=False)


INVOICE_KEYS = {
    "id",
    "number",
    "issuedOn",
    "dueDate",
    "total",
    "tax",
    "status",
    "overdue",
    "paidAt",
    "href",
}
# The third wave's additions to one invoice (API.md "Third wave", Billing).
INVOICE_DETAIL_KEYS = INVOICE_KEYS | {"lines", "period", "kind", "autoCharge", "suspendsOn"}
METHOD_KEYS = {"id", "type", "brand", "last4", "expMonth", "expYear", "isDefault", "expiresSoon"}


def _invoice(customer, *, due_in_days: int, status: str = "unpaid", **kwargs) -> Invoice:
    due = TODAY + timedelta(days=due_in_days)
    return InvoiceFactory(
        customer=customer, due_date=due, issued_on=due - timedelta(days=15), status=status, **kwargs
    )


# --- Invoices ----------------------------------------------------------------------------


def test_an_invoice_has_exactly_the_keys_of_the_contract(api, customer):
    invoice = _invoice(customer, due_in_days=-3, total=Decimal("5500"), tax=Decimal("500"))
    response = api.get("/api/invoices")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "nextCursor"}
    (item,) = body["items"]
    assert set(item) == INVOICE_KEYS
    assert item == {
        "id": invoice.pk,
        "number": invoice.number,
        "issuedOn": "2026-11-06",
        "dueDate": "2026-11-21",
        "total": {"amount": "5500.00", "currency": "JPY"},
        "tax": {"amount": "500.00", "currency": "JPY"},
        "status": "unpaid",
        "overdue": True,
        "paidAt": None,
        "href": f"/account/billing/invoices/{invoice.pk}",
    }


def test_overdue_follows_the_date_in_japan(browser_client, customer):
    # The session client, because a Bearer token would expire over these hours.
    _invoice(customer, due_in_days=0)
    with time_machine.travel("2026-11-24 14:59 +00:00", tick=False):  # 23:59 on the due date
        assert browser_client.get("/api/invoices").json()["items"][0]["overdue"] is False
    with time_machine.travel("2026-11-24 15:00 +00:00", tick=False):  # midnight, the next day
        assert browser_client.get("/api/invoices").json()["items"][0]["overdue"] is True


def test_a_paid_invoice_is_never_overdue_and_says_when_it_was_paid(api, customer):
    from django.utils import timezone

    paid_at = timezone.now() - timedelta(days=20)
    _invoice(customer, due_in_days=-30, status="paid", paid_at=paid_at)
    (item,) = api.get("/api/invoices").json()["items"]
    assert item["overdue"] is False
    assert item["paidAt"] == "2026-11-04T10:00:00+09:00"


def test_invoices_are_newest_issued_first(api, customer):
    older = _invoice(customer, due_in_days=-60, status="paid")
    newer = _invoice(customer, due_in_days=10)
    middle = _invoice(customer, due_in_days=-30, status="refunded")
    ids = [item["id"] for item in api.get("/api/invoices").json()["items"]]
    assert ids == [newer.pk, middle.pk, older.pk]


def test_the_unpaid_filter_lists_overdue_invoices_first(api, customer):
    due_soon = _invoice(customer, due_in_days=3)
    overdue = _invoice(customer, due_in_days=-10)
    _invoice(customer, due_in_days=-40, status="paid")
    body = api.get("/api/invoices?status=unpaid").json()
    assert [item["id"] for item in body["items"]] == [overdue.pk, due_soon.pk]
    assert [item["overdue"] for item in body["items"]] == [True, False]


@pytest.mark.parametrize("status", ["paid", "cancelled", "refunded"])
def test_every_status_can_be_filtered(api, customer, status):
    wanted = _invoice(customer, due_in_days=-20, status=status)
    _invoice(customer, due_in_days=5)
    ids = [item["id"] for item in api.get(f"/api/invoices?status={status}").json()["items"]]
    assert ids == [wanted.pk]


def test_an_unknown_status_filter_is_a_400_naming_status(api):
    response = api.get("/api/invoices?status=late")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"status"}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "cursor=garbage"])
def test_bad_paging_parameters_are_400s(api, query):
    response = api.get(f"/api/invoices?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_invoices_page_with_a_cursor_without_gaps_or_repeats(api, customer):
    invoices = [_invoice(customer, due_in_days=-days, status="paid") for days in range(5)]
    seen: list[int] = []
    url = "/api/invoices?limit=2"
    while url:
        body = api.get(url).json()
        seen += [item["id"] for item in body["items"]]
        url = f"/api/invoices?limit=2&cursor={body['nextCursor']}" if body["nextCursor"] else ""
    assert sorted(seen) == sorted(invoice.pk for invoice in invoices)
    assert len(seen) == len(set(seen)) == 5


def test_the_unpaid_filter_pages_by_due_date(api, customer):
    invoices = [_invoice(customer, due_in_days=days) for days in (-9, -3, 2, 8)]
    first = api.get("/api/invoices?status=unpaid&limit=3").json()
    second = api.get(f"/api/invoices?status=unpaid&limit=3&cursor={first['nextCursor']}").json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == [invoice.pk for invoice in invoices]
    assert second["nextCursor"] is None


def test_an_invoice_detail_adds_its_lines(api, customer):
    invoice = _invoice(customer, due_in_days=5, total=Decimal("7458"), tax=Decimal("678"))
    InvoiceLineFactory(invoice=invoice, description="Hikari Fiber 1 Gbps", amount=Decimal("5280"))
    InvoiceLineFactory(invoice=invoice, description="SIM Data 20GB", amount=Decimal("2178"))
    response = api.get(f"/api/invoices/{invoice.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == INVOICE_DETAIL_KEYS
    assert body["lines"] == [
        {"description": "Hikari Fiber 1 Gbps", "amount": {"amount": "5280.00", "currency": "JPY"}},
        {"description": "SIM Data 20GB", "amount": {"amount": "2178.00", "currency": "JPY"}},
    ]
    assert body["tax"] == {"amount": "678.00", "currency": "JPY"}


def test_a_monthly_invoice_says_the_month_it_bills(api, customer):
    invoice = _invoice(
        customer,
        due_in_days=5,
        kind="monthly",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )
    body = api.get(f"/api/invoices/{invoice.pk}").json()
    assert body["kind"] == "monthly"
    assert body["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    # No card to charge, no service to suspend.
    assert body["autoCharge"] is None
    assert body["suspendsOn"] is None


def test_a_one_off_invoice_has_no_period(api, customer):
    invoice = _invoice(customer, due_in_days=5)
    body = api.get(f"/api/invoices/{invoice.pk}").json()
    assert (body["kind"], body["period"]) == ("one_off", None)


def test_other_customers_invoice_is_404(api, other_customer):
    theirs = _invoice(other_customer, due_in_days=5)
    response = api.get(f"/api/invoices/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_customers_invoices_are_not_listed(api, other_customer):
    _invoice(other_customer, due_in_days=5)
    assert api.get("/api/invoices").json() == {"items": [], "nextCursor": None}


def test_a_missing_invoice_is_404(api):
    assert api.get("/api/invoices/999999").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/invoices"),
        ("get", "/api/invoices/1"),
        ("get", "/api/payment-methods"),
        ("post", "/api/payment-methods"),
        ("delete", "/api/payment-methods/1"),
        ("post", "/api/payment-methods/1/default"),
    ],
)
def test_billing_endpoints_need_a_login(anonymous_api, method, url):
    response = getattr(anonymous_api, method)(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def _fill_invoices(customer, count: int) -> None:
    invoices = Invoice.objects.bulk_create(
        Invoice(
            customer=customer,
            number=f"INV-BULK-{customer.pk}-{index:05d}",
            issued_on=TODAY - timedelta(days=index),
            due_date=TODAY - timedelta(days=index) + timedelta(days=14),
            total=Decimal("5500"),
            tax=Decimal("500"),
            status="paid" if index > 5 else "unpaid",
        )
        for index in range(count)
    )
    assert len(invoices) == count


@pytest.mark.parametrize("invoice_count", [0, 3, 500])
def test_the_invoice_list_costs_the_same_queries_for_any_amount_of_data(
    api, customer, invoice_count, django_assert_max_num_queries
):
    _fill_invoices(customer, invoice_count)
    for query in ("", "?status=unpaid", "?status=paid&limit=100"):
        with django_assert_max_num_queries(2):
            response = api.get(f"/api/invoices{query}")
        assert response.status_code == 200


def test_an_invoice_detail_is_two_queries_after_login(api, customer, django_assert_max_num_queries):
    invoice = _invoice(customer, due_in_days=5)
    InvoiceLineFactory.create_batch(30, invoice=invoice)
    with django_assert_max_num_queries(3):
        response = api.get(f"/api/invoices/{invoice.pk}")
    assert len(response.json()["lines"]) == 30


# --- Payment methods ---------------------------------------------------------------------


def test_payment_methods_have_exactly_the_keys_of_the_contract(api, customer):
    method = PaymentMethodFactory(
        customer=customer, brand="JCB", last4="0505", exp_month=12, exp_year=2026, is_default=True
    )
    response = api.get("/api/payment-methods")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": method.pk,
                "type": "card",
                "brand": "JCB",
                "last4": "0505",
                "expMonth": 12,
                "expYear": 2026,
                "isDefault": True,
                "expiresSoon": True,
            }
        ]
    }


def test_payment_methods_list_the_default_first_and_only_mine(api, customer, other_customer):
    spare = PaymentMethodFactory(customer=customer, last4="1111")
    default = PaymentMethodFactory(customer=customer, last4="2222", is_default=True)
    PaymentMethodFactory(customer=other_customer, is_default=True)
    items = api.get("/api/payment-methods").json()["items"]
    assert [item["id"] for item in items] == [default.pk, spare.pk]
    assert [item["expiresSoon"] for item in items] == [False, False]


def test_adding_a_first_method_answers_201_with_the_default(api, customer):
    response = api.post("/api/payment-methods", {"token": "tok_mastercard"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == METHOD_KEYS
    assert body["brand"] == "Mastercard"
    assert body["last4"] == "4444"
    assert body["isDefault"] is True
    assert body["expiresSoon"] is False
    assert PaymentMethod.objects.get(pk=body["id"]).customer == customer


def test_the_expiring_test_token_expires_soon(api):
    body = api.post("/api/payment-methods", {"token": "tok_visa_expiring"}, format="json").json()
    assert (body["expMonth"], body["expYear"], body["expiresSoon"]) == (11, 2026, True)


def test_a_bank_account_is_a_method_without_expiry(api):
    body = api.post("/api/payment-methods", {"token": "tok_bank_account"}, format="json").json()
    assert body["type"] == "bank_account"
    assert (body["expMonth"], body["expYear"], body["expiresSoon"]) == (None, None, False)


def test_posting_the_same_token_twice_creates_one_method(api, customer):
    first = api.post("/api/payment-methods", {"token": "tok_visa"}, format="json")
    again = api.post("/api/payment-methods", {"token": "tok_visa"}, format="json")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert PaymentMethod.objects.filter(customer=customer).count() == 1


def test_a_second_method_is_not_the_default(api):
    api.post("/api/payment-methods", {"token": "tok_visa"}, format="json")
    second = api.post("/api/payment-methods", {"token": "tok_amex"}, format="json").json()
    assert second["isDefault"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"token": "tok_unknown"}, "did not recognise"),
        ({"token": "tok_card_declined"}, "declined"),
        ({"token": "4242424242424242"}, "Card numbers are never sent to us"),
        ({"token": ""}, "blank"),
        ({}, "required"),
    ],
)
def test_a_token_the_processor_refuses_is_a_400_naming_the_token(api, body, message):
    response = api.post("/api/payment-methods", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert message in error["fields"]["token"][0]
    assert not PaymentMethod.objects.exists()


def test_removing_a_method_answers_204(api, customer):
    PaymentMethodFactory(customer=customer, is_default=True)
    spare = PaymentMethodFactory(customer=customer)
    response = api.delete(f"/api/payment-methods/{spare.pk}")
    assert response.status_code == 204
    assert not PaymentMethod.objects.filter(pk=spare.pk).exists()


def test_removing_the_default_promotes_another(api, customer):
    default = PaymentMethodFactory(customer=customer, is_default=True)
    spare = PaymentMethodFactory(customer=customer)
    assert api.delete(f"/api/payment-methods/{default.pk}").status_code == 204
    (item,) = api.get("/api/payment-methods").json()["items"]
    assert (item["id"], item["isDefault"]) == (spare.pk, True)


def test_the_last_method_with_an_active_service_is_a_409(api, customer):
    SubscriptionFactory(customer=customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    response = api.delete(f"/api/payment-methods/{method.pk}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "payment_method_required"
    assert "at least one payment method" in error["message"]
    assert PaymentMethod.objects.filter(pk=method.pk).exists()


def test_the_last_method_without_a_service_can_be_removed(api, customer):
    method = PaymentMethodFactory(customer=customer, is_default=True)
    assert api.delete(f"/api/payment-methods/{method.pk}").status_code == 204


def test_other_customers_method_cannot_be_removed(api, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer, is_default=True)
    response = api.delete(f"/api/payment-methods/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert PaymentMethod.objects.filter(pk=theirs.pk).exists()


def test_making_a_method_the_default_switches_it(api, customer):
    default = PaymentMethodFactory(customer=customer, is_default=True)
    spare = PaymentMethodFactory(customer=customer)
    response = api.post(f"/api/payment-methods/{spare.pk}/default")
    assert response.status_code == 200
    assert response.json()["isDefault"] is True
    default.refresh_from_db()
    assert default.is_default is False


def test_other_customers_method_cannot_become_my_default(api, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer)
    assert api.post(f"/api/payment-methods/{theirs.pk}/default").status_code == 404


def test_a_method_added_by_another_customer_with_the_same_token_stays_theirs(api, other_api):
    mine = api.post("/api/payment-methods", {"token": "tok_visa"}, format="json").json()
    theirs = other_api.post("/api/payment-methods", {"token": "tok_visa"}, format="json")
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"]


def test_staff_without_a_customer_get_404_not_500(client, staff_user):
    from tests.conftest import bearer_client

    staff_api = bearer_client(staff_user)
    assert staff_api.get("/api/invoices").status_code == 404


def test_the_schema_documents_the_billing_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert {"get"} <= set(paths["/api/invoices"])
    assert {"get", "post"} <= set(paths["/api/payment-methods"])
    assert "409" in paths["/api/payment-methods/{payment_method_id}"]["delete"]["responses"]
    assert "400" in paths["/api/payment-methods"]["post"]["responses"]


def test_another_customer_sees_none_of_my_billing(other_api):
    customer = CustomerFactory()
    _invoice(customer, due_in_days=1)
    PaymentMethodFactory(customer=customer)
    assert other_api.get("/api/invoices").json()["items"] == []
    assert other_api.get("/api/payment-methods").json()["items"] == []
