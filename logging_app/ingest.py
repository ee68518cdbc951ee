"""The one ingest service: every log row and account the console stores comes in here.

The API, `manage.py ingest` and the demo generator all call `ingest_records()` (or
`ingest_lines()` for NDJSON), so what happens on ingest happens once, for all of them:
validation, idempotency, in-place updates, the CDR privacy policy, the payload check,
SIEM rewriting and account linking.

The checks are derived from the model fields, and the work is done in bulk: each batch
costs a few queries whatever its size (account names, existing keys, inserts in batches),
never one query per record. On PostgreSQL, a large batch streams into its table by COPY,
each record checked on its way in, so that the server stores rows while Python checks the
next ones (see _store_log).
"""

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from operator import itemgetter

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_ipv46_address
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Field, Model, OuterRef, Subquery

from . import models, siem
from .registry import LOGS, AccountLink, LogSpec

ACCOUNTS = "accounts"
INGEST_LOGS: tuple[str, ...] = (*LOGS, ACCOUNTS)

# SQLite's default limit of bound variables per statement is 999; stay under it.
IN_CHUNK = 900
BULK_BATCH = 1000
# From this many new rows, PostgreSQL stores them by COPY rather than INSERT.
COPY_MIN_ROWS = 1000
# A concurrent ingest of the same keys makes the unique constraints fail our inserts, or
# PostgreSQL ends one of two that wait on each other's keys (a deadlock): the transaction
# is rolled back and retried, one batch of the log at a time, and sees the other's rows.
ATTEMPTS = 5
# SQLSTATEs of a transaction PostgreSQL ended so that another could go on.
_DEADLOCK_DETECTED = "40P01"
_SERIALIZATION_FAILURE = "40001"

PAYLOAD_MAX_BYTES = 600
# Set by the console itself, never by the appliance.
SERVER_SIDE_FIELDS = frozenset({"reconciled"})
# The key of an error about the record as a whole rather than one of its fields.
RECORD = "record"

# PostgreSQL refuses NUL in text, and neither database can store a lone surrogate (which
# JSON's \ud800 escapes can produce): one such value would fail the whole batch.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A field of one line (a CharField: a name, a number, a signature) takes no control
# character: a line break in a Security event's name would reach the SIEM's CEF header,
# which has no escape for it.
_UNSTORABLE_OR_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# Free text (a TextField: details, a CEF line) is kept whole up to this many characters;
# the SIEM worker holds a batch of such events in memory, and a syslog datagram carries 8 KiB.
TEXT_MAX_LENGTH = 65_536
_UUID = re.compile(r"[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}")
# What Django's IPv4 check accepts: four decimal octets up to 255, without leading zeros.
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_JSON_WHITESPACE = " \t\r\n"
_DATETIME_MESSAGE = "must be an ISO 8601 date-time with offset"
# The date-times a record may carry (docs/ingest.md): from the Unix epoch, where an
# appliance whose clock was never set starts counting, to the end of the century. Beyond
# them a date is a broken clock or a forged record, and near the ends of Python's range
# every time zone's pages would have to show a year that does not exist (10000, or 0).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_RANGE_MESSAGE = f"must be from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"


@dataclass
class IngestResult:
    accepted: int = 0
    updated: int = 0
    duplicates: int = 0
    # Valid direct calls not kept because the CDR policy is No-CDR.
    discarded: int = 0
    # {"line": k (1-based), "errors": {field: [messages]}}
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "discarded": self.discarded,
            "rejected": self.rejected,
        }

    def merge(self, other: "IngestResult") -> "IngestResult":
        self.accepted += other.accepted
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.discarded += other.discarded
        self.rejected.extend(other.rejected)
        return self


# --- Checks of single values, derived from the model fields ---------------------------------


class _Invalid(Exception):
    pass


Check = Callable[[object], object]


def _text_check(*, max_length: int, blank: bool, one_line: bool) -> Check:
    refused = _UNSTORABLE_OR_CONTROL if one_line else _UNSTORABLE

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise _Invalid("must be a string")
        if not value and not blank:
            raise _Invalid("must not be empty")
        if len(value) > max_length:
            raise _Invalid(f"must be at most {max_length} characters")
        if (found := refused.search(value)) is not None:
            if _UNSTORABLE.match(found.group()):
                raise _Invalid("must not contain NUL or unpaired surrogate characters")
            raise _Invalid("must be one line of text, without control characters")
        return value

    return check


