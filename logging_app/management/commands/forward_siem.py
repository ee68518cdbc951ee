"""`manage.py forward_siem`: send waiting Security events to the SIEM collector."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logging_app.jobs import FORWARD_LIMIT, forward_siem


class Command(BaseCommand):
    help = (
        "Send the Security events waiting in the outbox to the syslog collector of "
        "SIEM_SYSLOG_URL, as RFC 5424 messages carrying their CEF line, including those "
        "waiting for a retry. Exits non-zero when events are left waiting because the "
        "collector failed or none is configured."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=FORWARD_LIMIT,
            help=f"Send at most this many events (default {FORWARD_LIMIT}).",
        )

    def handle(self, *, limit: int, **options) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        # Run by hand or by cron, the command tries every waiting event now, so that its
        # exit status says whether the collector takes them. The worker keeps the back-off.
        result = forward_siem(limit=limit, retry_now=True)
        self.stdout.write(str(result))
        if result.failed:
            raise CommandError(
                f"{result.waiting} events wait in the outbox: the collector failed "
                f"({result.error})."
            )
        if not result.configured and result.waiting:
            raise CommandError(
                f"{result.waiting} events wait in the outbox: no collector is configured "
                "(SIEM_SYSLOG_URL)."
            )
