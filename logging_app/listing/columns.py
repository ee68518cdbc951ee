"""The columns of the lists and the rows of the detail pages: one writer per field.

A log declares its columns as data (logs/spec.Column, by kind); `column_for` makes the
django-tables2 column of each, and the list and the detail page both write a field's value
with it: `html(value, record, rendering)`, escaping whatever the appliance sent.
django-tables2 renders each cell through `inspect.signature`, template variables and a
`reverse()` per link, which took 250 ms for a CDR page of 50 rows.
"""

from collections.abc import Callable
from datetime import datetime
from html import escape
from urllib.parse import quote, urlencode
from uuid import UUID

import django_tables2 as tables
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Field, Model
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS

from .. import models
from ..logs import spec as kinds
from ..logs.spec import Explainer, LogSpec
from ..templatetags.console import hms, local_time

# A value no URL prefix of the console contains: a URL pattern is reversed once with it,
# and each row's value takes its place.
_SLOT = "9876543210"
# What reverse() leaves unquoted in a path: RFC 3986 `pchar`.
_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


class Rendering:
    """What the cells of one page share: the viewer's time zone and the reversed URLs.

    Each is looked up once: reverse() costs ~50 µs and a CDR page has 300 links. A URL
    with a value per row is reversed once with a placeholder, which each value, quoted as
    reverse() quotes it, replaces.
    """

    def __init__(self, *, show_secrets: bool = False) -> None:
        self.zone = timezone.get_current_timezone()
        # Administrators see secrets (activation tokens) whole; Support sees them masked.
        self.show_secrets = show_secrets
        self._reversed: dict[tuple[str, ...], str] = {}
        self._account_urls: dict[str, str] = {}

    def _reverse(self, viewname: str, *args: str) -> str:
        key = (viewname, *args)
        if key not in self._reversed:
            self._reversed[key] = reverse(viewname, args=args)
        return self._reversed[key]

    def _filled(self, viewname: str, *args: str, value: str) -> str:
        before, _, after = self._reverse(viewname, *args, _SLOT).partition(_SLOT)
        return f"{before}{value}{after}"

    def detail_url(self, log: str, pk: int) -> str:
        return self._filled("log_detail", log, value=str(pk))

    def account_url(self, username: str) -> str:
        """The account page of `username`, or "" when the name cannot be an account page.

        Names arrive as the appliance received them: a failed sign-in records whatever was
        typed, "/" included (the URL's `<str:username>` takes none), and the system's own
        `anonymousUser` is no account.
        """
        # A CDR links its caller's number and name to the same account, and accounts recur.
        if username not in self._account_urls:
            if not username or username == models.ANONYMOUS_PRINCIPAL or "/" in username:
                url = ""
            else:
                url = self._filled("account_detail", value=quote(username, safe=_PATH_SAFE))
            self._account_urls[username] = url
        return self._account_urls[username]

    def page_url(self, viewname: str, value: str) -> str:
        """The URL of page `viewname` for `value`, quoted as reverse() quotes it."""
        return self._filled(viewname, value=quote(value, safe=_PATH_SAFE))

    def list_url(self, log: str, **params: str | tuple[str, ...]) -> str:
        """The list of `log` filtered by `params`; a tuple repeats its parameter."""
        return f"{self._reverse('log_list', log)}?{urlencode(params, doseq=True)}"

    def local_time(self, moment: datetime) -> str:
        return local_time(moment, self.zone)


def _link(url: str, content: str) -> str:
    return f'<a href="{escape(url)}">{content}</a>' if url else content


class DateTimeColumn(tables.Column):
    """A date-time in the viewer's time zone."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(**kwargs)

    def html(self, value: datetime, record: Model, rendering: Rendering) -> str:
        return escape(rendering.local_time(value))


class TimestampColumn(DateTimeColumn):
    """The first column of every list: the record's time, linking to its detail page."""

    def __init__(self, *, log: str, **kwargs) -> None:
        self.log = log
        super().__init__(**kwargs)

    def html(self, value: datetime, record: Model, rendering: Rendering) -> str:
        time = super().html(value, record, rendering)
        return _link(rendering.detail_url(self.log, record.pk), time)


