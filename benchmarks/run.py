"""`make bench`: load a large log through the bulk ingest path, then time the pages.

Creates (or re-creates) its own database, loads N rows into each of three logs (CDR, SIP
sessions, web sessions) through `ingest_records()`, and prints a Markdown table of warm
p50/p95 server times of the console's pages beside Django's admin changelist for the same
filters (the search box's lookups on the CDR and SIP lists, one per kind of text it reads,
beside the admin's lookups in its URL; a call page beside the admin's list of the call's
legs), each p95 against the 50 ms target, then the CSV export's time and peak memory, and
the plans of the list queries. The SIP list's searches are skipped, with a note, when no
SIP session event is loaded.

    .venv/bin/python benchmarks/run.py --rows 1000000

Server time is measured in-process with Django's test Client (middleware, view, template),
signed in as a superuser: no network or browser in the figures.

`--skip-load` times the pages of a database an earlier run loaded (no ingest figures), and
`--purge-days D` ends the run by purging the oldest D days of CDRs with the retention job
while a second process keeps loading the first page and ingesting small batches, and
reports how long those waited. The purge changes the data: run it last.
"""

import argparse
import multiprocessing
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import figures_bench
import psycopg

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50_000
ACCOUNTS = 2_000
WARM_UP = 3
RUNS = 30
DEEP_PAGES = 100
EXPORT_MAX = 1_000_000
TARGET_MS = 50  # every page's p95 at 10M rows (DESIGN, Quality bars)

DISPOSITIONS = ["ANSWERED"] * 12 + ["NO_ANSWER"] * 3 + ["BUSY"] * 2 + ["FAILED"] * 2 + ["CANCEL"]
HANGUPS = {
    "ANSWERED": "NORMAL_CLEARING",
    "NO_ANSWER": "NO_ANSWER",
    "BUSY": "USER_BUSY",
    "FAILED": "NO_ROUTE_DESTINATION",
    "CANCEL": "NORMAL_CLEARING",
}
# The accounts' groups, and the routes (trunks) of one call in two: the statistics' rows.
GROUPS = ["Sales", "Support", "Engineering", "Finance", "Legal", "Operations", "HR", "Board"]
ROUTES = ["", "", "", "", "", "trunk-rome", "trunk-milan", "trunk-paris", "trunk-berlin", "sip-out"]
CALL_TYPES = ["CALL"] * 17 + ["TRANSFER", "3-WAY", "CONFERENCE"]
WEB_EVENTS = ["SUCCESS"] * 10 + ["LOGOUT"] * 6 + ["SESSION_TIMEOUT"] * 3 + ["SUCCESS_INTERACTIVE"]
SIP_EVENTS = ["REGISTER", "CONNECT", "DISCONNECT", "UNREGISTER"]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per log")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/console_bench"
    )
    parser.add_argument(
        "--logs",
        default="cdr,sip-sessions,web-sessions",
        help="the logs to load, comma-separated (the pages timed are the CDR log's, the "
        "account pages and, when its log is loaded, the SIP list's searches)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=SPAN_DAYS,
        help="the days the rows are spread over, ending now (DESIGN: a month)",
    )
    parser.add_argument(
        "--skip-load", action="store_true", help="time the database an earlier run loaded"
    )
    parser.add_argument(
        "--purge-days",
        type=int,
        default=0,
        help="finally purge the oldest PURGE_DAYS days of CDRs under concurrent load",
    )
    arguments = parser.parse_args()
    if not arguments.skip_load and "cdr" not in arguments.logs.split(","):
        parser.error("--logs must include cdr: the pages timed are mostly the CDR log's")
    return arguments


