from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_the_api_docs_work_under_the_content_security_policy(page):
    from playwright.sync_api import expect

    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/api/docs/")
    # Building the schema takes a few seconds on a busy machine.
    expect(page.get_by_text("/api/auth/token", exact=True).first).to_be_visible(timeout=30_000)
    assert refused == [], refused


# Redoc's sidebar shows Redocly's logo from their CDN and drops it when it does not load: the
# page stays within this site, so that is the one refusal expected.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_redoc_renders_the_api_under_the_content_security_policy(page):
    from playwright.sync_api import expect

    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/api/redoc/")
    expect(page.get_by_role("heading", name="Customer portal API", level=1)).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("/api/me/status").first).to_be_attached()
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    assert [text for text in refused if REDOC_LOGO not in text] == [], refused
    screenshot(page, "api-redoc")
