"""Checks of single values, derived from the model fields.

A check takes a value as JSON gave it and returns what the column stores, or raises
`Invalid` with the words a client is shown.
"""

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_ipv46_address
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Field

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
_DATETIME_MESSAGE = "must be an ISO 8601 date-time with offset"
# The date-times a record may carry (docs/ingest.md): from the Unix epoch, where an
# appliance whose clock was never set starts counting, to the end of the century. Beyond
# them a date is a broken clock or a forged record, and near the ends of Python's range
# every time zone's pages would have to show a year that does not exist (10000, or 0).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_RANGE_MESSAGE = f"must be from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"


class Invalid(Exception):
    pass


Check = Callable[[object], object]


def text_check(*, max_length: int, blank: bool, one_line: bool) -> Check:
    refused = _UNSTORABLE_OR_CONTROL if one_line else _UNSTORABLE

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        if not value and not blank:
            raise Invalid("must not be empty")
        if len(value) > max_length:
            raise Invalid(f"must be at most {max_length} characters")
        if (found := refused.search(value)) is not None:
            if _UNSTORABLE.match(found.group()):
                raise Invalid("must not contain NUL or unpaired surrogate characters")
            raise Invalid("must be one line of text, without control characters")
        return value

    return check


def _choice_check(choices: Sequence[str]) -> Check:
    allowed = frozenset(choices)
    message = "not one of: " + ", ".join(choices)

    def check(value: object) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise Invalid(message)

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
            raise Invalid(type_message)
        if value > high:
            raise Invalid(high_message)
        return value

    return check


def _datetime_check(value: object) -> datetime:
    if not isinstance(value, str):
        raise Invalid(_DATETIME_MESSAGE)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(_DATETIME_MESSAGE) from None
    if moment.utcoffset() is None:
        raise Invalid(_DATETIME_MESSAGE)
    try:
        # In UTC, as the databases keep it: PostgreSQL refuses offsets beyond ±15:59.
        moment = moment.astimezone(UTC)
    except OverflowError:  # at the ends of Python's range
        raise Invalid(_RANGE_MESSAGE) from None
    if not EARLIEST <= moment <= LATEST:
        raise Invalid(_RANGE_MESSAGE)
    return moment


def _uuid_check(value: object) -> uuid.UUID:
    if isinstance(value, str) and _UUID.fullmatch(value):
        return uuid.UUID(value)
    raise Invalid("must be a UUID")


def _boolean_check(value: object) -> bool:
    if value is True or value is False:
        return value
    raise Invalid("must be true or false")


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
    raise Invalid("must be an IPv4 or IPv6 address (without a %zone)")


_INTEGER_TYPES = frozenset(BaseDatabaseOperations.integer_field_ranges)


def check_for(model_field: Field) -> Check:
    kind = model_field.get_internal_type()
    if model_field.choices:
        return _choice_check([value for value, _ in model_field.flatchoices])
    if kind in {"CharField", "TextField"}:
        return text_check(
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
