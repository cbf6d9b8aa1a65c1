# The CRM event inbox now belongs to the crm app (crm.0001_initial); its table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_crm_event"),
        ("crm", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CrmEvent")],
            database_operations=[],
        ),
    ]