def _fresh_database(url: str) -> None:
    """Drop and create the benchmark's own database (and only it)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the test Client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django
    from django.conf import settings

    django.setup()
    # Plain static URLs: the manifest exists only after collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- Data ---------------------------------------------------------------------------------


def _username(n: int) -> str:
    return f"user{n:05d}"


def _number(n: int) -> str:
    return f"+3906{n:08d}"


FREQUENT = 1  # an account in about 10% of the rows
MIDDLE = 2  # an account in about 0.2% of them
RARE = ACCOUNTS - 1  # an account in about 1 row in 50,000
OTHERS = (3, ACCOUNTS - 1)  # the other accounts, each in about 1 row in 1,000


def _party(i: int, rng: random.Random) -> int:
    if i % 10 == 0:
        return FREQUENT
    if i % 500 == 3:
        return MIDDLE
    if i % 50_000 == 7:
        return RARE
    return rng.randrange(*OTHERS)


# The days the rows are spread over, ending now (--days).
SPAN_DAYS = 30


def _times(rows: int, end: datetime) -> Callable[[int], str]:
    step = timedelta(days=SPAN_DAYS) / rows
    start = end - timedelta(days=SPAN_DAYS)
    return lambda i: (start + step * i).isoformat()


def _cdr_records(rows: int, end: datetime) -> Iterator[dict]:
    rng, at = random.Random(1), _times(rows, end)
    for i in range(rows):
        caller, callee = _party(i, rng), rng.randrange(*OTHERS)
        disposition = rng.choice(DISPOSITIONS)
        duration = rng.randrange(0, 3600) if disposition == "ANSWERED" else 0
        yield {
            "event_id": str(uuid.uuid4()),
            "call_date": at(i),
            "caller_number": _number(caller),
            "caller": f"User {caller}",
            "caller_group": GROUPS[caller % len(GROUPS)],
            "callee_number": _number(callee),
            "callee": f"User {callee}",
            "callee_group": GROUPS[callee % len(GROUPS)],
            "total_duration": duration + 12,
            "call_duration": duration,
            "disposition": disposition,
            "hangup_cause": HANGUPS[disposition],
            "call_id": f"{1732440900 + i}.{i % 97}",
            "call_type": rng.choice(CALL_TYPES),
            "call_route": ROUTES[i % len(ROUTES)],
        }


def _sip_records(rows: int, end: datetime) -> Iterator[dict]:
    rng, at = random.Random(2), _times(rows, end)
    for i in range(rows):
        yield {
            "event_id": str(uuid.uuid4()),
            "timestamp": at(i),
            "username": _username(_party(i, rng)),
            "event": rng.choice(SIP_EVENTS),
            "details": "",
            "remote_address": f"10.{i % 200}.{i % 250}.{i % 199}:5060",
        }


def _web_session_records(rows: int, end: datetime) -> Iterator[dict]:
    rng, at = random.Random(3), _times(rows, end)
    for i in range(rows):
        # About 3% failed sign-ins, each rewritten into a Security event and queued.
        event = "FAIL_BAD_CREDENTIALS" if i % 33 == 0 else rng.choice(WEB_EVENTS)
        yield {
            "event_id": str(uuid.uuid4()),
            "date_created": at(i),
            "event_type": event,
            "principal": _username(_party(i, rng)),
            "ip_address": f"192.0.2.{i % 250}",
        }


@dataclass(frozen=True)
class Loaded:
    log: str
    rows: int
    seconds: float
    # The last tenth of the rows, loaded into a table already nine tenths full: the rate
    # at the table's full size, which the average over the whole load overstates.
    last_rows: int
    last_seconds: float


def _partitions_for(start: datetime, end: datetime) -> None:
    """The partitions of the span, as the worker would have made them week by week."""
    from logging_app import partitions

    moment = start
    while moment <= end:
        partitions.keep_partitions(now=moment)
        moment += timedelta(days=1)


def _load(
    rows: int,
    end: datetime,
    logs: list[str],
    on_batch: Callable[[str, list[dict]], None] | None = None,
) -> list[Loaded]:
    """Load `rows` records into each of `logs`; `on_batch(log, records)` after each commit."""
    from logging_app.ingest import ingest_records

    accounts = [
        {"username": _username(n), "virtual_number": _number(n), "description": f"User {n}"}
        for n in range(ACCOUNTS)
    ]
    ingest_records(log="accounts", records=accounts)
    _partitions_for(end - timedelta(days=SPAN_DAYS), end)
    loaded = []
    generators = {
        "cdr": _cdr_records,
        "sip-sessions": _sip_records,
        "web-sessions": _web_session_records,
    }
    for log in logs:
        records = generators[log](rows, end)
        spent, done, last_rows, last_spent = 0.0, 0, 0, 0.0
        while done < rows:
            chunk = [next(records) for _ in range(min(CHUNK, rows - done))]
            started = time.perf_counter()
            result = ingest_records(log=log, records=chunk)
            seconds = time.perf_counter() - started
            assert result.accepted == len(chunk), result.as_dict() | {"rejected": "…"}
            if on_batch is not None:
                on_batch(log, chunk)
            spent += seconds
            if done >= rows - rows // 10:
                last_rows, last_spent = last_rows + len(chunk), last_spent + seconds
            done += len(chunk)
        last = f", the last tenth {last_rows / last_spent:,.0f}" if last_spent else ""
        print(f"loaded {rows:,} {log} rows: {rows / spent:,.0f} records/s{last}", flush=True)
        loaded.append(Loaded(log, rows, spent, last_rows, last_spent))
    return loaded


CEILING_ROWS = 200_000


def _copy_ceiling(end: datetime) -> float:
    """Rows/s of ingest's COPY step alone into the loaded CDR table, rolled back.

    The rows are validated, linked and given their defaults by the ingest service's own
    steps first, untimed. What is timed is its COPY step (ids from the sequence, then the
    COPY): mostly PostgreSQL parsing the rows and maintaining the table's indexes, the
    part no change to the validation can make faster.

    It runs twice and the second run is the one reported: after loading the other logs
    and VACUUM, the CDR table's indexes are out of PostgreSQL's cache, where a steady
    ingest keeps them.
    """
    from django.db import transaction

    from logging_app import ingest
    from logging_app.logs import LOGS

    rows = ingest.prepared_rows("cdr", _cdr_records(CEILING_ROWS, end))
    for _ in range(2):
        with transaction.atomic():
            started = time.perf_counter()
            ingest.copy_insert(LOGS["cdr"].model, rows, len(rows))
            spent = time.perf_counter() - started
            transaction.set_rollback(True)
    return CEILING_ROWS / spent


# --- Timing -------------------------------------------------------------------------------


def _timed(client, url: str) -> list[float]:
    for _ in range(WARM_UP):
        _get(client, url)
    return [_get(client, url) for _ in range(RUNS)]


def _get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    if response.streaming:
        for _ in response.streaming_content:
            pass
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if samples else 0


def _older_link(client, url: str) -> str:
    from html.parser import HTMLParser

    class Links(HTMLParser):
        href = ""

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "a" and attrs.get("rel") == "next":
                self.href = attrs["href"]

    parser = Links()
    parser.feed(client.get(url).content.decode())
    # The link is relative ("?before=…"): resolve it against the page.
    return urljoin(url, parser.href.replace("&amp;", "&"))


def _plan(client, url: str) -> str:
    """The plans of the page's row queries: which index PostgreSQL uses for each.

    An account filter or a search reads each of its fields apart (selectors.first_rows):
    one plan per query, joined by " / ".
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from logging_app.logs import LOGS

    tables = [f'FROM "{spec.model._meta.db_table}"' for spec in LOGS.values()]
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    row_queries = [
        q["sql"]
        for q in queries.captured_queries
        if any(table in q["sql"] for table in tables)
        and "ORDER BY" in q["sql"]
        and "COUNT(" not in q["sql"]
    ]
    plans = []
    with connection.cursor() as cursor:
        for sql in row_queries:
            cursor.execute(f"EXPLAIN (COSTS OFF) {sql}")
            lines = [line.strip() for (line,) in cursor.fetchall()]
            scans = [
                re.sub(r" on logging_app_\w+", "", line.removeprefix("->  "))
                for line in lines
                if "Scan" in line and "logging_app_account" not in line
            ]
            plans.append(", ".join(dict.fromkeys(scans)) or lines[0])
    return " / ".join(plans) or "(row query not found)"


