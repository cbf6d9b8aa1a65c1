"""What accounts announces to the apps above it, which it cannot import: the ends of logins.

Sent by `accounts.tokens` on every path that ends one, so no caller has to remember them;
receivers run at once, in the sender's transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# One login (a refresh token family) ended: its device logged out. Sent with `token_family`
# (a str, "" for a token issued before families).
login_ended = Signal()

# Every login of a user ended: a new password, a deactivation. Sent with `user`.
all_logins_ended = Signal()
