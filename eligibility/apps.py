from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    """Internet eligibility: its rules, page, endpoint and admin (the table is accounts')."""

    name = "eligibility"
    label = "eligibility"
    verbose_name = "Internet eligibility"