# A page timed: its name, the console's URL, and the admin's nearest page ("" when none).
Scenario = tuple[str, str, str]


def _searches(prefix: str, console: str, admin: str, searches) -> list[Scenario]:
    """`q` as support fills it in, beside the admin's changelist asked the same of one field
    by a lookup in its URL (it has no search box on the logs)."""
    return [
        (f"{prefix}: {name}", f"{console}?{urlencode({'q': q})}", f"{admin}?{urlencode(lookup)}")
        for name, q, lookup in searches
    ]


def _cdr_searches(console: str, admin: str, oldest, frequent, rare) -> list[Scenario]:
    """Each kind the CDR list's `q` looks up exactly (listing/search.py): a call id, a UUID,
    a number, an enumerated value. The admin's number is the caller's only: it cannot OR.
    Words looked for inside the text columns (a name, a group) scan the table until the
    page's time limit at 10M rows: the storage issue's trigram indexes are for them."""
    absent = "+390299999999"  # no account holds it: the rows no account was linked to
    return _searches(
        "search",
        console,
        admin,
        [
            (f"call id {oldest.call_id}", oldest.call_id, {"call_id": oldest.call_id}),
            ("UUID (an event id)", str(oldest.event_id), {"event_id": oldest.event_id}),
            (
                f"number of {frequent.username} (~10% of rows)",
                frequent.virtual_number,
                {"caller_number": frequent.virtual_number},
            ),
            (
                f"number of {rare.username} (~1 row in 50,000)",
                rare.virtual_number,
                {"caller_number": rare.virtual_number},
            ),
            ("a number no account holds", absent, {"caller_number": absent}),
            ("disposition FAILED", "FAILED", {"disposition__exact": "FAILED"}),
            ("hangup cause USER_BUSY", "user_busy", {"hangup_cause__exact": "USER_BUSY"}),
        ],
    )