class AccountColumn(tables.Column):
    """An account's name or number, linking to its account page.

    `account_field` names the Account link ingest filled: the link follows the account it
    matched. Without one (an account not known yet), a username links to its own page
    when `by_username`; a number or a description links nowhere. (Not `link`:
    django-tables2 keeps its own link transform under that name.)
    """

    def __init__(self, *, account_field: str = "", by_username: bool = True, **kwargs) -> None:
        self.account_field = account_field
        self.by_username = by_username
        super().__init__(**kwargs)

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        account = getattr(record, self.account_field) if self.account_field else None
        if account is not None:
            url = rendering.account_url(account.username)
        else:
            url = rendering.account_url(value) if self.by_username else ""
        return _link(url, escape(value))


class ChoiceColumn(tables.Column):
    """An enumerated value, shown as the manual spells it, tagged for colouring by outcome;
    with `explain`, its tooltip says what the record means."""

    def __init__(self, *, explain: Explainer | None = None, **kwargs) -> None:
        self.explain = explain
        super().__init__(**kwargs)

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        title = f' title="{escape(self.explain(record))}"' if self.explain else ""
        return f'<span class="tag tag-{escape(value.lower())}"{title}>{escape(value)}</span>'


class DurationColumn(tables.Column):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}})
        super().__init__(**kwargs)

    def html(self, value: int, record: Model, rendering: Rendering) -> str:
        return hms(value)


class BooleanColumn(tables.BooleanColumn):
    """Yes or no as django-tables2 shows them: ✔ or ✘, classed `true` or `false`."""

    def html(self, value: bool, record: Model, rendering: Rendering) -> str:
        shown = str(bool(value)).lower()
        return f'<span class="{shown}">{escape(self.yesno[0 if value else 1])}</span>'


class SecretColumn(tables.Column):
    """A secret (an activation token): whole for administrators, else enough of it to tell
    it apart (its last 4 characters), not enough to use it."""

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        return escape(value if rendering.show_secrets else f"{'•' * 8}{value[-4:]}")


class ListLinkColumn(tables.Column):
    """A value linking to a list filtered by it (a call id to the call's legs); `tag`, a
    boolean field of the record, adds a tag named after it when true."""

    def __init__(self, *, log: str, param: str, tag: str = "", **kwargs) -> None:
        self.log, self.param, self.tag = log, param, tag
        super().__init__(**kwargs)

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        link = _link(rendering.list_url(self.log, **{self.param: value}), escape(value))
        if self.tag and getattr(record, self.tag):
            return f'{link} <span class="tag tag-{self.tag}">{escape(self.tag)}</span>'
        return link


class PageLinkColumn(tables.Column):
    """A value linking to a page of its own (a call id to the call's page)."""

    def __init__(self, *, view: str, **kwargs) -> None:
        self.view = view
        super().__init__(**kwargs)

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        url = rendering.page_url(self.view, value) if value and "/" not in value else ""
        return _link(url, escape(value))


class BlockColumn(tables.Column):
    """Free text kept as written (a CEF line): the detail page shows it preformatted."""

    block = True

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "cef"}})
        super().__init__(**kwargs)

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        return escape(str(value))


def _text_html(value, record: Model, rendering: Rendering) -> str:
    return escape(str(value))


def declared_column(spec: LogSpec, field: Field) -> kinds.Column:
    """The column `spec` declares for `field`, or, for a field only the detail page shows,
    one of the kind its type asks for."""
    if declared := spec.column(field.name):
        return declared
    if field.choices:
        return kinds.Column(field.name, kinds.CHOICE)
    if field.get_internal_type() == "DateTimeField":
        return kinds.Column(field.name, kinds.TIME)
    if field.get_internal_type() == "TextField":
        return kinds.Column(field.name, kinds.BLOCK)
    return kinds.Column(field.name)


