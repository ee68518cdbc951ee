"""Secure-message expiry: ENQUEUED for more than 72 hours becomes EXPIRED."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .. import models
from ..ingest import rewrite_security_events, row_values
from ..logs import log_for_model
from .report import log_result

# The manual: a message "in queue for more than 72 hours ... is no more considered valid".
SECURE_MESSAGE_LIFETIME = timedelta(hours=72)


@dataclass
class ExpireResult:
    expired: int = 0

    @property
    def changed(self) -> bool:
        return self.expired > 0

    def __str__(self) -> str:
        return f"expire_secure_messages: {self.expired} messages ENQUEUED for over 72 h expired"


def expire_secure_messages(*, now: datetime | None = None, batch_size: int = 1000) -> ExpireResult:
    """Mark EXPIRED the messages ENQUEUED for more than 72 hours since `received`.

    Each expiry is rewritten into its Security event, as ingest does for a message
    reported EXPIRED, and the log's aggregates recount the messages, in the same
    transaction.
    """
    now = now or timezone.now()
    spec = log_for_model(models.SecureMessage)
    stale = models.SecureMessage.objects.filter(
        status=models.SecureMessageStatus.ENQUEUED, received__lt=now - SECURE_MESSAGE_LIFETIME
    ).order_by("received", "id")
    result = ExpireResult()
    while True:
        with transaction.atomic():
            # Rows an ingest is updating right now are left to the next run.
            batch = list(stale.select_for_update(skip_locked=True)[:batch_size])
            if not batch:
                break
            before = [row_values(message) for message in batch]
            for message in batch:
                message.status = models.SecureMessageStatus.EXPIRED
            models.SecureMessage.objects.bulk_update(batch, ["status"])
            after = [row_values(message) for message in batch]
            for aggregate in spec.aggregates:  # the messages' hours: one ENQUEUED less, …
                aggregate.count(before, -1)
                aggregate.count(after, 1)
            rewrite_security_events(spec, after)
        result.expired += len(batch)
    log_result(result, changed=result.changed)
    return result
