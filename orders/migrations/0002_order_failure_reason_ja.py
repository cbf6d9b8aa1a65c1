"""An order's failure or rejection reason gets a Japanese field beside the English one.

Existing reasons are kept: one written in Japanese (kana or kanji) moves to the Japanese
field, anything else stays in the English one.
"""

from django.db import migrations, models


def _japanese(value: str) -> bool:
    return any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in value)


def split_by_language(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.exclude(failure_reason="").only("pk", "failure_reason").iterator(
        chunk_size=500
    ):
        if _japanese(order.failure_reason):
            Order.objects.filter(pk=order.pk).update(
                failure_reason="", failure_reason_ja=order.failure_reason
            )


def join_back(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.exclude(failure_reason_ja="").iterator(chunk_size=500):
        joined = (
            f"{order.failure_reason}\n{order.failure_reason_ja}"
            if order.failure_reason
            else order.failure_reason_ja
        )
        Order.objects.filter(pk=order.pk).update(failure_reason=joined)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="failure_reason_ja",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(split_by_language, join_back, elidable=True),
    ]
