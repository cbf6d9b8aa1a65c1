"""Each email says a thing once: the note under a notification's message adds to it, in English
and in Japanese, instead of saying the message again in other words."""

from __future__ import annotations

from datetime import date

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from notifications import catalog

CONTEXT = {
    "plan_name": "SIM Data 20GB",
    "effective_on": date(2026, 12, 31),
    "subscription_id": 1,
    "invoice_number": "INV-0001",
    "invoice_id": 1,
    "amount": "¥5,500",
    "expires_on": date(2027, 1, 31),
    "days_before": 30,
}


def _email_text(type: str, language: str) -> str:
    rendered = catalog.get_template(type).render(CONTEXT, language=language)
    with translation.override(language):
        return render_to_string(
            "notifications/email/notification.txt",
            {
                "name": "",
                "title": rendered.title,
                "message": rendered.message,
                "action_label": rendered.action_label,
                "action_url": "",
                "preferences_url": "https://portal.example/settings",
                "severity": "info",
                "note": catalog.email_note(type),
            },
        )


@pytest.mark.parametrize(
    ("type", "language", "said_once"),
    [
        ("CANCELLATION_WITHDRAWN", "en", "continues as before"),
        ("CANCELLATION_WITHDRAWN", "ja", "ご利用いただけます"),
        ("CANCELLATION_COMPLETED", "en", "thank you for using"),
        ("CANCELLATION_COMPLETED", "ja", "ありがとうございました"),
        ("PAYMENT_RECEIVED", "en", "receipt"),
        ("PAYMENT_RECEIVED", "ja", "領収書"),
        ("RESIDENCE_CARD_EXPIRING", "en", "upload"),
        ("RESIDENCE_CARD_EXPIRING", "ja", "アップロード"),
    ],
)
def test_the_email_note_does_not_repeat_the_message(type, language, said_once):
    text = _email_text(type, language).casefold()
    assert text.count(said_once) == 1, text
