"""The list tables: the manual's columns in the manual's order, one Table per log.

django-tables2 declares the columns, their headers and their sorting. The rows are written
by the table itself (`LogTable.rows_html`): django-tables2 renders each cell through
`inspect.signature`, template variables and a `reverse()` per link, which took 250 ms for a
CDR page of 50 rows. Here each column writes its cells with `html(value, record, rendering)`,
escaping whatever the appliance sent.
"""

from collections.abc import Callable
from datetime import datetime
from html import escape
from urllib.parse import quote, urlencode

import django_tables2 as tables
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe

from . import models
from .templatetags.console import hms, local_time

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

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
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

    def list_url(self, log: str, **params: str) -> str:
        return f"{self._reverse('log_list', log)}?{urlencode(params)}"

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

    def __init__(self, log: str, **kwargs) -> None:
        self.log = log
        super().__init__(**kwargs)

    def html(self, value: datetime, record: Model, rendering: Rendering) -> str:
        time = super().html(value, record, rendering)
        return _link(rendering.detail_url(self.log, record.pk), time)


class AccountColumn(tables.Column):
    """An account name linking to its account page.

    `account_field` names the Account foreign key when the shown value is not the username
    itself (a CDR's caller description or number): the link then follows the matched
    account. (Not `link`: django-tables2 keeps its own link transform under that name.)
    """

    def __init__(self, *args, account_field: str | None = None, **kwargs) -> None:
        self.account_field = account_field
        super().__init__(*args, **kwargs)

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        if self.account_field is None:
            url = rendering.account_url(value)
        else:
            account = getattr(record, self.account_field)
            url = rendering.account_url(account.username) if account is not None else ""
        return _link(url, escape(value))


class ChoiceColumn(tables.Column):
    """An enumerated value, shown as the manual spells it, tagged for colouring by outcome."""

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        return f'<span class="tag tag-{escape(value.lower())}">{escape(value)}</span>'


class DurationColumn(tables.Column):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def html(self, value: int, record: Model, rendering: Rendering) -> str:
        return hms(value)


class BooleanColumn(tables.BooleanColumn):
    """Yes or no as django-tables2 shows them: ✔ or ✘, classed `true` or `false`."""

    def html(self, value: bool, record: Model, rendering: Rendering) -> str:
        shown = str(bool(value)).lower()
        return f'<span class="{shown}">{escape(self.yesno[0 if value else 1])}</span>'


def _text_html(value, record: Model, rendering: Rendering) -> str:
    return escape(str(value))


CellWriter = Callable[[Model, Rendering], str]


def _cell_writer(column: tables.columns.BoundColumn, model: type[Model]) -> CellWriter:
    """Write a column's cell for a record: everything that does not depend on the record
    (field, choice labels, `<td>` attributes, default) is looked up once."""
    declared = column.column
    if hasattr(declared, "html"):
        content = declared.html
    elif type(declared) is tables.Column:
        content = _text_html
    else:
        raise ImproperlyConfigured(
            f"{type(declared).__name__} {column.name!r} of a log table has no html()."
        )
    field = model._meta.get_field(column.accessor)
    # Enumerations show their label, as get_FOO_display() would.
    labels = {value: str(label) for value, label in field.flatchoices}
    empty_values = declared.empty_values
    attrs = column.attrs["td"].as_html()
    td = f"<td {attrs}>" if attrs else "<td>"
    empty = f"{td}{escape(str(column.default))}</td>"

    def cell(record: Model, rendering: Rendering) -> str:
        value = getattr(record, field.attname)
        if labels:
            value = labels.get(value, value)
        if value in empty_values:
            return empty
        return f"{td}{content(value, record, rendering)}</td>"

    return cell


class LogTable(tables.Table):
    class Meta:
        attrs = {"class": "log-table"}
        empty_text = "No records match these filters."
        orderable = True

    def _set_order_by(self, value) -> None:
        tables.Table.order_by.fset(self, value)
        if self.order_by:
            # Sorting by a column replaces the queryset's ordering; end it with the primary
            # key again, or rows tied on that column could move between pages.
            tiebreak = "-pk" if self.order_by[0].is_descending else "pk"
            self.data.data = self.data.data.order_by(*self.data.data.query.order_by, tiebreak)

    order_by = property(tables.Table.order_by.fget, _set_order_by)

    def before_render(self, request: HttpRequest) -> None:
        # render_table's hook: the headers' sort links keep the page's query string.
        self._query = request.GET

    def headers_html(self) -> SafeString:
        """The `<th>` of each column, with django-tables2's attributes and sort links."""
        cells = []
        for column in self.columns:
            text = conditional_escape(column.header)
            if column.orderable:
                query = dict(self._query.lists())
                query[self.prefixed_order_by_field] = column.order_by_alias.next
                url = escape(f"?{urlencode(query, doseq=True)}")
                text = f'<a href="{url}">{text}</a>'
            cells.append(f"<th {column.attrs['th'].as_html()}>{text}</th>")
        return mark_safe("".join(cells))

    def rows_html(self) -> list[SafeString]:
        """The `<tr>` of each row of the page, every value escaped."""
        cells = [_cell_writer(column, self._meta.model) for column in self.columns]
        rendering = Rendering()
        rows = []
        for index, row in enumerate(self.paginated_rows):
            record = row.record
            html = "".join([cell(record, rendering) for cell in cells])
            rows.append(mark_safe(f'<tr class="{"odd" if index % 2 else "even"}">{html}</tr>'))
        return rows


