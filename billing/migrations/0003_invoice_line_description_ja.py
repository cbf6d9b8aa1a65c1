"""Invoice lines get a Japanese description; a line that names a plan takes the plan's
Japanese name from the catalog, so Japanese readers see 光ファイバー 1Gbps, not the
English name."""

from django.db import migrations, models


def name_plans_in_japanese(apps, schema_editor):
    Plan = apps.get_model("subscriptions", "Plan")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    for plan in Plan.objects.exclude(name_ja="").only("name", "name_ja"):
        InvoiceLine.objects.filter(description=plan.name, description_ja="").update(
            description_ja=plan.name_ja
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_payment"),
        ("subscriptions", "0002_cancellation_reason_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoiceline",
            name="description_ja",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(name_plans_in_japanese, migrations.RunPython.noop, elidable=True),
    ]
