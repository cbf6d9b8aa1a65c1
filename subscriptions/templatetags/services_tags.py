"""Presentation helpers for the services pages: badge colours and phone numbers."""

from __future__ import annotations

from django import template

from subscriptions.models import SubscriptionStatus

register = template.Library()


@register.filter
def status_tone(status: str) -> str:
    return SubscriptionStatus(status).tone


@register.filter
def phone_number(msisdn: str) -> str:
    """080-1234-5678 for an 11-digit Japanese mobile number; anything else as stored."""
    if len(msisdn) == 11 and msisdn.isdigit() and msisdn.startswith("0"):
        return f"{msisdn[:3]}-{msisdn[3:7]}-{msisdn[7:]}"
    return msisdn
