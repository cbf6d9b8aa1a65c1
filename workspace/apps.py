from __future__ import annotations

from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The support workspace: the admin home's work queues, customer search and the customer's
    page. It reads every other app, so it sits above them all (README, "Where things are")."""

    name = "workspace"
    verbose_name = "Support workspace"