def _choice_check(choices: Sequence[str]) -> Check:
    allowed = frozenset(choices)
    message = "not one of: " + ", ".join(choices)

    def check(value: object) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise _Invalid(message)

    return check


def _integer_check(model_field: Field) -> Check:
    # The portable range of the column type (SQLite would store more than PostgreSQL),
    # narrowed by the field's own validators (the 0–10 of a severity).
    column_low, column_high = BaseDatabaseOperations.integer_field_ranges[
        model_field.get_internal_type()
    ]
    low, high = column_low, column_high
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            low = max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = min(high, validator.limit_value)
    if high < column_high:
        type_message = high_message = f"must be a whole number from {low} to {high}"
    else:
        type_message = f"must be a whole number ≥ {low}" if low >= 0 else "must be a whole number"
        high_message = f"must be at most {high}"

    def check(value: object) -> int:
        # type() rather than isinstance(): JSON true is not the number 1.
        if type(value) is not int or value < low:
            raise _Invalid(type_message)
        if value > high:
            raise _Invalid(high_message)
        return value

    return check


def _datetime_check(value: object) -> datetime:
    if not isinstance(value, str):
        raise _Invalid(_DATETIME_MESSAGE)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(_DATETIME_MESSAGE) from None
    if moment.utcoffset() is None:
        raise _Invalid(_DATETIME_MESSAGE)
    try:
        # In UTC, as the databases keep it: PostgreSQL refuses offsets beyond ±15:59.
        moment = moment.astimezone(UTC)
    except OverflowError:  # at the ends of Python's range
        raise _Invalid(_RANGE_MESSAGE) from None
    if not EARLIEST <= moment <= LATEST:
        raise _Invalid(_RANGE_MESSAGE)
    return moment


def _uuid_check(value: object) -> uuid.UUID:
    if isinstance(value, str) and _UUID.fullmatch(value):
        return uuid.UUID(value)
    raise _Invalid("must be a UUID")


def _boolean_check(value: object) -> bool:
    if value is True or value is False:
        return value
    raise _Invalid("must be true or false")


def _ip_address_check(value: object) -> str | None:
    if value == "":
        return None
    if isinstance(value, str) and _IPV4.fullmatch(value):
        return value  # the common case, without the ipaddress module's parse
    if isinstance(value, str) and "%" not in value:
        try:
            validate_ipv46_address(value)
        except ValidationError:
            pass
        else:
            return value
    # A scoped IPv6 address (fe80::1%eth0) names an interface of the appliance, which no
    # column can keep: PostgreSQL's inet refuses it, and Django's INSERT would drop it.
    raise _Invalid("must be an IPv4 or IPv6 address (without a %zone)")


_INTEGER_TYPES = frozenset(BaseDatabaseOperations.integer_field_ranges)


def _check_for(model_field: Field) -> Check:
    kind = model_field.get_internal_type()
    if model_field.choices:
        return _choice_check([value for value, _ in model_field.flatchoices])
    if kind in {"CharField", "TextField"}:
        return _text_check(
            max_length=model_field.max_length or TEXT_MAX_LENGTH,
            blank=model_field.blank,
            one_line=kind == "CharField",
        )
    if kind in _INTEGER_TYPES:
        return _integer_check(model_field)
    checks = {
        "DateTimeField": _datetime_check,
        "UUIDField": _uuid_check,
        "BooleanField": _boolean_check,
        "GenericIPAddressField": _ip_address_check,
    }
    if kind not in checks:
        raise ImproperlyConfigured(f"No ingest check for {model_field!r} ({kind}).")
    return checks[kind]


# --- Schemas: the fields each log takes on the wire -----------------------------------------


@dataclass(frozen=True)
class _WireField:
    name: str  # the model field's
    check: Check
    required: bool
    empty: object = None  # what an explicit null stands for, when optional