class SecurityEventTable(LogTable):
    timestamp = TimestampColumn("security")
    source_log = tables.Column()
    details = tables.Column(attrs={"td": {"class": "cef"}})

    class Meta(LogTable.Meta):
        model = models.SecurityEvent
        fields = ("timestamp", "severity", "signature_id", "name", "source_log", "details")


class SystemEventTable(LogTable):
    timestamp = TimestampColumn("system")
    event_type = ChoiceColumn()
    level = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.SystemEvent
        fields = ("timestamp", "event_type", "level", "message", "details")


class WebSessionEventTable(LogTable):
    date_created = TimestampColumn("web-sessions")
    event_type = ChoiceColumn()
    principal = AccountColumn()

    class Meta(LogTable.Meta):
        model = models.WebSessionEvent
        fields = ("date_created", "event_type", "principal", "ip_address")


class CallIdColumn(tables.Column):
    """The call id, linking to every leg sharing it (3-way, conference, transfer)."""

    def html(self, value: str, record: Model, rendering: Rendering) -> str:
        return _link(rendering.list_url("cdr", call_id=value), escape(value))


class CallDetailRecordTable(LogTable):
    call_date = TimestampColumn("cdr")
    caller_number = AccountColumn(account_field="caller_account")
    caller = AccountColumn(account_field="caller_account")
    callee_number = AccountColumn(account_field="callee_account")
    callee = AccountColumn(account_field="callee_account")
    total_duration = DurationColumn()
    call_duration = DurationColumn()
    disposition = ChoiceColumn()
    hangup_cause = ChoiceColumn()
    call_id = CallIdColumn()
    call_type = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.CallDetailRecord
        fields = (
            "call_date",
            "caller_number",
            "caller",
            "caller_group",
            "callee_number",
            "callee",
            "callee_group",
            "total_duration",
            "call_duration",
            "disposition",
            "hangup_cause",
            "call_id",
            "call_type",
            "call_route",
        )


class SipUsernameColumn(tables.Column):
    """The username, linking to that account's SIP events; reconciled bindings say so."""

    def html(self, value: str, record: models.SipSessionEvent, rendering: Rendering) -> str:
        link = _link(rendering.list_url("sip-sessions", account=value), escape(value))
        if record.reconciled:
            return f'{link} <span class="tag tag-reconciled">reconciled</span>'
        return link


class SipSessionEventTable(LogTable):
    timestamp = TimestampColumn("sip-sessions")
    username = SipUsernameColumn(empty_values=("",), default="— unbound —")
    event = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.SipSessionEvent
        fields = ("timestamp", "username", "event", "details", "remote_address")


class SecureMessageTable(LogTable):
    received = TimestampColumn("secure-messages")
    tech_message = BooleanColumn()
    processed = DateTimeColumn()
    sender = AccountColumn()
    recipient = AccountColumn()
    status = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.SecureMessage
        fields = (
            "received",
            "uuid",
            "sender",
            "recipient",
            "tech_message",
            "api_version",
            "status",
            "send_attempts",
            "processed",
        )
        sequence = ("received", "...")


class InstallMessageTable(LogTable):
    timestamp = TimestampColumn("install-messages")
    account_name = AccountColumn()
    variant = ChoiceColumn()
    sent = BooleanColumn()
    message_type = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.InstallMessage
        fields = (
            "timestamp",
            "account_name",
            "platform",
            "variant",
            "sent",
            "sent_by",
            "recipient",
            "message_type",
        )


class ActivationMessageTable(LogTable):
    timestamp = TimestampColumn("activation-messages")
    consumed = BooleanColumn()
    account_name = AccountColumn()
    sent = BooleanColumn()
    message_type = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.ActivationMessage
        fields = (
            "timestamp",
            "consumed",
            "account_name",
            "sent",
            "sent_by",
            "recipient",
            "message_type",
        )
