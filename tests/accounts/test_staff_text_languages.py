"""Text staff write for a customer (eligibility notes, rejection reasons) and plan names on
invoices are read in the customer's language; one written in a single language is shown
with its language marked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import InternetEligibility, ResidenceCardVerification
from eligibility.services import record_eligibility_result, request_internet_eligibility
from tests.factories import InvoiceFactory, InvoiceLineFactory
from verification.services.review import review_residence_card

pytestmark = pytest.mark.django_db

REASON_EN = "The photo of the back side is unreadable."
REASON_JA = "裏面の写真が読み取れませんでした。"


def switch(client, language):
    response = client.post("/account/language", {"language": language, "next": "/account/"})
    assert response.status_code == 302


def reject(customer, *, en=REASON_EN, ja=REASON_JA):
    verification = customer.residence_card_verification
    verification.status = "pending"
    verification.save()
    review_residence_card(
        customer=customer,
        status="rejected",
        reviewer=None,
        rejection_reason=en,
        rejection_reason_ja=ja,
        now=timezone.now(),
    )


def test_the_rejection_reason_follows_the_customers_language(browser_client, api, customer):
    reject(customer)
    for language, shown, hidden in (("en", REASON_EN, REASON_JA), ("ja", REASON_JA, REASON_EN)):
        switch(browser_client, language)
        for path in ("/account/verification", "/account/"):
            page = browser_client.get(path).content.decode()
            assert shown in page and hidden not in page, (language, path)
        status = api.get("/api/me/status").json()
        assert status["residenceCardVerification"]["rejectionReason"] == shown
        [task] = [task for task in status["tasks"] if task["type"] == "idv_rejected"]
        assert task["description"] == shown


def test_a_reason_in_one_language_is_shown_with_its_language_marked(browser_client, customer):
    # A CRM sends one field: Japanese text is placed as Japanese by its script.
    reject(customer, en=REASON_JA, ja="")
    verification = ResidenceCardVerification.objects.get(customer=customer)
    assert (verification.rejection_reason, verification.rejection_reason_ja) == ("", REASON_JA)
    switch(browser_client, "en")
    page = browser_client.get("/account/verification").content.decode()
    assert f'[In Japanese] <span lang="ja">{REASON_JA}</span>' in page
    switch(browser_client, "ja")
    page = browser_client.get("/account/verification").content.decode()
    assert REASON_JA in page and "【日本語】" not in page


def test_eligibility_notes_follow_the_customers_language(browser_client, customer):
    request_internet_eligibility(
        customer=customer, postal_code="150-0002", address="1-2-3 Shibuya", now=timezone.now()
    )
    record_eligibility_result(
        customer=customer,
        status="eligible",
        notes="Fiber is available in the building.",
        notes_ja="建物内で光回線をご利用いただけます。",
        now=timezone.now(),
    )
    switch(browser_client, "ja")
    page = browser_client.get("/account/eligibility").content.decode()
    assert "建物内で光回線をご利用いただけます。" in page
    assert "Fiber is available" not in page
    switch(browser_client, "en")
    page = browser_client.get("/account/eligibility").content.decode()
    assert "Fiber is available in the building." in page


def test_the_migration_keeps_old_text_in_the_language_it_was_written_in(customer):
    from importlib import import_module

    migration = import_module("accounts.migrations.0005_staff_text_in_english_and_japanese")
    InternetEligibility.objects.filter(customer=customer).update(notes="光回線あり。", notes_ja="")
    ResidenceCardVerification.objects.filter(customer=customer).update(
        rejection_reason=REASON_EN, rejection_reason_ja=""
    )
    migration.split_by_language(apps, None)
    eligibility = InternetEligibility.objects.get(customer=customer)
    verification = ResidenceCardVerification.objects.get(customer=customer)
    assert (eligibility.notes, eligibility.notes_ja) == ("", "光回線あり。")
    assert (verification.rejection_reason, verification.rejection_reason_ja) == (REASON_EN, "")


def test_plan_names_on_invoice_lines_follow_the_customers_language(browser_client, api, customer):
    invoice = InvoiceFactory(customer=customer, total=Decimal("5280"))
    InvoiceLineFactory(
        invoice=invoice,
        description="Hikari Fiber 1 Gbps",
        description_ja="光ファイバー 1Gbps",
        amount=Decimal("5280"),
    )
    switch(browser_client, "ja")
    page = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "光ファイバー 1Gbps" in page and "Hikari Fiber" not in page
    [line] = api.get(f"/api/invoices/{invoice.pk}").json()["lines"]
    assert line["description"] == "光ファイバー 1Gbps"
    switch(browser_client, "en")
    page = browser_client.get(f"/account/billing/invoices/{invoice.pk}").content.decode()
    assert "Hikari Fiber 1 Gbps" in page
    [line] = api.get(f"/api/invoices/{invoice.pk}").json()["lines"]
    assert line["description"] == "Hikari Fiber 1 Gbps"


def test_the_invoice_line_migration_names_plans_from_the_catalog(customer):
    from importlib import import_module

    from billing.models import InvoiceLine
    from subscriptions.plans import upsert_plans

    upsert_plans()
    migration = import_module("billing.migrations.0003_invoice_line_description_ja")
    invoice = InvoiceFactory(customer=customer)
    named = InvoiceLineFactory(invoice=invoice, description="SIM Data 3GB")
    other = InvoiceLineFactory(invoice=invoice, description="Installation fee")
    migration.name_plans_in_japanese(apps, None)
    assert InvoiceLine.objects.get(pk=named.pk).description_ja == "SIM データ 3GB"
    assert InvoiceLine.objects.get(pk=other.pk).description_ja == ""


def test_an_order_rejection_reason_follows_the_customers_language(browser_client, api, customer):
    from notifications.models import Notification
    from orders.services.review import reject_order
    from tests.factories import OrderFactory

    order = OrderFactory(customer=customer, status="pending_review")
    reject_order(
        order_id=order.pk,
        reason="Out of our area.",
        reason_ja="提供エリア外のため、お受けできません。",
    )
    for language, shown, hidden in (
        ("ja", "提供エリア外のため、お受けできません。", "Out of our area."),
        ("en", "Out of our area.", "提供エリア外のため"),
    ):
        switch(browser_client, language)
        page = browser_client.get(f"/account/orders/{order.pk}").content.decode()
        assert shown in page and hidden not in page
        assert api.get(f"/api/orders/{order.pk}").json()["failureReason"] == shown
        [item] = api.get("/api/notifications").json()["items"]
        assert shown in item["message"]
    assert Notification.objects.get(type="ORDER_FAILED").context["reason"]["$text"] == {
        "en": "Out of our area.",
        "ja": "提供エリア外のため、お受けできません。",
    }


def test_our_own_failure_reason_is_kept_in_both_languages(customer):
    from orders.services.fulfillment import _fail
    from tests.factories import OrderFactory

    order = OrderFactory(customer=customer, status="provisioning")
    from django.utils.translation import gettext_lazy

    _fail(
        order,
        gettext_lazy(
            "The network operator could not set up this service. Our support team will contact you."
        ),
        now=timezone.now(),
    )
    order.refresh_from_db()
    assert order.failure_reason.startswith("The network operator could not set up")
    assert order.failure_reason_ja.startswith("通信事業者でこのサービスを開通できませんでした")


def test_text_in_the_other_language_is_tagged_with_its_language(browser_client, customer):
    reject(customer, en="", ja=REASON_JA)
    switch(browser_client, "en")
    page = browser_client.get("/account/verification").content.decode()
    assert f'[In Japanese] <span lang="ja">{REASON_JA}</span>' in page
    reject_again = ResidenceCardVerification.objects.get(customer=customer)
    reject_again.rejection_reason = "Blurred <photo>"
    reject_again.save()
    page = browser_client.get("/account/verification").content.decode()
    assert "Blurred &lt;photo&gt;" in page and '<span lang="ja">' not in page
