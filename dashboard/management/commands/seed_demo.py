"""python manage.py seed_demo: create or reset the demo personas (DESIGN.md section 10)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.demo import DEMO_PASSWORD, load_demo_data


class Command(BaseCommand):
    help = "Create or reset the demo personas, with dates relative to today."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never on production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo resets the demo accounts and refuses to run with DEBUG off. "
                "Use --force on a staging machine if you really mean it."
            )
        emails = load_demo_data()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
        for email in emails:
            self.stdout.write(f"  {email:<24} password: {DEMO_PASSWORD}")
