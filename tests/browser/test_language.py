from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import Customer
from tests.browser.conftest import DEMO_PASSWORD, close_menu, log_in, log_out, main_nav, screenshot

EMAIL = "overdue@demo.example"


def test_a_customer_switches_to_japanese_in_the_header(page):
    log_in(page, EMAIL)
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("ようこそ、Kenji Tanaka 様")
    assert Customer.objects.get(user__email=EMAIL).language == "ja"

    # Task copy, yen amounts and dates are written the Japanese way.
    overdue = page.locator("[data-task-type=invoice_due]").first
    expect(overdue).to_contain_text("お支払い期限を過ぎています")
    # Japanese punctuation on purpose: full-width brackets and colon.
    written = re.compile(r"7,458円（お支払い期限：\d{4}年\d{1,2}月\d{1,2}日）")  # noqa: RUF001
    expect(overdue).to_contain_text(written)
    expect(main_nav(page, "メイン")).to_be_visible()
    close_menu(page)
    screenshot(page, "dashboard-ja")

    overdue.get_by_role("link", name="請求書を見る").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("請求書 INV-")
    screenshot(page, "invoice-ja")
    main_nav(page, "メイン").get_by_role("link", name="サービス").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ご利用中のサービス")
    screenshot(page, "services-ja")

    # Logged out, the browser still speaks the customer's language.
    log_out(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("アカウントにログイン")
    expect(page.get_by_role("status")).to_contain_text("ログアウトしました。")

    log_in(page, EMAIL)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Kenji Tanaka")
    assert Customer.objects.get(user__email=EMAIL).language == "en"


def test_a_visitor_chooses_japanese_on_the_login_page_and_keeps_it(page):
    page.goto("/account/orders")
    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("アカウントにログイン")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    screenshot(page, "login-ja")

    # A mistake is explained in Japanese next to the field, and the email stays.
    page.get_by_label("メールアドレス").fill("new@demo.example")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_label("パスワード")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password_error")).to_contain_text("パスワードを入力してください。")
    expect(page.get_by_label("メールアドレス")).to_have_value("new@demo.example")
    screenshot(page, "login-ja-error")

    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    # Back where the visitor was going, in the language they chose.
    page.wait_for_url(re.compile(r"/account/orders$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ご注文")
    assert Customer.objects.get(user__email="new@demo.example").language == "ja"
