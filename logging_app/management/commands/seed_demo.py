"""`manage.py seed_demo`: demo accounts and activity, pushed through the ingest service."""

from argparse import ArgumentTypeError
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from logging_app import models
from logging_app.demo import demo_records
from logging_app.ingest import ingest_records
from logging_app.jobs import expire_secure_messages, reconcile_sip_sessions
from logging_app.logs import LOGS


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ArgumentTypeError(f"must be a whole number ≥ 1, not {text!r}")
    return int(text)


class Command(BaseCommand):
    help = (
        "Generate demo accounts and some weeks of activity in every log, through the same "
        "ingest path as the appliance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=_positive, default=30, help="Days of activity (30).")
        parser.add_argument("--accounts", type=_positive, default=60, help="Accounts (60).")
        parser.add_argument("--seed", type=int, help="Random seed, for the same data each time.")
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete every log row, account and group first.",
        )

    def handle(self, *, days: int, accounts: int, seed: int | None, flush: bool, **options):
        now = timezone.now()
        try:
            batches = demo_records(days=days, accounts=accounts, seed=seed, now=now)
        except ValueError as error:
            raise CommandError(str(error)) from None

        with transaction.atomic():
            if flush:
                self._flush()
            policy = models.CdrPolicy.current()
            if policy.no_cdr:
                self.stdout.write(
                    self.style.WARNING(
                        f"The CDR policy is No-CDR: {policy.describe()} The demo's direct "
                        "calls are counted as discarded. Change the policy on the admin site "
                        "to keep them."
                    )
                )
            rejected = 0
            for log, records in batches.items():
                result = ingest_records(log=log, records=records)
                rejected += len(result.rejected)
                self.stdout.write(
                    f"{log:<20} {result.accepted:>6} accepted {result.updated:>6} updated "
                    f"{result.duplicates:>6} duplicates {result.discarded:>6} discarded "
                    f"{len(result.rejected):>3} rejected"
                )
            if rejected:
                # The generator makes valid records only: this is a bug, not bad input.
                raise CommandError(f"{rejected} demo record(s) were rejected; nothing stored.")
            # What the worker would have done meanwhile, over the whole period (and the day
            # before it, where a story may begin): the data as a running site shows it.
            lookback = timedelta(days=days + 2)
            self.stdout.write(str(reconcile_sip_sessions(now=now, lookback=lookback)))
            self.stdout.write(str(expire_secure_messages(now=now)))

        totals = [f"{models.Account.objects.count()} accounts"]
        totals += [f"{spec.model.objects.count()} {spec.slug}" for spec in LOGS.values()]
        self.stdout.write(self.style.SUCCESS("Stored now: " + ", ".join(totals) + "."))

    def _flush(self) -> None:
        # Log rows first, so that deleting the accounts has no links left to clear.
        for spec in LOGS.values():
            spec.model.objects.all().delete()
        models.Account.objects.all().delete()
        models.AccountGroup.objects.all().delete()
        for spec in LOGS.values():  # the figures of no rows
            for aggregate in spec.aggregates:
                aggregate.rebuild()
        self.stdout.write("Deleted every log row, account and group.")
