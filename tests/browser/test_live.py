"""The bell and the latest notifications follow the live stream: a notification that another process
creates appears on an open dashboard within two seconds, without a reload, and the rest of the
dashboard (tasks, stats, cards) follows it.

The page is served by the web process as deployed (gunicorn, uvicorn workers); the CRM's
event is handled by a second server process (gunicorn, threads), whose Celery runs in
process, so the notification is committed there before its answer comes back.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import _open_page, screenshot
from tests.crm.support import EVENTS_URL, WEBHOOK_SECRET, event_body, sign
from tests.reliability.processes import asgi_server, gunicorn

pytestmark = [pytest.mark.postgres]


def test_a_notification_from_another_process_appears_within_two_seconds(
    chromium, demo, tmp_path, client
):
    django_client = client
    with (
        asgi_server(
            tmp_path, application_name="live-page", CRM_WEBHOOK_SECRET=WEBHOOK_SECRET
        ) as site,
        gunicorn(
            tmp_path,
            workers=1,
            threads=2,
            application_name="live-crm",
            CELERY_BROKER_URL="",
            CRM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        ) as crm,
    ):
        context, page = _open_page(chromium, site, "desktop")
        try:
            # The servers hash passwords as in production, the test data does not: log in
            # through a session made here.
            django_client.force_login(User.objects.get(email="rejected@demo.example"))
            session = django_client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": site}]
            )
            # The dashboard: its bell and its card of the latest notifications. (On the
            # inbox page a refreshed list marks what it shows as seen, as opening the bell
            # does, so the bell there may rightly stay at "nothing new".)
            page.goto("/account/")
            latest = page.locator("#latest-notifications li.notification").first
            bell = page.locator("#notification-bell .visually-hidden")
            expect(page.locator("[data-live-stream][data-live=stream]")).to_have_count(1)
            before_bell = bell.inner_text()
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: navigations.append(frame.url))

            body = event_body(
                account_id="001DEMO000000003",
                event_id=f"evt-live-{time.time_ns()}",
                changes={"internetEligibilityStatus": "eligible"},
            )
            answer = requests.post(
                crm + EVENTS_URL,
                data=body,
                headers={"Content-Type": "application/json", "X-Signature": sign(body)},
                timeout=10,
            )
            committed = time.monotonic()
            assert answer.status_code == 202, answer.text

            expect(latest).to_contain_text(re.compile("available|利用"), timeout=2000)
            expect(bell).not_to_have_text(before_bell, timeout=2000)
            assert time.monotonic() - committed < 2
            # What the snapshot shows follows too: the eligibility task is done, its card
            # says so.
            expect(page.locator("[data-task-type=eligibility_pending]")).to_have_count(0)
            eligibility = page.get_by_role("region", name="Internet availability")
            expect(eligibility.locator(".badge")).to_have_text("Available")
            assert navigations == []
            screenshot(page, "live-notification")
        finally:
            context.close()
