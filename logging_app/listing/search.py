"""The one search box (`q`): what support pastes, read as what it is and looked up exactly.

A UUID, a call id, a phone number, an IP address (with or without its port) or one of the
log's enumerated values is compared whole with the fields of the log that hold such a
value, each through its index; any other text is looked for inside the log's text columns
(`LogSpec.search_fields`), as before. Text in double quotes is always text.

Which fields hold which kind is the log's fact: the model's field types tell the UUIDs
(UUIDField), the addresses (GenericIPAddressField) and the enumerations (choices); the
spec declares the rest (`LogSpec.search_kinds`). Text a log has no field for (a phone
number in the System log) is searched as text there.

A text can read as more than one kind (digits: a phone number, or a call id): each reading
the log has fields for is looked up and the rows of any are shown. Each condition is a
branch of the search's OR, found through its own index (selectors.first_rows).
"""

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Field, GenericIPAddressField, Q, UUIDField

from .. import models, selectors
from ..logs.spec import LogSpec
from .addresses import Address, endpoint_condition, parse_address

# The kinds a log's fields can hold, besides its enumerations and free text.
UUID = "UUID"
CALL_ID = "call id"
NUMBER = "number"
ADDRESS = "address"
KINDS = (UUID, CALL_ID, NUMBER, ADDRESS)

# A call id as the voice engine writes it: the call's start in seconds, a dot, a sequence.
_CALL_ID = re.compile(r"[0-9]+\.[0-9]+")
# A phone number: 7 to 15 digits (E.164's most), perhaps after "+"; shorter runs of digits
# are looked for inside the text (a part of a number).
_NUMBER = re.compile(r"\+?[0-9]{7,15}")
_QUOTES = ('"', "“”", "„“", "«»")
# The longest text searched: longer is no value a column holds, and SQLite refuses a LIKE
# pattern past 50,000 bytes.
MAX_SEARCH = 1000
# The most branches a list page reads apart (each a member of one UNION, through its own
# index; selectors.first_rows): see `crossed`.
MAX_BRANCHES = 4


@dataclass(frozen=True)
class Reading:
    """One way the searched text reads: its kind, how the page names it, and the values
    a field of that kind holds when it holds it (a number's notations, an address)."""

    kind: str
    shown: str
    values: tuple[str, ...] = ()
    address: Address | None = None


@dataclass(frozen=True)
class Search:
    """What `q` asked of one log: the conditions its rows meet (ORed), and in words.

    `branches` are the conditions, one per field and reading, each found through its own
    index; `exact` is False for free text; `text` is what was typed.
    """

    text: str
    description: str
    branches: tuple[Q, ...]
    exact: bool

    @property
    def condition(self) -> Q:
        return reduce(or_, self.branches)

    @property
    def as_text(self) -> str:
        """The `q` that looks for the same text inside the text columns instead."""
        return f'"{self.text}"'


def search_for(spec: LogSpec, text: str) -> Search | None:
    """What `text` asks of the log `spec` (None when there is nothing to search)."""
    text = text.strip()
    quoted = _unquoted(text)
    if quoted is not None:
        return _text_search(spec, quoted) if quoted else None
    if not text:
        return None
    fields = fields_by_kind(spec)
    described, branches = [], []
    for reading in readings(text):
        conditions = list(_conditions(spec, reading, fields.get(reading.kind, ())))
        if conditions:
            described.append(f"{reading.kind} {reading.shown}")
            branches += conditions
    for enumerations, value in _enumerated(spec, text):
        described.append(f"{' or '.join(f.verbose_name for f in enumerations)} {value}")
        branches += [Q(**{field.name: value}) for field in enumerations]
    if not branches:
        return _text_search(spec, text)
    return Search(text, " or ".join(described), tuple(branches), exact=True)


def crossed(*alternatives: Sequence[Q]) -> tuple[Q, ...]:
    """The branches of several ORs that a queryset's filter joins by AND (the account's
    fields, the search's): one for each way of taking a branch of each, so that each is
    still found through an index; past MAX_BRANCHES, which would cost more queries than
    they save, the branches of the OR that has fewest (they cover the rows as well).
    Empty when there is no OR to split."""
    branches: tuple[Q, ...] = (Q(),)
    for options in alternatives:
        if options:
            branches = tuple(branch & option for branch in branches for option in options)
    splitting = [tuple(options) for options in alternatives if len(options) > 1]
    if len(branches) > MAX_BRANCHES and len(splitting) > 1:
        branches = min(splitting, key=len)
    return branches if len(branches) > 1 else ()


# --- Reading the text ---------------------------------------------------------------------


