"""Orders' writes and rules, one module per job: `placing` (the gates, placing an order and the
customer withdrawing it), `review` (support approves or rejects) and `fulfillment` (the
orchestrator from approved to an active subscription). `common` holds what every transition
shares.

An order goes pending_review -> approved -> provisioning -> activated, or ends failed or
cancelled. Every transition happens under the order's row lock and only from the state
before it, so a repeated or concurrent call (a double click, a task retry, two workers)
finds nothing left to do: one subscription and one notification of each type per order.

Callers import from the module that holds the function
(`from orders.services.review import approve_order`); this package re-exports nothing.
"""
