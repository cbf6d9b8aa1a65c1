from decimal import Decimal

from django.db import migrations, models


def set_catalog_values(apps, schema_editor):  # type: ignore[no-untyped-def]
    """The seeded catalog's fees and data-only SIMs (subscriptions/plans.py), once."""
    plan_model = apps.get_model("subscriptions", "Plan")
    plan_model.objects.filter(kind="sim").update(initial_fee=Decimal("440"))
    plan_model.objects.filter(code__in=["sim-data-3gb", "sim-data-20gb"]).update(data_only=True)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_cancellation_reason_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="initial_fee",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=10),
        ),
        migrations.AddField(
            model_name="plan",
            name="data_only",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(set_catalog_values, migrations.RunPython.noop),
    ]