def readings(text: str) -> list[Reading]:
    """The kinds `text` can be, whatever the log: none for plain words."""
    found = []
    if (as_uuid := _uuid(text)) is not None:
        found.append(Reading(UUID, str(as_uuid), (str(as_uuid),)))
    if (address := parse_address(text)) is not None:
        found.append(Reading(ADDRESS, text, address=address))
    # Digits may be a call id too; a few digits are rather a part of something.
    if _CALL_ID.fullmatch(text) or (text.isascii() and text.isdigit() and len(text) >= 7):
        found.append(Reading(CALL_ID, text, (text,)))
    compact = selectors.phone_number(text)
    if _NUMBER.fullmatch(compact):
        found.append(Reading(NUMBER, compact, selectors.number_notations(compact)))
    return found


def _unquoted(text: str) -> str | None:
    """The text between quotes, when the whole text is quoted: free text, whatever it is."""
    for quotes in _QUOTES:
        opening, closing = quotes[0], quotes[-1]
        if len(text) >= 2 and text[0] == opening and text[-1] == closing:
            return text[1:-1].strip()
    return None


def _uuid(text: str) -> uuid.UUID | None:
    if len(text) < 32:  # uuid.UUID takes 32 hex digits, with hyphens, braces or a URN
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# --- The log's fields ---------------------------------------------------------------------


def fields_by_kind(spec: LogSpec) -> dict[str, tuple[str, ...]]:
    """The fields of the log holding each kind: told by their type, or declared."""
    kinds: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for field in spec.model._meta.concrete_fields:
        if isinstance(field, UUIDField):
            kinds[UUID].append(field.name)
        elif isinstance(field, GenericIPAddressField | models.EndpointField):
            kinds[ADDRESS].append(field.name)
    for kind, names in spec.search_kinds.items():
        if kind not in kinds:
            raise ImproperlyConfigured(
                f"Log {spec.slug!r}: search_kinds names {kind!r}; the kinds are "
                f"{', '.join(KINDS)} (enumerations are the fields with choices)."
            )
        kinds[kind].extend(name for name in names if name not in kinds[kind])
    return {kind: tuple(names) for kind, names in kinds.items() if names}


def _enumerations(spec: LogSpec) -> Iterator[Field]:
    for field in spec.model._meta.concrete_fields:
        if field.choices and not field.is_relation:
            yield field


def _enumerated(spec: LogSpec, text: str) -> list[tuple[list[Field], str]]:
    """The enumerated values `text` names (any case; "no answer" is NO_ANSWER), each
    with the fields holding it."""
    wanted = {text.casefold(), re.sub(r"\s+", "_", text).casefold()}
    by_value: dict[str, list[Field]] = {}
    for field in _enumerations(spec):
        for value, _ in field.flatchoices:
            if str(value).casefold() in wanted:
                by_value.setdefault(str(value), []).append(field)
    return [(fields, value) for value, fields in by_value.items()]


def _conditions(spec: LogSpec, reading: Reading, names: Sequence[str]) -> Iterator[Q]:
    """The exact conditions on the log's fields of the reading's kind, one per index."""
    if reading.kind == NUMBER:
        yield from _number_conditions(spec, names, reading.values)
        return
    for name in names:
        if reading.address is None:
            yield Q(**{name: reading.values[0]})
        elif isinstance(spec.model._meta.get_field(name), GenericIPAddressField):
            yield Q(**{name: reading.address.ip})  # an address alone, without a port
        else:
            # An address and its port as the appliance writes them: the asked port, or any.
            yield endpoint_condition(name, reading.address)


def _number_conditions(spec: LogSpec, names: Sequence[str], numbers: Sequence[str]) -> list[Q]:
    """A number's rows. In a field an account link is filled from by virtual number (a
    CDR's caller number), the field has no index of its own (it would cost every ingest):
    the rows linked to the accounts holding the number are found through the link's
    (link, time) index, and the rows no account was linked to through the partial
    (number, time) index of unlinked rows. A row linked to an account that has changed
    its number since is not found by its old number."""
    links = {
        link.source: link.link for link in spec.account_links if link.match == "virtual_number"
    }
    holders = []
    if links.keys() & set(names):
        accounts = models.Account.objects.filter(virtual_number__in=numbers)
        holders = list(accounts.values_list("id", flat=True))
    conditions = []
    for name in names:
        if name not in links:
            conditions.append(Q(**{f"{name}__in": numbers}))
            continue
        if holders:
            conditions.append(Q(**{f"{links[name]}__in": holders, f"{name}__in": numbers}))
        conditions.append(Q(**{f"{links[name]}__isnull": True, f"{name}__in": numbers}))
    return conditions


def _text_search(spec: LogSpec, text: str) -> Search:
    contained = [Q(**{f"{name}__icontains": text}) for name in spec.search_fields]
    return Search(
        text,
        f"text “{text}”",
        (reduce(or_, contained) if contained else Q(pk__in=[]),),
        exact=False,
    )
