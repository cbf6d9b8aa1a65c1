"""Residence card verification's writes and rules, one module per job: `review` (the upload and
support's review) and `reminders` (before the card expires).

Callers import from the module that holds the function
(`from verification.services.review import review_residence_card`); this package re-exports
nothing.
"""
