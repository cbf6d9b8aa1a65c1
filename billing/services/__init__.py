"""Billing's writes and rules, one module per job: `payment_methods`, `payments` (paying an
invoice), `invoices` (staff's actions on an invoice) and `reminders` (invoice due, card
expiring).

Callers import from the module that holds the function
(`from billing.services.payments import pay_invoice`); this package re-exports nothing.
"""
