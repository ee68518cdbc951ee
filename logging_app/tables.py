"""The list tables: the manual's columns in the manual's order, one Table per log."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from . import models
from .templatetags.console import hms


def _account_url(username: str) -> str:
    return reverse("account_detail", args=[username])


def list_url(log: str, **params: str) -> str:
    return f"{reverse('log_list', args=[log])}?{urlencode(params)}"


class TimestampColumn(tables.DateTimeColumn):
    """The first column of every list: the record's time, linking to its detail page."""

    def __init__(self, log: str, **kwargs) -> None:
        self.log = log
        kwargs.setdefault("format", "Y-m-d H:i:s")
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(
            linkify=lambda record: reverse("log_detail", args=[self.log, record.pk]), **kwargs
        )


class AccountColumn(tables.Column):
    """An account name linking to its account page.

    `link` names the Account foreign key when the shown value is not the username itself
    (a CDR's caller description or number): the link then follows the matched account.
    """

    def __init__(self, *args, link: str | None = None, **kwargs) -> None:
        self.link = link
        super().__init__(*args, **kwargs)

    def render(self, value, record) -> str:
        if self.link is None:
            return format_html('<a href="{}">{}</a>', _account_url(value), value)
        account = getattr(record, self.link)
        if account is None:
            return value
        return format_html('<a href="{}">{}</a>', _account_url(account.username), value)


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
    caller_number = AccountColumn(link="caller_account")
    caller = AccountColumn(link="caller_account")
    callee_number = AccountColumn(link="callee_account")
    callee = AccountColumn(link="callee_account")
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
