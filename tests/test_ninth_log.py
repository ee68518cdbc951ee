"""A ninth log, declared by one module outside the console (tests/ninth_log), works with no
change to the console: its pages, export, ingest, Support's access, retention, Security
events naming it, and the system checks (issue 13)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import checks
from django.core.management import call_command

from logging_app import models
from logging_app.jobs import purge_logs
from logging_app.logs import LOGS
from logging_app.tokens import ingest_token_create
from tests.factories import make_account, make_voicemail_event, minimal_report
from tests.ninth_log import NINTH_LOG
from tests.ninth_log.models import VoicemailEvent
from tests.page import csv_rows, log_table, parse, record_fields

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LIST = "/logging/voicemail/"


def _detail(pk: int) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def token() -> str:
    _, plain = ingest_token_create(name="appliance")
    return plain


def _ingest(client, token: str, log: str, records: list[dict]):
    return client.post(
        f"/api/ingest/{log}/",
        json.dumps(records),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def _log_errors() -> list[str]:
    return [message.msg for message in checks.run_checks() if message.id.startswith("logs.")]


def test_it_is_not_registered_outside_its_tests(admin_client):
    assert "voicemail" not in LOGS
    assert admin_client.get(LIST).status_code == 404


def test_it_lists_the_ninth_log(admin_client, ninth_log):
    alice = make_account(username="alice")
    record = make_voicemail_event(account=alice, timestamp=T0, duration=75, heard=None)
    make_voicemail_event(action="DELETED", timestamp=T0 - timedelta(hours=1))

    response = admin_client.get(LIST)
    deleted = log_table(admin_client.get(LIST, {"action": "DELETED"}))

    table = log_table(response)
    assert response.status_code == 200
    assert table.headers == [
        "Timestamp",
        "Action",
        "Mailbox",
        "Caller number",
        "Duration",
        "First heard",
    ]
    first = table.rows[0]
    assert first[0].links == [_detail(record.pk)]
    assert [first[1].text, first[2].text, first[4].text, first[5].text] == [
        "LEFT",
        "alice",
        "0:01:15",
        "—",
    ]
    assert first[2].links == ["/accounts/alice/"]
    assert deleted.column("Action") == ["DELETED"]
    assert LIST in parse(response).find("nav").links


def test_it_shows_a_record_of_the_ninth_log(admin_client, ninth_log):
    record = make_voicemail_event(timestamp=T0, account_name="alice", caller_number="1001")

    response = admin_client.get(_detail(record.pk))

    assert response.status_code == 200
    assert record_fields(response) == {
        "Event id": str(record.event_id),
        "Timestamp": "2026-11-24 09:00:00",
        "Action": "LEFT",
        "Mailbox": "alice",
        "Caller number": "1001",
        "Duration": "0:00:42",
        "First heard": "2026-11-24 09:05:00",
    }


def test_it_exports_the_ninth_log_as_csv(admin_client, ninth_log):
    make_voicemail_event(timestamp=T0, account_name="alice", caller_number="1001", duration=9)

    response = admin_client.get(LIST, {"export": "csv"})

    assert response.status_code == 200
    assert 'filename="voicemail-' in response["Content-Disposition"]
    assert csv_rows(response) == [
        [
            "Timestamp (UTC)",
            "Action",
            "Mailbox",
            "Caller number",
            "Duration (seconds)",
            "First heard",
        ],
        ["2026-11-24T09:00:00+00:00", "LEFT", "alice", "1001", "9", "2026-11-24T09:05:00+00:00"],
    ]


def test_it_ingests_the_ninth_log(client, token, ninth_log):
    alice = make_account(username="alice")
    record = minimal_report(ninth_log, mailbox="alice", duration=31)

    first = _ingest(client, token, "voicemail", [record, minimal_report(ninth_log, action="KEPT")])
    again = _ingest(client, token, "voicemail", [record])

    assert first.status_code == 200
    assert first.json()["accepted"] == 1
    assert first.json()["rejected"] == [
        {"line": 2, "errors": {"action": ["not one of: LEFT, LISTENED, DELETED"]}}
    ]
    assert again.json()["duplicates"] == 1
    stored = VoicemailEvent.objects.get()
    assert (stored.account_name, stored.account, stored.duration) == ("alice", alice, 31)
    assert stored.timestamp == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_support_reads_the_ninth_log_once_migrate_has_run(support_client, ninth_log):
    record = make_voicemail_event()
    before = support_client.get(LIST)

    # What an operator runs after adding a log: post_migrate gives Support its permission.
    call_command("migrate", verbosity=0)

    assert before.status_code == 403
    assert support_client.get(LIST).status_code == 200
    assert support_client.get(_detail(record.pk)).status_code == 200


def test_retention_purges_the_ninth_log(settings, ninth_log):
    settings.RETENTION_DAYS = {"voicemail": 30}
    make_voicemail_event(timestamp=T0 - timedelta(days=31))
    kept = make_voicemail_event(timestamp=T0 - timedelta(days=29))

    result = purge_logs(now=T0)

    assert result.deleted["voicemail"] == 1
    assert list(VoicemailEvent.objects.all()) == [kept]


def test_a_security_event_names_the_ninth_log_as_its_source(admin_client, client, token, settings):
    # The Security log's ingest schema and filters, made before the ninth log was
    # registered, must not keep refusing it as a source.
    direct = minimal_report(LOGS["security"], source_log="appliance")
    assert _ingest(client, token, "security", [direct]).json()["accepted"] == 1
    assert admin_client.get("/logging/security/", {"source_log": "appliance"}).status_code == 200
    settings.CONSOLE_EXTRA_LOGS = [NINTH_LOG]
    source = make_voicemail_event()
    named = minimal_report(LOGS["security"], source_log="voicemail", source_id=source.pk)

    response = _ingest(client, token, "security", [named])
    stored = models.SecurityEvent.objects.get(source_log="voicemail")
    listed = admin_client.get("/logging/security/", {"source_log": "voicemail"})
    detail = admin_client.get(f"/logging/security/{stored.pk}/")

    assert response.json()["accepted"] == 1
    assert listed.status_code == 200
    assert log_table(listed).column("Source log") == ["Voicemail"]
    assert _detail(source.pk) in parse(detail).find("main").links


def test_the_account_page_and_the_overview_show_the_ninth_log(admin_client, ninth_log):
    alice = make_account(username="alice")
    make_voicemail_event(account=alice, action="LISTENED")

    account = parse(admin_client.get("/accounts/alice/")).find("table", cls="timeline")
    overview = admin_client.get("/")

    assert [row.find_all("td")[1].text for row in account.find("tbody").find_all("tr")] == [
        "Voicemail"
    ]
    assert any(link.startswith(f"{LIST}?since=") for link in parse(overview).find("main").links)


def test_the_system_checks_pass_with_the_ninth_log(ninth_log):
    assert _log_errors() == []


def test_the_system_checks_refuse_the_ninth_log_declared_wrongly(settings):
    settings.CONSOLE_EXTRA_LOGS = ["tests.ninth_log.broken"]

    assert _log_errors() == [
        "Log 'voicemail-broken': VoicemailEvent has no index on (heard, id).",
        "Log 'voicemail-broken': the column 'transcript' is no field of VoicemailEvent.",
    ]
