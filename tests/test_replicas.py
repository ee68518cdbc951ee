"""Read replicas: page views read from a PostgreSQL streaming replica, the rest the primary.

The replica is a real one, made here of the test database's own server by pg_basebackup
(tests/replica_server.py, which benchmarks/replica_lag.py uses too), and running for this
module's tests. That needs PostgreSQL's server binaries on this
machine and replication connections to the server: when its pg_hba.conf allows none from
here, a rule allowing them is added for the run and taken out after (which needs the right
to write the file, as root). Without them the tests skip, and fail in CI (CI=true). On
SQLite they skip: replicas are PostgreSQL's. The settings' tests run on both.
"""

import copy
import os
import re
import runpy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.utils import timezone

from console import settings as settings_module
from logging_app import models, replicas, selectors
from logging_app.tokens import ingest_token_create
from tests.factories import make_account, make_call_detail_record, make_system_event
from tests.page import csv_rows, log_table, main_text
from tests.replica_server import ReplicaServer, ReplicaUnavailable, start_replica

ALIAS = "replica1"
ROUTERS = ["logging_app.replicas.ReplicaRouter"]

with_replica = pytest.mark.django_db(transaction=True, databases=["default", ALIAS])


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: the replica tests must run here)", pytrace=False)
    pytest.skip(reason)


# --- The replica server ----------------------------------------------------------------------


def _replica_server_started(stack: ExitStack) -> ReplicaServer:
    settings_dict = connection.settings_dict
    primary = {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": int(settings_dict["PORT"] or 5432),
        "user": settings_dict["USER"] or "postgres",
        "password": settings_dict["PASSWORD"] or None,
        "dbname": settings_dict["NAME"],  # the test database, made by now
    }
    try:
        return start_replica(stack, primary, mark="tests/test_replicas.py")
    except ReplicaUnavailable as unavailable:
        _unavailable(str(unavailable))


def _forget_connection(alias: str) -> None:
    connections[alias].close()
    del connections[alias]


