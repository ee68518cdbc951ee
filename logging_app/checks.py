"""System checks: a log declared inconsistently stops the console at start-up, not a page later.

Each message names the log and the field; `manage.py check` lists them all.
"""

import re

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.urls import NoReverseMatch, reverse

from .logs import LOGS
from .logs.spec import ACCOUNT, KINDS, PAGE_LINK, TIMESTAMP, LogSpec

# A slug is a URL segment and, in capitals with "_" for "-", a setting's name.
_SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def _error(spec: LogSpec, message: str, number: int) -> checks.Error:
    return checks.Error(f"Log {spec.slug!r}: {message}", obj=spec.model, id=f"logs.E{number:03}")


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _url_name(name: str) -> bool:
    """Whether `name` is the URL name of a page that takes one argument."""
    try:
        reverse(name, args=["x"])
    except NoReverseMatch:
        return False
    return True


def _time_index(spec: LogSpec) -> bool:
    """Whether the model has the (time, id) index every list page and purge walks."""
    wanted = [spec.time_field, "id"]
    return any(list(index.fields) == wanted for index in spec.model._meta.indexes)


def _spec_errors(spec: LogSpec) -> list[checks.Error]:
    model = spec.model
    errors = []
    if not _SLUG.fullmatch(spec.slug):
        errors.append(_error(spec, "the slug must be lowercase words joined by '-'.", 1))
    if not _has_field(model, spec.time_field):
        return [*errors, _error(spec, f"the time field {spec.time_field!r} does not exist.", 2)]
    if model._meta.get_field(spec.time_field).get_internal_type() != "DateTimeField":
        errors.append(_error(spec, f"the time field {spec.time_field!r} is no DateTimeField.", 3))
    if not _time_index(spec):
        errors.append(_error(spec, f"{model.__name__} has no index on ({spec.time_field}, id).", 4))
    named = [
        *(("column", column.name) for column in spec.columns),
        *(("filter", name) for name in spec.filters),
        *(("filter", name) for names in spec.any_field_filters.values() for name in names),
        *(("search field", name) for name in spec.search_fields),
        ("key field", spec.key_field),
        *(("account link source", link.source) for link in spec.account_links),
        *(("account link", link.link) for link in spec.account_links),
        *(("outcome field", name) for name in spec.outcome),
    ]
    for role, name in named:
        if not _has_field(model, name):
            errors.append(_error(spec, f"the {role} {name!r} is no field of {model.__name__}.", 5))
    if spec.columns and spec.columns[0] != spec.column(spec.time_field):
        errors.append(_error(spec, f"the first column must be the time, {spec.time_field!r}.", 6))
    links = set(spec.link_fields)
    for column in spec.columns:
        if column.kind not in KINDS:
            errors.append(_error(spec, f"column {column.name!r}: no kind {column.kind!r}.", 7))
        if column.kind == TIMESTAMP and column.name != spec.time_field:
            errors.append(_error(spec, f"column {column.name!r} is not the time field.", 8))
        if column.kind == ACCOUNT and column.account and column.account not in links:
            errors.append(
                _error(spec, f"column {column.name!r}: {column.account!r} is no account link.", 9)
            )
        if column.kind == PAGE_LINK and not _url_name(column.link_view):
            errors.append(
                _error(spec, f"column {column.name!r}: no page {column.link_view!r}.", 12)
            )
    if _has_field(model, spec.key_field) and not model._meta.get_field(spec.key_field).unique:
        errors.append(_error(spec, f"the key field {spec.key_field!r} is not unique.", 10))
    attnames = {field.attname for field in model._meta.concrete_fields}
    for aggregate in spec.aggregates:
        for name in aggregate.fields:
            if name not in attnames:
                reads = f"the aggregate {aggregate.name!r} reads {name!r}"
                errors.append(_error(spec, f"{reads}, no field of {model.__name__}.", 13))
        dropped_whole = spec.partitioning is not None
        if dropped_whole and (aggregate.forget is None or aggregate.uncount is None):
            dropped = "needs `forget` and `uncount`: the log's partitions are dropped whole"
            errors.append(_error(spec, f"the aggregate {aggregate.name!r} {dropped}.", 14))
    return errors


@checks.register()
def log_specs_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every registered log's spec against its model, and the retention settings."""
    messages = [error for spec in LOGS.values() for error in _spec_errors(spec)]
    for slug in sorted(set(settings.RETENTION_DAYS) - set(LOGS)):
        name = f"RETENTION_DAYS_{slug.upper().replace('-', '_')}"
        messages.append(
            checks.Error(f"{name} names no log; the logs are: {', '.join(LOGS)}.", id="logs.E011")
        )
    return messages
