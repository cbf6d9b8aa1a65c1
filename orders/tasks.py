"""Celery tasks for orders: load by id, call the service, own the retry policy."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from orders.models import Order
from orders.provisioning import TemporaryProvisioningError
from orders.services.fulfillment import fulfill_order
from portal.retries import DATABASE_ERRORS, backoff, backoff_window

logger = logging.getLogger(__name__)

# Six attempts over about a quarter of an hour before the order fails.
MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 10 * 60
# A lost database connection (a restart, a failover) is usually back within seconds.
DATABASE_BACKOFF_BASE_SECONDS = 2
DATABASE_BACKOFF_MAX_SECONDS = 60


def retry_countdown(retries: int) -> int:
    """30 s, 1 min, 2 min, ... at most 10 min, jittered, so orders that failed together
    during an operator outage do not all come back at once."""
    return backoff(retries, base=BACKOFF_BASE_SECONDS, maximum=BACKOFF_MAX_SECONDS)


def database_retry_countdown(retries: int) -> int:
    """2 s, 4 s, 8 s, ... at most a minute, jittered the same way."""
    return backoff(
        retries, base=DATABASE_BACKOFF_BASE_SECONDS, maximum=DATABASE_BACKOFF_MAX_SECONDS
    )


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    # Its retries by hand, at their longest: the outbox's measure of a lost fulfillment.
    retry_window=backoff_window(
        base=BACKOFF_BASE_SECONDS, maximum=BACKOFF_MAX_SECONDS, retries=MAX_RETRIES
    ),
)
def fulfill_order_task(self: Task, order_id: int) -> None:
    try:
        fulfill_order(order_id=order_id, final_attempt=self.request.retries >= MAX_RETRIES)
    except Order.DoesNotExist:
        logger.warning("Fulfillment skipped: order %s no longer exists", order_id)
    except TemporaryProvisioningError as error:
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error
    except DATABASE_ERRORS as error:
        # The database went away mid-task: the transaction rolled back, so the order is as
        # it was before this attempt, and every step is safe to run again.
        countdown = database_retry_countdown(self.request.retries)
        raise self.retry(exc=error, countdown=countdown) from error
