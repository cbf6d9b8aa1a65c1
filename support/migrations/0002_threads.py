"""A request becomes a thread: its message and its staff replies become messages."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def to_threads(apps, schema_editor):
    SupportRequest = apps.get_model("support", "SupportRequest")
    SupportReply = apps.get_model("support", "SupportReply")
    SupportMessage = apps.get_model("support", "SupportMessage")
    for support_request in SupportRequest.objects.select_related("customer").iterator():
        SupportMessage.objects.create(
            request=support_request,
            author_kind="customer",
            body=support_request.message,
            language=support_request.customer.language,
            created_at=support_request.created_at,
        )
        support_request.last_customer_message_at = support_request.created_at
        if support_request.status == "answered":
            support_request.status = "waiting_on_customer"
        if support_request.status == "closed":
            support_request.closed_at = support_request.updated_at
        support_request.save(update_fields=["last_customer_message_at", "status", "closed_at"])
    for reply in SupportReply.objects.iterator():
        SupportMessage.objects.create(
            request_id=reply.request_id,
            author_kind="staff",
            staff_author_id=reply.author_id,
            body=reply.message,
            language=reply.language,
            created_at=reply.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SupportMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("author_kind", models.CharField(choices=[("customer", "Customer"), ("staff", "Support")], max_length=8)),
                ("body", models.TextField(max_length=5000)),
                ("language", models.CharField(choices=[("en", "English"), ("ja", "日本語")], max_length=2)),
                ("created_at", models.DateTimeField()),
                ("request", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="messages", to="support.supportrequest")),
                ("staff_author", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
        migrations.AddIndex(
            model_name="supportmessage",
            index=models.Index(fields=["request", "created_at", "id"], name="support_thread_idx"),
        ),
        migrations.AddField(
            model_name="supportrequest",
            name="last_customer_message_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="supportrequest",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="supportrequest",
            name="status",
            field=models.CharField(choices=[("open", "Open"), ("waiting_on_customer", "Waiting for your reply"), ("closed", "Closed")], default="open", max_length=24),
        ),
        migrations.RunPython(to_threads, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="supportrequest",
            name="last_customer_message_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveIndex(model_name="supportrequest", name="support_open_queue_idx"),
        migrations.AddIndex(
            model_name="supportrequest",
            index=models.Index(condition=models.Q(("status", "open")), fields=["last_customer_message_at", "id"], name="support_open_queue_idx"),
        ),
        migrations.RemoveField(model_name="supportrequest", name="message"),
        migrations.DeleteModel(name="SupportReply"),
    ]
