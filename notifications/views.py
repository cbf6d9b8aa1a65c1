"""The /account/notifications page and the header bell.

Every action is a plain POST form that redirects back; with htmx the same views answer
with the partial to swap and fire `notifications-changed`, which refreshes the bell.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from notifications import devices, selectors
from notifications.models import Notification, NotificationCategory
from notifications.services import inbox
from notifications.services.preferences import update_notification_preferences
from portal.api_errors import ApplicationError
from portal.formats import format_day_and_time, sentence
from portal.pagination import Page

PAGE_SIZE = 20
LIST_URL = reverse_lazy("notifications")
DASHBOARD_URL = reverse_lazy("dashboard")
CHANGED_EVENT = "notifications-changed"
# Only the badge changes: the bell refreshes, the dashboard card does not need to.
SEEN_EVENT = "notifications-seen"
ARCHIVED_TAB = "archived"
# How many of the newest the bell's menu shows.
BELL_SIZE = 5


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


def _tabs(current: str) -> list[dict[str, object]]:
    tabs: list[tuple[str, str]] = [
        ("", _("All")),
        *[(str(value), str(label)) for value, label in NotificationCategory.choices],
        (ARCHIVED_TAB, _("Archived")),
    ]
    return [
        {
            "value": value,
            "label": label,
            "href": LIST_URL + (f"?tab={value}" if value else ""),
            "current": value == current,
        }
        for value, label in tabs
    ]


def _list_context(request: HtmxHttpRequest, *, cursor: str | None) -> dict[str, object]:
    tab = request.GET.get("tab", "")
    if tab != ARCHIVED_TAB and tab not in selectors.CATEGORIES:
        tab = ""
    archived = tab == ARCHIVED_TAB
    category = tab if tab in selectors.CATEGORIES else None
    unread_only = not archived and request.GET.get("filter") == "unread"
    filters = {"tab": tab, "filter": "unread" if unread_only else ""}
    query = urlencode({key: value for key, value in filters.items() if value})

    def fetch(cursor: str | None) -> Page[Notification]:
        return selectors.list_notifications(
            user=_user(request),
            now=timezone.now(),
            limit=PAGE_SIZE,
            cursor=cursor,
            unread_only=unread_only,
            category=category,
            archived=archived,
        )

    try:
        page = fetch(cursor)
    except ApplicationError:
        # A stale or edited cursor in the address bar: show the newest page instead.
        cursor = None
        page = fetch(None)
    return {
        "notifications": page.items,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "tab": tab,
        "tabs": _tabs(tab),
        "archived_view": archived,
        "unread_only": unread_only,
        "query": query,
        "filter_query": f"&{query}" if query else "",
        "list_url": LIST_URL + (f"?{query}" if query else ""),
        "unread_url": LIST_URL
        + "?"
        + urlencode({**({"tab": tab} if tab else {}), "filter": "unread"}),
        "all_url": LIST_URL + (f"?tab={tab}" if tab else ""),
        "selectable": True,
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
        # Opening the inbox is opening the bell: what is shown is seen, and the bell on
        # this page already says so. The items were loaded before, so the new ones are
        # still marked new.
        inbox.mark_all_seen(user=_user(request))
        response = render(request, "notifications/index.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def notification_bell(request: HtmxHttpRequest) -> HttpResponse:
    count = selectors.count_unseen_for_badge(user=_user(request), now=timezone.now())
    if request.GET.get("seen") == str(count):
        # Unchanged: htmx leaves the bell alone, so screen readers hear nothing new.
        return HttpResponse(status=204)
    return render(request, "notifications/_bell_link.html", {"unseen_count": count})


@login_required
@require_POST
def open_bell(request: HtmxHttpRequest) -> HttpResponse:
    """The bell was opened: its newest notifications, and everything visible is now seen.

    Without JavaScript the bell's menu only links here and to the page; the POST then
    marks seen and goes to the page.
    """
    user = _user(request)
    page = selectors.list_notifications(user=user, now=timezone.now(), limit=BELL_SIZE)
    inbox.mark_all_seen(user=user)
    if not request.htmx:
        return HttpResponseRedirect(LIST_URL)
    response = render(request, "notifications/_bell_menu.html", {"latest": page.items})
    return trigger_client_event(response, SEEN_EVENT)


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
    notification = inbox.mark_read(user=_user(request), notification_id=notification_id)
    if request.htmx:
        response = render(
            request, "notifications/_notification.html", {"notification": notification}
        )
        return trigger_client_event(response, CHANGED_EVENT)
    return _back(request)


def _removed(request: HtmxHttpRequest, message: str) -> HttpResponse:
    """The item left this view: htmx swaps it for nothing, else back with a message."""
    if request.htmx:
        return trigger_client_event(HttpResponse(""), CHANGED_EVENT)
    messages.success(request, message)
    return _back(request)


@login_required
@require_POST
def dismiss(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    """The first page's dismiss button, as archive (a page open before the change still works)."""
    inbox.archive(user=_user(request), notification_id=notification_id)
    return _removed(request, _("Notification archived."))


