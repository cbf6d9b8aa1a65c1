"""API routes under /api/."""

from django.urls import path

from notifications import api, live_api

urlpatterns = [
    path(
        "me/notification-preferences",
        api.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    path("me/devices", api.DeviceListView.as_view(), name="api-devices"),
    path("me/devices/<int:device_id>", api.DeviceDetailView.as_view(), name="api-device"),
    path("notifications", api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/changes", live_api.ChangesView.as_view(), name="api-notifications-changes"),
    path(
        "notifications/stream",
        live_api.NotificationStreamView.as_view(),
        name="api-notifications-stream",
    ),
    path(
        "notifications/unread-count",
        api.UnreadCountView.as_view(),
        name="api-notifications-unread-count",
    ),
    path(
        "notifications/read-all", api.MarkAllReadView.as_view(), name="api-notifications-read-all"
    ),
    path("notifications/seen", api.MarkAllSeenView.as_view(), name="api-notifications-seen"),
    path("notifications/bulk", api.BulkView.as_view(), name="api-notifications-bulk"),
    path(
        "notifications/<int:notification_id>/archive",
        api.ArchiveView.as_view(),
        name="api-notification-archive",
    ),
    path(
        "notifications/<int:notification_id>/unarchive",
        api.UnarchiveView.as_view(),
        name="api-notification-unarchive",
    ),
    path(
        "notifications/<int:notification_id>/snooze",
        api.SnoozeView.as_view(),
        name="api-notification-snooze",
    ),
    path(
        "notifications/<int:notification_id>/read",
        api.MarkReadView.as_view(),
        name="api-notification-read",
    ),
    path(
        "notifications/<int:notification_id>/dismiss",
        api.DismissView.as_view(),
        name="api-notification-dismiss",
    ),
]
