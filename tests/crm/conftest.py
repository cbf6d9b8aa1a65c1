"""Every CRM test signs with the same shared secret."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crm.support import WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def webhook_secret(settings: Any) -> str:
    settings.CRM_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET
