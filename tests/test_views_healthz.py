"""/healthz: 200 when the database answers, 503 when it does not."""

from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_it_answers_200_json_without_signing_in(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_unreachable(client):
    # Patching the cursor stands in for a database that is down: what is tested is
    # that the view maps the database error to 503 instead of a server error.
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


@pytest.mark.django_db
def test_it_answers_only_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_it_answers_a_plain_http_probe_when_https_is_enforced(client, settings):
    # A load balancer's probe comes over plain HTTP and needs the status, not a redirect.
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}
    redirected = client.get("/login/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/login/"
