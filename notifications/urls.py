"""Page routes under /account/."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications", views.notification_list, name="notifications"),
    path(
        "announcements/<int:announcement_id>",
        views.announcement_detail,
        name="announcement",
    ),
    path("notifications/bell", views.notification_bell, name="notification-bell"),
    path("notifications/latest", views.latest_notifications, name="notifications-latest"),
    path("notifications/read-all", views.mark_all_read, name="notifications-read-all"),
    path(
        "notifications/<int:notification_id>/read",
        views.mark_read,
        name="notification-read",
    ),
    path(
        "notifications/<int:notification_id>/dismiss",
        views.dismiss,
        name="notification-dismiss",
    ),
]