def column_for(spec: LogSpec, declared: kinds.Column) -> tables.Column:
    """The django-tables2 column that shows `declared`, a column of log `spec`."""
    options = {}
    if declared.empty:
        options = {"empty_values": ("",), "default": declared.empty}
    match declared.kind:
        case kinds.TIMESTAMP:
            return TimestampColumn(log=spec.slug, **options)
        case kinds.TIME:
            return DateTimeColumn(**options)
        case kinds.ACCOUNT:
            link = next(
                (link for link in spec.account_links if link.link == declared.account), None
            )
            by_username = link is None or link.match == "username"
            return AccountColumn(account_field=declared.account, by_username=by_username, **options)
        case kinds.CHOICE:
            explain = spec.explain if declared.explained else None
            return ChoiceColumn(explain=explain, **options)
        case kinds.DURATION:
            return DurationColumn(**options)
        case kinds.BOOLEAN:
            return BooleanColumn(**options)
        case kinds.SECRET:
            return SecretColumn(**options)
        case kinds.LIST_LINK:
            log = declared.link_log or spec.slug
            return ListLinkColumn(log=log, param=declared.link_param, tag=declared.tag, **options)
        case kinds.PAGE_LINK:
            return PageLinkColumn(view=declared.link_view, **options)
        case kinds.BLOCK:
            return BlockColumn(**options)
        case kinds.TEXT:
            return tables.Column(**options)
    raise ImproperlyConfigured(
        f"Log {spec.slug!r}: column {declared.name!r} has no kind {declared.kind!r}."
    )


ValueWriter = Callable[[Model, Rendering], str | None]


def value_writer(declared: tables.Column, name: str, model: type[Model]) -> ValueWriter:
    """Write field `name` of a record with column `declared`: its HTML, or None when the
    value is empty. Everything that does not depend on the record (the field, its choice
    labels) is looked up once; the list writes a column's cells with it, the detail page
    a record's fields."""
    if hasattr(declared, "html"):
        content = declared.html
    elif type(declared) is tables.Column:
        content = _text_html
    else:
        raise ImproperlyConfigured(
            f"{type(declared).__name__} {name!r} of a log table has no html()."
        )
    field = model._meta.get_field(name)
    # Enumerations show their label, as get_FOO_display() would.
    labels = {value: str(label) for value, label in field.flatchoices}
    empty_values = declared.empty_values

    def write(record: Model, rendering: Rendering) -> str | None:
        value = getattr(record, field.attname)
        if labels:
            value = labels.get(value, value)
        if value in empty_values:
            return None
        return content(value, record, rendering)

    return write


# Values longer than this many characters are shortened in a list's cell, whole on hover
# (and on the detail page): UUIDs, CEF lines, long messages.
CLIP_LENGTH = 32


def _clipped(html: str, value) -> str:
    # Text only: dates, numbers and durations are written short whatever their value.
    if not isinstance(value, str | UUID) or len(text := str(value)) <= CLIP_LENGTH:
        return html
    return f'<span class="clip" title="{escape(text)}">{html}</span>'


def cell_writer(
    column: tables.columns.BoundColumn, model: type[Model], *, clip: bool = False
) -> Callable[[Model, Rendering], str]:
    """Write a column's `<td>` for a record; an empty value shows the column's default.
    With `clip`, a long value is shortened, whole in its tooltip; dates and durations are
    never long."""
    write = value_writer(column.column, column.accessor, model)
    attrs = column.attrs["td"].as_html()
    td = f"<td {attrs}>" if attrs else "<td>"
    empty = f"{td}{escape(str(column.default))}</td>"
    attname = model._meta.get_field(column.accessor).attname

    def cell(record: Model, rendering: Rendering) -> str:
        html = write(record, rendering)
        if html is None:
            return empty
        if clip:
            html = _clipped(html, getattr(record, attname))
        return f"{td}{html}</td>"

    return cell


def pair_writer(
    column: tables.columns.BoundColumn,
    under: tuple[tables.Column, str],
    model: type[Model],
) -> Callable[[Model, Rendering], str]:
    """Write a `<td>` holding a column's value and, under it, another's (a caller's name,
    then their number): either alone when the other is empty."""
    write = value_writer(column.column, column.accessor, model)
    other_column, other_name = under
    write_other = value_writer(other_column, other_name, model)
    attrs = column.attrs["td"].as_html()
    td = f'<td class="pair" {attrs}>' if attrs else '<td class="pair">'
    empty = f"{td}{escape(str(column.default))}</td>"

    def cell(record: Model, rendering: Rendering) -> str:
        first, second = write(record, rendering), write_other(record, rendering)
        if first is None and second is None:
            return empty
        if first is None or second is None:
            return f"{td}{first or second}</td>"
        return f"{td}{first}<small>{second}</small></td>"

    return cell
