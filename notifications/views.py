"""The /account/notifications page and the header bell.

Every action is a plain POST form that redirects back; with htmx the same views answer
with the partial to swap and fire `notifications-changed`, which refreshes the bell.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from notifications import selectors, services
from portal.api_errors import ApplicationError

PAGE_SIZE = 20
LIST_URL = reverse_lazy("notifications")
DASHBOARD_URL = reverse_lazy("dashboard")
CHANGED_EVENT = "notifications-changed"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's login_required, except that htmx requests are never answered with a page.

    An expired session would otherwise swap the login page into the bell or a list item:
    the bell's poll gets "nothing new", an action sends the whole window to the login.
    """

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if not request.htmx:
            return redirect_to_login(request.get_full_path())
        if request.method == "GET":
            return HttpResponse(status=204)
        current = urlsplit(request.htmx.current_url or str(LIST_URL))
        back = current.path + (f"?{current.query}" if current.query else "")
        return HttpResponseClientRedirect(redirect_to_login(back).url)

    return wrapper


def _user(request: HtmxHttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _back(request: HtmxHttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if target and allowed else LIST_URL)


def _list_context(request: HtmxHttpRequest, *, cursor: str | None) -> dict[str, object]:
    unread_only = request.GET.get("filter") == "unread"
    try:
        page = selectors.list_notifications(
            user=_user(request),
            now=timezone.now(),
            limit=PAGE_SIZE,
            cursor=cursor,
            unread_only=unread_only,
        )
    except ApplicationError:
        # A stale or edited cursor in the address bar: show the newest page instead.
        cursor = None
        page = selectors.list_notifications(
            user=_user(request), now=timezone.now(), limit=PAGE_SIZE, unread_only=unread_only
        )
    return {
        "notifications": page.items,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "unread_only": unread_only,
        "filter_query": "&filter=unread" if unread_only else "",
        # The first page again, when the live stream says something changed.
        "list_url": LIST_URL + ("?filter=unread" if unread_only else ""),
        # Where the no-JavaScript forms of each item send the customer back to.
        "return_to": request.get_full_path() if request.method == "GET" else LIST_URL,
    }


@login_required
@require_GET
def announcement_detail(request: HtmxHttpRequest, announcement_id: int) -> HttpResponse:
    """The whole announcement, where its notification's "Read more" leads."""
    notification = selectors.get_announcement_for_user(
        user=_user(request), announcement_id=announcement_id
    )
    return render(request, "notifications/announcement.html", {"notification": notification})


@login_required
@require_GET
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    context = _list_context(request, cursor=request.GET.get("cursor") or None)
    if request.htmx and context["cursor"]:
        # "Load more": the next items and the next "load more" link, appended in place.
        response = render(request, "notifications/_page.html", context)
    else:
        response = render(request, "notifications/index.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def notification_bell(request: HtmxHttpRequest) -> HttpResponse:
    count = selectors.count_unread_notifications(user=_user(request), now=timezone.now())
    if request.GET.get("seen") == str(count):
        # Unchanged: htmx leaves the bell alone, so screen readers hear nothing new.
        return HttpResponse(status=204)
    return render(request, "notifications/_bell_link.html", {"unread_count": count})


@login_required
@require_GET
def latest_notifications(request: HtmxHttpRequest) -> HttpResponse:
    """The dashboard card again, after the customer read or dismissed something (htmx)."""
    if not request.htmx:
        return HttpResponseRedirect(DASHBOARD_URL)
    latest = selectors.get_latest_notifications(user=_user(request), now=timezone.now())
    # The card also updates the dashboard's "unread" figure, out of band.
    context = {**latest.as_context(), "return_to": DASHBOARD_URL, "swap_stat": True}
    response = render(request, "notifications/_latest.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def mark_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    notification = services.mark_read(user=_user(request), notification_id=notification_id)
    if request.htmx:
        response = render(
            request, "notifications/_notification.html", {"notification": notification}
        )
        return trigger_client_event(response, CHANGED_EVENT)
    return _back(request)


@login_required
@require_POST
def dismiss(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    services.dismiss(user=_user(request), notification_id=notification_id)
    if request.htmx:
        # An empty answer swapped over the item removes it.
        return trigger_client_event(HttpResponse(""), CHANGED_EVENT)
    messages.success(request, _("Notification dismissed."))
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    updated = services.mark_all_read(user=_user(request))
    if request.htmx:
        response = render(request, "notifications/_list.html", _list_context(request, cursor=None))
        return trigger_client_event(response, CHANGED_EVENT)
    if updated:
        messages.success(
            request,
            ngettext(
                "Marked %(count)d notification as read.",
                "Marked %(count)d notifications as read.",
                updated,
            )
            % {"count": updated},
        )
    else:
        messages.info(request, _("Everything was already read."))
    return _back(request)
