"""The header on a phone (390 px), in both languages: every place the wide header links to is
in reach, and what it opens stays on the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Customer
from tests.browser.conftest import VIEWPORTS, log_in, main_nav
from tests.browser.test_accessibility import check

EMAIL = "overdue@demo.example"
SETTINGS = {"en": "Settings", "ja": "設定"}
MAIN = {"en": "Main", "ja": "メイン"}

pytestmark = pytest.mark.parametrize("viewport", ["phone"], indirect=True)


@pytest.fixture(params=["en", "ja"])
def language(request: pytest.FixtureRequest, demo: None) -> str:
    Customer.objects.filter(user__email=EMAIL).update(language=request.param)
    return str(request.param)


def test_the_phone_menu_leads_to_the_settings(page, language):
    log_in(page, EMAIL)
    menu = main_nav(page, MAIN[language])
    menu.get_by_role("link", name=SETTINGS[language], exact=True).click()
    page.wait_for_url(re.compile(r"/account/settings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SETTINGS[language])
    menu = main_nav(page, MAIN[language])
    expect(menu.get_by_role("link", name=SETTINGS[language], exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    check(page, f"menu-settings-{language}")


def test_the_bell_panel_opens_inside_the_screen(page, language):
    log_in(page, EMAIL)
    page.locator("#bell-menu summary").click()
    panel = page.locator("#bell-panel")
    expect(panel.locator(".bell-menu__item").first).to_be_visible()
    box = panel.bounding_box()
    assert box is not None
    width = VIEWPORTS["phone"]["width"]
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= width, box
    check(page, f"bell-open-{language}")
