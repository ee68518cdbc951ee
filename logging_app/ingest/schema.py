"""Schemas: the fields each log takes on the wire, and what a record's are worth."""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from django.db.models import Field

from .. import models
from ..logs import LOGS
from .checks import Check, Invalid, check_for, text_check

ACCOUNTS = "accounts"


class _IngestLogs(Sequence[str]):
    """The names ingest takes: the logs registered now (see LOGS), then accounts."""

    def __getitem__(self, index):
        return (*LOGS, ACCOUNTS)[index]

    def __len__(self) -> int:
        return len(LOGS) + 1


INGEST_LOGS: Sequence[str] = _IngestLogs()

# Set by the console itself, never by the appliance.
SERVER_SIDE_FIELDS = frozenset({"reconciled"})
# The key of an error about the record as a whole rather than one of its fields.
RECORD = "record"


@dataclass(frozen=True)
class _WireField:
    name: str  # the model field's
    check: Check
    required: bool
    empty: object = None  # what an explicit null stands for, when optional


@dataclass(frozen=True)
class Schema:
    fields: dict[str, _WireField]  # by wire name
    required: frozenset[str]


def _schema_of(wire_fields: dict[str, _WireField]) -> Schema:
    required = frozenset(name for name, wire in wire_fields.items() if wire.required)
    return Schema(wire_fields, required)


def _wire_field(model_field: Field, *, required: bool | None = None) -> _WireField:
    if required is None:
        required = not (model_field.null or model_field.blank or model_field.has_default())
    empty = None if required else model_field.get_default()
    return _WireField(model_field.name, check_for(model_field), required, empty)


@cache
def schema_for(log: str) -> Schema:
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
                    text_check(max_length=group_name.max_length, blank=True, one_line=True),
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


# A log registered since changes the schemas (the Security log's sources, say).
LOGS.on_reset(schema_for.cache_clear)


def validate(schema: Schema, record: object) -> tuple[dict, dict[str, list[str]]]:
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
            except Invalid as error:
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


def valid(
    schema: Schema, numbered: Iterable[tuple[int, object]], rejected: list[dict]
) -> Iterator[dict]:
    """The values of the valid records; the others go to `rejected`, by line."""
    for line, record in numbered:
        values, errors = validate(schema, record)
        if errors:
            rejected.append({"line": line, "errors": errors})
        else:
            yield values


def json_error(error: Exception) -> str:
    """Why a text is not a JSON value, in words: "not valid JSON: …"."""
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} at column {error.colno}"
    if isinstance(error, RecursionError):
        return "not valid JSON: nested too deeply"
    return f"not valid JSON: {error}"  # a number with too many digits, say