def _sip_searches(rare) -> list[Scenario]:
    """Each kind the SIP list's `q` looks up exactly: a UUID, an address with or without its
    port, an event. It holds no number or call id."""
    from logging_app import models

    sip = models.SipSessionEvent.objects.order_by("timestamp", "id").first()
    address = sip.remote_address.rpartition(":")[0]
    return _searches(
        "SIP list, search",
        "/logging/sip-sessions/",
        "/admin/logging_app/sipsessionevent/",
        [
            ("UUID (an event id)", str(sip.event_id), {"event_id": sip.event_id}),
            (
                f"address {address} (any port)",
                address,
                {"remote_address__startswith": f"{address}:"},
            ),
            (
                f"address {sip.remote_address}",
                sip.remote_address,
                {"remote_address": sip.remote_address},
            ),
            ("event UNREGISTER", "unregister", {"event__exact": "UNREGISTER"}),
        ],
    )


def _export_memory(client, url: str) -> tuple[float, float, int]:
    """Time, peak RSS growth (MiB) and lines of streaming the export."""
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak RSS (VmHWM)
    before = _rss("VmRSS")
    started = time.perf_counter()
    response = client.get(url)
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    elapsed = time.perf_counter() - started
    return elapsed, (_rss("VmHWM") - before) / 1024, lines