@pytest.fixture(scope="module")
def replica_server(django_db_setup) -> Iterator[ReplicaServer]:
    """A streaming replica of the test database's server, the alias ALIAS reading it.

    Module-scoped rather than session-scoped: only this module reads it, and the rest of
    the suite then runs without it.
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: read replicas are PostgreSQL's (DATABASE_URL=postgres://…)")
    with ExitStack() as stack:
        server = _replica_server_started(stack)
        # The replica's alias, as settings.py makes it of DATABASE_REPLICA_URLS, on the test
        # database; a mirror, which the test runner neither creates nor flushes.
        replica = copy.deepcopy(connection.settings_dict)
        replica |= {"HOST": "127.0.0.1", "PORT": server.port, "CONN_HEALTH_CHECKS": False}
        replica["OPTIONS"] = {**replica["OPTIONS"], "connect_timeout": 2}
        replica["TEST"] = {**replica["TEST"], "MIRROR": "default"}
        connections.settings[ALIAS] = replica
        stack.callback(connections.settings.pop, ALIAS)
        stack.callback(_forget_connection, ALIAS)
        yield server


@pytest.fixture
def replica(replica_server, settings, monkeypatch) -> Iterator[ReplicaServer]:
    """The replica, the page views of this test reading from it."""
    settings.DATABASE_REPLICAS = [ALIAS]
    settings.DATABASE_ROUTERS = ROUTERS
    monkeypatch.setattr(replicas, "_failed_at", {})
    if not replica_server.running():  # a test stopped it
        replica_server.start()
    yield replica_server
    connections[ALIAS].close()


# --- What the pages read, and where -------------------------------------------------------


def _tables_read(queries: list[str]) -> set[str]:
    return {
        table for sql in queries for table in re.findall(r'(?:FROM|JOIN) "(logging_app_\w+)"', sql)
    }


@contextmanager
def _queries(*aliases: str) -> Iterator[list[list[str]]]:
    """The SQL run on each database (the primary and the replica unless told), in the block.

    Recorded as it runs, without opening a connection of its own: the router decides that.
    """
    ran: list[list[str]] = [[] for _ in aliases or ("default", ALIAS)]

    def recorder(queries: list[str]):
        def record(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        return record

    with ExitStack() as stack:
        for alias, queries in zip(aliases or ("default", ALIAS), ran, strict=True):
            stack.enter_context(connections[alias].execute_wrapper(recorder(queries)))
        yield ran


def _listed(client, path: str = "/logging/system/") -> str:
    """The text of the rows a list page shows."""
    response = client.get(path)
    assert response.status_code == 200
    return " | ".join(cell.text for row in log_table(response).rows for cell in row)


@with_replica
def test_it_shows_a_committed_row_once_the_replica_has_replayed_it(admin_client, replica):
    with replica.replay_paused():
        make_system_event(message="Backup finished")
        lagging = _listed(admin_client)
    replica.caught_up()
    with _queries() as (on_primary, on_replica):
        replayed = _listed(admin_client)

    assert "Backup finished" not in lagging
    assert "Backup finished" in replayed
    assert "logging_app_systemevent" in _tables_read(on_replica)
    assert "logging_app_systemevent" not in _tables_read(on_primary)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)  # a standby, not the primary under another name


def _pages() -> dict[str, tuple[str, str]]:
    """Each page that reads from a replica: its URL, and the table its rows come from."""
    account = make_account(username="olga")
    call = make_call_detail_record(caller_account=account, call_id="1732440900.99")
    system = make_system_event()
    return {
        "overview": ("/", "logging_app_calldetailrecord"),
        "list": ("/logging/cdr/", "logging_app_calldetailrecord"),
        "detail": (f"/logging/system/{system.pk}/", "logging_app_systemevent"),
        "call": (f"/calls/{call.call_id}/", "logging_app_calldetailrecord"),
        "accounts": ("/accounts/?q=olga", "logging_app_account"),
        "account": ("/accounts/olga/", "logging_app_calldetailrecord"),
        "export": ("/logging/cdr/?export=csv", "logging_app_calldetailrecord"),
    }


@with_replica
@pytest.mark.parametrize(
    "page", ["overview", "list", "detail", "call", "account", "accounts", "export"]
)
def test_it_reads_the_pages_from_the_replica(admin_client, replica, page):
    url, table = _pages()[page]
    replica.caught_up()

    with _queries() as (on_primary, on_replica):
        response = admin_client.get(url)
        if response.streaming:
            rows = csv_rows(response)
            assert "1732440900.99" in rows[1]

    assert response.status_code == 200
    assert table in _tables_read(on_replica)
    assert table not in _tables_read(on_primary)


@with_replica
def test_it_stops_a_list_query_on_the_replica_at_the_page_time_limit(
    admin_client, replica, monkeypatch
):
    models.SystemEvent.objects.bulk_create(
        models.SystemEvent(
            timestamp=timezone.now(),
            event_type=models.SystemEventType.HEARTBEAT,
            level=models.Level.INFO,
            message=f"Heartbeat {n}",
        )
        for n in range(30_000)
    )
    replica.caught_up()
    # A word in no row: the search reads every row, far longer than a millisecond.
    monkeypatch.setattr(selectors, "PAGE_TIME_LIMIT_SECONDS", 0.001)

    with _queries() as (_, on_replica):
        response = admin_client.get("/logging/system/", {"q": "Zanzibar"})

    assert response.status_code == 200
    assert "was stopped" in main_text(response)
    assert "logging_app_systemevent" in _tables_read(on_replica)


@with_replica
def test_it_stores_ingest_on_the_primary(client, replica):
    _, token = ingest_token_create(name="appliance")
    record = {
        "event_id": "0b5a8c52-3a8e-4f1e-9b7a-6f0e6c1d2a3b",
        "timestamp": "2026-11-24T09:00:00+00:00",
        "event_type": "REBOOT",
        "level": "INFO",
        "message": "Rebooted",
        "details": "",
    }
    with _queries() as (_, on_replica):
        response = client.post(
            "/api/ingest/system/",
            [record],
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert on_replica == []
    assert list(models.SystemEvent.objects.values_list("message", flat=True)) == ["Rebooted"]


@with_replica
def test_it_signs_in_on_the_primary_and_shows_the_sign_in_right_after(client, replica):
    User.objects.create_superuser("operator", password="a-long-password-9")
    with replica.replay_paused():
        with _queries() as (_, on_replica):
            signed_in = client.post(
                "/login/", {"username": "operator", "password": "a-long-password-9"}
            )
            # The sign-in's own Web Sessions events: on the primary only, as yet.
            right_after = _listed(client, "/logging/web-sessions/")

        assert signed_in.status_code == 302
        assert on_replica == []
        assert "SUCCESS_INTERACTIVE | operator" in right_after
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(replicas, "PRIMARY_AFTER_WRITE_SECONDS", 0)
            # Later, the pages read from the replica again, which still lags.
            assert "operator" not in _listed(client, "/logging/web-sessions/")


@with_replica
def test_it_reads_the_primary_right_after_a_form_is_saved(admin_client, replica):
    with replica.replay_paused():
        make_system_event(message="Update installed")
        saved = admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})
        with _queries() as (_, on_replica):
            preferences = admin_client.get("/preferences/")
            right_after = _listed(admin_client)

    assert saved.status_code == 302
    assert "Preferences saved." in main_text(preferences)
    assert on_replica == []
    assert "Update installed" in right_after


@with_replica
def test_it_keeps_the_admin_site_on_the_primary(admin_client, replica):
    make_system_event(message="Heartbeat")
    replica.caught_up()

    with _queries() as (_, on_replica):
        response = admin_client.get("/admin/logging_app/systemevent/")

    assert response.status_code == 200
    assert on_replica == []


@with_replica
def test_it_falls_back_to_the_primary_when_the_replica_is_stopped(admin_client, replica):
    make_system_event(message="Reboot requested")
    replica.caught_up()
    assert "Reboot requested" in _listed(admin_client)  # read on the replica

    replica.stop()
    make_system_event(message="Reboot done")
    started = time.monotonic()
    with _queries() as (on_primary, on_replica):
        pages = [_listed(admin_client), _listed(admin_client)]
    elapsed = time.monotonic() - started

    assert all("Reboot done" in page for page in pages)
    assert on_replica == []
    assert "logging_app_systemevent" in _tables_read(on_primary)
    assert elapsed < 10  # the stopped replica refuses at once, and is not asked twice

    replica.start()
    replica.caught_up()
    with _queries() as (_, on_replica):
        _listed(admin_client)
    assert on_replica == []  # not asked again during its cool-off

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replicas, "REPLICA_COOL_OFF_SECONDS", 0)
        with _queries() as (_, on_replica):
            _listed(admin_client)
    assert "logging_app_systemevent" in _tables_read(on_replica)


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port that takes connections and never answers: a replica that hangs."""
    accepted: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], accepted
    done.set()
    thread.join()
    for sock in [*accepted, listener]:
        sock.close()


