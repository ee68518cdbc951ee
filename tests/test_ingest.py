"""The ingest service: validation, idempotency, updates in place, policies and linking."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from logging_app import ingest, models
from logging_app.ingest import INGEST_LOGS, IngestResult, ingest_lines, ingest_records
from tests.factories import cdr_report as _cdr
from tests.factories import secure_message_report as _message

pytestmark = pytest.mark.django_db


def _activation(**overrides) -> dict:
    record = {
        "event_id": str(uuid.uuid4()),
        "timestamp": "2026-11-24T11:05:00Z",
        "account": "alice",
        "sent": True,
        "sent_by": "admin",
        "recipient": "+393331234567",
        "message_type": "SMS",
    }
    return record | overrides


def _web_session(**overrides) -> dict:
    record = {
        "event_id": str(uuid.uuid4()),
        "date_created": "2026-11-24T08:30:12+01:00",
        "event_type": "SUCCESS",
        "principal": "alice",
        "ip_address": "198.51.100.20",
    }
    return record | overrides


def _security(**overrides) -> dict:
    record = {
        "event_id": str(uuid.uuid4()),
        "timestamp": "2026-11-24T08:00:00Z",
        "severity": 7,
        "signature_id": "SIP-401",
        "name": "Repeated SIP authentication failure",
        "source_log": "appliance",
        "details": "CEF:0|Vendor|Secure Voice|14.1|SIP-401|Repeated failure|7|suser=alice",
    }
    return record | overrides


def _sip(**overrides) -> dict:
    record = {
        "event_id": str(uuid.uuid4()),
        "timestamp": "2026-11-24T07:59:58Z",
        "username": "alice",
        "event": "REGISTER",
        "remote_address": "203.0.113.10:52144",
    }
    return record | overrides


def _system_event(**overrides) -> dict:
    record = {
        "event_id": str(uuid.uuid4()),
        "timestamp": "2026-11-24T03:00:00Z",
        "event_type": "BACKUP",
        "message": "Nightly backup completed",
    }
    return record | overrides


def _account(username: str, **overrides) -> models.Account:
    return models.Account.objects.create(username=username, **overrides)


def _errors(log: str, record: object) -> dict:
    result = ingest_records(log=log, records=[record])
    assert result.accepted == 0
    assert len(result.rejected) == 1
    return result.rejected[0]["errors"]


# --- Batches, replays and duplicates --------------------------------------------------------


def test_it_stores_a_large_batch_and_reports_its_one_malformed_record(
    django_assert_max_num_queries,
):
    records = [_cdr(call_id=str(n)) for n in range(10_000)]
    records[6000]["total_duration"] = -5

    # Bulk: a few queries per thousand records, never one per record.
    with django_assert_max_num_queries(60):
        result = ingest_records(log="cdr", records=records)

    assert result.accepted == 9_999
    assert result.rejected == [
        {"line": 6001, "errors": {"total_duration": ["must be a whole number ≥ 0"]}}
    ]
    assert models.CallDetailRecord.objects.count() == 9_999
    assert not models.CallDetailRecord.objects.filter(call_id="6000").exists()


def test_it_stores_nothing_twice_when_a_batch_is_replayed():
    batch = [_cdr(call_id=str(n)) for n in range(1500)]
    ingest_records(log="cdr", records=batch)

    result = ingest_records(log="cdr", records=batch)

    assert result.as_dict() == {
        "accepted": 0,
        "updated": 0,
        "duplicates": 1500,
        "discarded": 0,
        "rejected": [],
    }
    assert models.CallDetailRecord.objects.count() == 1500


def test_it_counts_a_repeated_record_within_one_batch_as_a_duplicate():
    record = _sip()

    result = ingest_records(log="sip-sessions", records=[record, _sip(), record])

    assert (result.accepted, result.duplicates) == (2, 1)
    assert models.SipSessionEvent.objects.count() == 2


def test_it_numbers_lines_from_first_line():
    result = ingest_records(log="cdr", records=[_cdr(), "x"], first_line=101)

    assert [entry["line"] for entry in result.rejected] == [102]


def test_it_merges_results_of_batches():
    total = IngestResult(accepted=1, rejected=[{"line": 1, "errors": {}}])

    total.merge(IngestResult(accepted=2, updated=1, duplicates=3, discarded=4))

    assert total.as_dict() == {
        "accepted": 3,
        "updated": 1,
        "duplicates": 3,
        "discarded": 4,
        "rejected": [{"line": 1, "errors": {}}],
    }


def test_it_refuses_an_unknown_log():
    with pytest.raises(ValueError, match="cdr"):
        ingest_records(log="nope", records=[])


def test_it_knows_every_log_and_accounts():
    assert set(INGEST_LOGS) == {
        "security",
        "system",
        "web-sessions",
        "cdr",
        "sip-sessions",
        "secure-messages",
        "install-messages",
        "activation-messages",
        "accounts",
    }


# --- NDJSON lines ---------------------------------------------------------------------------


def test_it_reports_bad_json_lines_by_number_and_skips_blank_ones():
    lines = [json.dumps(_cdr()), "", "{not json", json.dumps(_cdr(disposition="MAYBE")), "  "]

    result = ingest_lines(log="cdr", lines=lines, first_line=10)

    assert result.accepted == 1
    assert [entry["line"] for entry in result.rejected] == [12, 13]
    assert result.rejected[0]["errors"]["record"][0].startswith("not valid JSON")
    assert "disposition" in result.rejected[1]["errors"]


# --- Updates in place -----------------------------------------------------------------------


def test_it_updates_a_secure_message_and_never_moves_its_status_back():
    queued = _message(send_attempts=0)
    ingest_records(log="secure-messages", records=[queued])

    delivered = queued | {
        "status": "DELIVERED",
        "send_attempts": 2,
        "processed": "2026-11-24T10:00:03Z",
    }
    first = ingest_records(log="secure-messages", records=[delivered])
    late = ingest_records(log="secure-messages", records=[queued | {"send_attempts": 1}])

    assert (first.accepted, first.updated, first.duplicates) == (0, 1, 0)
    assert (late.accepted, late.updated, late.duplicates) == (0, 0, 1)
    message = models.SecureMessage.objects.get()
    assert message.status == "DELIVERED"
    assert message.send_attempts == 2
    assert message.processed == datetime(2026, 11, 24, 10, 0, 3, tzinfo=UTC)


def test_it_keeps_a_final_status_against_another_final_one():
    message = _message()
    ingest_records(log="secure-messages", records=[message | {"status": "EXPIRED"}])

    result = ingest_records(log="secure-messages", records=[message | {"status": "DELIVERED"}])

    assert result.duplicates == 1
    assert models.SecureMessage.objects.get().status == "EXPIRED"


def test_it_folds_reports_of_one_message_within_a_batch():
    queued = _message()
    delivered = queued | {"status": "DELIVERED", "send_attempts": 1}

    result = ingest_records(log="secure-messages", records=[queued, delivered, queued])

    assert (result.accepted, result.updated, result.duplicates) == (1, 1, 1)
    assert models.SecureMessage.objects.get().status == "DELIVERED"


def test_it_marks_an_activation_consumed_and_never_unconsumes_it():
    sent = _activation(consumed=False)
    ingest_records(log="activation-messages", records=[sent])

    consumed = ingest_records(log="activation-messages", records=[sent | {"consumed": True}])
    replayed = ingest_records(log="activation-messages", records=[sent])

    assert (consumed.updated, consumed.duplicates) == (1, 0)
    assert (replayed.updated, replayed.duplicates) == (0, 1)
    assert models.ActivationMessage.objects.get().consumed is True


@pytest.mark.parametrize(
    ("size", "status"),
    [(0, "INVALID_PAYLOAD"), (601, "INVALID_PAYLOAD"), (600, "ENQUEUED"), (1, "ENQUEUED")],
)
def test_it_stores_a_bad_payload_size_as_invalid_payload(size, status):
    ingest_records(log="secure-messages", records=[_message(payload_size=size)])

    assert models.SecureMessage.objects.get().status == status


def test_it_marks_a_delivered_report_with_a_bad_payload_invalid_too():
    ingest_records(log="secure-messages", records=[_message(status="DELIVERED", payload_size=0)])

    assert models.SecureMessage.objects.get().status == "INVALID_PAYLOAD"


# --- The CDR privacy policy -----------------------------------------------------------------


def test_it_discards_direct_calls_under_no_cdr_and_keeps_conferences():
    models.CdrPolicy.objects.update_or_create(id=1, defaults={"duration": 0})
    batch = [_cdr(call_type=call_type) for call_type in ("CALL", "TRANSFER", "CONFERENCE", "3-WAY")]

    result = ingest_records(log="cdr", records=batch)

    assert (result.accepted, result.discarded, result.duplicates) == (2, 2, 0)
    assert set(models.CallDetailRecord.objects.values_list("call_type", flat=True)) == {
        "CONFERENCE",
        "3-WAY",
    }


def test_it_keeps_direct_calls_under_a_retention_period():
    models.CdrPolicy.objects.update_or_create(id=1, defaults={"duration": 3, "period": "DAY"})

    result = ingest_records(log="cdr", records=[_cdr(call_type="CALL")])

    assert (result.accepted, result.discarded) == (1, 0)


# --- Account linking ------------------------------------------------------------------------


def test_it_links_names_and_cdr_numbers_to_accounts():
    alice = _account("alice", virtual_number="+390612340001")
    bruno = _account("bruno", virtual_number="+390612340002")

    ingest_records(log="cdr", records=[_cdr()])
    ingest_records(log="secure-messages", records=[_message()])
    ingest_records(log="activation-messages", records=[_activation()])
    ingest_records(log="web-sessions", records=[_web_session(principal="bruno")])

    call = models.CallDetailRecord.objects.get()
    assert (call.caller_account, call.callee_account) == (alice, bruno)
    message = models.SecureMessage.objects.get()
    assert (message.sender_account, message.recipient_account) == (alice, bruno)
    assert models.ActivationMessage.objects.get().account == alice
    assert models.WebSessionEvent.objects.get().account == bruno


def test_it_keeps_unknown_names_as_text_without_a_link():
    ingest_records(log="activation-messages", records=[_activation(account="nobody")])
    ingest_records(log="sip-sessions", records=[_sip(username="", event="CONNECT")])

    activation = models.ActivationMessage.objects.get()
    assert (activation.account_name, activation.account) == ("nobody", None)
    assert models.SipSessionEvent.objects.get().account is None


def test_it_links_older_rows_when_their_account_arrives():
    ingest_records(log="cdr", records=[_cdr(), _cdr(caller_number="+390600000000")])
    ingest_records(log="activation-messages", records=[_activation()])
    ingest_records(log="security", records=[_security(account="alice")])

    result = ingest_records(
        log="accounts",
        records=[{"username": "alice", "virtual_number": "+390612340001", "group": "Sales"}],
    )

    alice = models.Account.objects.get(username="alice")
    assert result.accepted == 1
    assert models.CallDetailRecord.objects.filter(caller_account=alice).count() == 1
    assert models.CallDetailRecord.objects.filter(caller_account=None).count() == 1
    assert models.ActivationMessage.objects.get().account == alice
    assert models.SecurityEvent.objects.get().account == alice


def test_it_does_not_relink_rows_already_linked():
    first = _account("alice")
    ingest_records(log="activation-messages", records=[_activation()])
    first.username = "alice.old"
    first.save()

    ingest_records(log="accounts", records=[{"username": "alice"}])

    assert models.ActivationMessage.objects.get().account == first


# --- Accounts -------------------------------------------------------------------------------


def test_it_creates_and_updates_accounts_by_username():
    created = ingest_records(
        log="accounts",
        records=[
            {"username": "alice", "description": "Alice", "virtual_number": "1", "group": "Sales"},
            {"username": "bruno", "group": "Sales"},
        ],
    )
    updated = ingest_records(
        log="accounts",
        records=[
            {"username": "alice", "description": "Alice Rossi", "group": "Support"},
            {"username": "bruno", "group": "Sales"},
        ],
    )

    assert (created.accepted, created.updated, created.duplicates) == (2, 0, 0)
    assert (updated.accepted, updated.updated, updated.duplicates) == (0, 1, 1)
    alice = models.Account.objects.get(username="alice")
    # A field left out of the report is left as it was.
    assert (alice.description, alice.virtual_number, alice.group.name) == (
        "Alice Rossi",
        "1",
        "Support",
    )
    assert set(models.AccountGroup.objects.values_list("name", flat=True)) == {"Sales", "Support"}


@pytest.mark.parametrize("group", [None, ""])
def test_it_clears_an_account_group(group):
    ingest_records(log="accounts", records=[{"username": "alice", "group": "Sales"}])

    result = ingest_records(log="accounts", records=[{"username": "alice", "group": group}])

    assert result.updated == 1
    assert models.Account.objects.get().group is None


def test_it_rejects_an_account_without_username():
    assert _errors("accounts", {"description": "x"}) == {"username": ["required"]}


# --- SIEM rewriting -------------------------------------------------------------------------


def test_it_rewrites_security_relevant_events_once():
    alice = _account("alice")
    record = _web_session(event_type="FAIL_BAD_CREDENTIALS")

    ingest_records(log="web-sessions", records=[record, _web_session(event_type="SUCCESS")])
    ingest_records(log="web-sessions", records=[record])

    failure = models.WebSessionEvent.objects.get(event_type="FAIL_BAD_CREDENTIALS")
    event = models.SecurityEvent.objects.get(signature_id="WEB-201")
    assert (event.source_log, event.source_id, event.account) == ("web-sessions", failure.pk, alice)
    assert event.details.startswith("CEF:0|")
    assert models.SecurityEvent.objects.count() == 2


def test_it_rewrites_a_message_when_an_update_makes_it_security_relevant():
    queued = _message()
    ingest_records(log="secure-messages", records=[queued])
    assert not models.SecurityEvent.objects.exists()

    ingest_records(log="secure-messages", records=[queued | {"status": "EXPIRED"}])
    ingest_records(log="secure-messages", records=[queued | {"status": "EXPIRED"}])

    assert list(models.SecurityEvent.objects.values_list("signature_id", flat=True)) == ["MSG-300"]


# --- Per-field errors -----------------------------------------------------------------------

NOT_A_DATETIME = "must be an ISO 8601 date-time with offset"
UNSTORABLE = "must not contain NUL or unpaired surrogate characters"
NOT_AN_IP = "must be an IPv4 or IPv6 address (without a %zone)"
OUT_OF_RANGE = "must be from 1970-01-01 to 2099-12-31 (UTC)"
ONE_LINE = "must be one line of text, without control characters"


@pytest.mark.parametrize(
    ("log", "record", "errors"),
    [
        (
            "cdr",
            _cdr(disposition="MAYBE"),
            {"disposition": ["not one of: ANSWERED, NO_ANSWER, BUSY, FAILED, CANCEL"]},
        ),
        ("cdr", _cdr(call_date="2026-11-24T09:15:00"), {"call_date": [NOT_A_DATETIME]}),
        ("cdr", _cdr(call_date="yesterday"), {"call_date": [NOT_A_DATETIME]}),
        ("cdr", _cdr(call_duration=-1), {"call_duration": ["must be a whole number ≥ 0"]}),
        ("cdr", _cdr(call_duration=1.5), {"call_duration": ["must be a whole number ≥ 0"]}),
        ("cdr", _cdr(call_duration=True), {"call_duration": ["must be a whole number ≥ 0"]}),
        ("cdr", _cdr(call_duration="80"), {"call_duration": ["must be a whole number ≥ 0"]}),
        ("cdr", _cdr(call_duration=2**31), {"call_duration": ["must be at most 2147483647"]}),
        ("cdr", _cdr(colour="red"), {"colour": ["unknown field"]}),
        ("cdr", _cdr(caller_account=1), {"caller_account": ["unknown field"]}),
        ("cdr", _cdr(id=5), {"id": ["unknown field"]}),
        ("cdr", _cdr(caller_number=None), {"caller_number": ["required"]}),
        ("cdr", _cdr(caller_number=""), {"caller_number": ["must not be empty"]}),
        ("cdr", _cdr(caller_number=123), {"caller_number": ["must be a string"]}),
        ("cdr", _cdr(caller_number="1" * 33), {"caller_number": ["must be at most 32 characters"]}),
        ("cdr", _cdr(caller="a\x00b"), {"caller": [UNSTORABLE]}),
        ("cdr", _cdr(caller="\ud800"), {"caller": [UNSTORABLE]}),
        ("cdr", _cdr(event_id="not-a-uuid"), {"event_id": ["must be a UUID"]}),
        ("security", _security(severity=11), {"severity": ["must be a whole number from 0 to 10"]}),
        ("security", _security(severity=-1), {"severity": ["must be a whole number from 0 to 10"]}),
        ("security", _security(account_name="alice"), {"account_name": ["unknown field"]}),
        ("security", _security(name="sign-in\nCEF:0|forged"), {"name": [ONE_LINE]}),
        ("security", _security(signature_id="X-1\r"), {"signature_id": [ONE_LINE]}),
        ("security", _security(details="x" * 65_537), {"details": ["must be at most 65536 characters"]}),  # noqa: E501
        ("cdr", _cdr(caller="Olga\tB."), {"caller": [ONE_LINE]}),
        ("sip-sessions", _sip(reconciled=True), {"reconciled": ["unknown field"]}),
        ("web-sessions", _web_session(ip_address="300.1.1.1"), {"ip_address": [NOT_AN_IP]}),
        ("web-sessions", _web_session(ip_address="fe80::1%eth0"), {"ip_address": [NOT_AN_IP]}),
        ("system", _system_event(timestamp="9999-12-31T23:59:59Z"), {"timestamp": [OUT_OF_RANGE]}),
        ("system", _system_event(timestamp="0001-01-01T00:00:00Z"), {"timestamp": [OUT_OF_RANGE]}),
        ("system", _system_event(timestamp="1969-12-31T23:59:59Z"), {"timestamp": [OUT_OF_RANGE]}),
        ("system", _system_event(timestamp="2100-01-01T00:00:00Z"), {"timestamp": [OUT_OF_RANGE]}),
        ("system", _system_event(timestamp="9999-12-31T23:59:59-01:00"), {"timestamp": [OUT_OF_RANGE]}),  # noqa: E501
        ("cdr", _cdr(call_date="0001-01-01T00:00:00+01:00"), {"call_date": [OUT_OF_RANGE]}),
        ("secure-messages", _message(sender="alice"), {"sender": ["unknown field"]}),
        ("secure-messages", _message(tech_message=1), {"tech_message": ["must be true or false"]}),
        ("activation-messages", _activation(sent="yes"), {"sent": ["must be true or false"]}),
    ],
)  # fmt: skip
def test_it_reports_what_is_wrong_with_each_field(log, record, errors):
    assert _errors(log, record) == errors


def test_it_reports_every_missing_required_field():
    errors = _errors("cdr", {"event_id": str(uuid.uuid4())})

    assert set(errors) == {
        "call_date",
        "caller_number",
        "callee_number",
        "total_duration",
        "call_duration",
        "disposition",
        "hangup_cause",
        "call_id",
        "call_type",
    }
    assert all(messages == ["required"] for messages in errors.values())


def test_it_requires_the_event_id_although_the_model_has_a_default():
    record = _cdr()
    del record["event_id"]

    assert _errors("cdr", record) == {"event_id": ["required"]}


def test_it_requires_a_secure_message_uuid_and_no_event_id():
    record = _message(event_id=str(uuid.uuid4()))
    del record["uuid"]

    assert _errors("secure-messages", record) == {
        "event_id": ["unknown field"],
        "uuid": ["required"],
    }


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ([1, 2], "must be a JSON object, not an array"),
        ("text", "must be a JSON object, not a string"),
        (3, "must be a JSON object, not a number"),
        (None, "must be a JSON object, not null"),
    ],
)
def test_it_rejects_records_that_are_not_objects(record, reason):
    result = ingest_records(log="cdr", records=[_cdr(), record, _cdr()])

    assert result.accepted == 2
    assert result.rejected == [{"line": 2, "errors": {"record": [reason]}}]


def test_it_takes_optional_fields_as_null_or_absent():
    record = _cdr(caller=None)
    del record["call_route"]
    ingest_records(log="cdr", records=[record])
    ingest_records(log="system", records=[_system_event(level=None)])

    call = models.CallDetailRecord.objects.get()
    assert (call.caller, call.call_route) == ("", "")
    assert models.SystemEvent.objects.get().level == "INFO"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("1970-01-01T01:00:00+01:00", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2099-12-31T23:59:59.999999Z", datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-11-24T09:15:00+23:59", datetime(2026, 11, 23, 9, 16, tzinfo=UTC)),
    ],
)
def test_it_stores_date_times_at_the_ends_of_its_range(sent, stored):
    result = ingest_records(log="system", records=[_system_event(timestamp=sent)])

    assert result.accepted == 1
    assert models.SystemEvent.objects.get().timestamp == stored


def test_it_stores_date_times_at_their_instant():
    ingest_records(log="cdr", records=[_cdr(call_date="2026-11-24T09:15:00+01:00")])

    assert models.CallDetailRecord.objects.get().call_date == datetime(
        2026, 11, 24, 8, 15, tzinfo=UTC
    )


# --- Properties -----------------------------------------------------------------------------

_NASTY = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "",
        "2026-11-24T09:15:00+01:00",
        "2026-11-24T09:15:00+23:59",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-11-24",
        "fe80::1%eth0",
        "::ffff:192.0.2.1",
        "5d0f3d1e-8f55-4b5e-a0b4-6f1b1e0c0a01",
        "CALL",
        "ENQUEUED",
        2**31,
        2**63,
        -1,
        0,
        600,
        True,
        1.0,
        float("nan"),
    ]
)
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | _NASTY
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_WIRE_NAMES = [
    "event_id", "uuid", "timestamp", "call_date", "date_created", "received", "processed",
    "severity", "total_duration", "call_duration", "send_attempts", "payload_size",
    "disposition", "status", "event_type", "event", "consumed", "sent", "tech_message",
    "ip_address", "username", "from", "to", "account", "group", "principal", "call_type",
    "caller_number", "remote_address", "signature_id", "name", "source_log", "details",
    "message", "level", "sent_by", "recipient", "message_type", "variant", "platform",
]  # fmt: skip
_RECORDS = st.lists(
    _JSON | st.dictionaries(st.sampled_from(_WIRE_NAMES), _SCALARS, max_size=12), max_size=6
)


@settings(max_examples=150, deadline=None)
@given(log=st.sampled_from(INGEST_LOGS), records=_RECORDS)
def test_it_never_raises_on_any_json_values(log, records):
    result = ingest_records(log=log, records=records)

    counted = result.accepted + result.updated + result.duplicates + result.discarded
    assert counted + len(result.rejected) == len(records)
    assert all(1 <= entry["line"] <= len(records) for entry in result.rejected)


# Mostly kept, so that whole records get through as well as broken ones.
_FIELD_FATE = st.sampled_from(["keep"] * 8 + ["drop", "replace"])


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_it_stores_a_record_whole_or_not_at_all(data):
    record = {}
    for key, value in _cdr(event_id=str(uuid.uuid4())).items():
        match data.draw(_FIELD_FATE, label=key):
            case "keep":
                record[key] = value
            case "replace":
                record[key] = data.draw(_SCALARS, label=f"{key} value")
    before = models.CallDetailRecord.objects.count()

    result = ingest_records(log="cdr", records=[record])

    after = models.CallDetailRecord.objects.count()
    if result.rejected or result.duplicates:
        # Refused, or a replay of an event id an earlier example stored (the drawn values
        # include a fixed UUID): nothing stored either way.
        assert result.accepted == 0
        assert after == before
        return
    assert (result.accepted, after) == (1, before + 1)
    row = models.CallDetailRecord.objects.get(event_id=record["event_id"])
    for key, value in record.items():
        stored = getattr(row, key)
        if key == "call_date":
            assert stored == datetime.fromisoformat(value)
        elif key == "event_id":
            assert stored == uuid.UUID(value)
        else:
            assert stored == ("" if value is None else value)


# --- The COPY path of large batches on PostgreSQL -------------------------------------------


def _numbered_web_session(n: int, *, prefix: str = "") -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "date_created": f"2026-11-24T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "event_type": ["SUCCESS", "FAIL_BAD_CREDENTIALS", "LOGOUT"][n % 3],
        "principal": prefix + ["alice", "bruno", "nobody"][n % 3],
        "ip_address": f"203.0.113.{n % 250}" if n % 7 else "",
    }


def _stored_web_sessions(batch: str) -> list[tuple]:
    rows = (
        models.WebSessionEvent.objects.filter(principal__startswith=batch)
        .select_related("account")
        .order_by("date_created", "principal")
    )
    return [
        (
            r.date_created,
            r.event_type,
            r.principal.removeprefix(batch),
            r.ip_address,
            r.account.username.removeprefix(batch) if r.account else None,
        )
        for r in rows
    ]


def test_it_stores_a_large_batch_by_copy_as_bulk_create_would(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's bulk path")
    for batch in ("copy-", "insert-"):
        models.Account.objects.create(username=f"{batch}alice")
        models.Account.objects.create(username=f"{batch}bruno")

    def records(batch: str) -> list[dict]:
        return [_numbered_web_session(n, prefix=batch) for n in range(5000)]

    copied = records("copy-")
    with CaptureQueriesContext(connection) as queries:
        by_copy = ingest_records(log="web-sessions", records=copied)
    monkeypatch.setattr(ingest.store, "COPY_MIN_ROWS", 10**9)
    by_insert = ingest_records(log="web-sessions", records=records("insert-"))
    replay = ingest_records(log="web-sessions", records=copied[:1500])

    sql = [q["sql"] for q in queries.captured_queries]
    # The ids come from the sequence in one query; the rows go by COPY (which the
    # captured queries do not show), never by INSERT.
    assert (
        sum("nextval(pg_get_serial_sequence('\"logging_app_websessionevent\"'" in s for s in sql)
        == 1
    )
    assert not [s for s in sql if s.startswith('INSERT INTO "logging_app_websessionevent"')]
    assert by_copy.as_dict() == by_insert.as_dict()
    assert by_copy.accepted == 5000
    assert replay.duplicates == 1500
    assert _stored_web_sessions("copy-") == _stored_web_sessions("insert-")
    # Failed sign-ins became Security events pointing at their rows, each queued once.
    events = models.SecurityEvent.objects.filter(account_name="copy-bruno")
    assert events.count() == 1667
    sources = set(events.values_list("source_id", flat=True))
    assert sources == set(
        models.WebSessionEvent.objects.filter(principal="copy-bruno").values_list("id", flat=True)
    )
    assert models.SiemOutbox.objects.filter(security_event__in=events).count() == 1667
    assert all(e.account is not None for e in events[:10])


@pytest.mark.parametrize("size", [10, 1500], ids=["insert", "copy"])
def test_one_bad_address_never_blocks_its_neighbours(size):
    # 1,500 records take PostgreSQL's COPY path: both paths refuse the same record.
    records = [_numbered_web_session(n, prefix="scoped-") for n in range(size)]
    records[3]["ip_address"] = "fe80::1%eth0"
    records[4]["ip_address"] = "fe80::1"

    result = ingest_records(log="web-sessions", records=records)

    assert result.accepted == size - 1
    assert result.rejected == [{"line": 4, "errors": {"ip_address": [NOT_AN_IP]}}]
    stored = models.WebSessionEvent.objects.filter(principal__startswith="scoped-")
    assert stored.count() == size - 1
    assert stored.filter(ip_address="fe80::1").count() == 1


def test_a_large_batch_holding_stored_keys_stores_only_its_new_records():
    # On PostgreSQL the batch is first copied as all new, and the key's unique index
    # turns that down: it is then stored again, with its keys looked up.
    records = [_numbered_web_session(n, prefix="mixed-") for n in range(1500)]
    ingest_records(log="web-sessions", records=records[:600])
    batch = [*records, records[0], {"event_id": "not a uuid"}]

    result = ingest_records(log="web-sessions", records=batch)

    assert (result.accepted, result.duplicates) == (900, 601)
    assert [entry["line"] for entry in result.rejected] == [1502]
    stored = models.WebSessionEvent.objects.filter(principal__startswith="mixed-")
    assert stored.count() == 1500
    # Each sign-in, sign-out and failure was rewritten into one Security event, queued once.
    events = models.SecurityEvent.objects.filter(account_name__startswith="mixed-")
    assert events.count() == 1500
    assert models.SiemOutbox.objects.filter(security_event__in=events).count() == 1500


# --- Security events belong to the accounts their records name -----------------------------


def test_a_calls_security_event_is_linked_to_both_parties_by_their_numbers():
    olga = _account("olga", virtual_number="+390612340016")
    bruno = _account("bruno", virtual_number="+390612340048")
    failed = _cdr(
        caller_number="+390612340016",
        callee_number="+390612340048",
        disposition="FAILED",
        hangup_cause="BEARERCAPABILITY_NOTAVAIL",
    )

    ingest_records(log="cdr", records=[failed])

    event = models.SecurityEvent.objects.get(signature_id="CDR-400")
    assert (event.account, event.account_name) == (olga, "+390612340016")
    assert (event.peer_account, event.peer_name) == (bruno, "+390612340048")


def test_a_messages_security_event_is_linked_to_sender_and_recipient():
    alice, bruno = _account("alice"), _account("bruno")

    ingest_records(
        log="secure-messages",
        records=[_message(status="INVALID_DEVICE", **{"from": "alice", "to": "bruno"})],
    )

    event = models.SecurityEvent.objects.get(signature_id="MSG-302")
    assert (event.account, event.peer_account) == (alice, bruno)


def test_a_sign_in_security_event_is_linked_to_its_principal():
    alice = _account("alice")

    ingest_records(
        log="web-sessions", records=[_web_session(principal="alice", event_type="SUCCESS")]
    )

    assert models.SecurityEvent.objects.get(signature_id="WEB-101").account == alice