@dataclass(frozen=True)
class _Schema:
    fields: dict[str, _WireField]  # by wire name
    required: frozenset[str]


def _schema_of(wire_fields: dict[str, _WireField]) -> _Schema:
    required = frozenset(name for name, wire in wire_fields.items() if wire.required)
    return _Schema(wire_fields, required)


def _wire_field(model_field: Field, *, required: bool | None = None) -> _WireField:
    if required is None:
        required = not (model_field.null or model_field.blank or model_field.has_default())
    empty = None if required else model_field.get_default()
    return _WireField(model_field.name, _check_for(model_field), required, empty)


@cache
def _schema(log: str) -> _Schema:
    if log == ACCOUNTS:
        account = models.Account._meta.get_field
        group_name = models.AccountGroup._meta.get_field("name")
        return _schema_of(
            {
                "username": _wire_field(account("username")),
                "description": _wire_field(account("description")),
                "virtual_number": _wire_field(account("virtual_number")),
                # A group name; "" or null clears the account's group.
                "group": _WireField(
                    "group",
                    _text_check(max_length=group_name.max_length, blank=True, one_line=True),
                    False,
                ),
            }
        )
    spec = LOGS[log]
    wire_names = {model_name: wire for wire, model_name in spec.ingest_names.items()}
    never = SERVER_SIDE_FIELDS | set(spec.link_fields)
    wire_fields = {}
    for model_field in spec.model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in never:
            continue
        # The key is required even where the model has a default for it.
        required = True if model_field.name == spec.key_field else None
        wire = wire_names.get(model_field.name, model_field.name)
        wire_fields[wire] = _wire_field(model_field, required=required)
    return _schema_of(wire_fields)


def _validate(schema: _Schema, record: object) -> tuple[dict, dict[str, list[str]]]:
    """The record's values by model field name, and its errors by wire name."""
    if not isinstance(record, dict):
        kind = type(record).__name__
        return {}, {RECORD: [f"must be a JSON object, not {_JSON_NAMES.get(kind, kind)}"]}
    values, errors = {}, {}
    for key, raw in record.items():
        wire = schema.fields.get(key)
        if wire is None:
            errors[str(key)] = ["unknown field"]
        elif raw is None:
            if wire.required:
                errors[key] = ["required"]
            else:
                values[wire.name] = wire.empty
        else:
            try:
                values[wire.name] = wire.check(raw)
            except _Invalid as error:
                errors[key] = [str(error)]
    for key in schema.required.difference(record):
        errors[key] = ["required"]
    return values, errors


_JSON_NAMES = {
    "list": "an array",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "NoneType": "null",
}


# --- Policies of single logs ----------------------------------------------------------------


def _cdr_policy() -> Callable[[dict], dict | None]:
    """Under No-CDR, direct calls are discarded: the policy is read once per batch."""
    if not models.CdrPolicy.current().no_cdr:
        return _unchanged
    return lambda values: None if values["call_type"] in models.DIRECT_CALL_TYPES else values


def _unchanged(values: dict) -> dict:
    return values


def _payload_check() -> Callable[[dict], dict | None]:
    return _checked_payload


def _checked_payload(values: dict) -> dict:
    size = values.get("payload_size")
    if size is not None and (size == 0 or size > PAYLOAD_MAX_BYTES):
        return values | {"status": models.SecureMessageStatus.INVALID_PAYLOAD}
    return values


def _merge_secure_message(row: dict, report: dict) -> bool:
    """Fold a later report into the row's values; True when something changed.

    ENQUEUED is the only status that is not final, so a late or replayed report never
    moves a message back; attempts only grow; the processing time and payload size, once
    known, stay.
    """
    changed = False
    status = report["status"]
    if row["status"] == models.SecureMessageStatus.ENQUEUED and status != row["status"]:
        row["status"], changed = status, True
    attempts = report.get("send_attempts") or 0
    if attempts > row["send_attempts"]:
        row["send_attempts"], changed = attempts, True
    processed = report.get("processed")
    if processed is not None and row["processed"] is None:
        row["processed"], changed = processed, True
    size = report.get("payload_size")
    if size is not None and row["payload_size"] is None:
        row["payload_size"], changed = size, True
    return changed


