"""The system checks of the logs' specs: a log declared inconsistently is refused at start-up,
with a message naming the log and the field (logging_app/checks.py)."""

import sys
from dataclasses import replace
from types import ModuleType

import pytest
from django.core import checks

from logging_app.logs.spec import (
    ACCOUNT,
    TIMESTAMP,
    AccountLink,
    Aggregate,
    Column,
    LogSpec,
)
from tests.ninth_log.log import SPEC as NINTH
from tests.ninth_log.models import VoicemailEvent


@pytest.fixture
def register(settings, monkeypatch):
    """Registers a spec as the one log besides the console's, through a module of its own."""

    def register(spec: LogSpec) -> None:
        module = ModuleType("tests.ninth_log.declared")
        module.SPEC = spec
        monkeypatch.setitem(sys.modules, module.__name__, module)
        settings.CONSOLE_EXTRA_LOGS = [module.__name__]

    return register


def _log_errors() -> list[tuple[str, str]]:
    return [(m.id, m.msg) for m in checks.run_checks() if m.id.startswith("logs.")]


@pytest.mark.django_db  # Django's model checks ask the database about JSON fields
def test_it_finds_nothing_wrong_with_the_consoles_logs():
    assert _log_errors() == []


_COLUMNS = NINTH.columns


# Each way to declare the ninth log wrongly, the error it gives, and what the error says
# after "Log '<slug>': ".
BROKEN = {
    "E001-slug": (
        {"slug": "Voice_Mail"},
        "the slug must be lowercase words joined by '-'.",
    ),
    "E002-no-time-field": (
        {"time_field": "created"},
        "the time field 'created' does not exist.",
    ),
    "E003-time-not-a-date-time": (
        {"time_field": "caller_number", "columns": (Column("caller_number", TIMESTAMP),)},
        "the time field 'caller_number' is no DateTimeField.",
    ),
    "E004-no-time-index": (
        {"time_field": "heard", "columns": (Column("heard", TIMESTAMP), *_COLUMNS[1:])},
        "VoicemailEvent has no index on (heard, id).",
    ),
    "E005-column": (
        {"columns": (*_COLUMNS, Column("transcript"))},
        "the column 'transcript' is no field of VoicemailEvent.",
    ),
    "E005-filter": (
        {"filters": ("folder",)},
        "the filter 'folder' is no field of VoicemailEvent.",
    ),
    "E005-search-field": (
        {"search_fields": ("transcript",)},
        "the search field 'transcript' is no field of VoicemailEvent.",
    ),
    "E005-key-field": (
        {"key_field": "message_id"},
        "the key field 'message_id' is no field of VoicemailEvent.",
    ),
    "E005-account-link-source": (
        {"account_links": (AccountLink("owner_name", "account"),)},
        "the account link source 'owner_name' is no field of VoicemailEvent.",
    ),
    "E005-account-link": (
        {"account_links": (AccountLink("account_name", "owner"),)},
        "the account link 'owner' is no field of VoicemailEvent.",
    ),
    "E006-time-not-first": (
        {"columns": (_COLUMNS[1], _COLUMNS[0], *_COLUMNS[2:])},
        "the first column must be the time, 'timestamp'.",
    ),
    "E007-kind": (
        {"columns": (*_COLUMNS[:-1], Column("heard", "clock"))},
        "column 'heard': no kind 'clock'.",
    ),
    "E008-second-timestamp": (
        {"columns": (*_COLUMNS[:-1], Column("heard", TIMESTAMP))},
        "column 'heard' is not the time field.",
    ),
    "E009-account-column": (
        {"columns": (*_COLUMNS, Column("caller_number", ACCOUNT, account="caller"))},
        "column 'caller_number': 'caller' is no account link.",
    ),
    "E010-key-not-unique": (
        {"key_field": "account_name"},
        "the key field 'account_name' is not unique.",
    ),
    "E005-outcome-field": (
        {"outcome": ("verdict",)},
        "the outcome field 'verdict' is no field of VoicemailEvent.",
    ),
    "E013-aggregate-field": (
        {"aggregates": (Aggregate("replies", ("reply",), lambda rows, sign: None, lambda: 0),)},
        "the aggregate 'replies' reads 'reply', no field of VoicemailEvent.",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_it_refuses_a_spec_declared_wrongly(register, case):
    changes, message = BROKEN[case]
    register(replace(NINTH, **changes))
    log = changes.get("slug", NINTH.slug)
    error = f"logs.{case[:4]}"

    found = _log_errors()

    assert (error, f"Log {log!r}: {message}") in found
    # Every error names the log, and is the model's: `manage.py check` shows it under it.
    assert all(text.startswith(f"Log {log!r}: ") for _, text in found)
    assert {m.obj for m in checks.run_checks() if m.id == error} == {VoicemailEvent}


def test_it_refuses_a_retention_setting_that_names_no_log(settings):
    settings.RETENTION_DAYS = {"system": 30, "voicemail": 7, "web-session": 1}

    assert _log_errors() == [
        (
            "logs.E011",
            "RETENTION_DAYS_VOICEMAIL names no log; the logs are: security, system, "
            "web-sessions, cdr, sip-sessions, secure-messages, install-messages, "
            "activation-messages.",
        ),
        (
            "logs.E011",
            "RETENTION_DAYS_WEB_SESSION names no log; the logs are: security, system, "
            "web-sessions, cdr, sip-sessions, secure-messages, install-messages, "
            "activation-messages.",
        ),
    ]


def test_it_takes_the_retention_setting_of_a_log_registered_later(settings, register):
    settings.RETENTION_DAYS = {"voicemail": 7}

    register(NINTH)

    assert _log_errors() == []
