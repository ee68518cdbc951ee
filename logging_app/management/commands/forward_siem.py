"""`manage.py forward_siem`: send waiting Security events to the SIEM collector."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logging_app.jobs import FORWARD_LIMIT, forward_siem


class Command(BaseCommand):
    help = (
        "Send the Security events waiting in the outbox to the syslog collector of "
        "SIEM_SYSLOG_URL, as RFC 5424 messages carrying their CEF line."
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
        self.stdout.write(str(forward_siem(limit=limit)))
