from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing.models import Invoice, PaymentMethod
from dashboard.demo import load_demo_data
from tests.factories import (
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


def _invoice(customer, *, due_in_days: int, status: str = "unpaid", **kwargs) -> Invoice:
    due = TODAY + timedelta(days=due_in_days)
    return InvoiceFactory(
        customer=customer, due_date=due, issued_on=due - timedelta(days=15), status=status, **kwargs
    )


def _numbers(html: str) -> list[str]:
    """Invoice numbers in the order the page shows them."""
    return re.findall(r'href="/account/billing/invoices/\d+">([^<]+)</a>', html)


# --- Login and ownership -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/account/billing",
        "/account/billing/invoices",
        "/account/billing/invoices/1",
        "/account/billing/payment-methods",
    ],
)
def test_billing_pages_send_anonymous_visitors_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/login?next={url}")


@pytest.mark.parametrize(
    "url",
    [
        "/account/billing/payment-methods/add",
        "/account/billing/payment-methods/1/remove",
        "/account/billing/payment-methods/1/default",
    ],
)
def test_billing_actions_send_anonymous_visitors_to_login(client, url):
    response = client.post(url, {"token": "tok_visa"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    assert not PaymentMethod.objects.exists()


def test_other_customers_invoice_page_is_404(browser_client, other_customer):
    theirs = _invoice(other_customer, due_in_days=3)
    assert browser_client.get(f"/account/billing/invoices/{theirs.pk}").status_code == 404


def test_other_customers_invoices_are_not_listed(browser_client, other_customer):
    theirs = _invoice(other_customer, due_in_days=3)
    response = browser_client.get("/account/billing/invoices")
    assert theirs.number not in response.content.decode()


def test_other_customers_payment_methods_cannot_be_touched(browser_client, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer, is_default=False, last4="9999")
    PaymentMethodFactory(customer=other_customer, is_default=True)
    assert "9999" not in browser_client.get("/account/billing/payment-methods").content.decode()
    remove = browser_client.post(f"/account/billing/payment-methods/{theirs.pk}/remove")
    default = browser_client.post(f"/account/billing/payment-methods/{theirs.pk}/default")
    assert remove.status_code == default.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_default is False


def test_billing_goes_to_the_invoices(browser_client):
    response = browser_client.get("/account/billing")
    assert response["Location"] == "/account/billing/invoices"


# --- Invoices ----------------------------------------------------------------------------


def test_overdue_and_unpaid_invoices_come_first_then_the_history(browser_client, customer):
    _invoice(customer, due_in_days=-60, status="paid", number="INV-PAID-OLD")
    _invoice(customer, due_in_days=-30, status="paid", number="INV-PAID-NEW")
    _invoice(customer, due_in_days=3, number="INV-DUE-SOON")
    _invoice(customer, due_in_days=-10, number="INV-OVERDUE")
    _invoice(customer, due_in_days=-20, status="refunded", number="INV-REFUNDED")
    html = browser_client.get("/account/billing/invoices").content.decode()
    assert _numbers(html) == [
        "INV-OVERDUE",
        "INV-DUE-SOON",
        "INV-REFUNDED",
        "INV-PAID-NEW",
        "INV-PAID-OLD",
    ]
    assert html.index("To pay") < html.index("INV-OVERDUE") < html.index("History")
    assert "Overdue by 10 days" in html
    assert html.count("invoice-row--overdue") == 1


def test_amounts_are_shown_in_yen_with_tax_included(browser_client, customer):
    _invoice(customer, due_in_days=3, total=Decimal("7458.00"), tax=Decimal("678.00"))
    html = browser_client.get("/account/billing/invoices").content.decode()
    assert "¥7,458" in html
    assert "Amount (tax incl.)" in html


def test_nothing_to_pay_says_so(browser_client, customer):
    _invoice(customer, due_in_days=-30, status="paid")
    html = browser_client.get("/account/billing/invoices").content.decode()
    assert "Nothing to pay right now." in html


def test_a_new_customer_sees_empty_states(browser_client):
    html = browser_client.get("/account/billing/invoices").content.decode()
    assert "Nothing to pay right now." in html
    assert "No earlier invoices yet." in html


def test_the_history_is_paginated(browser_client, customer):
    for days in range(25):
        _invoice(customer, due_in_days=-100 + days, status="paid", number=f"INV-H{days:02d}")
    _invoice(customer, due_in_days=5, number="INV-UNPAID")
    first = browser_client.get("/account/billing/invoices")
    html = first.content.decode()
    numbers = _numbers(html)
    assert numbers[0] == "INV-UNPAID"
    assert numbers[1:] == [f"INV-H{days:02d}" for days in range(24, 4, -1)]
    cursor = first.context["next_cursor"]
    assert cursor and "More invoices" in html
    second = browser_client.get(f"/account/billing/invoices?cursor={cursor}")
    html = second.content.decode()
    assert _numbers(html) == [f"INV-H{days:02d}" for days in range(4, -1, -1)]
    assert "To pay" not in html
    assert "First page" in html
    assert second.context["next_cursor"] is None


def test_the_status_filter_lists_one_status(browser_client, customer):
    _invoice(customer, due_in_days=-30, status="paid", number="INV-PAID")
    _invoice(customer, due_in_days=-40, status="cancelled", number="INV-CANCELLED")
    _invoice(customer, due_in_days=3, number="INV-UNPAID")
    html = browser_client.get("/account/billing/invoices?status=cancelled").content.decode()
    assert _numbers(html) == ["INV-CANCELLED"]
    assert "Invoices: Cancelled" in html


def test_the_unpaid_filter_lists_overdue_first(browser_client, customer):
    _invoice(customer, due_in_days=3, number="INV-LATER")
    _invoice(customer, due_in_days=-3, number="INV-OVERDUE")
    html = browser_client.get("/account/billing/invoices?status=unpaid").content.decode()
    assert _numbers(html) == ["INV-OVERDUE", "INV-LATER"]


def test_more_than_a_page_to_pay_links_to_all_of_them(browser_client, customer):
    for days in range(21):
        _invoice(customer, due_in_days=days)
    html = browser_client.get("/account/billing/invoices").content.decode()
    assert 'href="/account/billing/invoices?status=unpaid"' in html
    assert "See all invoices to pay" in html


@pytest.mark.parametrize("query", ["status=late", "cursor=garbage"])
def test_a_bad_filter_or_cursor_returns_to_the_list_with_a_message(browser_client, query):
    response = browser_client.get(f"/account/billing/invoices?{query}", follow=True)
    assert response.redirect_chain == [("/account/billing/invoices", 302)]
    assert "Here" in response.content.decode()


def _fill_invoices(customer, count: int) -> None:
    Invoice.objects.bulk_create(
        Invoice(
            customer=customer,
            number=f"INV-BULK-{index:05d}",
            issued_on=TODAY - timedelta(days=index),
            due_date=TODAY - timedelta(days=index) + timedelta(days=14),
            total=Decimal("5500"),
            tax=Decimal("500"),
            status="paid" if index > 5 else "unpaid",
        )
        for index in range(count)
    )


@pytest.mark.parametrize("invoice_count", [0, 3, 500])
def test_the_invoice_page_costs_the_same_queries_for_any_amount_of_data(
    browser_client, customer, invoice_count, django_assert_max_num_queries
):
    _fill_invoices(customer, invoice_count)
    # Session, user with customer, the bell's unread count, invoices to pay, history.
    with django_assert_max_num_queries(5):
        response = browser_client.get("/account/billing/invoices")
    assert response.status_code == 200
    assert len(_numbers(response.content.decode())) == min(invoice_count, 26)


def test_an_invoice_page_shows_lines_tax_and_total(browser_client, customer):
    invoice = _invoice(customer, due_in_days=3, total=Decimal("7458.00"), tax=Decimal("678.00"))
    InvoiceLineFactory(invoice=invoice, description="Hikari Fiber 1 Gbps", amount=Decimal("5280"))
    InvoiceLineFactory(invoice=invoice, description="SIM Data 20GB", amount=Decimal("2178"))
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    for text in (
        invoice.number,
        "Hikari Fiber 1 Gbps",
        "¥5,280",
        "SIM Data 20GB",
        "¥2,178",
        "Consumption tax included",
        "¥678",
        "Total (tax included)",
        "¥7,458",
        "To pay",
    ):
        assert text in html
    assert "overdue" not in html.lower()


def _monthly(customer) -> Invoice:
    return _invoice(
        customer,
        due_in_days=3,
        kind="monthly",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )


def test_a_monthly_invoice_page_shows_the_month_it_bills(browser_client, customer):
    invoice = _monthly(customer)
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert re.search(r"<dt>Billing period</dt>\s*<dd[^>]*>Oct. 1, 2026 to Oct. 31, 2026</dd>", html)


def test_a_monthly_invoice_page_shows_the_month_in_japanese(browser_client, customer):
    customer.language = "ja"
    customer.save(update_fields=["language"])
    invoice = _monthly(customer)
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "ご利用期間" in html
    assert "2026年10月1日〜2026年10月31日" in html


def test_a_one_off_invoice_page_has_no_billing_period(browser_client, customer):
    invoice = _invoice(customer, due_in_days=3)
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "Billing period" not in html


def test_an_overdue_invoice_page_says_how_late_it_is(browser_client, customer):
    invoice = _invoice(customer, due_in_days=-1)
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "is 1 day overdue" in html
    assert "Overdue by 1 day" in html
    assert f'href="/account/billing/invoices/{invoice.pk}/pay"' in html


def test_a_paid_invoice_page_says_when(browser_client, customer):
    from django.utils import timezone

    invoice = _invoice(customer, due_in_days=-30, status="paid", paid_at=timezone.now())
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "Paid on" in html
    assert "Paid</span>" in html


def test_the_overdue_demo_customer_sees_the_overdue_invoice_first(client):
    load_demo_data(today=TODAY)
    assert client.login(email="overdue@demo.example", password="portal-demo")
    response = client.get("/account/billing/invoices")
    html = response.content.decode()
    numbers = _numbers(html)
    assert numbers[0] == "INV-D002-03"
    assert numbers[:2] == ["INV-D002-03", "INV-D002-04"]
    first_row = html[html.index("<tbody>") : html.index("INV-D002-04")]
    assert "invoice-row--overdue" in first_row
    assert "Overdue by 10 days" in first_row
    overdue = Invoice.objects.get(number="INV-D002-03")
    page = client.get(f"/account/billing/invoices/{overdue.pk}")
    assert page.status_code == 200
    assert "is 10 days overdue" in page.content.decode()


# --- Payment methods ---------------------------------------------------------------------


def test_the_payment_methods_page_lists_mine_with_the_default_marked(browser_client, customer):
    PaymentMethodFactory(customer=customer, brand="Visa", last4="4242", is_default=True)
    PaymentMethodFactory(customer=customer, brand="JCB", last4="0505", exp_month=12, exp_year=2026)
    html = browser_client.get("/account/billing/payment-methods").content.decode()
    assert html.index("4242") < html.index("0505")
    assert "Default" in html
    assert "Expires soon" in html
    assert "Expires 12/2026" in html
    assert "tok_visa" not in html  # cards are added on the processor's own form


def test_an_expired_card_is_marked(browser_client, customer):
    PaymentMethodFactory(customer=customer, last4="0069", exp_month=10, exp_year=2026)
    assert "Expired" in browser_client.get("/account/billing/payment-methods").content.decode()


def test_a_customer_without_methods_is_asked_to_add_one(browser_client):
    html = browser_client.get("/account/billing/payment-methods").content.decode()
    assert "No payment method yet" in html


def test_adding_a_card_from_a_token_makes_it_the_default(browser_client, customer):
    response = browser_client.post(
        "/account/billing/payment-methods/add", {"token": "tok_visa"}, follow=True
    )
    assert response.redirect_chain == [("/account/billing/payment-methods", 302)]
    assert "Visa •••• 4242 is added and is now your default payment method." in (
        response.content.decode()
    )
    (method,) = PaymentMethod.objects.filter(customer=customer)
    assert method.is_default


def test_adding_the_same_token_twice_from_the_page_stores_one(browser_client, customer):
    browser_client.post("/account/billing/payment-methods/add", {"token": "tok_amex"})
    response = browser_client.post(
        "/account/billing/payment-methods/add", {"token": "tok_amex"}, follow=True
    )
    assert "is already one of your payment methods" in response.content.decode()
    assert PaymentMethod.objects.filter(customer=customer).count() == 1


def test_a_refused_token_is_explained_on_the_page(browser_client, customer):
    response = browser_client.post(
        "/account/billing/payment-methods/add", {"token": "tok_card_declined"}, follow=True
    )
    assert response.redirect_chain == [("/account/billing/payment-methods", 302)]
    assert "The card was declined." in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_removing_a_method_from_the_page(browser_client, customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    response = browser_client.post(
        f"/account/billing/payment-methods/{spare.pk}/remove", {"confirm": "yes"}, follow=True
    )
    assert "Visa •••• 2222 is removed." in response.content.decode()
    assert not PaymentMethod.objects.filter(pk=spare.pk).exists()


def test_the_list_links_to_the_remove_question_instead_of_removing(browser_client, customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    html = browser_client.get("/account/billing/payment-methods").content.decode()
    remove = f"/account/billing/payment-methods/{spare.pk}/remove"
    assert f'<a class="button button--quiet" href="{remove}">' in html
    assert f'action="{remove}"' not in html and f'hx-post="{remove}"' not in html


def test_the_remove_question_asks_with_a_form_and_removes_nothing(browser_client, customer):
    PaymentMethodFactory(customer=customer, last4="1111")
    default = PaymentMethodFactory(customer=customer, is_default=True, last4="2222")
    response = browser_client.get(f"/account/billing/payment-methods/{default.pk}/remove")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Remove Visa ending in 2222?" in html
    assert "another of your saved payment methods becomes the default" in html
    assert f'<form method="post" action="/account/billing/payment-methods/{default.pk}/remove"' in (
        html
    )
    assert 'name="confirm" value="yes"' in html
    assert PaymentMethod.objects.filter(pk=default.pk).exists()


def test_the_remove_question_is_asked_in_japanese(browser_client, customer):
    customer.language = "ja"
    customer.save()
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    html = browser_client.get(f"/account/billing/payment-methods/{spare.pk}/remove").content
    assert "Visa（末尾 2222）を削除しますか？" in html.decode()  # noqa: RUF001
    assert "このお支払い方法を削除する" in html.decode()


def test_a_remove_post_without_the_confirmation_only_asks(browser_client, customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    for headers in ({}, {"HX-Request": "true"}):
        response = browser_client.post(
            f"/account/billing/payment-methods/{spare.pk}/remove", headers=headers
        )
        assert response.status_code == 200
        assert "Remove Visa ending in 2222?" in response.content.decode()
    assert PaymentMethod.objects.filter(pk=spare.pk).exists()


def test_the_remove_question_for_the_last_required_method_offers_no_button(
    browser_client, customer
):
    SubscriptionFactory(customer=customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    html = browser_client.get(f"/account/billing/payment-methods/{method.pk}/remove").content
    assert "you need at least one payment method" in html.decode()
    assert 'name="confirm"' not in html.decode()


def test_another_customers_remove_question_is_404(browser_client, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer, last4="9999")
    PaymentMethodFactory(customer=other_customer, is_default=True)
    url = f"/account/billing/payment-methods/{theirs.pk}/remove"
    assert browser_client.get(url).status_code == 404
    assert browser_client.post(url, {"confirm": "yes"}).status_code == 404
    assert PaymentMethod.objects.filter(pk=theirs.pk).exists()


def test_the_remove_question_needs_a_login(client, customer):
    method = PaymentMethodFactory(customer=customer)
    response = client.get(f"/account/billing/payment-methods/{method.pk}/remove")
    assert response["Location"].startswith("/login?next=")


def test_the_page_explains_why_the_last_method_cannot_be_removed(browser_client, customer):
    SubscriptionFactory(customer=customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    html = browser_client.get("/account/billing/payment-methods").content.decode()
    assert "you need at least one payment method" in html
    assert f"/account/billing/payment-methods/{method.pk}/remove" not in html


def test_removing_the_last_method_anyway_is_refused_with_the_reason(browser_client, customer):
    SubscriptionFactory(customer=customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    response = browser_client.post(
        f"/account/billing/payment-methods/{method.pk}/remove", {"confirm": "yes"}, follow=True
    )
    assert "flash--error" in response.content.decode()
    assert PaymentMethod.objects.filter(pk=method.pk).exists()


def test_making_a_method_the_default_from_the_page(browser_client, customer):
    default = PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    response = browser_client.post(
        f"/account/billing/payment-methods/{spare.pk}/default", follow=True
    )
    assert "Visa •••• 2222 is now your default payment method." in response.content.decode()
    default.refresh_from_db()
    spare.refresh_from_db()
    assert (default.is_default, spare.is_default) == (False, True)


def test_htmx_swaps_only_the_list_with_its_message(browser_client, customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    response = browser_client.post(
        f"/account/billing/payment-methods/{spare.pk}/default", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="payment-methods"')
    assert "is now your default payment method" in html
    assert "<html" not in html


def test_pages_carry_no_inline_scripts_or_styles(browser_client, customer):
    invoice = _invoice(customer, due_in_days=-2)
    PaymentMethodFactory(customer=customer, is_default=True)
    for url in (
        "/account/billing/invoices",
        f"/account/billing/invoices/{invoice.pk}",
        "/account/billing/payment-methods",
    ):
        html = browser_client.get(url).content.decode()
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_a_customer_reading_in_japanese_sees_amounts_in_yen_after_the_number(
    browser_client, customer
):
    customer.language = "ja"
    customer.save(update_fields=["language"])
    invoice = _invoice(customer, due_in_days=3, total=Decimal("7458.00"), tax=Decimal("678.00"))
    html = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "7,458円" in html
    assert "678円" in html
    assert "¥" not in html
