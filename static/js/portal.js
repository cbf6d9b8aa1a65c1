// Small enhancements we own. Every action works without this file.
//
// When htmx replaces the part of the page that holds the keyboard focus (a notification
// that was read or dismissed, the dashboard's notifications card, the bell, "load more"),
// the focused element disappears and the browser would send focus back to the top of the
// page. Put it back where the customer was instead.
(() => {
  const FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]), select, textarea";
  // Per request (its XHR): the bell and the card are fetched at the same time after an
  // action, and one swap's bookkeeping must not overwrite the other's before it settles.
  const pending = new WeakMap();

  const indexIn = (element) => (element && element.parentElement
    ? Array.prototype.indexOf.call(element.parentElement.children, element)
    : -1);

  const focusInside = (element) => {
    if (!element) return false;
    const target = element.hasAttribute("tabindex") ? element : element.querySelector(FOCUSABLE);
    if (!target) return false;
    target.focus();
    return true;
  };

  document.addEventListener("htmx:beforeSwap", (event) => {
    const { target, xhr } = event.detail;
    if (!xhr) return;
    const active = document.activeElement;
    const hadFocus = Boolean(target && active && active !== document.body && target.contains(active));
    if (!target || (!hadFocus && !target.id)) {
      pending.delete(xhr);
      return;
    }
    const item = hadFocus ? active.closest("li") : null;
    pending.set(xhr, {
      hadFocus,
      id: target.id,
      parent: target.parentElement,
      index: indexIn(target),
      itemIndex: item && target.contains(item) && item !== target ? indexIn(item) : -1,
    });
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    const xhr = event.detail.xhr;
    const entry = xhr && pending.get(xhr);
    if (!entry) return;
    pending.delete(xhr);
    const { hadFocus, id, parent, index, itemIndex } = entry;
    const replaced = id ? document.getElementById(id) : null;
    // A partial can name what should be read next (a heading above its message).
    const named = replaced && replaced.querySelector("[data-focus-after-swap]");
    if (named) {
      named.focus();
      return;
    }
    if (!hadFocus) return;
    if (replaced) {
      // The same region came back (the bell, the dashboard card, a read notification):
      // focus the item at the same place in its list, or the region itself.
      const list = replaced.querySelector("ul, ol");
      if (itemIndex >= 0 && list && list.children.length) {
        const items = list.children;
        if (focusInside(items[Math.min(itemIndex, items.length - 1)])) return;
      }
      if (focusInside(replaced)) return;
    } else if (parent && parent.isConnected) {
      // The region went away (a dismissed notification) or grew (load more): the item now
      // in its place, else the one before it.
      const siblings = parent.children;
      if (focusInside(siblings[index]) || focusInside(siblings[index - 1])) return;
    }
    const main = document.getElementById("main");
    if (main) main.focus();
  });
})();

// A form that came back with mistakes: start at the first field to fix, not at the top.
document.addEventListener("DOMContentLoaded", () => {
  const invalid = document.querySelector("main [aria-invalid=true]");
  if (invalid) invalid.focus();
});

// Live notifications: the bell, the dashboard and the list refresh themselves when the
// stream says something changed. The bell and the card listen for `notifications-changed`;
// the dashboard's other parts (tasks, stats, cards, activity: what the snapshot shows) for
// `dashboard-changed`, sent when a notification arrives or the counts change, since what
// a notification tells (an order approved, an invoice paid) changed the snapshot too; the
// list for `notifications-live`, sent only when a change is not on the page yet (a new
// notification, or one read elsewhere), so the customer's own actions on the list never
// redraw it under their focus. When the stream cannot connect (an old proxy, the server
// restarting, a logout) they poll instead, and the stream is tried again.
(() => {
  const region = document.querySelector("[data-live-stream]");
  if (!region) return;
  const url = region.getAttribute("data-live-stream");
  const POLL_MS = 30000;
  const RETRY_MS = 60000;
  let poller = null;
  const pending = {};
  let lastCounts = null;

  const fire = (name) => {
    // A burst of events (several notifications, then the counts) refreshes once.
    if (pending[name]) return;
    pending[name] = setTimeout(() => {
      pending[name] = null;
      document.body.dispatchEvent(new CustomEvent(name, { bubbles: true }));
    }, 100);
  };
  const changed = () => fire("notifications-changed");
  const snapshotChanged = () => fire("dashboard-changed");
  const poll = () => {
    changed();
    snapshotChanged();
  };

  const listIsBehind = (notification) => {
    if (!document.getElementById("notification-list")) return false;
    const item = document.getElementById(`notification-${notification.id}`);
    if (!item) return !notification.archived;
    const unreadHere = item.classList.contains("notification--unread");
    return Boolean(notification.archived) || unreadHere === Boolean(notification.read);
  };

  // `data-live` says which way the page is kept fresh ("stream" or "polling").
  const startPolling = () => {
    region.setAttribute("data-live", "polling");
    if (!poller) poller = setInterval(poll, POLL_MS);
  };
  const stopPolling = () => {
    region.setAttribute("data-live", "stream");
    if (poller) clearInterval(poller);
    poller = null;
  };

  if (!("EventSource" in window)) {
    startPolling();
    return;
  }

  const connect = () => {
    const source = new EventSource(url);
    source.addEventListener("open", stopPolling);
    source.addEventListener("notification", (event) => {
      changed();
      snapshotChanged();
      let notification = null;
      try {
        notification = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (notification && listIsBehind(notification)) fire("notifications-live");
    });
    source.addEventListener("counts", (event) => {
      // The counts sent on connecting describe the page as it was drawn; a stream that
      // reconnects sends them again, unchanged, which asks for nothing.
      if (lastCounts !== null && event.data !== lastCounts) poll();
      lastCounts = event.data;
    });
    source.addEventListener("error", () => {
      startPolling();
      if (source.readyState === EventSource.CLOSED) {
        // Refused (logged out, no stream here): poll, and try the stream again later.
        setTimeout(connect, RETRY_MS);
      }
    });
  };
  connect();
})();

// The bell's menu is a <details>: Escape closes it and puts the focus back on the bell, a
// click elsewhere closes it. "Tick all" exists only where this file runs.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const menu = document.querySelector("details.bell-menu[open]");
  if (!menu) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});
document.addEventListener("click", (event) => {
  const menu = document.querySelector("details.bell-menu[open]");
  if (menu && !menu.contains(event.target)) menu.open = false;
});
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-select-all]");
  if (!all) return;
  all.closest("label").hidden = false;
  all.addEventListener("change", () => {
    document.querySelectorAll("input[form=bulk-form][name=ids]").forEach((box) => {
      box.checked = all.checked;
    });
  });
});
