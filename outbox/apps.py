from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Task outbox"

    def ready(self) -> None:
        # Each app's sweeps.py registers the unfinished work it knows how to find.
        autodiscover_modules("sweeps")
        # Wherever a task runs, it records its start and end on its outbox row.
        from outbox import tasks  # noqa: F401
