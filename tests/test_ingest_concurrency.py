"""Concurrent ingest of overlapping batches: every batch is answered, every record stored once.

Issue 12 ("concurrent replays"): the appliance retries a batch it saw no answer to while the
first attempt is still running, and several of its services push at once. Batches sharing
keys race on the keys' unique indexes (and, in different orders, can deadlock); the
console must answer each with 200 and counts that add up.

The batches go through the real ingest API, each from its own thread and its own database
connection, started together. PostgreSQL only: SQLite serialises writers on one lock.
"""

import json
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.test import Client

from logging_app import models
from logging_app.tokens import ingest_token_create
from tests.factories import cdr_report, secure_message_report

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers need PostgreSQL: SQLite serialises them on one lock",
    ),
    pytest.mark.django_db(transaction=True),
]

# From this many records a batch takes the COPY path on PostgreSQL (ingest.store.COPY_MIN_ROWS).
LARGE = 1200
SMALL = 40


@pytest.fixture
def token() -> str:
    _, plain = ingest_token_create(name="concurrency")
    return plain


def _post_together(log: str, batches: list[list[dict]], token: str) -> list[tuple]:
    """Post every batch at once, each from its own thread: (status, answer) per batch.

    An exception raised in a thread (the test client re-raises a view's) is its answer.
    """
    bodies = [json.dumps(batch) for batch in batches]
    start = threading.Barrier(len(bodies), timeout=60)

    def post(body: str) -> tuple:
        try:
            client = Client()
            start.wait()
            response = client.post(
                f"/api/ingest/{log}/",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code, response.json()
        except Exception as error:  # reported with the batch it failed
            return None, f"{type(error).__name__}: {error}"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies, timeout=120))


def _assert_answered(answers: list[tuple], sizes: list[int]) -> None:
    """Every batch answered 200, with each of its records counted once."""
    problems = [
        f"batch {n} ({size} records): {status} {answer}"
        for n, ((status, answer), size) in enumerate(zip(answers, sizes, strict=True))
        if status != 200
        or answer["rejected"]
        or answer["accepted"] + answer["updated"] + answer["duplicates"] + answer["discarded"]
        != size
    ]
    assert problems == []


def _accepted(answers: list[tuple]) -> int:
    return sum(answer["accepted"] for _, answer in answers)


def _assert_stored_once(model: type, key: str, keys: set) -> None:
    rows = model.objects.filter(**{f"{key}__in": keys})
    assert rows.count() == len(keys)
    repeated = rows.values(key).annotate(n=Count("id")).filter(n__gt=1)
    assert list(repeated) == []


def test_it_stores_a_batch_and_its_reversed_replay_once(token):
    for repetition in range(5):
        batch = [
            cdr_report(call_id=f"{repetition}.{n}", call_date=f"2026-11-24T09:{n % 60:02d}:00Z")
            for n in range(1000)
        ]

        answers = _post_together("cdr", [batch, batch[::-1]], token)

        _assert_answered(answers, [1000, 1000])
        assert _accepted(answers) == 1000, f"repetition {repetition}: {answers}"
        keys = {record["event_id"] for record in batch}
        _assert_stored_once(models.CallDetailRecord, "event_id", keys)


def _overlapping_batches(
    report: Callable[[int, str], dict], sizes: list[int], *, seed: int
) -> tuple[list[list[dict]], set[str]]:
    """Batches whose first half draws from one pool of keys shared by all, and whose second
    half is their own; each shuffled. The records and every key used."""
    rng = random.Random(seed)
    shared = [str(uuid.uuid4()) for _ in range(max(sizes) // 2)]
    batches, keys = [], set()
    for n, size in enumerate(sizes):
        own = [str(uuid.uuid4()) for _ in range(size - size // 2)]
        batch_keys = rng.sample(shared, size // 2) + own
        rng.shuffle(batch_keys)
        batches.append([report(n, key) for key in batch_keys])
        keys.update(batch_keys)
    return batches, keys


# A few large batches (COPY) among many small ones (INSERT), in no particular order.
SIZES = [LARGE] * 6 + [SMALL] * 24
random.Random(12).shuffle(SIZES)


def test_it_stores_overlapping_call_records_once(token):
    reports: dict[str, dict] = {}

    def report(batch: int, key: str) -> dict:
        # A replayed record is the same record: every batch sends it alike.
        return reports.setdefault(key, cdr_report(event_id=key, call_id=key[:8]))

    batches, keys = _overlapping_batches(report, SIZES, seed=1)

    answers = _post_together("cdr", batches, token)

    _assert_answered(answers, SIZES)
    assert _accepted(answers) == len(keys)
    _assert_stored_once(models.CallDetailRecord, "event_id", keys)


def test_it_merges_overlapping_secure_message_reports_once(token):
    rng = random.Random(2)
    sent: dict[str, list[dict]] = defaultdict(list)

    def report(batch: int, key: str) -> dict:
        # Each batch reports the message at its own stage: still queued, or delivered.
        delivered = rng.random() < 0.3
        record = secure_message_report(
            uuid=key,
            status="DELIVERED" if delivered else "ENQUEUED",
            send_attempts=rng.randint(0, 5),
            **({"processed": "2026-11-24T10:00:05Z"} if delivered else {}),
        )
        sent[key].append(record)
        return record

    batches, keys = _overlapping_batches(report, SIZES, seed=3)

    answers = _post_together("secure-messages", batches, token)

    _assert_answered(answers, SIZES)
    assert _accepted(answers) == len(keys)
    _assert_stored_once(models.SecureMessage, "uuid", {uuid.UUID(key) for key in keys})
    # No report lost: a message delivered in any report is delivered, attempts only grow.
    stored = {
        str(message.uuid): (message.status, message.send_attempts)
        for message in models.SecureMessage.objects.all()
    }
    expected = {
        key: (
            "DELIVERED" if any(r["status"] == "DELIVERED" for r in reports) else "ENQUEUED",
            max(r["send_attempts"] for r in reports),
        )
        for key, reports in sent.items()
    }
    assert stored == expected


def test_it_merges_overlapping_account_reports_once(token):
    rng = random.Random(4)
    sent: dict[str, list[dict]] = defaultdict(list)

    def report(batch: int, key: str) -> dict:
        record = {
            "username": key,
            "description": f"reported by batch {batch}",
            "virtual_number": f"+39060{rng.randint(0, 9999999):07d}",
            "group": rng.choice(["Sales", "Support", "Engineering"]),
        }
        sent[key].append(record)
        return record

    batches, keys = _overlapping_batches(report, SIZES, seed=5)

    answers = _post_together("accounts", batches, token)

    _assert_answered(answers, SIZES)
    assert _accepted(answers) == len(keys)
    _assert_stored_once(models.Account, "username", keys)
    # Each account holds one of the reports made of it, whole.
    stored = models.Account.objects.select_related("group")
    for account in stored:
        values = (account.description, account.virtual_number, account.group.name)
        reported = [
            (r["description"], r["virtual_number"], r["group"]) for r in sent[account.username]
        ]
        assert values in reported, account.username
