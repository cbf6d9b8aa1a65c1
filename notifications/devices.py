"""The customer's phones that receive push notifications: register, list, forget."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import Device, DevicePlatform
from portal.api_errors import ApplicationError
from portal.locks import advisory_xact_lock

TOKEN_MAX_LENGTH = 1024
# FCM registration tokens are URL-safe text: letters, digits and a few marks.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_:\-.]+")
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# What an app puts in its version ("2.4.1 (381)"): any text without control characters.
APP_VERSION_PATTERN = re.compile(r"[^\x00-\x1f\x7f-\x9f]*")
APP_VERSION_MAX_LENGTH = 64
LANGUAGE_MAX_LENGTH = 35


def _validate(
    *, platform: Any, token: Any, app_version: Any, language: Any
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if platform not in DevicePlatform.values:
        errors["platform"] = [_("Choose ios or android.")]
    if (
        not isinstance(token, str)
        or not 0 < len(token) <= TOKEN_MAX_LENGTH
        or not TOKEN_PATTERN.fullmatch(token)
    ):
        errors["token"] = [_("Send the registration token that Firebase gave the app.")]
    if not isinstance(app_version, str) or len(app_version) > APP_VERSION_MAX_LENGTH:
        errors["appVersion"] = [_("At most 64 characters.")]
    elif not APP_VERSION_PATTERN.fullmatch(app_version):
        errors["appVersion"] = [_("Use printable characters only.")]
    if not isinstance(language, str) or len(language) > LANGUAGE_MAX_LENGTH:
        language = "?"
    if language and not LANGUAGE_PATTERN.fullmatch(language):
        errors["language"] = [_("Send a language tag such as ja or en-US.")]
    return errors


def register_device(
    *,
    user: User,
    platform: Any,
    token: Any,
    app_version: Any = None,
    language: Any = None,
    token_family: str = "",
    now: datetime | None = None,
) -> tuple[Device, bool]:
    """Register a phone for push; (the device, True when it is new).

    A token already registered (by this customer or another) is the same device: it moves
    to this customer, with this login's token family, and is seen now. Concurrent
    registrations of one token are serialised, so there is never a second row. An app
    version or language left out (None) keeps what the device had; a new device has none.
    """
    errors = _validate(
        platform=platform,
        token=token,
        app_version="" if app_version is None else app_version,
        language="" if language is None else language,
    )
    if errors:
        raise ApplicationError("validation_error", _("Check the device you sent."), errors)
    now = now or timezone.now()
    fields: dict[str, Any] = {
        "user": user,
        "platform": platform,
        "token_family": token_family,
        "last_seen_at": now,
    }
    # Only what the app sent: an app that leaves its version out does not blank it.
    for name, value in (("app_version", app_version), ("language", language)):
        if value is not None:
            fields[name] = value
    with transaction.atomic():
        advisory_xact_lock("push-device", token)
        device = Device.objects.select_for_update().filter(token=token).first()
        if device is None:
            return Device.objects.create(token=token, created_at=now, **fields), True
        for name, value in fields.items():
            setattr(device, name, value)
        device.save()
        return device, False


def forget_device(*, user: User, device_id: int) -> None:
    """Forget one of the customer's devices (its pending pushes too); 404 for anybody else's."""
    deleted, _counts = Device.objects.filter(pk=device_id, user=user).delete()
    if not deleted:
        raise Http404("No such device.")


def forget_devices_of_login(*, token_family: str) -> int:
    """A login (a refresh token family) ended: forget the devices registered with it."""
    if not token_family:
        return 0
    _deleted, counts = Device.objects.filter(token_family=token_family).delete()
    return counts.get(Device._meta.label, 0)


def forget_all_devices(*, user: User) -> int:
    """Every login of the user ended (a new password): forget all their devices, so a phone
    that is logged out (a lost one, say) is not told anything any more."""
    _deleted, counts = Device.objects.filter(user=user).delete()
    return counts.get(Device._meta.label, 0)


def forget_devices_when_login_ends(sender: Any, *, token_family: str, **kwargs: Any) -> None:
    """`accounts.signals.login_ended`: a device logged out."""
    forget_devices_of_login(token_family=token_family)


def forget_devices_when_all_logins_end(sender: Any, *, user: User, **kwargs: Any) -> None:
    """`accounts.signals.all_logins_ended`: a new password or a deactivation."""
    forget_all_devices(user=user)