@login_required
@require_POST
def archive(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    inbox.archive(user=_user(request), notification_id=notification_id)
    return _removed(request, _("Notification archived."))


@login_required
@require_POST
def unarchive(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    inbox.unarchive(user=_user(request), notification_id=notification_id)
    return _removed(request, _("Notification moved back to the inbox."))


@login_required
@require_POST
def snooze(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    now = timezone.now()
    try:
        until = inbox.snooze_choice_until(choice=request.POST.get("choice", ""), now=now)
        inbox.snooze(user=_user(request), notification_id=notification_id, until=until, now=now)
    except ApplicationError as error:
        if request.htmx:
            return HttpResponse(error.message, status=400)
        messages.error(request, error.message)
        return _back(request)
    when = format_day_and_time(until)
    return _removed(request, sentence(_("Snoozed until %(when)s.") % {"when": when}))


@login_required
@require_POST
def bulk(request: HtmxHttpRequest) -> HttpResponse:
    """The page's bulk form: read or archive the ticked notifications."""
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    action = request.POST.get("action", "")
    try:
        updated = inbox.bulk_update(user=_user(request), ids=ids, action=action)
    except ApplicationError as error:
        if request.htmx:
            return HttpResponse(error.message, status=400)
        messages.error(request, error.message)
        return _back(request)
    if request.htmx:
        response = render(request, "notifications/_list.html", _list_context(request, cursor=None))
        return trigger_client_event(response, CHANGED_EVENT)
    if not ids:
        messages.info(request, _("Tick the notifications first."))
    elif action == "read":
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
        messages.success(
            request,
            ngettext(
                "Archived %(count)d notification.", "Archived %(count)d notifications.", updated
            )
            % {"count": updated},
        )
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    updated = inbox.mark_all_read(user=_user(request))
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


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    """The notification section of the settings page, also on a page of its own.

    The form sends every category; an unticked box is off.
    """
    if request.method == "GET":
        return render(
            request,
            "notifications/settings.html",
            {"preferences_next": reverse("notification-settings")},
        )
    changes = {
        category: {
            channel: f"{category}-{channel}" in request.POST for channel in selectors.CHANNELS
        }
        for category in selectors.CATEGORIES
    }
    update_notification_preferences(user=_user(request), changes=changes)
    messages.success(request, _("Your notification settings are saved."))
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if target and allowed else reverse("notification-settings"))


@login_required
@require_POST
def forget_device(request: HtmxHttpRequest, device_id: int) -> HttpResponse:
    """The settings page's forget button: the phone gets no more push notifications."""
    devices.forget_device(user=_user(request), device_id=device_id)
    messages.success(request, _("The phone is forgotten: it gets no more notifications."))
    return HttpResponseRedirect(reverse("notification-settings") + "#devices")
