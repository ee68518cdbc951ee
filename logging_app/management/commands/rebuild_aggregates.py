"""`manage.py rebuild_aggregates`: recompute the figures kept as records arrive."""

import time

from django.core.management.base import BaseCommand

from logging_app.logs import LOGS


class Command(BaseCommand):
    help = (
        "Recompute from the stored rows the figures the logs keep as records arrive (each "
        "account's calls per day): after restoring a backup, or to check them."
    )

    def handle(self, **options) -> None:
        for spec in LOGS.values():
            for aggregate in spec.aggregates:
                started = time.perf_counter()
                rows = aggregate.rebuild()
                seconds = time.perf_counter() - started
                self.stdout.write(f"{spec.slug}: {aggregate.name}: {rows} rows in {seconds:.1f} s")
