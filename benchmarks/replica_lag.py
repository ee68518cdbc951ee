"""`make bench-replica`: how far a streaming replica lags while CDRs are ingested at full speed.

Re-creates its own database (`console_bench_replica`), starts a real streaming replica of
the server (tests/replica_server.py: a base backup of the whole cluster into a temporary
directory, a second server on a port of its own), then ingests N CDRs over 30 days through
the bulk ingest path as `benchmarks/run.py` loads them, 50,000 a batch, as fast as it goes.
Meanwhile:

- every 0.5 s it samples the lag on the primary (`pg_stat_replication`: write, flush and
  replay lag, and the WAL bytes between the primary's position and the replica's replay)
  and on the replica (`now() - pg_last_xact_replay_timestamp()`);
- it watches each committed batch's last record on the replica, and times how long after
  the commit it shows there;
- a second process times the CDR list's first page and an account page, read from the
  replica through the console's own routing (`DATABASE_REPLICA_URLS`).

Then it times the same pages again with the ingest stopped, checks the last record shows on
the replica's list page, prints a Markdown table, and removes everything it made (the
replica server, its directory, the pg_hba.conf line if it added one, the database), on
failure and Ctrl-C too.

    .venv/bin/python benchmarks/replica_lag.py --rows 1000000

A base backup copies every database of the server: it refuses a cluster larger than
--max-cluster-gb (2 GB) unless told otherwise.
"""

import argparse
import logging
import multiprocessing
import os
import signal
import statistics
import sys
import threading
import time
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replica_server import (  # noqa: E402  (after ROOT is on the path)
    ReplicaServer,
    ReplicaUnavailable,
    cluster_bytes,
    start_replica,
)

SAMPLE_SECONDS = 0.5
POLL_SECONDS = 0.02  # how often the watcher looks for a batch's last record on the replica
MB = 1024 * 1024
ACCOUNT = run._username(run.FREQUENT)
PAGES = [("CDR list, first page", "/logging/cdr/"), ("account page", f"/accounts/{ACCOUNT}/")]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="CDRs to ingest")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/console_bench_replica",
        help="the benchmark's own database, dropped and re-created, and dropped at the end",
    )
    parser.add_argument("--days", type=int, default=30, help="the days the CDRs span")
    parser.add_argument(
        "--max-cluster-gb",
        type=float,
        default=2.0,
        help="refuse when the server's databases take more (the base backup copies them "
        "all); 0 for no limit",
    )
    arguments = parser.parse_args()
    if arguments.rows < 1:
        parser.error("--rows must be at least 1")
    return arguments


def _primary(url: str) -> dict:
    """psycopg's connection parameters of a postgres:// URL."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password) if parts.password else None,
        "dbname": parts.path.lstrip("/"),
    }


def _drop_database(primary: dict) -> None:
    server = {**primary, "dbname": "postgres"}
    with psycopg.connect(**server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{primary["dbname"]}" WITH (FORCE)')


def _refuse_a_large_cluster(primary: dict, max_gb: float) -> None:
    primary = {**primary, "dbname": "postgres"}  # its database is not made yet
    size = cluster_bytes(primary)
    if max_gb and size > max_gb * 1024 * MB:
        with psycopg.connect(**primary, autocommit=True) as conn:
            largest = conn.execute(
                "SELECT datname, pg_size_pretty(pg_database_size(oid)) FROM pg_database "
                "ORDER BY pg_database_size(oid) DESC LIMIT 3"
            ).fetchall()
        sys.exit(
            f"The server's databases take {size / 1024 / MB:.1f} GB (largest: "
            f"{', '.join(f'{name} {pretty}' for name, pretty in largest)}); the replica's base "
            f"backup would copy all of it. Drop what is not needed, or pass "
            f"--max-cluster-gb {size / 1024 / MB + 1:.0f} (0: no limit) to copy it anyway."
        )


# --- Watching the replica while the load runs ---------------------------------------------


@dataclass
class Watch:
    """What the sampler and the watcher saw, filled in by their threads."""

    replication: list[tuple[float, float, float, float]] = field(default_factory=list)
    replay_age: list[float] = field(default_factory=list)  # seconds, on the replica
    # Each committed batch: when, and its last record (event id, time).
    committed: list[tuple[float, str, datetime]] = field(default_factory=list)
    visible_after: list[float] = field(default_factory=list)  # seconds, per batch
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)


def _sample(watch: Watch, server: ReplicaServer) -> None:
    """Every SAMPLE_SECONDS: the primary's view of the replica's lag, and the replica's."""
    lag = (
        "SELECT coalesce(extract(epoch FROM write_lag), 0)::float,"
        " coalesce(extract(epoch FROM flush_lag), 0)::float,"
        " coalesce(extract(epoch FROM replay_lag), 0)::float,"
        " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float"
        " FROM pg_stat_replication WHERE application_name = %s"
    )
    age = "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float"
    try:
        with (
            psycopg.connect(**server.primary, autocommit=True) as primary,
            psycopg.connect(**server.params, autocommit=True) as replica,
        ):
            while not watch.stop.wait(SAMPLE_SECONDS):
                if row := primary.execute(lag, (server.name,)).fetchone():
                    watch.replication.append(row)
                if (seconds := replica.execute(age).fetchone()[0]) is not None:
                    watch.replay_age.append(seconds)
    except BaseException as error:
        watch.errors.append(error)


