"""`manage.py keep_partitions`: make the partitions the large logs need next (PostgreSQL)."""

from django.core.management.base import BaseCommand

from logging_app.jobs import keep_partitions


class Command(BaseCommand):
    help = (
        "Make the partitions of the current and the next two periods of each time-partitioned "
        "log (PostgreSQL; nothing on SQLite), moving into them the rows the default "
        "partition holds in their range."
    )

    def handle(self, **options) -> None:
        self.stdout.write(str(keep_partitions()))
