"""Every page, at both sizes: axe-core finds nothing serious, and the page has one structure.

Each page is also saved as a screenshot (see conftest), so a person can look at all of them.
"""

from __future__ import annotations

import re
from itertools import pairwise

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from billing.models import PaymentMethod
from orders.models import Order
from subscriptions.models import Subscription
from tests.browser.conftest import log_in, log_out, main_nav, screenshot

axe = Axe()

# The heading levels of the page in document order, hidden ones included.
HEADING_LEVELS = (
    "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => Number(h.tagName[1]))"
)


def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, name)
    results = axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"
    for landmark in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(landmark)).to_have_count(1)
    levels = page.evaluate(HEADING_LEVELS)
    assert levels[0] == 1 and levels.count(1) == 1, f"{name}: headings {levels}"
    skipped = [(a, b) for a, b in pairwise(levels) if b > a + 1]
    assert not skipped, f"{name}: a heading level is skipped in {levels}"


def visit(page, path: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    check(page, name)


def test_every_page_passes_an_accessibility_scan(page):
    visit(page, "/login", "login")
    page.get_by_role("button", name=re.compile("^Log in$")).click()
    check(page, "login-with-errors")

    log_in(page, "new@demo.example")
    check(page, "dashboard-new")
    for path, name in [
        ("/account/orders", "orders-empty"),
        ("/account/orders/new", "order-new-gated"),
        ("/account/eligibility", "eligibility-not-requested"),
        ("/account/verification", "verification-not-submitted"),
        ("/account/services", "services-empty"),
        ("/account/notifications", "notifications-empty"),
        ("/account/billing/invoices", "invoices-empty"),
        ("/account/billing/payment-methods", "payment-methods-empty"),
        ("/account/orders/999999", "not-found"),
        ("/account/support", "support"),
        ("/test-processor/cards", "processor-card-form"),
    ]:
        visit(page, path, name)
    page.goto("/account/eligibility")
    page.get_by_role("button", name="Check availability").click()
    check(page, "eligibility-with-errors")
    log_out(page)

    log_in(page, "overdue@demo.example")
    check(page, "dashboard-overdue")
    sim = Subscription.objects.get(customer__user__email="overdue@demo.example", plan__kind="sim")
    for path, name in [
        ("/account/services", "services"),
        (f"/account/services/{sim.pk}", "service-detail"),
        (f"/account/services/{sim.pk}/cancel", "cancel-choose"),
        ("/account/notifications", "notifications"),
        ("/account/billing/invoices", "invoices"),
        ("/account/settings", "settings"),
        ("/account/settings/notifications", "notification-settings"),
        ("/account/billing/payment-methods", "payment-methods"),
    ]:
        visit(page, path, name)
    page.get_by_role("link", name="Invoices").click()
    page.locator("tbody tr").first.get_by_role("link").click()
    check(page, "invoice-overdue")
    page.get_by_role("link", name="Pay now").click()
    check(page, "invoice-pay")
    page.goto("/account/orders/new")
    sim_orders = page.get_by_role("region", name="SIM")
    sim_orders.get_by_role("radio").first.check()
    sim_orders.get_by_role("button", name="Review the order").click()
    check(page, "order-review")
    if page.viewport_name == "phone":
        main_nav(page)
        check(page, "menu-open")
    page.goto(f"/account/services/{sim.pk}/cancel")
    page.get_by_role("group", name="Last day of service").get_by_role("radio").first.check()
    page.get_by_role("radio", name="I am leaving Japan").check()
    page.get_by_role("button", name="Review the cancellation").click()
    check(page, "cancel-review")
    # The switch reloads the page by GET: the cancellation starts again at its first step.
    page.get_by_role("button", name="日本語").click()
    check(page, "cancel-choose-ja")
    visit(page, "/account/", "dashboard-overdue-ja")
    page.get_by_role("button", name="English").click()
    log_out(page)

    log_in(page, "rejected@demo.example")
    check(page, "dashboard-rejected")
    visit(page, "/account/verification", "verification-rejected")
    visit(page, "/account/eligibility", "eligibility-pending")
    log_out(page)

    log_in(page, "ordering@demo.example")
    check(page, "dashboard-ordering")
    visit(page, "/account/orders", "orders")
    page.locator("tbody tr").first.get_by_role("link").click()
    check(page, "order-detail")
    pending = Order.objects.get(
        customer__user__email="ordering@demo.example", status="pending_review"
    )
    visit(page, f"/account/orders/{pending.pk}/cancel", "order-cancel-question")
    card = PaymentMethod.objects.get(customer__user__email="ordering@demo.example")
    visit(page, f"/account/billing/payment-methods/{card.pk}/remove", "payment-method-remove")


def test_a_customer_can_do_it_all_with_the_keyboard(page):
    page.goto("/login")
    # The email field has the focus as the page opens.
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("overdue@demo.example")
    page.keyboard.press("Tab")
    page.keyboard.type("portal-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/account/$"))

    # The first Tab reaches the skip link, visibly, and it jumps to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # Tab to the first "Mark as read" and press Enter: the bell drops, focus stays put.
    mark_read = page.get_by_role("button", name=re.compile("^Mark as read"))
    for _ in range(60):
        page.keyboard.press("Tab")
        if mark_read.first.evaluate("button => button === document.activeElement"):
            break
    expect(mark_read.first).to_be_focused()
    outline = mark_read.first.evaluate("button => getComputedStyle(button).outlineStyle")
    assert outline != "none", "the focused button shows no focus ring"
    page.keyboard.press("Enter")
    expect(page.locator("#notification-bell .bell__count")).to_have_count(0)
    # Focus is put back once the swap settles: on the card itself, since nothing unread is
    # left in it. Wait through expect() rather than race it (a wait_for_function string
    # needs eval, which the page's CSP refuses; `:focus` also needs the window focused).
    expect(page.locator("#latest-notifications")).to_be_focused()
