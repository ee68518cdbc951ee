"""`manage.py run_worker`: run the periodic jobs, each every JOB_INTERVALS[job] seconds."""

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from logging_app.jobs import JOBS

logger = logging.getLogger("logging_app.worker")


def run_schedule(
    *,
    jobs: dict[str, Callable[[], object]],
    intervals: dict[str, float],
    stop: threading.Event,
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[float], object] | None = None,
) -> None:
    """Run each job whenever its interval has passed since its last run, until `stop`.

    Every job is due at the start. A job's interval counts from the end of its run, so a
    slow run never makes the same job run back to back.
    """
    wait = wait or stop.wait
    next_run = dict.fromkeys(jobs, clock())
    while not stop.is_set():
        for name, job in jobs.items():
            if stop.is_set():
                return
            if next_run[name] <= clock():
                job()
                next_run[name] = clock() + intervals[name]
        wait(max(0.0, min(next_run.values()) - clock()))


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (reconcile_sip, expire_secure_messages, purge_logs, "
        "check_health, forward_siem), each on its own interval, until stopped (SIGTERM or "
        "Ctrl-C)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")

    def handle(self, *, once: bool, **options) -> None:
        if once:
            failed = [name for name in JOBS if not self._run(name, always_report=True)]
            if failed:
                raise CommandError(f"Failed: {', '.join(failed)} (see the log).")
            return

        stop = threading.Event()
        # `docker stop` sends SIGTERM: finish the job under way, then exit.
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        intervals = settings.JOB_INTERVALS
        self.stdout.write(
            "Worker started: " + ", ".join(f"{name} every {intervals[name]} s" for name in JOBS)
        )
        # Ctrl-C stops at once: the transaction of a job cut short is rolled back.
        with contextlib.suppress(KeyboardInterrupt):
            run_schedule(
                jobs={name: lambda name=name: self._run(name, reconnect=True) for name in JOBS},
                intervals=intervals,
                stop=stop,
            )
        self.stdout.write("Worker stopped.")

    def _run(self, name: str, *, always_report: bool = False, reconnect: bool = False) -> bool:
        """Run one job; a failure is logged and reported, and the worker goes on."""
        if reconnect:
            # A long-lived process: drop a connection that broke or outlived its age.
            close_old_connections()
        try:
            result = JOBS[name]()
        except Exception:
            logger.exception("Job %s failed", name)
            self.stderr.write(f"{name}: failed (see the log)")
            return False
        finally:
            if reconnect:
                close_old_connections()
        if always_report or getattr(result, "changed", True):
            self.stdout.write(str(result))
        return True
