from __future__ import annotations

import pytest


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
    assert refused == []
