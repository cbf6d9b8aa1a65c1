from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # accounts ends logins and cannot import us: the phones registered with a login that
        # ended are forgotten here (docs/decisions.md, "A login ends in accounts").
        from accounts.signals import all_logins_ended, login_ended
        from notifications import devices

        login_ended.connect(devices.forget_devices_when_login_ends, dispatch_uid="devices")
        all_logins_ended.connect(devices.forget_devices_when_all_logins_end, dispatch_uid="devices")
