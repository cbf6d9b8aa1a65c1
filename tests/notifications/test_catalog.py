from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from notifications import catalog
from notifications.catalog import MissingPlaceholder, UnknownNotificationType
from notifications.models import Notification
from notifications.services.notify import notify
from portal.formats import format_money
from tests.notifications.samples import SAMPLE_CONTEXTS

# Daily reminders (None) dedupe by Tokyo calendar day instead of a window.
DEDUPE_WINDOWS = {
    "ELIGIBILITY_ELIGIBLE": timedelta(hours=1),
    "ELIGIBILITY_INELIGIBLE": timedelta(hours=1),
    "VERIFICATION_VERIFIED": timedelta(hours=1),
    "VERIFICATION_REJECTED": timedelta(hours=1),
    "ORDER_APPROVED": timedelta(hours=1),
    "ORDER_ACTIVATED": timedelta(hours=1),
    "ORDER_FAILED": timedelta(hours=1),
    "CANCELLATION_SCHEDULED": timedelta(hours=1),
    "CANCELLATION_COMPLETED": timedelta(hours=1),
    "CANCELLATION_WITHDRAWN": timedelta(hours=1),
    "PAYMENT_RECEIVED": timedelta(hours=24),
    "INVOICE_DUE": None,
    "PAYMENT_METHOD_EXPIRING": None,
    "RESIDENCE_CARD_EXPIRING": None,
    "SYSTEM_ANNOUNCEMENT": timedelta(hours=24),
    "SUPPORT_REPLIED": timedelta(hours=1),
    "INVOICE_ISSUED": timedelta(hours=24),
    "PAYMENT_FAILED": timedelta(hours=1),
    "SUSPENSION_WARNING": timedelta(hours=24),
    "SERVICE_SUSPENDED": timedelta(hours=1),
    "SERVICE_RESTORED": timedelta(hours=1),
    "REFUND_ISSUED": timedelta(hours=1),
}


def test_the_catalog_holds_exactly_the_designed_types():
    assert set(catalog.TYPES) == set(DEDUPE_WINDOWS)


@pytest.mark.parametrize("type", sorted(DEDUPE_WINDOWS))
def test_each_type_has_its_dedupe_window_and_a_30_day_expiry(type):
    template = catalog.get_template(type)
    if DEDUPE_WINDOWS[type] is None:
        assert template.daily
    else:
        assert (template.dedupe_window, template.daily) == (DEDUPE_WINDOWS[type], False)
    assert template.expiry == timedelta(days=30)


@pytest.mark.parametrize("type", sorted(SAMPLE_CONTEXTS))
def test_each_type_renders_completely_to_an_account_link(type):
    rendered = catalog.get_template(type).render(SAMPLE_CONTEXTS[type], language="en")
    assert rendered.title and rendered.message and rendered.action_label
    assert "%(" not in rendered.title + rendered.message + rendered.action_url
    assert rendered.action_url.startswith("/account/")


def test_an_unknown_type_is_an_error_at_the_call_site(db, customer):
    with pytest.raises(UnknownNotificationType):
        notify(user=customer.user, type="ORDER_SHIPPED", source_id="1", context={})
    assert not Notification.objects.exists()


def test_a_missing_placeholder_is_an_error_and_stores_nothing(db, customer):
    with pytest.raises(MissingPlaceholder, match="order_id"):
        notify(
            user=customer.user,
            type="ORDER_ACTIVATED",
            source_id="801X",
            context={"order_number": "ORD-1", "plan_name": "SIM 3GB"},
        )
    assert not Notification.objects.exists()


def test_dates_and_amounts_are_written_the_way_the_language_writes_them():
    template = catalog.get_template("INVOICE_DUE")
    english = template.render(SAMPLE_CONTEXTS["INVOICE_DUE"], language="en")
    japanese = template.render(SAMPLE_CONTEXTS["INVOICE_DUE"], language="ja")
    assert english.message == "¥5,500, due on Nov. 30, 2026."
    assert "5,500円" in japanese.message
    assert "2026年11月30日" in japanese.message


def test_other_currencies_keep_their_code():
    assert format_money(Decimal("12.5"), "USD") == "12.50 USD"


def test_an_announcement_with_a_percent_sign_renders_as_written():
    rendered = catalog.get_template("SYSTEM_ANNOUNCEMENT").render(
        {"title": "20% off", "message": "100% fiber", "announcement_id": 1}, language="en"
    )
    assert (rendered.title, rendered.message) == ("20% off", "100% fiber")
