"""Page routes under /account/."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("settings/notifications", views.notification_settings, name="notification-settings"),
    path("settings/devices/<int:device_id>/forget", views.forget_device, name="device-forget"),
    path("notifications", views.notification_list, name="notifications"),
    path(
        "announcements/<int:announcement_id>",
        views.announcement_detail,
        name="announcement",
    ),
    path("notifications/bell", views.notification_bell, name="notification-bell"),
    path("notifications/latest", views.latest_notifications, name="notifications-latest"),
    path("notifications/bell/open", views.open_bell, name="notification-bell-open"),
    path("notifications/read-all", views.mark_all_read, name="notifications-read-all"),
    path("notifications/bulk", views.bulk, name="notifications-bulk"),
    path(
        "notifications/<int:notification_id>/read",
        views.mark_read,
        name="notification-read",
    ),
    path(
        "notifications/<int:notification_id>/archive",
        views.archive,
        name="notification-archive",
    ),
    path(
        "notifications/<int:notification_id>/unarchive",
        views.unarchive,
        name="notification-unarchive",
    ),
    path(
        "notifications/<int:notification_id>/snooze",
        views.snooze,
        name="notification-snooze",
    ),
    path(
        "notifications/<int:notification_id>/dismiss",
        views.dismiss,
        name="notification-dismiss",
    ),
]
