"""The list tables: the manual's columns in the manual's order, one Table per log.

django-tables2 declares the columns, their headers and their sorting. The rows are written
by the table itself (`LogTable.rows_html`): django-tables2 renders each cell through
`inspect.signature`, template variables and a `reverse()` per link, which took 250 ms for a
CDR page of 50 rows. Here each column writes its cell with `html(value, record, links)`,
escaping whatever the appliance sent.
"""

from collections.abc import Callable
from datetime import datetime
from html import escape
from urllib.parse import quote, urlencode

import django_tables2 as tables
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe

from . import models
from .templatetags.console import hms

# The format of every date-time a page shows; the page states the time zone.
TIME_FORMAT = "Y-m-d H:i:s"

# A value no URL prefix of the console contains: a URL pattern is reversed once with it,
# and each row's value takes its place.
_SLOT = "9876543210"
# What reverse() leaves unquoted in a path: RFC 3986 `pchar`.
_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


class Links:
    """The URLs the rows of a page link to, each URL pattern reversed once.

    reverse() costs ~50 µs and a CDR page has 300 links; a pattern reversed with a
    placeholder and filled in per row gives the same URLs.
    """

    def __init__(self) -> None:
        self._patterns: dict[tuple[str, ...], tuple[str, str]] = {}

    def _filled(self, value: str, viewname: str, *args: str) -> str:
        key = (viewname, *args)
        if key not in self._patterns:
            before, after = reverse(viewname, args=[*args, _SLOT]).split(_SLOT)
            self._patterns[key] = (before, after)
        before, after = self._patterns[key]
        return f"{before}{quote(value, safe=_PATH_SAFE)}{after}"

    def detail(self, log: str, pk: int) -> str:
        return self._filled(str(pk), "log_detail", log)

    def account(self, username: str) -> str:
        """The account page of `username`, or "" when the name cannot be an account page.

        Names arrive as the appliance received them: a failed sign-in records whatever was
        typed, "/" included (the URL's `<str:username>` takes none), and the system's own
        `anonymousUser` is no account.
        """
        if not username or username == models.ANONYMOUS_PRINCIPAL or "/" in username:
            return ""
        return self._filled(username, "account_detail")

    def log_list(self, log: str, **params: str) -> str:
        return f"{self._filled(log, 'log_list')}?{urlencode(params)}"


def account_url(username: str) -> str:
    return Links().account(username)


def list_url(log: str, **params: str) -> str:
    return Links().log_list(log, **params)


def _link(url: str, content: str) -> str:
    return f'<a href="{escape(url)}">{content}</a>' if url else content


class DateTimeColumn(tables.Column):
    """A date-time in the viewer's time zone."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(**kwargs)

    def html(self, value: datetime, record: Model, links: Links) -> str:
        return escape(format_date(timezone.localtime(value), TIME_FORMAT))


class TimestampColumn(DateTimeColumn):
    """The first column of every list: the record's time, linking to its detail page."""

    def __init__(self, log: str, **kwargs) -> None:
        self.log = log
        super().__init__(**kwargs)

    def html(self, value: datetime, record: Model, links: Links) -> str:
        return _link(links.detail(self.log, record.pk), super().html(value, record, links))


class AccountColumn(tables.Column):
    """An account name linking to its account page.

    `account_field` names the Account foreign key when the shown value is not the username
    itself (a CDR's caller description or number): the link then follows the matched
    account. (Not `link`: django-tables2 keeps its own link transform under that name.)
    """

    def __init__(self, *args, account_field: str | None = None, **kwargs) -> None:
        self.account_field = account_field
        super().__init__(*args, **kwargs)

    def html(self, value: str, record: Model, links: Links) -> str:
        if self.account_field is None:
            url = links.account(value)
        else:
            account = getattr(record, self.account_field)
            url = links.account(account.username) if account is not None else ""
        return _link(url, escape(value))


class ChoiceColumn(tables.Column):
    """An enumerated value, shown as the manual spells it, tagged for colouring by outcome."""

    def html(self, value: str, record: Model, links: Links) -> str:
        return f'<span class="tag tag-{escape(value.lower())}">{escape(value)}</span>'


class DurationColumn(tables.Column):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def html(self, value: int, record: Model, links: Links) -> str:
        return hms(value)


class BooleanColumn(tables.BooleanColumn):
    def html(self, value: bool, record: Model, links: Links) -> str:
        shown = str(bool(value)).lower()
        return f'<span class="{shown}">{escape(self.yesno[0 if value else 1])}</span>'


def _text_html(value, record: Model, links: Links) -> str:
    return escape(str(value))


CellWriter = Callable[[Model, Links], str]


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

    def cell(record: Model, links: Links) -> str:
        value = getattr(record, field.attname)
        if labels:
            value = labels.get(value, value)
        if value in empty_values:
            return empty
        return f"{td}{content(value, record, links)}</td>"

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

    def rows_html(self) -> list[SafeString]:
        """The `<tr>` of each row of the page, every value escaped."""
        cells = [_cell_writer(column, self._meta.model) for column in self.columns]
        links = Links()
        return [
            mark_safe(
                f'<tr class="{"odd" if index % 2 else "even"}">'
                + "".join(cell(row.record, links) for cell in cells)
                + "</tr>"
            )
            for index, row in enumerate(self.paginated_rows)
        ]


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

    def html(self, value: str, record: Model, links: Links) -> str:
        return _link(links.log_list("cdr", call_id=value), escape(value))


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

    def html(self, value: str, record: models.SipSessionEvent, links: Links) -> str:
        link = _link(links.log_list("sip-sessions", account=value), escape(value))
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
