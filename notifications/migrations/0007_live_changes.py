"""The live stream's database side (PostgreSQL only; other databases skip it).

- A row trigger stamps `updated_at` with `clock_timestamp()` while holding a per-customer
  transaction lock: one customer's changes then stamp in commit order, so the changes feed
  read "after a key" never skips a write that committed late.
- A statement trigger NOTIFYs `portal_notifications`, delivered when the transaction
  commits, whoever wrote: each web process LISTENs and reads the feed.
"""

from django.db import migrations

# Transaction lock namespace (the two-integer form, apart from portal.locks' keys).
LOCK_NAMESPACE = 0x4C495645  # "LIVE"

CREATE = f"""
CREATE OR REPLACE FUNCTION notifications_notification_change_order() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_NAMESPACE}, mod(NEW.user_id, 2147483647)::integer);
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS notifications_notification_change_order ON notifications_notification;
CREATE TRIGGER notifications_notification_change_order
    BEFORE INSERT OR UPDATE ON notifications_notification
    FOR EACH ROW EXECUTE FUNCTION notifications_notification_change_order();

CREATE OR REPLACE FUNCTION notifications_notification_announce() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('portal_notifications', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS notifications_notification_announce ON notifications_notification;
CREATE TRIGGER notifications_notification_announce
    AFTER INSERT OR UPDATE ON notifications_notification
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_notification_announce();
"""

DROP = """
DROP TRIGGER IF EXISTS notifications_notification_announce ON notifications_notification;
DROP FUNCTION IF EXISTS notifications_notification_announce();
DROP TRIGGER IF EXISTS notifications_notification_change_order ON notifications_notification;
DROP FUNCTION IF EXISTS notifications_notification_change_order();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_unread_counts_leave_out_retired")]

    operations = [migrations.RunPython(create, drop)]