def _watch_batches(watch: Watch, server: ReplicaServer, table: str, time_field: str) -> None:
    """Time how long after its commit each batch's last record shows on the replica."""
    found = f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE event_id = %s AND "{time_field}" = %s)'
    try:
        with psycopg.connect(**server.params, autocommit=True) as replica:
            done = 0
            while True:
                if done == len(watch.committed):
                    if watch.stop.is_set():
                        return
                    time.sleep(POLL_SECONDS)
                    continue
                committed_at, event_id, at = watch.committed[done]
                while not replica.execute(found, (event_id, at)).fetchone()[0]:
                    time.sleep(POLL_SECONDS)
                watch.visible_after.append(time.monotonic() - committed_at)
                done += 1
    except BaseException as error:
        watch.errors.append(error)


# --- Pages read from the replica ----------------------------------------------------------


def _client():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    return client


def _replica_queries(client, url: str) -> tuple[float, int]:
    """The page's time (ms), and how many of its queries ran on the replica."""
    from django.db import connections

    ran: list[str] = []

    def record(execute, sql, params, many, context):
        ran.append(sql)
        return execute(sql, params, many, context)

    with connections["replica1"].execute_wrapper(record):
        ms = run._get(client, url)
    return ms, len(ran)


# Each page's times (ms), and how many of its requests read nothing on the replica.
PageTimes = dict[str, tuple[list[float], int]]


def _time_pages(client, until) -> PageTimes:
    """Each page in turn, RUNS times (after WARM_UP), or back to back `until()` is true."""
    times: PageTimes = {name: ([], 0) for name, _ in PAGES}
    rounds = 0

    def more() -> bool:
        return not until() if until else rounds < run.WARM_UP + run.RUNS

    while more():
        for name, url in PAGES:
            ms, on_replica = _replica_queries(client, url)
            if until or rounds >= run.WARM_UP:
                samples, on_primary = times[name]
                samples.append(ms)
                times[name] = (samples, on_primary + (on_replica == 0))
        rounds += 1
    return times


def _pages_loop(stop, results) -> None:
    """In a process of its own while the load runs: the pages, back to back."""
    results.put(_time_pages(_client(), until=stop.is_set))


# --- The run ------------------------------------------------------------------------------


def _stop_on_sigterm() -> None:
    def stop(signum, frame):
        raise SystemExit(f"Stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)


def main() -> None:
    arguments = _arguments()
    run.SPAN_DAYS = arguments.days
    primary = _primary(arguments.database_url)
    _refuse_a_large_cluster(primary, arguments.max_cluster_gb)
    _stop_on_sigterm()
    with ExitStack() as stack:
        stack.callback(_drop_database, primary)
        run._fresh_database(arguments.database_url)
        print("Starting the replica (base backup of the whole server)…", flush=True)
        started = time.monotonic()
        try:
            server = start_replica(stack, primary, mark="benchmarks/replica_lag.py")
        except ReplicaUnavailable as unavailable:
            sys.exit(f"No replica can run here: {unavailable}")
        backup_seconds = time.monotonic() - started
        stack.callback(print, "Removing the replica and the database…", flush=True)
        parts = urlsplit(arguments.database_url)
        user = parts.netloc.rpartition("@")[0]
        netloc = f"{user}@127.0.0.1:{server.port}" if user else f"127.0.0.1:{server.port}"
        os.environ["DATABASE_REPLICA_URLS"] = parts._replace(netloc=netloc).geturl()
        run._setup_django(arguments.database_url)
        # The sign-ins' records, and no collected static files: not what this measures.
        logging.getLogger("axes").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="No directory at")

        from django.db import connections

        stack.callback(connections.close_all)  # before the database is dropped
        _measure(arguments, server, stack, backup_seconds)


