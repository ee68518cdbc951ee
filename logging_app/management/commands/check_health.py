"""`manage.py check_health`: record the appliance's health warnings as Security events."""

from django.core.management.base import BaseCommand

from logging_app.jobs import check_health


class Command(BaseCommand):
    help = (
        "Check the appliance's heartbeats (HEARTBEAT_EXPECTED_SECONDS) and each log's newest "
        "record, and record each warning once per outage as a Security event (CON-530, "
        "CON-531), forwarded to the SIEM."
    )

    def handle(self, **options) -> None:
        self.stdout.write(str(check_health()))
