"""Storing rows: defaults, account links, keys stored already, and INSERT or COPY.

Rows travel as dictionaries of column values (by attname, the primary key under its own
attname once stored), not model instances: a log's batch is tens of thousands of rows,
and building an instance per row would cost more than storing it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

from django.db import connection
from django.db.models import Field, Model

from .. import models
from ..logs import AccountLink, LogSpec

# SQLite's default limit of bound variables per statement is 999; stay under it.
IN_CHUNK = 900
BULK_BATCH = 1000
# From this many new rows, PostgreSQL stores them by COPY rather than INSERT.
COPY_MIN_ROWS = 1000


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


def with_defaults(model: type[Model], row: dict) -> dict:
    """A new dictionary: `row`, plus the default of every column it lacks."""
    constant, fresh = _defaults(model)
    row = constant | row
    for model_field in fresh:
        if model_field.attname not in row:
            row[model_field.attname] = model_field.get_default()
    return row


def _account_ids(match: str, values: Iterable[str]) -> dict[str, int]:
    """Account ids by the value of `match` (username or virtual number), one query per chunk.

    Should two accounts share a virtual number, the older one wins, as when an account's
    ingest links the older rows (accounts.py).
    """
    found: dict[str, int] = {}
    for chunk in chunks(sorted(values)):
        rows = models.Account.objects.filter(**{f"{match}__in": chunk}).order_by("id")
        for value, account_id in rows.values_list(match, "id"):
            found.setdefault(value, account_id)
    return found


def linker(
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


def existing_keys(spec: LogSpec, keys: list) -> set:
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


def existing_rows(spec: LogSpec, keys: list) -> dict[object, dict]:
    """Stored rows by key, as column values, locked until the transaction ends."""
    attnames = [field.attname for field in spec.model._meta.concrete_fields]
    existing: dict[object, dict] = {}
    for chunk in chunks(keys):
        rows = spec.model.objects.filter(**{f"{spec.key_field}__in": chunk})
        existing.update(
            (row[spec.key_field], row) for row in rows.select_for_update().values(*attnames)
        )
    return existing


def by_copy(at_most: int) -> bool:
    """Whether up to `at_most` new rows are stored by COPY rather than INSERT."""
    return connection.vendor == "postgresql" and at_most >= COPY_MIN_ROWS


def copy_insert(model: type[Model], rows: Iterable[dict], at_most: int) -> list[dict]:
    """Store `rows` by COPY straight into the table: PostgreSQL's fast path.

    `rows` may be a stream, made while PostgreSQL stores the rows before: the two run side
    by side, on two cores. COPY cannot return ids, so `at_most` ids (as many as the stream
    can hold) are drawn from the table's sequence first, in one query; the ones left over
    are gaps in the sequence. A key stored meanwhile by a concurrent ingest fails the
    unique constraint, as an INSERT would: the caller's retry handles it.

    The rows must be complete (see `with_defaults`). Returns them, with their ids.
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


def insert(model: type[Model], rows: Iterable[dict], at_most: int) -> list[dict]:
    """Store new rows: COPY for large batches on PostgreSQL, INSERT otherwise.

    `rows` may be a stream of at most `at_most` rows. Returns the rows as stored: a column
    a row lacks takes the field's default, and the primary key is set.
    """
    complete = (with_defaults(model, row) for row in rows)
    if by_copy(at_most):
        return copy_insert(model, complete, at_most)
    stored = list(complete)
    instances = [model(**row) for row in stored]
    model.objects.bulk_create(instances, batch_size=BULK_BATCH)
    for row, instance in zip(stored, instances, strict=True):
        row[model._meta.pk.attname] = instance.pk
    return stored