def _merge_activation_message(row: dict, report: dict) -> bool:
    """A later report may mark the message consumed; it is never unconsumed."""
    if report.get("consumed") and not row["consumed"]:
        row["consumed"] = True
        return True
    return False


@dataclass(frozen=True)
class _Policy:
    # Made once per batch (it may read the database), then given each valid record: it
    # returns the values to store, or None for a record the policy discards.
    prepare: Callable[[], Callable[[dict], dict | None]] | None = None
    # Logs updated in place by later reports of the same key, and the fields that change.
    merge: Callable[[dict, dict], bool] | None = None
    merged_fields: tuple[str, ...] = ()


_POLICIES = {
    "cdr": _Policy(prepare=_cdr_policy),
    "secure-messages": _Policy(
        prepare=_payload_check,
        merge=_merge_secure_message,
        merged_fields=("status", "send_attempts", "processed", "payload_size"),
    ),
    "activation-messages": _Policy(merge=_merge_activation_message, merged_fields=("consumed",)),
}


# --- Storing --------------------------------------------------------------------------------
#
# Rows travel as dictionaries of column values (by attname, the primary key under its own
# attname once stored), not model instances: a log's batch is tens of thousands of rows,
# and building an instance per row would cost more than storing it.


def chunks(items: Sequence, size: int = IN_CHUNK) -> Iterator[Sequence]:
    """`items` in slices small enough for one IN (...) list on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def row_values(instance: Model) -> dict:
    """A stored model instance as the column values the storing functions take."""
    attnames = (column.attname for column in instance._meta.concrete_fields)
    return {attname: getattr(instance, attname) for attname in attnames}


@cache
def _defaults(model: type[Model]) -> tuple[dict, tuple[Field, ...]]:
    """The model's constant defaults by attname, and its fields with a default per row."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    constant = {f.attname: f.get_default() for f in fields if not callable(f.default)}
    return constant, tuple(f for f in fields if callable(f.default))


def _with_defaults(model: type[Model], row: dict) -> dict:
    """A new dictionary: `row`, plus the default of every column it lacks."""
    constant, fresh = _defaults(model)
    row = constant | row
    for model_field in fresh:
        if model_field.attname not in row:
            row[model_field.attname] = model_field.get_default()
    return row


def _account_ids(match: str, values: Iterable[str]) -> dict[str, int]:
    """Account ids by the value of `match` (username or virtual number), one query per chunk.

    Should two accounts share a virtual number, the older one wins, as in `_link_older_rows`.
    """
    found: dict[str, int] = {}
    for chunk in chunks(sorted(values)):
        rows = models.Account.objects.filter(**{f"{match}__in": chunk}).order_by("id")
        for value, account_id in rows.values_list(match, "id"):
            found.setdefault(value, account_id)
    return found


