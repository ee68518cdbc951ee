"""The one ingest service: every log row and account the console stores comes in here.

The API, `manage.py ingest` and the demo generator all call `ingest_records()` (or
`ingest_lines()` for NDJSON), so what happens on ingest happens once, for all of them:
validation, idempotency, in-place updates, the CDR privacy policy, the payload check,
SIEM rewriting and account linking.

The checks are derived from the model fields, and the work is done in bulk: each batch
costs a few queries whatever its size (account names, existing keys, inserts in batches),
never one query per record. On PostgreSQL, a large batch streams into its table by COPY,
each record checked on its way in, so that the server stores rows while Python checks the
next ones (see batches.store_log).

The modules: `checks` (single values, from the model fields), `schema` (the fields each
log takes), `store` (rows into tables), `batches` (a log's batch, with its log's ingest
policy from the spec), `accounts` (account ingest), `rewrite` (Security events).
This module holds the entry points and the retry of a batch that lost a race.
"""

import json
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, OperationalError, connection, transaction

from ..logs import LOGS
from .accounts import store_accounts
from .batches import prepared_rows, store_log
from .rewrite import rewrite_security_events
from .schema import ACCOUNTS, INGEST_LOGS, RECORD, json_error
from .store import IngestResult, chunks, copy_insert, row_values

__all__ = [
    "ACCOUNTS",
    "INGEST_LOGS",
    "IngestResult",
    "chunks",
    "copy_insert",
    "ingest_lines",
    "ingest_records",
    "json_error",
    "prepared_rows",
    "rewrite_security_events",
    "row_values",
]

# A concurrent ingest of the same keys makes the unique constraints fail our inserts, or
# PostgreSQL ends one of two that wait on each other's keys (a deadlock): the transaction
# is rolled back and retried, one batch of the log at a time, and sees the other's rows.
ATTEMPTS = 5
# SQLSTATEs of a transaction PostgreSQL ended so that another could go on.
_DEADLOCK_DETECTED = "40P01"
_SERIALIZATION_FAILURE = "40001"

_JSON_WHITESPACE = " \t\r\n"


def _ingest(log: str, numbered: Sequence[tuple[int, object]]) -> IngestResult:
    if log not in INGEST_LOGS:
        raise ValueError(f"Unknown log {log!r}; one of: {', '.join(INGEST_LOGS)}.")
    if not numbered:
        return IngestResult()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                if attempt > 1:
                    _one_at_a_time(log)
                if log == ACCOUNTS:
                    result = store_accounts(numbered)
                else:
                    result = store_log(LOGS[log], numbered)
        except (IntegrityError, OperationalError) as error:
            if attempt == ATTEMPTS or not _lost_a_race(error):
                raise
        else:
            return result
    raise AssertionError("unreachable")


def _lost_a_race(error: Exception) -> bool:
    """Whether `error` is a concurrent ingest's doing, gone once the batch is tried again."""
    if isinstance(error, IntegrityError):
        return True  # a key the other side stored first
    state = getattr(error.__cause__, "sqlstate", None)
    return state in {_DEADLOCK_DETECTED, _SERIALIZATION_FAILURE}


def _one_at_a_time(log: str) -> None:
    """Hold the log's ingest lock until the transaction ends (PostgreSQL only).

    A first attempt runs beside other batches of its log, as most share no key. A batch
    that lost a race is retried under the lock: two retried batches then never wait on
    each other's keys, and a retry waiting on a first attempt's keys sees them committed.
    """
    if connection.vendor != "postgresql":
        return  # SQLite writes one transaction at a time anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"ingest:{log}"])


def ingest_records(*, log: str, records: Sequence[object], first_line: int = 1) -> IngestResult:
    """Validate and store already-parsed JSON records of one log, in one transaction.

    `log` is one of INGEST_LOGS. Record k is reported as line `first_line + k`.
    """
    return _ingest(log, list(enumerate(records, start=first_line)))


def ingest_lines(*, log: str, lines: Iterable[str], first_line: int = 1) -> IngestResult:
    """Ingest NDJSON lines: blank lines are skipped but counted, bad JSON is rejected."""
    numbered, unparsed = [], []
    for line_number, line in enumerate(lines, start=first_line):
        if not line.strip(_JSON_WHITESPACE):
            continue
        try:
            numbered.append((line_number, json.loads(line)))
        except (ValueError, RecursionError) as error:
            unparsed.append({"line": line_number, "errors": {RECORD: [json_error(error)]}})
    result = _ingest(log, numbered)
    if unparsed:
        result.rejected = sorted(unparsed + result.rejected, key=lambda entry: entry["line"])
    return result
