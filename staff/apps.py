from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Support staff"

    def ready(self) -> None:
        # Permissions exist only after migrate creates them, so the group is kept in step then.
        post_migrate.connect(_sync_support_group, sender=self)


def _sync_support_group(**kwargs: Any) -> None:
    from staff.services import sync_support_group

    sync_support_group(using=kwargs.get("using", "default"))
