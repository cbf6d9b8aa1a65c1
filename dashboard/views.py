"""The /account/ dashboard page: the same snapshot as `GET /api/me/status`, rendered."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import get_customer_for_user
from dashboard import services
from notifications.selectors import get_latest_notifications


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
            # The header bell and the notifications card show the same number without
            # counting again.
            "unread_notification_count": unread_count,
            **latest.as_context(),
            # Where the card's no-JavaScript forms send the customer back to.
            "return_to": reverse("dashboard"),
        },
    )