def _rss(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def main() -> None:
    global SPAN_DAYS
    arguments = _arguments()
    SPAN_DAYS = arguments.days
    if not arguments.skip_load:
        _fresh_database(arguments.database_url)
    _setup_django(arguments.database_url)

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from logging_app import models

    if arguments.skip_load:
        loaded = []
        newest = models.CallDetailRecord.objects.latest("call_date").call_date
        end = newest.replace(microsecond=0) + timedelta(seconds=1)
        arguments.rows = models.CallDetailRecord.objects.count()
    else:
        end = timezone.now().replace(microsecond=0)
        loaded = _load(arguments.rows, end, arguments.logs.split(","))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        if "cdr" in arguments.logs:
            ceiling = _copy_ceiling(end)
            # The rolled-back rows stay in the indexes until vacuumed: at their ends, where
            # the planner reads a column's actual range, they made planning a list's
            # `id IN (…)` take 20 to 50 ms instead of under 1 ms.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM logging_app_calldetailrecord")

    client = Client()
    user = User.objects.filter(username="bench").first()
    client.force_login(user or User.objects.create_superuser("bench", password=uuid.uuid4().hex))
    frequent = models.Account.objects.get(username=_username(FREQUENT))
    middle = models.Account.objects.get(username=_username(MIDDLE))
    rare = models.Account.objects.get(username=_username(RARE))
    since = timezone.localtime(end - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
    until = timezone.localtime(end).strftime("%Y-%m-%dT%H:%M:%S")
    since_utc = (end - timedelta(days=7)).astimezone(UTC).isoformat()
    until_utc = end.astimezone(UTC).isoformat()

    console, admin = "/logging/cdr/", "/admin/logging_app/calldetailrecord/"
    deep = console
    for _ in range(DEEP_PAGES):
        deep = _older_link(client, deep)
    scenarios = [
        ("first page, no filter", console, admin),
        (
            f"account {frequent.username} (~10% of rows)",
            f"{console}?{urlencode({'account': frequent.username})}",
            f"{admin}?caller_account__id__exact={frequent.pk}",
        ),
        (
            f"account {middle.username} (~0.2% of rows)",
            f"{console}?{urlencode({'account': middle.username})}",
            f"{admin}?caller_account__id__exact={middle.pk}",
        ),
        (
            f"account {rare.username} (~1 row in 50,000)",
            f"{console}?{urlencode({'account': rare.username})}",
            f"{admin}?caller_account__id__exact={rare.pk}",
        ),
        (
            "last 7 days + disposition BUSY",
            f"{console}?{urlencode({'since': since, 'until': until, 'disposition': 'BUSY'})}",
            f"{admin}?"
            + urlencode(
                {
                    "disposition__exact": "BUSY",
                    "call_date__gte": since_utc,
                    "call_date__lte": until_utc,
                }
            ),
        ),
        (f"page {DEEP_PAGES + 1} (Older × {DEEP_PAGES})", deep, f"{admin}?p={DEEP_PAGES + 1}"),
    ]
    calls = models.CallDetailRecord.objects.order_by("call_date", "id")
    oldest = calls.first()
    scenarios += _cdr_searches(console, admin, oldest, frequent, rare)
    skipped = []
    if models.SipSessionEvent.objects.exists():
        scenarios += _sip_searches(rare)
    else:
        skipped.append("the SIP list's searches: no SIP session event is loaded (`--logs`)")
    record = calls.last()
    # The admin's nearest page to a call's: its changelist of the legs sharing the call id.
    called = [
        (f"a recent call of {frequent.username}", calls.filter(caller_account=frequent).last()),
        ("the oldest call", oldest),
    ]
    pages = [
        ("detail page", f"{console}{record.pk}/", f"{admin}{record.pk}/change/"),
        *(
            (
                f"call page {leg.call_id} ({which})",
                f"/calls/{leg.call_id}/",
                f"{admin}?{urlencode({'call_id': leg.call_id})}",
            )
            for which, leg in called
        ),
        *(
            (f"account page ({which} account)", f"/accounts/{account.username}/", "")
            for which, account in (("frequent", frequent), ("0.2%", middle), ("rare", rare))
        ),
        *((name, url, "") for name, url in figures_bench.PAGES),
    ]

    print()
    print(f"### {arguments.rows:,} rows per log, PostgreSQL {connection.pg_version // 10000}")
    print()
    if loaded:
        print("| Ingest (bulk path, 50k-record batches) | rows | records/s | the last tenth |")
        print("|---|---:|---:|---:|")
        for entry in loaded:
            last = f"{entry.last_rows / entry.last_seconds:,.0f}" if entry.last_rows else "—"
            print(f"| {entry.log} | {entry.rows:,} | {entry.rows / entry.seconds:,.0f} | {last} |")
        if "cdr" in arguments.logs:
            name = "cdr: the COPY alone, rows validated beforehand (warm)"
            print(f"| {name} | {CEILING_ROWS:,} | {ceiling:,.0f} | |")
        print()
    print(
        "| Page (the CDR log unless named) | console p50 | console p95 | admin p50 | admin p95 "
        f"| admin/console | p95 under {TARGET_MS} ms |"
    )
    print("|---|---:|---:|---:|---:|---:|:---:|")
    plans = []
    for name, url, admin_url in scenarios + pages:
        ours = _timed(client, url)
        theirs = _timed(client, admin_url) if admin_url else []
        ratio = f"{_p(theirs, 95) / _p(ours, 95):.1f}×" if theirs else "—"
        admin_cells = f"{_p(theirs, 50):.1f} ms | {_p(theirs, 95):.1f} ms" if theirs else "— | —"
        met = "yes" if _p(ours, 95) < TARGET_MS else "**no**"
        print(
            f"| {name} | {_p(ours, 50):.1f} ms | {_p(ours, 95):.1f} ms | {admin_cells} | {ratio} "
            f"| {met} |",
            flush=True,
        )
        if (name, url, admin_url) in scenarios:
            plans.append((name, _plan(client, url)))
    for note in skipped:
        print(f"\nSkipped {note}.")
    print()
    print("| List query (console) | plan (EXPLAIN ANALYZE) |")
    print("|---|---|")
    for name, plan in plans:
        print(f"| {name} | {plan} |")

    figures_bench.report(end, CEILING_ROWS if "cdr" in arguments.logs else 0, _cdr_records)

    exported = min(arguments.rows, EXPORT_MAX)
    oldest = models.CallDetailRecord.objects.order_by("-call_date", "-id")[exported - 1]
    export_since = timezone.localtime(oldest.call_date).strftime("%Y-%m-%dT%H:%M:%S")
    seconds, peak, lines = _export_memory(
        client, f"{console}?{urlencode({'since': export_since, 'export': 'csv'})}"
    )
    print()
    print("| CSV export | rows | time | rows/s | peak RSS growth |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| CDR | {lines - 1:,} | {seconds:.1f} s | {(lines - 1) / seconds:,.0f} | {peak:.0f} MiB |"
    )

    if arguments.purge_days:
        _purge_under_load(arguments.purge_days, end)


# --- Retention under load -----------------------------------------------------------------


def _purge_under_load(days: int, end: datetime) -> None:
    """Purge the oldest `days` days of CDRs with the retention job, timing a concurrent load.

    A second process keeps loading the CDR list's first page and ingesting batches of 100
    CDRs while the purge runs: their times during the purge, beside the same load's times
    before it, show whether the purge blocks either.
    """
    from django.conf import settings

    from logging_app import jobs, models

    oldest = models.CallDetailRecord.objects.earliest("call_date").call_date
    keep = (end - oldest).days - days  # whole days kept, counted back from `end`
    with _load_running() as baseline:
        time.sleep(20)
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "cdr": keep}
    with _load_running() as during:
        started = time.perf_counter()
        purged = jobs.purge_logs(now=end)
        seconds = time.perf_counter() - started
    deleted = purged.deleted.get("cdr", 0)

    print()
    print(f"Retention: `RETENTION_DAYS_CDR={keep}` purges the oldest {days} days of CDRs")
    print(f"({deleted:,} rows) in {seconds:.1f} s ({deleted / seconds:,.0f} rows/s), in batches")
    print(f"of {jobs.PURGE_BATCH:,}, while a second process loads the first page and ingests")
    print("batches of 100 CDRs.")
    for drop in purged.drops:
        print(
            f"- partition `{drop.name}` ({drop.rows:,} rows) detached with its figures in "
            f"{drop.seconds:.2f} s, its files freed in {drop.freed_seconds:.2f} s more"
        )
    print()
    print()
    print("| Concurrent load | requests | p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|")
    for name, samples in (
        ("first page, before the purge", baseline["page"]),
        ("first page, during the purge", during["page"]),
        ("ingest of 100 CDRs, before the purge", baseline["ingest"]),
        ("ingest of 100 CDRs, during the purge", during["ingest"]),
    ):
        print(
            f"| {name} | {len(samples)} | {_p(samples, 50):.1f} ms | {_p(samples, 95):.1f} ms "
            f"| {max(samples, default=0):.1f} ms |"
        )


@contextmanager
def _load_running() -> Iterator[dict[str, list[float]]]:
    """Run `_load_loop` in a forked process for the time of the block; yields its samples."""
    from django.db import connections

    connections.close_all()  # the child must not share the parent's connection
    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    load = multiprocessing.get_context("fork").Process(target=_load_loop, args=(stop, results))
    load.start()
    samples: dict[str, list[float]] = {}
    try:
        yield samples
    finally:
        stop.set()
        samples.update(results.get())
        load.join()


def _load_loop(stop, results) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from logging_app.ingest import ingest_records

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    samples: dict[str, list[float]] = {"page": [], "ingest": []}
    records = _cdr_records(10**6, datetime.now(UTC))
    while not stop.is_set():
        samples["page"].append(_get(client, "/logging/cdr/"))
        # Calls that just ended, as the appliance reports them: not in the purged range.
        now = datetime.now(UTC).isoformat()
        batch = [next(records) | {"call_date": now} for _ in range(100)]
        started = time.perf_counter()
        ingest_records(log="cdr", records=batch)
        samples["ingest"].append((time.perf_counter() - started) * 1000)
    results.put(samples)


if __name__ == "__main__":
    main()
