"""`manage.py purge_logs`: delete what the CDR policy and the retention settings don't keep."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logging_app.jobs import PURGE_BATCH, purge_logs


class Command(BaseCommand):
    help = (
        "Delete direct-call CDRs older than the CDR policy keeps (all of them under No-CDR) "
        "and rows of each log older than its RETENTION_DAYS_<LOG> setting, in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=PURGE_BATCH,
            help=f"Rows per DELETE (default {PURGE_BATCH}).",
        )

    def handle(self, *, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.stdout.write(str(purge_logs(batch_size=batch_size)))
