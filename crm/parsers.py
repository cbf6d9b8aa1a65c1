"""Reading a CRM event off the wire: its size, its JSON, what can be stored, and its shape.

Every check on the body the CRM sends lives here, in the order the webhook applies them:
the size before anything is read, the signature (in `crm.services`), then `parse_event`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import VerificationStatus
from eligibility.services import ELIGIBILITY_RESULTS
from portal.api_errors import ApplicationError
from portal.serializers import StrictCharField
from verification.services.review import VERIFICATION_RESULTS

CRM_EVENT_TYPES = ("AccountChanged",)
# An event is two levels deep; anything much deeper is not an event, and could be too deep
# to store (JSON encoding recurses).
CRM_PAYLOAD_MAX_DEPTH = 16
# Clocks differ a little; an event from further ahead would win every later comparison of
# occurredAt (deliveries reorder) and freeze its fields for good.
CRM_EVENT_MAX_AHEAD = timedelta(minutes=5)


class _NotJSONNumber(ValueError):
    """NaN and Infinity: Python reads them, JSON (and PostgreSQL's jsonb) has no such number."""


class SalesforceChangesInput(serializers.Serializer):
    # null means "not changed", as Salesforce sends empty fields.
    internetEligibilityStatus = serializers.ChoiceField(
        choices=ELIGIBILITY_RESULTS, required=False, allow_null=True
    )
    internetEligibilityNotes = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=2000
    )
    residenceCardStatus = serializers.ChoiceField(
        choices=VERIFICATION_RESULTS, required=False, allow_null=True
    )
    residenceCardRejectionReason = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=2000
    )
    residenceCardExpiresOn = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The card's expiry date (YYYY-MM-DD), with residenceCardStatus verified",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Part of the event's shape: a rejection the customer cannot read is incomplete.
        status = attrs.get("residenceCardStatus")
        if (
            status == VerificationStatus.REJECTED
            and not (attrs.get("residenceCardRejectionReason") or "").strip()
        ):
            raise serializers.ValidationError(
                {"residenceCardRejectionReason": [_("A rejection needs its reason.")]}
            )
        # The expiry belongs to a verification: without one it says nothing we can apply.
        if attrs.get("residenceCardExpiresOn") and status != VerificationStatus.VERIFIED:
            raise serializers.ValidationError(
                {"residenceCardExpiresOn": [_("An expiry date comes with a verified card.")]}
            )
        return attrs


class SalesforceEventInput(serializers.Serializer):
    eventId = serializers.CharField(source="event_id", max_length=100)
    type = serializers.ChoiceField(choices=CRM_EVENT_TYPES)
    accountId = serializers.RegexField(r"^[A-Za-z0-9]{1,18}$", source="account_id")
    occurredAt = serializers.DateTimeField(source="occurred_at")
    changes = SalesforceChangesInput()


@dataclass(frozen=True)
class ParsedEvent:
    event_id: str
    type: str
    account_id: str
    occurred_at: datetime
    # The event as parsed, and the body exactly as signed: both are kept.
    payload: dict[str, Any]
    raw_body: str


def _too_large() -> ApplicationError:
    message = _("The event is larger than %(limit)d bytes.") % {
        "limit": settings.CRM_WEBHOOK_MAX_BODY_BYTES
    }
    return ApplicationError("payload_too_large", message)


def check_declared_size(*, content_length: str | None) -> None:
    """Refuse a body whose declared length is over the limit, before reading any of it."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        raise _too_large() from None
    if declared > settings.CRM_WEBHOOK_MAX_BODY_BYTES:
        raise _too_large()


def check_size(*, body: bytes) -> None:
    """Refuse a body over the limit whatever its headers said."""
    if len(body) > settings.CRM_WEBHOOK_MAX_BODY_BYTES:
        raise _too_large()


def _refuse_constant(name: str) -> Any:
    raise _NotJSONNumber(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 reads as infinity
        raise _NotJSONNumber(text)
    return number


def parse_event(*, body: bytes, now: datetime) -> ParsedEvent:
    """The event in a signed body, or `ApplicationError`/`ValidationError` (400) saying why not."""
    try:
        text = body.decode("utf-8")
        payload = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotJSONNumber as error:
        raise ApplicationError(
            "validation_error", _("The body holds a number JSON does not have (NaN or Infinity).")
        ) from error
    # UnicodeDecodeError and JSONDecodeError are ValueErrors; very deep nesting exhausts
    # the recursion limit.
    except (ValueError, RecursionError) as error:
        raise ApplicationError(
            "validation_error", _("The body is not valid UTF-8 JSON.")
        ) from error
    if not isinstance(payload, dict):
        raise ApplicationError("validation_error", _("The body must be a JSON object."))
    problem = _unstorable(payload)
    if problem:
        raise ApplicationError("validation_error", problem)
    data = SalesforceEventInput(data=payload)
    data.is_valid(raise_exception=True)
    if data.validated_data["occurred_at"] > now + CRM_EVENT_MAX_AHEAD:
        message = _("The event happened in the future: check the sending system's clock.")
        raise ApplicationError("validation_error", message, fields={"occurredAt": [message]})
    return ParsedEvent(
        event_id=data.validated_data["event_id"],
        type=data.validated_data["type"],
        account_id=data.validated_data["account_id"],
        occurred_at=data.validated_data["occurred_at"],
        payload=payload,
        raw_body=text,
    )


def _unstorable(payload: Any) -> str | None:
    """Why a parsed event cannot be kept as received, or None. JSON may escape NUL (\\u0000)
    and unpaired surrogates (\\ud800), which no PostgreSQL text or jsonb value holds."""
    pending = [(payload, 1)]  # a loop, not recursion: the nesting is the sender's to choose
    while pending:
        value, depth = pending.pop()
        if depth > CRM_PAYLOAD_MAX_DEPTH:
            return _("The body is nested too deeply.")
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and ("\x00" in value or not _encodes(value)):
            return _("The body contains NUL characters or unpaired surrogates.")
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
