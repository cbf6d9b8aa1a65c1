"""Playwright driving Debian's Chromium against the live test server.

Screenshots of every visited page land in test-artifacts/screenshots (not committed);
the folder is printed at the end of the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls our fixtures
# make here are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
DEMO_PASSWORD = "portal-demo"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# How long any wait may take: actions (the page's default timeout) and expect() alike.
# expect() has its own 5 s default, too short when CI's two cores are busy.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db: None) -> None:
    from dashboard.demo import load_demo_data

    load_demo_data()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _open_page(chromium, base_url: str, viewport: str, **options):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base_url, viewport=VIEWPORTS[viewport], **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.viewport_name = viewport
    return context, page


@pytest.fixture
def page(chromium, live_server, viewport: str, demo: None):  # type: ignore[no-untyped-def]
    context, page = _open_page(chromium, live_server.url, viewport)
    yield page
    context.close()


@pytest.fixture
def page_without_javascript(chromium, live_server, viewport: str, demo: None):  # type: ignore[no-untyped-def]
    """A browser with JavaScript switched off: every action must still work."""
    context, page = _open_page(chromium, live_server.url, viewport, java_script_enabled=False)
    yield page
    context.close()


def log_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label(re.compile("^(Email|メールアドレス)$")).fill(email)
    page.get_by_label(re.compile("^(Password|パスワード)$")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("^(Log in|ログイン)$")).click()
    # In the path, not in the login page's own ?next=/account/...
    page.wait_for_url(re.compile(r"^[^?]*/account/"))


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=re.compile("^(Log out|ログアウト)$")).click()
    page.wait_for_url(re.compile(r"/login"))


def main_nav(page, name: str = "Main"):  # type: ignore[no-untyped-def]
    """The main navigation; on a phone it sits behind the Menu button, opened first."""
    if page.viewport_name == "phone":
        menu = page.locator("details.nav-menu")
        if menu.get_attribute("open") is None:
            menu.locator("summary").click()
    return page.get_by_role("navigation", name=name)


def close_menu(page) -> None:  # type: ignore[no-untyped-def]
    """Close the phone menu again: open, its panel covers the top of the page."""
    menu = page.locator("details.nav-menu")
    if page.viewport_name == "phone" and menu.get_attribute("open") is not None:
        menu.locator("summary").click()


def expect_bell(page, announced: str) -> None:  # type: ignore[no-untyped-def]
    """What a screen reader hears for the bell in the header (waits for htmx to update it)."""
    from playwright.sync_api import expect

    expect(page.locator("#notification-bell .visually-hidden")).to_have_text(announced)


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"Browser screenshots: {SCREENSHOTS}")