def _measure(arguments, server: ReplicaServer, stack: ExitStack, backup_seconds: float) -> None:
    from django.contrib.auth.models import User
    from django.db import connection, connections
    from django.utils import timezone

    from logging_app.logs import LOGS

    spec = LOGS["cdr"]
    table, time_field = spec.model._meta.db_table, "call_date"
    end = timezone.now().replace(microsecond=0)
    User.objects.create_superuser("bench", password=os.urandom(16).hex())
    # The accounts and partitions first, untimed: what the pages read the CDRs with.
    run._load(0, end, [])
    server.caught_up()

    watch = Watch()

    def committed(log: str, records: list[dict]) -> None:
        last = records[-1]
        watch.committed.append(
            (time.monotonic(), last["event_id"], datetime.fromisoformat(last[time_field]))
        )

    connections.close_all()  # the page process must not share the connections
    stop_pages, page_results = multiprocessing.Event(), multiprocessing.Queue()
    pages = multiprocessing.get_context("fork").Process(
        target=_pages_loop, args=(stop_pages, page_results)
    )
    pages.start()
    stack.callback(pages.join, 10)
    stack.callback(stop_pages.set)
    threads = [
        threading.Thread(target=_sample, args=(watch, server), daemon=True),
        threading.Thread(
            target=_watch_batches, args=(watch, server, table, time_field), daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    stack.callback(watch.stop.set)

    started = time.monotonic()
    try:
        (loaded,) = run._load(arguments.rows, end, ["cdr"], on_batch=committed)
    finally:
        stop_pages.set()
    wall = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (end_lsn,) = cursor.fetchone()
    watch.stop.set()
    for thread in threads:
        thread.join()
    if watch.errors:
        raise watch.errors[0]
    # The last batch's last record is the last record: the watcher waited for it.
    last_visible = watch.visible_after[-1]
    started = time.monotonic()
    server.caught_up()
    caught_up = time.monotonic() - started
    during = page_results.get(timeout=120)
    pages.join()

    client = _client()
    last = spec.model.objects.order_by("-call_date", "-id").first()
    shown = last.call_id in client.get("/logging/cdr/").content.decode()
    after = _time_pages(client, until=None)

    _report(
        arguments,
        loaded,
        wall,
        watch,
        backup_seconds,
        last_visible,
        caught_up,
        end_lsn,
        shown,
        [("while ingesting", during), ("after", after)],
    )


def _q(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def _report(
    arguments,
    loaded,
    wall,
    watch,
    backup_seconds,
    last_visible,
    caught_up,
    end_lsn,
    shown,
    page_runs,
) -> None:
    from django.db import connection

    print()
    print(
        f"### Replica lag while ingesting {arguments.rows:,} CDRs over {arguments.days} days, "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
    print()
    print(f"Base backup and start of the replica: {backup_seconds:.1f} s.")
    print()
    print("| Ingest (bulk path, 50k-record batches) | rows | records/s | wall time |")
    print("|---|---:|---:|---:|")
    print(
        f"| cdr, replica streaming | {loaded.rows:,} | {loaded.rows / loaded.seconds:,.0f} "
        f"| {wall:.1f} s |"
    )
    print()
    columns = list(zip(*watch.replication, strict=True)) or [[], [], [], []]
    rows = [
        ("write lag (primary)", columns[0], 1, "s"),
        ("flush lag (primary)", columns[1], 1, "s"),
        ("replay lag (primary)", columns[2], 1, "s"),
        ("WAL not yet replayed (primary)", columns[3], MB, "MB"),
        ("now() − last replayed commit (replica)", watch.replay_age, 1, "s"),
        (
            "a batch's last record visible on the replica after its commit",
            watch.visible_after,
            1,
            "s",
        ),
    ]
    print(f"| Lag, sampled every {SAMPLE_SECONDS} s while ingesting | samples | p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|")
    for name, samples, unit, label in rows:
        values = [value / unit for value in samples]
        print(
            f"| {name} | {len(values)} | {_q(values, 50):.2f} {label} | {_q(values, 95):.2f} "
            f"{label} | {max(values, default=0):.2f} {label} |"
        )
    print()
    print(f"- The last record showed on the replica {last_visible:.2f} s after its commit;")
    print(f"  the replica had replayed all the WAL (up to {end_lsn}) {caught_up:.2f} s later.")
    print(
        f"- The replica's CDR list then {'showed' if shown else '**did not show**'} the last call."
    )
    print()
    print("| Page, read from the replica | when | requests | p50 | p95 | max | read the primary |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for when, pages in page_runs:
        for name, (times, on_primary) in pages.items():
            print(
                f"| {name} | {when} | {len(times)} | {_q(times, 50):.1f} ms "
                f"| {_q(times, 95):.1f} ms | {max(times, default=0):.1f} ms | {on_primary} |"
            )
    print()
    print("(read the primary: requests that ran no query on the replica, e.g. while it was")
    print("cooling off after not answering; 0 when every page read the replica.)")


if __name__ == "__main__":
    main()
