"""`manage.py demo_heartbeat`: the demo appliance's live heartbeats, until told to stop.

`make run` starts it beside the web server, so that the demo's appliance looks alive;
`manage.py demo_heartbeat --stop` (`make stop-heartbeats`) stops it, as if the appliance
had gone silent, and the console's banner follows.
"""

import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from logging_app.ingest import ingest_records
from logging_app.logs import LOGS


def stop_file() -> Path:
    """Its presence tells the running heartbeats to stop (a file: no process id to trust)."""
    return Path(settings.DATA_DIR) / "demo-heartbeat.stop"


class Command(BaseCommand):
    help = (
        "Send the demo appliance's heartbeat to the System log through the ingest service "
        "every --every seconds, until stopped (Ctrl-C, SIGTERM, or demo_heartbeat --stop)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=20, help="Seconds between beats (20).")
        parser.add_argument(
            "--stop", action="store_true", help="Stop the heartbeats running elsewhere, and exit."
        )

    def handle(self, *, every: int, stop: bool, **options) -> None:
        if stop:
            stop_file().parent.mkdir(parents=True, exist_ok=True)
            stop_file().touch()
            self.stdout.write("The demo's heartbeats stop within a beat.")
            return
        if every < 1:
            raise CommandError("--every must be at least 1.")
        log = next((spec for spec in LOGS.values() if spec.heartbeat is not None), None)
        if log is None:
            raise CommandError("No registered log carries heartbeats.")
        stop_file().unlink(missing_ok=True)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
        self.stdout.write(f"Demo heartbeats every {every} s (stop: demo_heartbeat --stop).")
        try:
            while not stopped.is_set() and not stop_file().exists():
                beat = log.heartbeat.record(timezone.now())
                result = ingest_records(log=log.slug, records=[beat])
                if result.rejected:
                    raise CommandError(f"The heartbeat was refused: {result.rejected}")
                close_old_connections()
                stopped.wait(every)
        except KeyboardInterrupt:
            pass
        stop_file().unlink(missing_ok=True)
        self.stdout.write("Demo heartbeats stopped.")
