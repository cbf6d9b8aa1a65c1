"""Writes and rules about notifications, one module per job: `notify` (creating, retiring,
purging), `email`, `inbox` (the customer's actions), `preferences` and `announcements`.

Callers import from the module that holds the function
(`from notifications.services.notify import notify`); this package re-exports nothing.
Reminders live with their subject (`billing.services.reminders`,
`verification.services.reminders`) and call `notify`.
"""
