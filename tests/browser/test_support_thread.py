"""The support thread at both widths and in both languages: read the reply, answer, close."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import Customer
from support import services
from support.models import SupportRequest
from tests.browser.test_accessibility import check
from tests.factories import StaffUserFactory

EMAIL = "new@demo.example"


def _thread(language: str) -> SupportRequest:
    customer = Customer.objects.get(user__email=EMAIL)
    customer.language = language
    customer.save(update_fields=["language"])
    support_request = services.create_support_request(
        customer=customer, topic="orders", message="When can I order internet?"
    ).support_request
    services.reply_to_support_request(
        support_request_id=support_request.pk,
        author=StaffUserFactory(first_name="Aiko"),
        message="ご確認が済み次第、すぐにご注文いただけます。"
        if language == "ja"
        else "As soon as the check finishes.",
        language=language,
    )
    return support_request


def test_the_customer_reads_the_reply_answers_and_closes_in_english(page):
    from tests.browser.conftest import log_in

    support_request = _thread("en")
    log_in(page, EMAIL)
    page.goto(f"/account/support/{support_request.pk}")
    expect(page.locator(".support-message--staff")).to_contain_text(
        "As soon as the check finishes."
    )
    expect(page.locator("main")).to_contain_text("Waiting for your reply")
    check(page, "support-thread")
    page.get_by_label("Your reply").fill("Thank you!")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(rf"/account/support/{support_request.pk}$"))
    expect(page.locator(".support-message--customer").last).to_contain_text("Thank you!")
    expect(page.locator("main")).to_contain_text("Waiting for our reply")
    page.get_by_role("button", name="Close this request").click()
    expect(page.locator("main")).to_contain_text("Write again to reopen this request")
    support_request.refresh_from_db()
    assert support_request.status == "closed"
    check(page, "support-thread-closed")


def test_the_thread_reads_in_japanese(page):
    from tests.browser.conftest import log_in

    support_request = _thread("ja")
    log_in(page, EMAIL)
    page.goto(f"/account/support/{support_request.pk}")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"お問い合わせ #{support_request.pk}")
    expect(page.locator(".support-message--staff")).to_contain_text("ご確認が済み次第")
    check(page, "support-thread-ja")
