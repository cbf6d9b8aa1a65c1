from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, main_nav, screenshot


def test_a_customer_logs_in_and_lands_on_the_dashboard(page):
    page.goto("/account/")
    assert "/login?next=/account/" in page.url
    screenshot(page, "login")
    log_in(page, "new@demo.example")
    assert page.url.endswith("/account/")
    assert main_nav(page).is_visible()


def test_a_wrong_password_is_explained_and_keeps_the_email(page):
    page.goto("/login")
    page.get_by_label("Email").fill("new@demo.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name=re.compile("Log in")).click()
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_label("Email")).to_have_value("new@demo.example")
