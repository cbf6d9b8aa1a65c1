# The CRM event inbox moves from accounts to its own app: the table stays as it is
# (db_table keeps its name), only Django's idea of which app owns the model changes.

import django.db.models.deletion
from django.db import migrations, models


def _move_content_type(apps, old, new):
    # Admin permissions given to support staff follow the model to its new app.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=old, model="crmevent").update(app_label=new)


def forwards(apps, schema_editor):
    _move_content_type(apps, "accounts", "crm")


def backwards(apps, schema_editor):
    _move_content_type(apps, "crm", "accounts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0002_crm_event"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CrmEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("event_id", models.CharField(max_length=100, unique=True, verbose_name="event id")),
                        ("type", models.CharField(max_length=60)),
                        ("account_id", models.CharField(db_index=True, max_length=18, verbose_name="Salesforce Account Id")),
                        ("occurred_at", models.DateTimeField()),
                        ("payload", models.JSONField(help_text="The event as parsed from the request body.")),
                        ("raw_body", models.TextField(help_text="The request body exactly as signed.")),
                        ("received_at", models.DateTimeField()),
                        ("state", models.CharField(choices=[("received", "Received"), ("processed", "Processed"), ("unmatched", "Unmatched"), ("failed", "Failed")], default="received", max_length=16)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("outcome", models.TextField(blank=True, help_text="What processing changed.")),
                        ("error", models.TextField(blank=True)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                        ("customer", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="crm_events", to="accounts.customer")),
                    ],
                    options={
                        "verbose_name": "CRM event",
                        "db_table": "accounts_crmevent",
                        "ordering": ["-received_at", "-id"],
                        "indexes": [models.Index(fields=["state", "-received_at"], name="crm_event_state_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
