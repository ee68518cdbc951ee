"""Failures on the server's side: 503 with Retry-After while the database is away, else 500.

The database is made unreachable for real: the connection is pointed at a port where no
server listens, as a stopped or restarting PostgreSQL looks to the console.
"""

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from logging_app.tokens import ingest_token_create
from tests.factories import cdr_report

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite is a file of the console's own process: no server to go down")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_down() -> Iterator[None]:
    settings_dict = connection.settings_dict
    before = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", _closed_port()
    try:
        yield
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = before


def test_it_answers_the_api_503_json_with_retry_after_while_the_database_is_down():
    _, token = ingest_token_create(name="appliance")
    client = Client(raise_request_exception=False)

    def post():
        return client.post(
            "/api/ingest/cdr/",
            json.dumps([cdr_report()]),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    with database_down():
        down = post()
    back = post()

    assert down.status_code == 503
    assert down["Content-Type"] == "application/json"
    assert int(down["Retry-After"]) > 0
    assert "database" in down.json()["error"]
    assert back.status_code == 200  # without a restart
    assert back.json()["accepted"] == 1


def test_it_answers_a_page_503_while_the_database_is_down():
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("admin", password="x-long-password-1"))

    with database_down():
        down = client.get("/logging/cdr/")
    back = client.get("/logging/cdr/")

    assert down.status_code == 503
    assert int(down["Retry-After"]) > 0
    assert "Temporarily unavailable" in down.content.decode()
    assert back.status_code == 200


def test_healthz_says_the_database_is_down():
    client = Client(raise_request_exception=False)

    with database_down():
        down = client.get("/healthz")

    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "down"}
