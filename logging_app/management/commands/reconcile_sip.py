"""`manage.py reconcile_sip`: bind address-only CONNECT/DISCONNECT events to accounts."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logging_app.jobs import reconcile_sip_sessions


class Command(BaseCommand):
    help = (
        "Bind CONNECT and DISCONNECT events that came with a remote address only to the "
        "account that registered from that address during that connection."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lookback-hours",
            type=int,
            help="Look this far back for unbound events (SIP_RECONCILE_LOOKBACK_HOURS).",
        )

    def handle(self, *, lookback_hours: int | None, **options) -> None:
        if lookback_hours is not None and lookback_hours < 1:
            raise CommandError("--lookback-hours must be at least 1.")
        lookback = timedelta(hours=lookback_hours) if lookback_hours else None
        self.stdout.write(str(reconcile_sip_sessions(lookback=lookback)))
