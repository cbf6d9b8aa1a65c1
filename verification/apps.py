from django.apps import AppConfig


class VerificationConfig(AppConfig):
    """Residence card verification: its rules, page, endpoint, admin and reminders (the table
    is accounts')."""

    name = "verification"
    label = "verification"
    verbose_name = "Residence card verification"
