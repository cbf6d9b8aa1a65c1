from __future__ import annotations

import re

from playwright.sync_api import expect

from orders.models import Order
from tests.browser.conftest import log_in, main_nav, screenshot

EMAIL = "new@demo.example"
VERIFICATION_NEEDED = "A SIM needs a verified residence card"


def test_a_sim_order_without_a_verified_card_is_refused_with_the_way_forward(page):
    log_in(page, EMAIL)
    main_nav(page).get_by_role("link", name="Orders").click()
    screenshot(page, "orders-empty")
    page.get_by_role("link", name="Place an order").first.click()
    sim = page.get_by_role("region", name="SIM")
    expect(sim.get_by_role("note")).to_contain_text(VERIFICATION_NEEDED)
    # The plans are listed, but there is nothing to submit before the card is verified.
    expect(sim.get_by_role("radio")).to_have_count(0)
    screenshot(page, "order-new-gated")

    # A form sent anyway (an old tab, a crafted request) gets the same answer from the server.
    with page.expect_navigation():
        page.evaluate(
            """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/account/orders/new";
            const fields = {
                csrfmiddlewaretoken: document.querySelector("[name=csrfmiddlewaretoken]").value,
                kind: "sim",
                "sim-plan": "sim-data-3gb",
            };
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }"""
        )
    expect(page.get_by_role("region", name="SIM").get_by_role("note")).to_contain_text(
        VERIFICATION_NEEDED
    )
    assert not Order.objects.filter(customer__user__email=EMAIL).exists()

    page.get_by_role("region", name="SIM").get_by_role("link", name="Upload residence card").click()
    page.wait_for_url(re.compile(r"/account/verification$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Identity verification")


def test_the_ordering_customer_follows_an_order_in_progress(page):
    log_in(page, "ordering@demo.example")
    main_nav(page).get_by_role("link", name="Orders").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "orders")
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/account/orders/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order ORD-")
    expect(page.locator(".timeline li[aria-current=step]")).to_have_count(1)
    screenshot(page, "order-detail")
