"""`python -m bench.seed`: (re)load the benchmark data set of `make bench`.

A management command that no app carries: the bench stands above the apps, so none of
them imports it. `make bench` calls it in process (`call_command(Command(), ...)`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

if __name__ == "__main__":
    # `python -m bench.seed`: Django is set up before the data module loads the models.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()

from bench.data import BENCH_DOMAIN, Scale, load_bench_data
from bench.progress import ProgressBar


class Command(BaseCommand):
    help = (
        f"Delete the accounts at @{BENCH_DOMAIN} and build the benchmark data again: "
        "light customers and one heavy customer (invoices, orders, subscriptions, notifications)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Scale()
        parser.add_argument("--customers", type=int, default=defaults.customers)
        parser.add_argument("--heavy-invoices", type=int, default=defaults.heavy_invoices)
        parser.add_argument("--heavy-orders", type=int, default=defaults.heavy_orders)
        parser.add_argument("--heavy-subscriptions", type=int, default=defaults.heavy_subscriptions)
        parser.add_argument("--heavy-notifications", type=int, default=defaults.heavy_notifications)
        parser.add_argument(
            "--notifications-per-customer",
            type=int,
            default=defaults.notifications_per_customer,
            help="notifications of every customer but the light and the heavy one",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run with DEBUG off (the benchmark's own database; never production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_bench creates thousands of accounts with a known password and refuses "
                "to run with DEBUG off. Use --force on the benchmark's own database."
            )
        try:
            scale = Scale(
                customers=options["customers"],
                heavy_invoices=options["heavy_invoices"],
                heavy_orders=options["heavy_orders"],
                heavy_subscriptions=options["heavy_subscriptions"],
                heavy_notifications=options["heavy_notifications"],
                notifications_per_customer=options["notifications_per_customer"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        data = load_bench_data(scale=scale, progress=ProgressBar(self.stdout))
        self.stdout.write(
            self.style.SUCCESS(
                f"Benchmark data is ready: {data.customers:,} customers; "
                f"light {data.light_email}, heavy {data.heavy_email}."
            )
        )


if __name__ == "__main__":
    Command().run_from_argv([sys.argv[0], "seed_bench", *sys.argv[1:]])
