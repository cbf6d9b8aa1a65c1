"""The /account/ dashboard page: the same snapshot as `GET /api/me/status`, rendered.

`dashboard_parts` renders the snapshot's parts of the page again for htmx, when the live
stream says something changed, so nothing on an open dashboard is left behind.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from accounts.selectors import get_customer_for_user
from dashboard import services
from dashboard.snapshot import MeStatus
from notifications.selectors import get_latest_notifications


def snapshot_version(snapshot: MeStatus) -> str:
    """Names what the snapshot's parts of the page show: equal versions draw the same."""
    drawn = f"{get_language()}:{snapshot!r}"
    return hashlib.blake2b(drawn.encode(), digest_size=8).hexdigest()


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff and getattr(request.user, "customer", None) is None:
        # Support staff have no customer account: their place is the admin.
        return redirect("admin:index")
    customer = get_customer_for_user(user=request.user)
    now = timezone.now()
    snapshot = services.build_me_status(customer=customer, now=now)
    unread_count = snapshot.summary.stats.unread_notifications
    latest = get_latest_notifications(
        user=customer.user, now=now, unread_count=unread_count, with_badge=True
    )
    return render(
        request,
        "dashboard/index.html",
        {
            "customer": customer,
            "snapshot": snapshot,
            "summary": snapshot.summary,
            "snapshot_version": snapshot_version(snapshot),
            # The header bell and the notifications card show the same number without
            # counting again.
            "unread_notification_count": unread_count,
            **latest.as_context(),
            # Where the card's no-JavaScript forms send the customer back to.
            "return_to": reverse("dashboard"),
        },
    )


@require_GET
def dashboard_parts(request: HttpRequest) -> HttpResponse:
    """Tasks, stats, cards and recent activity again (htmx), from the same build_me_status.

    204 when they are what the page already shows (its `version`), and when the login has
    ended: htmx then leaves the page alone. Without htmx, the dashboard itself.
    """
    htmx = bool(getattr(request, "htmx", False))
    if not request.user.is_authenticated:
        # A login page swapped into the dashboard would be worse than nothing.
        return HttpResponse(status=204) if htmx else redirect_to_login(request.get_full_path())
    if not htmx:
        return redirect("dashboard")
    customer = get_customer_for_user(user=request.user)
    snapshot = services.build_me_status(customer=customer, now=timezone.now())
    version = snapshot_version(snapshot)
    if request.GET.get("version") == version:
        response = HttpResponse(status=204)
    else:
        response = render(
            request,
            "dashboard/_snapshot.html",
            {
                "snapshot": snapshot,
                "summary": snapshot.summary,
                "snapshot_version": version,
                "swap_activity": True,
            },
        )
    patch_vary_headers(response, ["HX-Request"])
    return response
