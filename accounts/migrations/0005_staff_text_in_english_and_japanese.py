"""Staff-written text a customer reads gets a Japanese field beside the English one.

Existing text is kept: text written in Japanese (kana or kanji) moves to the Japanese
field, anything else stays in the English one; the customer reads the other language,
marked, until staff write the missing one.
"""

from django.db import migrations, models


def _japanese(value: str) -> bool:
    return any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in value)


def split_by_language(apps, schema_editor):
    for model, field in (
        ("InternetEligibility", "notes"),
        ("ResidenceCardVerification", "rejection_reason"),
    ):
        Model = apps.get_model("accounts", model)
        rows = Model.objects.exclude(**{field: ""}).only("pk", field)
        for row in rows.iterator(chunk_size=500):
            value = getattr(row, field)
            if _japanese(value):
                Model.objects.filter(pk=row.pk).update(**{field: "", f"{field}_ja": value})


def join_back(apps, schema_editor):
    for model, field in (
        ("InternetEligibility", "notes"),
        ("ResidenceCardVerification", "rejection_reason"),
    ):
        Model = apps.get_model("accounts", model)
        for row in Model.objects.exclude(**{f"{field}_ja": ""}).iterator(chunk_size=500):
            english, japanese = getattr(row, field), getattr(row, f"{field}_ja")
            joined = f"{english}\n{japanese}" if english else japanese
            Model.objects.filter(pk=row.pk).update(**{field: joined})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_token_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="interneteligibility",
            name="notes_ja",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="residencecardverification",
            name="rejection_reason_ja",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(split_by_language, join_back, elidable=True),
    ]
