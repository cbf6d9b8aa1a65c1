"""The pages a newcomer stumbled on, in English and in Japanese at both widths: numbers typed the
Japanese way, every mistake shown at once, the questions before a destructive action, the
withdrawal wording. Each page passes the accessibility scan and is saved as a screenshot."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Customer
from billing.models import PaymentMethod
from orders.models import Order
from subscriptions.models import Subscription
from subscriptions.services import offered_effective_dates, request_cancellation
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import check, visit

FULL_WIDTH_PHONE = "\uff10\uff19\uff10\u30fc\uff11\uff12\uff13\uff14\u30fc\uff15\uff16\uff17\uff18"
TEXT = {
    "en": {
        "save": "Save profile",
        "saved": "Your profile is saved.",
        "check": "Check availability",
    },
    "ja": {
        "save": "プロフィールを保存",
        "saved": "プロフィールを保存しました。",
        "check": "提供エリアを確認",
    },
}


@pytest.fixture(params=["en", "ja"])
def language(request: pytest.FixtureRequest, demo: None) -> str:
    Customer.objects.update(language=request.param)
    return str(request.param)


def test_a_phone_typed_full_width_is_saved_and_mistakes_show_at_once(page, language):
    text = TEXT[language]
    log_in(page, "overdue@demo.example")
    page.goto("/account/settings")
    page.locator("#id_name").fill("")
    page.locator("#id_phone").fill("call me")
    page.get_by_role("button", name=text["save"]).click()
    # Both fields say what is wrong, in one round.
    expect(page.locator("#profile [aria-invalid=true]")).to_have_count(2)
    check(page, f"settings-errors-{language}")

    page.locator("#id_name").fill("Kenji Tanaka")
    page.locator("#id_phone").fill(FULL_WIDTH_PHONE)
    page.get_by_role("button", name=text["save"]).click()
    expect(page.locator(".flash")).to_contain_text(text["saved"])
    assert Customer.objects.get(user__email="overdue@demo.example").phone == "090-1234-5678"
    expect(page.locator("#id_phone")).to_have_value("090-1234-5678")


def test_a_bad_postal_code_and_a_missing_address_show_at_once(page, language):
    text = TEXT[language]
    log_in(page, "new@demo.example")
    page.goto("/account/eligibility")
    page.locator("#id_postal_code").fill("\uff11\uff15\uff10")  # 150, typed full width
    page.get_by_role("button", name=text["check"]).click()
    expect(page.locator("main [aria-invalid=true]")).to_have_count(2)
    check(page, f"eligibility-errors-{language}")


def test_the_questions_before_cancelling_and_removing(page, language):
    log_in(page, "ordering@demo.example")
    pending = Order.objects.get(
        customer__user__email="ordering@demo.example", status="pending_review"
    )
    visit(page, f"/account/orders/{pending.pk}/cancel", f"order-cancel-question-{language}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(pending.number)
    card = PaymentMethod.objects.get(customer__user__email="ordering@demo.example")
    visit(page, f"/account/billing/payment-methods/{card.pk}/remove", f"card-remove-{language}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(card.last4)


def test_the_withdrawal_is_offered_where_the_review_says(page, language):
    sim = Subscription.objects.get(customer__user__email="overdue@demo.example", plan__kind="sim")
    log_in(page, "overdue@demo.example")
    page.goto(f"/account/services/{sim.pk}/cancel")
    page.locator("input[name=effective_on]").first.check()
    page.locator("input[name=reason]").first.check()
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".consequences")).to_contain_text(re.compile("withdraw|取り消して"))
    check(page, f"cancel-review-{language}")

    request_cancellation(
        customer=sim.customer,
        subscription_id=sim.pk,
        effective_on=offered_effective_dates(now=timezone.now())[0],
        reason="moving",
    )
    visit(page, f"/account/services/{sim.pk}", f"service-cancellation-scheduled-{language}")
    expect(page.locator(".service-notice__action button")).to_be_visible()
