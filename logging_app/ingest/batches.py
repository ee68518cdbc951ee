"""A batch of one log's records: checked, passed through the log's policy, stored.

New keys are inserted, known ones counted as duplicates or merged into their rows, and
the rows that concern security are rewritten into Security events.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from functools import partial

from django.db import IntegrityError, transaction

from .. import siem
from ..logs import LOGS, LogSpec
from ..logs.spec import IngestPolicy
from .checks import Invalid
from .rewrite import rewrite_security_events
from .schema import Schema, schema_for, valid
from .store import (
    BULK_BATCH,
    IngestResult,
    by_copy,
    existing_keys,
    existing_rows,
    insert,
    linker,
    with_defaults,
)


def _carried(schema: Schema, numbered: Sequence[tuple[int, object]], name: str) -> set:
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
        with suppress(Invalid):
            carried.add(check(value))
    return carried


def _linker_for(spec: LogSpec, numbered: Sequence[tuple[int, object]]) -> Callable[[dict], dict]:
    """Sets a row's account links, from the accounts the records name (one lookup)."""
    schema = schema_for(spec.slug)
    sources = {link.source: _carried(schema, numbered, link.source) for link in spec.account_links}
    return linker(spec.account_links, spec.model, sources)


def store_log(spec: LogSpec, numbered: Sequence[tuple[int, object]]) -> IngestResult:
    """Validate and store one batch of a log's records.

    What the rows need from the database (the policy, the accounts they name) is read
    once, from the values as they arrived; each record is then checked on its way into
    the table (see _store_batch).

    A large batch on PostgreSQL is first stored as if none of its keys were stored yet,
    which holds for every batch but a replayed one. That saves looking up each key: the
    key's unique index, which checks every row anyway, catches a key stored already, and
    the batch is then stored again (in the same transaction) with its keys looked up first.
    """
    policy = spec.ingest_policy
    schema = schema_for(spec.slug)
    # Made once per batch (it may read the database), then given each valid record.
    prepare = (policy.prepare and policy.prepare()) or _unchanged
    link = _linker_for(spec, numbered)
    store = partial(_store_batch, spec, policy, numbered, prepare, link)
    if by_copy(len(numbered)) and not policy.merge:
        try:
            with transaction.atomic():  # a savepoint
                return store(existing={})
        except IntegrityError:
            pass
    keys = list(_carried(schema, numbered, spec.key_field))
    if not keys:
        existing = {}
    elif policy.merge:
        existing = existing_rows(spec, keys)
    else:
        existing = dict.fromkeys(existing_keys(spec, keys))
    return store(existing=existing)


def _store_batch(
    spec: LogSpec,
    policy: IngestPolicy,
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
    schema = schema_for(spec.slug)
    key = spec.key_field
    new: dict[object, dict] = {}
    changed: dict[object, dict] = {}
    signatures_before: dict[object, siem.Signature | None] = {}
    # A stored row as it was before this batch's reports: what the aggregates take away.
    stored_before: dict[object, dict] = {}

    def new_rows() -> Iterator[dict]:
        for values in valid(schema, numbered, result.rejected):
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
                row = with_defaults(spec.model, values) if policy.merge else values
                link(row)
                new[value] = row
                result.accepted += 1
                yield row
                continue
            if policy.merge and value in existing and value not in stored_before:
                signatures_before[value] = siem.signature_for(spec.slug, row)
                stored_before[value] = dict(row)
            if policy.merge and policy.merge(row, values):
                result.updated += 1
                if value in existing:
                    changed[value] = row
            else:
                result.duplicates += 1

    # A merging log's rows are complete only once the whole batch is read.
    rows = list(new_rows()) if policy.merge else new_rows()
    rows = insert(spec.model, rows, len(numbered))
    for aggregate in spec.aggregates:
        aggregate.count(rows, 1)
    if changed:
        spec.model.objects.bulk_update(
            [spec.model(**row) for row in changed.values()],
            policy.merged_fields,
            batch_size=BULK_BATCH,
        )
        for aggregate in spec.aggregates:
            aggregate.count([stored_before[value] for value in changed], -1)
            aggregate.count(changed.values(), 1)
    # An update rewrites into a Security event when it makes the row security-relevant
    # (a message becoming EXPIRED, say); statuses never go back, so this happens once.
    newly_relevant = [
        row
        for value, row in changed.items()
        if siem.signature_for(spec.slug, row) not in (None, signatures_before[value])
    ]
    rewrite_security_events(spec, rows + newly_relevant)
    return result


def _unchanged(values: dict) -> dict:
    return values


def prepared_rows(log: str, records: Iterable[object]) -> list[dict]:
    """The rows `records` of `log` would be stored as, checked, linked to their accounts
    and complete with defaults, but not stored; the log's policy is not applied.

    For timing `copy_insert` alone (benchmarks/run.py). Raises ValueError on a record
    that fails its checks.
    """
    spec = LOGS[log]
    numbered = list(enumerate(records, start=1))
    rejected: list[dict] = []
    rows = list(valid(schema_for(log), numbered, rejected))
    if rejected:
        raise ValueError(f"{len(rejected)} invalid {log} records, the first: {rejected[0]}")
    link = _linker_for(spec, numbered)
    return [with_defaults(spec.model, link(row)) for row in rows]
