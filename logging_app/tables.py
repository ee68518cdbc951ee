"""The list tables: the manual's columns in the manual's order, one Table per log."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from . import models
from .templatetags.console import hms

# The format of every date-time a page shows; the page states the time zone.
TIME_FORMAT = "Y-m-d H:i:s"


def account_url(username: str) -> str:
    """The account page of `username`, or "" when the name cannot be an account page.

    Names arrive as the appliance received them: a failed sign-in records whatever was
    typed, "/" included, and the system's own `anonymousUser` is no account.
    """
    if not username or username == models.ANONYMOUS_PRINCIPAL:
        return ""
    try:
        return reverse("account_detail", args=[username])
    except NoReverseMatch:
        return ""


def list_url(log: str, **params: str) -> str:
    return f"{reverse('log_list', args=[log])}?{urlencode(params)}"


class TimestampColumn(tables.DateTimeColumn):
    """The first column of every list: the record's time, linking to its detail page."""

    def __init__(self, log: str, **kwargs) -> None:
        self.log = log
        kwargs.setdefault("format", TIME_FORMAT)
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(
            linkify=lambda record: reverse("log_detail", args=[self.log, record.pk]), **kwargs
        )


class AccountColumn(tables.Column):
    """An account name linking to its account page.

    `account_field` names the Account foreign key when the shown value is not the username
    itself (a CDR's caller description or number): the link then follows the matched
    account. (Not `link`: django-tables2 keeps its own link transform under that name.)
    """

    def __init__(self, *args, account_field: str | None = None, **kwargs) -> None:
        self.account_field = account_field
        super().__init__(*args, **kwargs)

    def render(self, value, record) -> str:
        if self.account_field is None:
            url = account_url(value)
        else:
            account = getattr(record, self.account_field)
            url = account_url(account.username) if account is not None else ""
        return format_html('<a href="{}">{}</a>', url, value) if url else value


class ChoiceColumn(tables.Column):
    """An enumerated value, shown as the manual spells it, tagged for colouring by outcome."""

    def render(self, value) -> str:
        return format_html('<span class="tag tag-{}">{}</span>', str(value).lower(), value)


class DurationColumn(tables.Column):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value: int) -> str:
        return hms(value)


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

    def render(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', list_url("cdr", call_id=value), value)


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

    def render(self, value: str, record: models.SipSessionEvent) -> str:
        link = format_html('<a href="{}">{}</a>', list_url("sip-sessions", account=value), value)
        if record.reconciled:
            return format_html('{} <span class="tag tag-reconciled">reconciled</span>', link)
        return link

    def value(self, value: str) -> str:
        return value


class SipSessionEventTable(LogTable):
    timestamp = TimestampColumn("sip-sessions")
    username = SipUsernameColumn(empty_values=("",), default="— unbound —")
    event = ChoiceColumn()

    class Meta(LogTable.Meta):
        model = models.SipSessionEvent
        fields = ("timestamp", "username", "event", "details", "remote_address")


class SecureMessageTable(LogTable):
    received = TimestampColumn("secure-messages")
    processed = tables.DateTimeColumn(format=TIME_FORMAT, attrs={"td": {"class": "nowrap"}})
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
    account_name = AccountColumn()
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
