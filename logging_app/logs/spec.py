"""What a log is, declared as data: the facts every shared part of the console reads.

A log module (`logs/cdr.py`, …) holds one `LogSpec`. The shared code (ingest, jobs, SIEM,
the list and detail pages, the admin, the roles) derives everything from it and names no
log. This module belongs to the data layer: it imports neither django-tables2 nor the
template tags, and the presentation layer turns `Column` and the filter names into tables
and filtersets (logging_app/listing).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class AccountLink:
    """A field holding an account as received, and the Account link ingest fills from it.

    `match` is the Account field the received value is looked up by. A row belongs to an
    account when its link points at it, or, for a username match, when the received name
    is the account's username (rows stored before the account was known).
    """

    source: str
    link: str
    match: str = "username"


# What a column shows and how (logging_app/listing/columns.py writes each kind):
TEXT = "text"  # the value as text
TIMESTAMP = "timestamp"  # the record's time, linking to its detail page (the first column)
TIME = "time"  # another date-time, in the viewer's zone
ACCOUNT = "account"  # an account's name or number, linking to its account page
CHOICE = "choice"  # an enumerated value, tagged for colouring by outcome
DURATION = "duration"  # seconds, as h:mm:ss
BOOLEAN = "boolean"  # yes or no
SECRET = "secret"  # shown whole to administrators, masked to everyone else
LIST_LINK = "list_link"  # linking to a list filtered by this value (a call's legs)
PAGE_LINK = "page_link"  # linking to a page of its own named by this value (a call's page)
BLOCK = "block"  # free text kept as written (a CEF line), preformatted on the detail page
KINDS = frozenset(
    {TEXT, TIMESTAMP, TIME, ACCOUNT, CHOICE, DURATION, BOOLEAN, SECRET, LIST_LINK, PAGE_LINK, BLOCK}
)


@dataclass(frozen=True)
class Column:
    """A field as the list shows it, and as the detail page shows it with the same writer.

    `account`: for ACCOUNT, the Account link the page follows (empty: the value is the
    username). `link_log` and `link_param`: for LIST_LINK, the list (its slug, empty for
    this log's own) and the parameter the value fills. `link_view`: for PAGE_LINK, the URL
    name of the page, which takes the value as its one argument. `tag`: a boolean field whose truth
    adds a tag after the value. `empty`: what an empty value shows. `listed`: False for a
    field only the detail page shows. `explained`: for CHOICE, the value's tooltip says
    what the record means (the log's `explain`). `under`: on the list's screen only, this
    value is written under that column's value, in its cell (a caller's number under their
    name); the CSV export and the detail page keep both columns, as the manual has them.
    """

    name: str
    kind: str = TEXT
    account: str = ""
    link_log: str = ""
    link_param: str = ""
    link_view: str = ""
    tag: str = ""
    empty: str = ""
    listed: bool = True
    explained: bool = False
    under: str = ""


@dataclass(frozen=True)
class IngestPolicy:
    """What ingest does for this log beyond storing each new record once.

    `prepare` is called once per batch (it may read the database) and returns what is
    then given each valid record: the values to store, or None to discard the record
    (or returns None itself when the batch's records are all kept as they are).
    `merge` folds a later report of a stored key into its row (True when it changed
    something); `merged_fields` are the columns it may change.
    """

    prepare: Callable[[], Callable[[dict], dict | None] | None] | None = None
    merge: Callable[[dict, dict], bool] | None = None
    merged_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Aggregate:
    """Figures a log keeps of its rows, updated in the transaction that changes the rows.

    `fields`: the row values (by attname) `count` reads. `count(rows, sign)` adds
    (`sign` 1) or takes away (-1) rows as ingest stores them (a merged row: taken away as
    it was, added as it is), a job changes them or a purge deletes them; `rebuild()`
    recomputes the figures from the rows (`manage.py rebuild_aggregates`) and returns how
    many it wrote. `linked`: the figures are by the rows' account links, and account
    ingest adds the rows it links (each row then carrying only the link just set).
    """

    name: str
    fields: tuple[str, ...]
    count: Callable[[Iterable[Mapping[str, object]], int], None]
    rebuild: Callable[[], int]
    # An account's calls over the diagnosis' windows up to a moment, if the figures tell.
    account_windows: Callable[[int, datetime], list] | None = None
    linked: bool = False
    # A time partition dropped (logging_app/partitions.py): `forget(start, end)` deletes
    # the figures of every row whose time is in [start, end) (None: unbounded; the edges
    # are UTC midnights), `uncount(rows)` takes away the rows of a queryset, grouped by the
    # database (a sub-partition that holds only some of that time's rows).
    forget: Callable[[datetime | None, datetime | None], None] | None = None
    uncount: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Partitioning:
    """How the log's table is cut by time on PostgreSQL (logging_app/partitions.py).

    `days`: the time each partition holds, unless PARTITION_DAYS_<LOG> says otherwise.
    `apart`: a field and the values whose rows each partition keeps in a sub-partition of
    their own, because the log's own rules purge them sooner than the rest (the CDR
    policy's direct calls): the purge drops that sub-partition whole once it is wholly
    older than `apart_expired_before(now)`.
    """

    days: int = 7
    apart: tuple[str, tuple[str, ...]] | None = None
    # When the `apart` rows expire, at a moment: those older than the instant returned
    # (None: none do).
    apart_expired_before: Callable[[datetime], datetime | None] | None = None


# What an account fact shows: the newest row that matches, or how many rows match.
LAST = "last"
COUNT = "count"


@dataclass(frozen=True)
class AccountFact:
    """A line of the account's diagnosis that this log answers (the account page's card).

    `matching`: the lookups (as `filter()` takes them) the rows must match besides
    belonging to the account, also given to the log's list the fact links to (`listed`:
    the list parameters that select the same rows). `shows`: for LAST, the fields shown
    of the newest matching row; COUNT counts the matching rows up to a cap.
    """

    label: str
    kind: str
    matching: dict[str, object] = field(default_factory=dict)
    listed: dict[str, str] = field(default_factory=dict)
    shows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signature:
    signature_id: str
    name: str
    severity: int


@dataclass(frozen=True)
class SiemMapping:
    """Which records of the log become Security events, and what their CEF lines carry.

    `field`'s value picks the signature (`signatures`); `extensions` are (CEF key, column)
    pairs, cs1 being the column that made the record relevant, labelled `cs1_label`.
    `account_field` names the account the event is about (CEF's suser) and `account_link`
    the row's link to it; `peer_field` and `peer_link` the other party (duser): the
    event is linked to both accounts, so that it shows on both account pages.
    """

    field: str
    signatures: dict[str, Signature]
    extensions: tuple[tuple[str, str], ...] = ()
    cs1_label: str = ""
    account_field: str = ""
    account_link: str = ""
    peer_field: str = ""
    peer_link: str = ""


@dataclass(frozen=True)
class Panel:
    """A box of the detail page under the fields: the records related to this one.

    `title` is formatted with the record (`"Other legs of call {record.call_id}"`);
    `related` gives (log slug, record) pairs, each shown with its time, linking to its
    detail page, and what it is; `empty` says why there is none.
    """

    title: str
    related: Callable[[Model], Iterable[tuple[str, Model]]]
    empty: str = ""


@dataclass(frozen=True)
class Heartbeat:
    """The log's rows that are the appliance's heartbeats, which say it is alive.

    `lookups` filters them, through a (field, time) index: the last one is one index probe.
    `record` is the ingest record of one heartbeat at a moment (the demo's live heartbeats).
    """

    lookups: dict[str, object]
    record: Callable[[datetime], dict]


@dataclass(frozen=True)
class Chart:
    """An overview chart of the log: its rows per day, stacked by the values of `field`.

    `series` are (value, colour) pairs, drawn bottom up; `unit` is what one counted row is
    ("call": 1 call, 3 calls). The overview shows the charts of every log by `position`.
    """

    slug: str
    title: str
    field: str
    series: tuple[tuple[str, str], ...]
    unit: str
    position: int = 0


# The charts' colours by outcome, as the lists' tags are: green succeeded, amber and orange
# did not connect, red failed; grey and violet tell apart the rest.
GREEN, AMBER, ORANGE, RED = "#2e8b57", "#d4a017", "#e07b00", "#b3261e"
GREY, VIOLET, BLUE = "#8a94a0", "#7a4fa0", "#1f5fa8"

# An export format's lines of the records of a list, read in chunks by the caller.
Exporter = Callable[[Iterable[Model]], Iterator[str]]
# What a record means, in plain words, from the record or its values by field name (the
# CSV export reads rows as values, not model instances): read it through `record_values`.
Explainer = Callable[[Model | Mapping[str, object]], str]


def record_values(record: Model | Mapping[str, object]) -> Mapping[str, object]:
    """A record's values by field name (`attname`): a model instance's, or a values() row."""
    if isinstance(record, Mapping):
        return record
    fields = record._meta.concrete_fields
    return {model_field.attname: getattr(record, model_field.attname) for model_field in fields}


@dataclass(frozen=True, eq=False)  # one object per log: compared and hashed by identity
class LogSpec:
    """The facts of one log."""

    slug: str
    title: str
    model: type[Model]
    time_field: str
    # The manual's fields in the manual's order, the time first.
    columns: tuple[Column, ...]
    # The fields the list filters on besides time, account and text, in the form's order.
    filters: tuple[str, ...] = ()
    # Filters by a value any of several fields holds exactly, by parameter name: the CDR's
    # `group` is the caller's or the callee's group.
    any_field_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The fields free text (`q`) searches.
    search_fields: tuple[str, ...] = ()
    account_links: tuple[AccountLink, ...] = ()
    # The field that makes a report of the same record recognisable on ingest.
    key_field: str = "event_id"
    # Ingest field names (the manual's, in snake_case) that differ from the model's.
    ingest_names: dict[str, str] = field(default_factory=dict)
    ingest_policy: IngestPolicy = IngestPolicy()
    siem: SiemMapping | None = None
    panels: tuple[Panel, ...] = ()
    # Export formats besides CSV: name → lines of a queryset (the Security log's CEF).
    exports: dict[str, Exporter] = field(default_factory=dict)
    charts: tuple[Chart, ...] = ()
    # The demo's records of this log, as the appliance sends them (logging_app/demo).
    demo: Callable[[object], list[dict]] | None = None
    # A sentence the list page states above the table, and one read when the page is shown.
    notice: str = ""
    live_notice: Callable[[], str] | None = None
    # Rows the log's own rules no longer keep at `now`, besides its retention setting
    # (the CDR policy's direct calls); purged by jobs.purge_logs.
    expired: Callable[[datetime], QuerySet] | None = None
    # What a record means, in plain words: shown on its detail page, its account timeline
    # row and as the last column of the CSV export ("What happened").
    explain: Explainer | None = None
    # The fields holding what support pastes into the search box (`q`) that their type does
    # not tell, by kind ("call id", "number", "address"): looked up exactly, each through
    # an index. UUID and IP address fields and enumerations are known by their model
    # field (logging_app/listing/search.py).
    search_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Figures kept as rows are stored, changed, linked and purged (the account's calls per
    # day); each log's rows per hour come first, added by itself.
    aggregates: tuple[Aggregate, ...] = ()
    # The fields that tell a row's outcome at a glance, after its event on the account
    # timeline (a call's disposition and duration, a message's status).
    outcome: tuple[str, ...] = ()
    # What the account's diagnosis reads from this log (its registration, its messages).
    account_facts: tuple[AccountFact, ...] = ()
    # The appliance's heartbeats, when this log carries them (the System log): the
    # overview's health and the banner of every page (logging_app/health.py).
    heartbeat: Heartbeat | None = None
    # Cut by time on PostgreSQL (the large logs); None: one plain table.
    partitioning: Partitioning | None = None

    def __post_init__(self) -> None:
        # Every log keeps its rows per hour (and its charts' values): the overview reads
        # them (logging_app/figures.py, which reads this module).
        from ..figures import ROWS_PER_HOUR, rows_per_hour

        if not any(aggregate.name == ROWS_PER_HOUR for aggregate in self.aggregates):
            object.__setattr__(self, "aggregates", (rows_per_hour(self), *self.aggregates))

    @property
    def link_fields(self) -> tuple[str, ...]:
        return tuple(link.link for link in self.account_links)

    @property
    def aggregated_fields(self) -> list[str]:
        """The row values the log's aggregates read: what a write that changes rows (a
        purge, a linking) reads of them first."""
        return sorted({name for aggregate in self.aggregates for name in aggregate.fields})

    @property
    def retention_setting(self) -> str:
        """The environment variable of the days this log keeps its rows."""
        return f"RETENTION_DAYS_{self.slug.upper().replace('-', '_')}"

    @property
    def listed_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.listed)

    def explained(self, record: Model | Mapping[str, object]) -> str:
        """What `record` (or its values by field name) means, or "" when the log cannot say."""
        return self.explain(record) if self.explain else ""

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)
