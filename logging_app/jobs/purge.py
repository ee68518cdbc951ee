"""Purging: what the logs' own rules and the retention settings no longer keep."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from ..logs import LOGS, LogSpec
from ..partitions import Dropped, drop_expired_partitions, partitioned_logs
from ..selectors import Cursor
from .report import log_result

PURGE_BATCH = 5000


@dataclass
class PurgeResult:
    # Rows deleted by log slug: a log's own rules' (the CDR policy's) and its retention's.
    deleted: dict[str, int] = field(default_factory=dict)
    # Partitions dropped whole (PostgreSQL), with their rows (counted in `deleted` too) and
    # times (the benchmark's figures).
    drops: list[Dropped] = field(default_factory=list)

    @property
    def dropped(self) -> list[str]:
        return [drop.name for drop in self.drops]

    @property
    def changed(self) -> bool:
        return any(self.deleted.values())

    def __str__(self) -> str:
        purged = [f"{count} {log}" for log, count in self.deleted.items() if count]
        said = "purge_logs: " + (", ".join(purged) + " rows deleted" if purged else "nothing due")
        if self.dropped:
            said += f" ({len(self.dropped)} partitions dropped whole: {', '.join(self.dropped)})"
        return said


def _before(now: datetime, days: int) -> datetime | None:
    """`days` before `now`; None when that is before the first representable date."""
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return None


def _delete_in_batches(spec: LogSpec, queryset: QuerySet, batch_size: int) -> int:
    """Delete the queryset's rows, oldest first, `batch_size` at a time.

    Each DELETE is short, so ingest and page views wait for none of them for long. Each
    batch starts where the last one ended (a keyset on time and id, as the list pages
    page), rather than at the oldest row: the index entries of rows just deleted stay in
    the index until VACUUM, and walking over them again every batch would make a large
    purge quadratic. The log's aggregates lose the rows in the batch's transaction.
    """
    model: type[Model] = queryset.model
    time_field = spec.time_field
    counted = spec.aggregated_fields
    deleted, last = 0, None
    while True:
        batch = queryset.filter(last.later(time_field)) if last else queryset
        batch = batch.order_by(time_field, "pk").values(time_field, "pk", *counted)
        with transaction.atomic():
            # Locked, so that what the aggregates lose is what this DELETE deleted.
            rows = list(batch.select_for_update()[:batch_size])
            if not rows:
                return deleted
            # Counted for this model only: a Security event's outbox row goes with it (and
            # only the ids of the events are read to find it).
            ids = [row["pk"] for row in rows]
            _, by_model = model.objects.filter(pk__in=ids).only("pk").delete()
            deleted += by_model.get(model._meta.label, 0)
            for aggregate in spec.aggregates:
                aggregate.count(rows, -1)
        last = Cursor(rows[-1][time_field], rows[-1]["pk"])


def purge_logs(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> PurgeResult:
    """Delete what the logs' own rules and the retention settings no longer keep.

    A log's rules are its spec's `expired` rows (the CDR policy's direct calls). Each log
    keeps its rows RETENTION_DAYS_<LOG> days (0: forever). Security events rewritten from
    purged rows keep their own data.
    """
    now = now or timezone.now()
    result = PurgeResult()
    deleted = result.deleted
    for spec in partitioned_logs():
        # Whole partitions first (PostgreSQL): what is left to delete row by row is the
        # partition the cutoff falls in, and the default and legacy partitions.
        days = settings.RETENTION_DAYS.get(spec.slug, 0)
        apart = spec.partitioning.apart_expired_before
        dropped = drop_expired_partitions(
            spec,
            before=_before(now, days) if days else None,
            apart_before=apart(now) if apart else None,
            now=now,
        )
        if dropped:
            result.drops += dropped
            deleted[spec.slug] = sum(partition.rows for partition in dropped)
    for spec in LOGS.values():
        if spec.expired is not None:
            count = _delete_in_batches(spec, spec.expired(now), batch_size)
            deleted[spec.slug] = deleted.get(spec.slug, 0) + count
    for spec in LOGS.values():
        days = settings.RETENTION_DAYS.get(spec.slug, 0)
        cutoff = _before(now, days) if days else None
        if cutoff is None:
            continue
        expired = spec.model.objects.filter(**{f"{spec.time_field}__lt": cutoff})
        count = _delete_in_batches(spec, expired, batch_size)
        deleted[spec.slug] = deleted.get(spec.slug, 0) + count
    log_result(result, changed=result.changed)
    return result