@with_replica
def test_it_waits_on_a_replica_that_does_not_answer_only_once(
    admin_client, replica, silent_server, monkeypatch
):
    port, accepted = silent_server
    make_system_event(message="Heartbeat")
    connections[ALIAS].close()
    monkeypatch.setitem(connections[ALIAS].settings_dict, "PORT", port)

    started = time.monotonic()
    first = _listed(admin_client)
    waited = time.monotonic() - started
    attempts = len(accepted)
    second = _listed(admin_client)

    assert "Heartbeat" in first
    assert "Heartbeat" in second
    assert attempts == 1
    assert waited < 10  # the connect timeout (2 s), not a hung page
    assert len(accepted) == 1  # the second page did not try it again


# --- Settings, and nothing changed without replicas ----------------------------------------


def _settings(monkeypatch, **environ: str) -> dict:
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://console@db.example:5432/console")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings_module.__file__)))


def test_it_adds_no_database_without_DATABASE_REPLICA_URLS(monkeypatch):
    configured = _settings(monkeypatch)

    assert list(configured["DATABASES"]) == ["default"]
    assert configured["DATABASE_REPLICAS"] == []
    assert configured["DATABASE_ROUTERS"] == []


def test_it_adds_a_replica_per_url(monkeypatch):
    configured = _settings(
        monkeypatch,
        DATABASE_REPLICA_URLS=(
            "postgres://console@replica-a.example/console, "
            "postgres://console:secret@replica-b.example:6432/console?connect_timeout=5"
        ),
    )

    databases = configured["DATABASES"]
    assert configured["DATABASE_REPLICAS"] == ["replica1", "replica2"]
    assert configured["DATABASE_ROUTERS"] == ROUTERS
    assert [databases[alias]["HOST"] for alias in ("replica1", "replica2")] == [
        "replica-a.example",
        "replica-b.example",
    ]
    assert databases["replica1"]["OPTIONS"]["connect_timeout"] == 2
    assert databases["replica2"]["OPTIONS"]["connect_timeout"] == 5
    assert databases["replica2"]["PASSWORD"] == "secret"
    assert databases["replica1"]["TEST"] == {"MIRROR": "default"}


@pytest.mark.parametrize(
    "urls",
    [
        "mysql://console:secret@replica.example/console",
        "postgres://console:secret@replica.example:port/console",
        "postgres://console:secret@replica.example:5432",
        "replica.example",
    ],
)
def test_it_refuses_a_bad_replica_url(monkeypatch, urls):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URLS entry 1") as refused:
        _settings(monkeypatch, DATABASE_REPLICA_URLS=urls)

    assert "secret" not in str(refused.value)


def test_it_refuses_replicas_of_sqlite(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL DATABASE_URL"):
        _settings(
            monkeypatch,
            DATABASE_URL="sqlite:///console.sqlite3",
            DATABASE_REPLICA_URLS="postgres://console@replica.example/console",
        )


@pytest.mark.django_db
def test_it_changes_nothing_without_replicas(admin_client):
    make_system_event(message="Heartbeat")

    with _queries("default") as (on_primary,):
        listed = _listed(admin_client)
    saved = admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})

    assert "Heartbeat" in listed
    assert "logging_app_systemevent" in _tables_read(on_primary)
    assert replicas.WROTE_COOKIE not in saved.cookies
