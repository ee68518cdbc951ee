"""The ingest API as the appliance sees it: status codes, JSON answers, rows stored."""

import json
import uuid

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from logging_app import models
from logging_app.tokens import ingest_token_create, ingest_token_revoke
from tests.factories import cdr_report as _cdr

pytestmark = pytest.mark.django_db

URL = "/api/ingest/{log}/"


@pytest.fixture
def token() -> str:
    _, plain = ingest_token_create(name="appliance")
    return plain


def _post(client, log: str, body, *, token: str | None, content_type="application/json", **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL.format(log=log), data, content_type=content_type, headers=headers, **kw)


def test_it_stores_a_json_array_and_answers_the_counts(client, token):
    response = _post(client, "cdr", [_cdr(), _cdr()], token=token)

    assert response.status_code == 200
    assert response.json() == {
        "accepted": 2,
        "updated": 0,
        "duplicates": 0,
        "discarded": 0,
        "rejected": [],
    }
    assert models.CallDetailRecord.objects.count() == 2


def test_it_takes_ndjson_and_reports_bad_lines_by_number(client, token):
    lines = [json.dumps(_cdr()), "", "{not json", json.dumps(_cdr(disposition="NO"))]
    response = _post(
        client, "cdr", "\n".join(lines), token=token, content_type="application/x-ndjson"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 1
    assert [entry["line"] for entry in body["rejected"]] == [3, 4]
    assert "disposition" in body["rejected"][1]["errors"]
    assert models.CallDetailRecord.objects.count() == 1


def test_it_counts_a_replayed_batch_as_duplicates(client, token):
    batch = [_cdr(), _cdr()]
    _post(client, "cdr", batch, token=token)

    response = _post(client, "cdr", batch, token=token)

    assert response.json()["duplicates"] == 2
    assert response.json()["accepted"] == 0
    assert models.CallDetailRecord.objects.count() == 2


def test_it_refuses_a_missing_token(client):
    response = _post(client, "cdr", [_cdr()], token=None)

    assert response.status_code == 401
    assert "error" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not models.CallDetailRecord.objects.exists()


def test_it_refuses_a_wrong_token(client, token):
    response = _post(client, "cdr", [_cdr()], token=token + "x")

    assert response.status_code == 401
    assert not models.CallDetailRecord.objects.exists()


def test_it_refuses_a_revoked_token(client):
    record, plain = ingest_token_create(name="old")
    ingest_token_revoke(token=record)

    response = _post(client, "cdr", [_cdr()], token=plain)

    assert response.status_code == 401
    assert not models.CallDetailRecord.objects.exists()


def test_it_refuses_a_token_in_the_query_string(client, token):
    response = client.post(
        f"{URL.format(log='cdr')}?token={token}",
        json.dumps([_cdr()]),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert "query string" in response.json()["error"]
    assert not models.CallDetailRecord.objects.exists()


def test_it_refuses_a_token_in_the_query_string_even_beside_a_header(client, token):
    response = _post(client, "cdr", [_cdr()], token=token, QUERY_STRING=f"access_token={token}")

    assert response.status_code == 401
    assert not models.CallDetailRecord.objects.exists()


@pytest.mark.parametrize("body", ["[{", "not json at all", '{"event_id": 1}', "\xff"])
def test_it_answers_400_to_an_unparseable_body(client, token, body):
    response = _post(client, "cdr", body.encode("latin-1"), token=token)

    assert response.status_code == 400
    assert response.json()["error"]
    assert not models.CallDetailRecord.objects.exists()


def test_it_answers_415_to_an_unsupported_content_type(client, token):
    response = _post(client, "cdr", "call_date=x", token=token, content_type="text/plain")

    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert not models.CallDetailRecord.objects.exists()


def test_it_answers_413_to_an_oversized_body(client, token, settings):
    settings.INGEST_MAX_BODY_BYTES = 2048
    response = _post(client, "cdr", [_cdr() for _ in range(20)], token=token)

    assert response.status_code == 413
    assert "2048" in response.json()["error"]
    assert not models.CallDetailRecord.objects.exists()


def test_it_answers_404_json_for_an_unknown_log(client, token):
    response = _post(client, "nope", [], token=token)

    assert response.status_code == 404
    assert "cdr" in response.json()["logs"]


def test_it_accepts_only_post(client, token):
    response = client.get(URL.format(log="cdr"), headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"error": "Send records with POST, not GET."}


def test_it_needs_no_csrf_token(token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = _post(strict, "cdr", [_cdr()], token=token)

    assert response.status_code == 200


def test_it_applies_no_cdr_to_direct_calls_only(client, token):
    models.CdrPolicy.objects.update_or_create(id=1, defaults={"duration": 0})
    batch = [
        _cdr(call_type="CALL"),
        _cdr(call_type="TRANSFER"),
        _cdr(call_type="CONFERENCE"),
        _cdr(call_type="3-WAY"),
    ]

    response = _post(client, "cdr", batch, token=token)

    assert response.json()["accepted"] == 2
    assert response.json()["discarded"] == 2
    assert set(models.CallDetailRecord.objects.values_list("call_type", flat=True)) == {
        "CONFERENCE",
        "3-WAY",
    }


def test_it_stores_a_bad_payload_size_as_invalid_payload(client, token):
    def message(size: int) -> dict:
        return {
            "uuid": str(uuid.uuid4()),
            "from": "alice",
            "to": "bruno",
            "status": "ENQUEUED",
            "received": "2026-11-24T10:00:00Z",
            "payload_size": size,
        }

    _post(client, "secure-messages", [message(0), message(601), message(600)], token=token)

    statuses = sorted(models.SecureMessage.objects.values_list("payload_size", "status"))
    assert statuses == [(0, "INVALID_PAYLOAD"), (600, "ENQUEUED"), (601, "INVALID_PAYLOAD")]


def test_it_creates_a_token_with_the_command(client, capsys):
    call_command("create_ingest_token", "appliance-2")
    plain = capsys.readouterr().out.strip()

    assert plain.startswith("lc_")
    assert not models.IngestToken.objects.filter(token_hash=plain).exists()
    assert _post(client, "cdr", [_cdr()], token=plain).status_code == 200


# --- Property-based: whatever the body, a JSON answer and never a 500 ----------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@hypothesis_settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    log=st.sampled_from(["cdr", "secure-messages", "accounts", "web-sessions"]),
    body=st.one_of(
        st.binary(max_size=200),
        _JSON.map(lambda value: json.dumps(value).encode()),
        st.lists(_JSON, max_size=5).map(
            lambda values: "\n".join(json.dumps(value) for value in values).encode()
        ),
    ),
    content_type=st.sampled_from(["application/json", "application/x-ndjson"]),
)
def test_it_never_fails_with_a_server_error(client, token, log, body, content_type):
    response = _post(client, log, body, token=token, content_type=content_type)

    # An empty body carries no content type at all: 415.
    assert response.status_code in ((200, 400) if body else (200, 400, 415))
    answer = response.json()
    if response.status_code != 200:
        assert answer["error"]
    else:
        assert set(answer) >= {"accepted", "updated", "duplicates", "rejected"}


# --- Hostile bodies (issue 12): a clear JSON answer, never a server error --------------


def test_it_refuses_json_nested_too_deeply(client, token):
    response = _post(client, "cdr", "[" * 100_000, token=token)

    assert response.status_code == 400
    assert response.json() == {"error": "The body is not valid JSON: nested too deeply."}


def test_it_asks_for_a_length_when_the_body_comes_in_chunks(client, token):
    body = json.dumps([_cdr()])
    response = client.generic(
        "POST",
        URL.format(log="cdr"),
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Transfer-Encoding": "chunked"},
        CONTENT_LENGTH="",
    )

    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]
    assert not models.CallDetailRecord.objects.exists()