def _linker(
    links: Sequence[AccountLink], model: type[Model], sources: dict[str, set[str]]
) -> Callable[[dict], dict]:
    """Sets a row's account links; returns the row.

    The accounts are looked up once, up front, from `sources`: the values of each link's
    source field that the rows to link carry, by that field's name.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for link in links:
        wanted[link.match].update(sources.get(link.source, ()))
    found = {match: _account_ids(match, values) for match, values in wanted.items() if values}
    setters = [
        (model._meta.get_field(link.link).attname, link.source, found.get(link.match, {}).get)
        for link in links
    ]

    def link(row: dict) -> dict:
        for attname, source, account_id in setters:
            row[attname] = account_id(row.get(source))
        return row

    return link


def _existing_keys(spec: LogSpec, keys: list) -> set:
    """Which of `keys` are stored already: one query on PostgreSQL, one per chunk elsewhere."""
    model = spec.model
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        column = quote(model._meta.get_field(spec.key_field).column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {column} FROM {quote(model._meta.db_table)} WHERE {column} = ANY(%s)",
                [keys],
            )
            return {key for (key,) in cursor.fetchall()}
    existing = set()
    for chunk in chunks(keys):
        rows = model.objects.filter(**{f"{spec.key_field}__in": chunk})
        existing.update(rows.values_list(spec.key_field, flat=True))
    return existing


def _existing_rows(spec: LogSpec, keys: list) -> dict[object, dict]:
    """Stored rows by key, as column values, locked until the transaction ends."""
    attnames = [field.attname for field in spec.model._meta.concrete_fields]
    existing: dict[object, dict] = {}
    for chunk in chunks(keys):
        rows = spec.model.objects.filter(**{f"{spec.key_field}__in": chunk})
        existing.update(
            (row[spec.key_field], row) for row in rows.select_for_update().values(*attnames)
        )
    return existing


def _copy_insert(model: type[Model], rows: Iterable[dict], at_most: int) -> list[dict]:
    """Store `rows` by COPY straight into the table: PostgreSQL's fast path.

    `rows` may be a stream, made while PostgreSQL stores the rows before: the two run side
    by side, on two cores. COPY cannot return ids, so `at_most` ids (as many as the stream
    can hold) are drawn from the table's sequence first, in one query; the ones left over
    are gaps in the sequence. A key stored meanwhile by a concurrent ingest fails the
    unique constraint, as an INSERT would: the caller's retry handles it.
    """
    quote = connection.ops.quote_name
    table = model._meta.db_table
    pk = model._meta.pk
    columns = model._meta.concrete_fields
    stored = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [quote(table), pk.column, at_most],
        )
        ids = (row_id for (row_id,) in cursor.fetchall())
        # The values are already what the columns take (the checks made them so), and
        # psycopg adapts them itself: get_db_prep_save per value would double the cost.
        values = itemgetter(*(column.attname for column in columns))
        names = ", ".join(quote(column.column) for column in columns)
        # The raw cursor's errors, made Django's as the cursor's own are (IntegrityError).
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
        ):
            for row, row_id in zip(rows, ids, strict=False):
                row[pk.attname] = row_id
                copy.write_row(values(row))
                stored.append(row)
    return stored


def _insert(model: type[Model], rows: Iterable[dict], at_most: int) -> list[dict]:
    """Store new rows: COPY for large batches on PostgreSQL, INSERT otherwise.

    `rows` may be a stream of at most `at_most` rows. Returns the rows as stored: a column
    a row lacks takes the field's default, and the primary key is set.
    """
    complete = (_with_defaults(model, row) for row in rows)
    if connection.vendor == "postgresql" and at_most >= COPY_MIN_ROWS:
        return _copy_insert(model, complete, at_most)
    stored = list(complete)
    instances = [model(**row) for row in stored]
    model.objects.bulk_create(instances, batch_size=BULK_BATCH)
    for row, instance in zip(stored, instances, strict=True):
        row[model._meta.pk.attname] = instance.pk
    return stored


def rewrite_security_events(spec: LogSpec, rows: list[dict]) -> None:
    """Rewrite stored rows into Security events, and queue every new one for the SIEM.

    The one place Security events are made from other logs' rows: ingest calls it for new
    and newly relevant rows, the expiry job for the messages it expires. The outbox row is
    written in the same transaction as its event, so no event is stored without being
    queued (see jobs.forward_siem).
    """
    if spec.slug == "security":
        events = rows  # they arrived as Security events and are stored already
    else:
        # The events' accounts are looked up first, by the names the rows give them, so
        # that the events stream into their table as they are written (see _copy_insert).
        relevant = [row for row in rows if siem.signature_for(spec.slug, row)]
        links = LOGS["security"].account_links
        names = {siem.account_name(row) for row in relevant}
        link = _linker(links, models.SecurityEvent, {link.source: names for link in links})
        events = siem.security_events_for(spec.slug, relevant, spec.time_field)
        events = _insert(models.SecurityEvent, map(link, events), len(relevant))
    outbox = ({"security_event_id": event["id"]} for event in events)
    _insert(models.SiemOutbox, outbox, len(events))


def _valid(
    schema: _Schema, numbered: Iterable[tuple[int, object]], result: IngestResult
) -> Iterator[dict]:
    """The values of the valid records; the others go to `result.rejected`, by line."""
    for line, record in numbered:
        values, errors = _validate(schema, record)
        if errors:
            result.rejected.append({"line": line, "errors": errors})
        else:
            yield values


def _carried(schema: _Schema, numbered: Sequence[tuple[int, object]], name: str) -> set:
    """The distinct values the records carry for model field `name`, as its check leaves
    them: what a batch looks up before its records are checked one by one.

    A value that fails the check is left out; its record is rejected on its way in.
    """
    wire_name, check = next(
        (wire, field.check) for wire, field in schema.fields.items() if field.name == name
    )
    strings = {
        value
        for _, record in numbered
        if isinstance(record, dict) and isinstance(value := record.get(wire_name), str)
    }
    carried = set()
    for value in strings:
        with suppress(_Invalid):
            carried.add(check(value))
    return carried


def _store_log(spec: LogSpec, numbered: Sequence[tuple[int, object]]) -> IngestResult:
    """Validate and store one batch of a log's records.

    What the rows need from the database (the policy, the accounts they name) is read
    once, from the values as they arrived; each record is then checked on its way into
    the table (see _store_batch).

    A large batch on PostgreSQL is first stored as if none of its keys were stored yet,
    which holds for every batch but a replayed one. That saves looking up each key: the
    key's unique index, which checks every row anyway, catches a key stored already, and
    the batch is then stored again (in the same transaction) with its keys looked up first.
    """
    policy = _POLICIES.get(spec.slug, _Policy())
    schema = _schema(spec.slug)
    prepare = policy.prepare() if policy.prepare else _unchanged
    sources = {link.source: _carried(schema, numbered, link.source) for link in spec.account_links}
    link = _linker(spec.account_links, spec.model, sources)
    store = partial(_store_batch, spec, policy, numbered, prepare, link)
    if connection.vendor == "postgresql" and len(numbered) >= COPY_MIN_ROWS and not policy.merge:
        try:
            with transaction.atomic():  # a savepoint
                return store(existing={})
        except IntegrityError:
            pass
    keys = list(_carried(schema, numbered, spec.key_field))
    if not keys:
        existing = {}
    elif policy.merge:
        existing = _existing_rows(spec, keys)
    else:
        existing = dict.fromkeys(_existing_keys(spec, keys))
    return store(existing=existing)


def _store_batch(
    spec: LogSpec,
    policy: _Policy,
    numbered: Sequence[tuple[int, object]],
    prepare: Callable[[dict], dict | None],
    link: Callable[[dict], dict],
    *,
    existing: dict,
) -> IngestResult:
    """Store a batch whose stored keys are `existing` (with their rows, for a merging log).

    Each record is checked on its way into the table, so that on PostgreSQL, Python
    checks the next records while the server stores the previous ones.
    """
    result = IngestResult()
    schema = _schema(spec.slug)
    key = spec.key_field
    new: dict[object, dict] = {}
    changed: dict[object, dict] = {}
    signatures_before: dict[object, siem.Signature | None] = {}

    def new_rows() -> Iterator[dict]:
        for values in _valid(schema, numbered, result):
            values = prepare(values)
            if values is None:
                result.discarded += 1
                continue
            value = values[key]
            if value in new:
                row = new[value]
            elif value in existing:
                row = existing[value]
            else:
                # A later report of the same key in this batch merges into this one.
                row = _with_defaults(spec.model, values) if policy.merge else values
                link(row)
                new[value] = row
                result.accepted += 1
                yield row
                continue
            if policy.merge and value in existing:
                signatures_before.setdefault(value, siem.signature_for(spec.slug, row))
            if policy.merge and policy.merge(row, values):
                result.updated += 1
                if value in existing:
                    changed[value] = row
            else:
                result.duplicates += 1

    # A merging log's rows are complete only once the whole batch is read.
    rows = list(new_rows()) if policy.merge else new_rows()
    rows = _insert(spec.model, rows, len(numbered))
    if changed:
        spec.model.objects.bulk_update(
            [spec.model(**row) for row in changed.values()],
            policy.merged_fields,
            batch_size=BULK_BATCH,
        )
    # An update rewrites into a Security event when it makes the row security-relevant
    # (a message becoming EXPIRED, say); statuses never go back, so this happens once.
    newly_relevant = [
        row
        for value, row in changed.items()
        if siem.signature_for(spec.slug, row) not in (None, signatures_before[value])
    ]
    rewrite_security_events(spec, rows + newly_relevant)
    return result


def _groups_by_name(names: set[str]) -> dict[str, models.AccountGroup]:
    groups = {}
    for chunk in chunks(sorted(names)):
        groups.update((g.name, g) for g in models.AccountGroup.objects.filter(name__in=chunk))
    missing = [models.AccountGroup(name=name) for name in sorted(names - groups.keys())]
    models.AccountGroup.objects.bulk_create(missing, batch_size=BULK_BATCH)
    groups.update((group.name, group) for group in missing)
    return groups


def _apply_account_report(
    account: models.Account, report: dict, groups: dict[str, models.AccountGroup]
) -> bool:
    """Set the fields the report carries (absent ones are left as they are)."""
    changed = False
    for name in ("description", "virtual_number"):
        if name in report and getattr(account, name) != report[name]:
            setattr(account, name, report[name])
            changed = True
    if "group" in report:
        group_id = groups[report["group"]].pk if report["group"] else None
        if account.group_id != group_id:
            account.group_id = group_id
            changed = True
    return changed


def _link_older_rows(accounts: list[models.Account]) -> None:
    """Link the stored rows, still unlinked, that carry these accounts' names or numbers.

    One UPDATE per link field (per chunk of names), whatever the number of rows.
    """
    by_match = {
        "username": [account.username for account in accounts],
        "virtual_number": sorted({a.virtual_number for a in accounts if a.virtual_number}),
    }
    for spec in LOGS.values():
        for link in spec.account_links:
            account_id = Subquery(
                models.Account.objects.filter(**{link.match: OuterRef(link.source)})
                .order_by("id")
                .values("id")[:1]
            )
            for chunk in chunks(by_match[link.match]):
                spec.model.objects.filter(
                    **{f"{link.link}__isnull": True, f"{link.source}__in": chunk}
                ).update(**{link.link: account_id})


def _store_accounts(values_list: list[dict], result: IngestResult) -> None:
    usernames = list({values["username"] for values in values_list})
    existing: dict[str, models.Account] = {}
    for chunk in chunks(usernames):
        rows = models.Account.objects.select_for_update().filter(username__in=chunk)
        existing.update((account.username, account) for account in rows)
    groups = _groups_by_name({values["group"] for values in values_list if values.get("group")})

    new: dict[str, models.Account] = {}
    changed: dict[str, models.Account] = {}
    for values in values_list:
        username = values["username"]
        account = new.get(username) or existing.get(username)
        if account is None:
            new[username] = models.Account(username=username)
            _apply_account_report(new[username], values, groups)
            result.accepted += 1
        elif _apply_account_report(account, values, groups):
            result.updated += 1
            if username in existing:
                changed[username] = account
        else:
            result.duplicates += 1

    models.Account.objects.bulk_create(new.values(), batch_size=BULK_BATCH)
    models.Account.objects.bulk_update(
        changed.values(), ["description", "virtual_number", "group"], batch_size=BULK_BATCH
    )
    _link_older_rows([*new.values(), *changed.values()])


# --- The entry points -----------------------------------------------------------------------


def _ingest(log: str, numbered: Sequence[tuple[int, object]]) -> IngestResult:
    if log not in INGEST_LOGS:
        raise ValueError(f"Unknown log {log!r}; one of: {', '.join(INGEST_LOGS)}.")
    if not numbered:
        return IngestResult()
    for attempt in range(1, ATTEMPTS + 1):
        result = IngestResult()
        try:
            with transaction.atomic():
                if attempt > 1:
                    _one_at_a_time(log)
                if log == ACCOUNTS:
                    valid = list(_valid(_schema(ACCOUNTS), numbered, result))
                    if valid:
                        _store_accounts(valid, result)
                else:
                    result = _store_log(LOGS[log], numbered)
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


def json_error(error: Exception) -> str:
    """Why a text is not a JSON value, in words: "not valid JSON: …"."""
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} at column {error.colno}"
    if isinstance(error, RecursionError):
        return "not valid JSON: nested too deeply"
    return f"not valid JSON: {error}"  # a number with too many digits, say


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
