"""`manage.py seed_demo`: coherent demo data in every log, through the ingest service."""

import io
import re
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from logging_app import models
from logging_app.demo import demo_records
from logging_app.logs import LOGS
from logging_app.logs.spec import BOOLEAN

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    stdout = io.StringIO()
    call_command("seed_demo", *args, stdout=stdout)
    return stdout.getvalue()


def _delete_everything() -> None:
    for spec in LOGS.values():
        spec.model.objects.all().delete()
    models.Account.objects.all().delete()
    models.AccountGroup.objects.all().delete()
    models.CdrPolicy.objects.all().delete()
    models.LogHour.objects.all().delete()  # the figures of the rows deleted
    models.CallHour.objects.all().delete()


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """One demo run for the tests that only read it (a run takes a few seconds).

    It is committed, outside the tests' transactions, so it is deleted again afterwards.
    """
    with django_db_blocker.unblock():
        _seed("--days", "5", "--accounts", "50", "--seed", "7", "--flush")
    yield
    with django_db_blocker.unblock():
        _delete_everything()


@pytest.mark.usefixtures("demo_data")
def test_it_makes_accounts_in_groups_with_virtual_numbers():
    assert models.Account.objects.count() >= 50
    assert models.AccountGroup.objects.count() >= 4
    assert not models.Account.objects.filter(group=None).exists()
    assert not models.Account.objects.filter(virtual_number="").exists()


@pytest.mark.usefixtures("demo_data")
@pytest.mark.parametrize("spec", LOGS.values(), ids=list(LOGS))
def test_it_covers_every_enumerated_value_of_every_log(spec):
    for field in spec.model._meta.concrete_fields:
        if not field.choices:
            continue
        stored = set(spec.model.objects.values_list(field.name, flat=True).distinct())
        assert stored == {value for value, _ in field.choices}, field.name


@pytest.mark.usefixtures("demo_data")
def test_it_spreads_security_severities_from_0_to_10():
    severities = set(models.SecurityEvent.objects.values_list("severity", flat=True))

    assert severities == set(range(11))
    assert models.SecurityEvent.objects.filter(source_log="appliance", source_id=None).exists()


@pytest.mark.usefixtures("demo_data")
@pytest.mark.parametrize(
    ("spec", "name"),
    [(spec, c.name) for spec in LOGS.values() for c in spec.columns if c.kind == BOOLEAN],
    ids=lambda value: getattr(value, "slug", value),
)
def test_it_covers_both_values_of_the_booleans(spec, name):
    assert set(spec.model.objects.values_list(name, flat=True)) == {True, False}


@pytest.mark.usefixtures("demo_data")
def test_it_places_calls_between_accounts():
    direct = models.CallDetailRecord.objects.filter(call_type="CALL", call_route="")
    call = direct.exclude(callee_account=None).first()

    assert call.caller_account.virtual_number == call.caller_number
    assert call.callee_account.virtual_number == call.callee_number
    assert call.caller == call.caller_account.description
    assert call.caller_group == call.caller_account.group.name
    assert not models.CallDetailRecord.objects.filter(caller_account=None).exists()


@pytest.mark.usefixtures("demo_data")
@pytest.mark.parametrize("call_type", ["3-WAY", "CONFERENCE", "TRANSFER"])
def test_it_gives_the_legs_of_a_complex_call_one_call_id(call_type):
    legs = (
        models.CallDetailRecord.objects.filter(call_type=call_type)
        .values("call_id")
        .annotate(legs=Count("id"))
    )

    assert legs
    assert all(group["legs"] >= 2 for group in legs)


def test_it_sends_sip_connections_with_an_address_only():
    records = demo_records(days=2, accounts=6, seed=5, now=datetime(2026, 11, 24, 12, tzinfo=UTC))
    sip = records["sip-sessions"]

    assert {
        record["username"] for record in sip if record["event"] in ["CONNECT", "DISCONNECT"]
    } == {""}
    assert "" not in {record["username"] for record in sip if record["event"] == "REGISTER"}


@pytest.mark.usefixtures("demo_data")
def test_it_leaves_sip_connections_reconciled_as_the_worker_would():
    sip = models.SipSessionEvent.objects
    edges = sip.filter(event__in=["CONNECT", "DISCONNECT"])

    assert not sip.filter(event__in=["REGISTER", "UNREGISTER"], username="").exists()
    # Bound by reconciliation to the account that registered during the connection…
    assert not edges.exclude(username="").filter(reconciled=False).exists()
    connect = edges.filter(event="CONNECT", reconciled=True).first()
    register = sip.get(event="REGISTER", remote_address=connect.remote_address)
    assert connect.username == register.username == connect.account.username
    # …but for the connections still open (a later run binds them).
    for connect in edges.filter(username=""):
        assert connect.event == "CONNECT"
        assert not sip.filter(remote_address=connect.remote_address, event="DISCONNECT").exists()


@pytest.mark.usefixtures("demo_data")
def test_it_times_out_sessions_as_the_anonymous_user():
    timeouts = models.WebSessionEvent.objects.filter(event_type="SESSION_TIMEOUT")

    assert timeouts.exists()
    assert set(timeouts.values_list("principal", flat=True)) == {models.ANONYMOUS_PRINCIPAL}


@pytest.mark.usefixtures("demo_data")
def test_it_rewrites_security_relevant_events_of_the_other_logs():
    assert models.SecurityEvent.objects.filter(source_log="web-sessions").exclude(source_id=None)


@pytest.mark.usefixtures("demo_data")
def test_it_dates_everything_in_the_past():
    now = datetime.now(UTC)
    for spec in LOGS.values():
        latest = spec.model.objects.order_by(f"-{spec.time_field}").first()
        assert getattr(latest, spec.time_field) <= now, spec.slug


# --- Runs of the command --------------------------------------------------------------------


def test_it_runs_twice_and_starts_over_with_flush():
    _seed("--days", "1", "--accounts", "8", "--seed", "3", "--flush")
    counts = {spec.slug: spec.model.objects.count() for spec in LOGS.values()}

    # The same seed makes the same ids: the second run stores nothing twice.
    again = _seed("--days", "1", "--accounts", "8", "--seed", "3")
    assert {spec.slug: spec.model.objects.count() for spec in LOGS.values()} == counts
    assert models.Account.objects.count() == 8

    output = _seed("--days", "1", "--accounts", "9", "--seed", "4", "--flush")
    assert "Deleted every log row" in output
    assert models.Account.objects.count() == 9
    assert " 0 rejected" in again


def test_it_prints_a_summary_per_log():
    output = _seed("--days", "1", "--accounts", "8", "--seed", "3", "--flush")

    for log in ["accounts", *LOGS]:
        assert any(line.startswith(f"{log} ") for line in output.splitlines()), log


def test_it_says_when_no_cdr_discards_the_direct_calls():
    models.CdrPolicy.objects.update_or_create(id=1, defaults={"duration": 0})

    output = _seed("--days", "1", "--accounts", "8", "--seed", "3", "--flush")

    assert "No-CDR" in output
    cdr_line = next(line for line in output.splitlines() if line.startswith("cdr "))
    assert int(re.search(r"(\d+) discarded", cdr_line)[1]) > 0
    assert not models.CallDetailRecord.objects.filter(call_type__in=["CALL", "TRANSFER"]).exists()
    assert models.CallDetailRecord.objects.filter(call_type="CONFERENCE").exists()


def test_it_refuses_too_few_accounts():
    with pytest.raises(CommandError, match="at least 4"):
        _seed("--accounts", "3")


def test_it_makes_the_same_records_from_the_same_seed():
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)

    first = demo_records(days=2, accounts=10, seed=5, now=now)
    second = demo_records(days=2, accounts=10, seed=5, now=now)
    other = demo_records(days=2, accounts=10, seed=6, now=now)

    assert first == second
    assert first != other
    assert list(first) == ["accounts", *(log for log in first if log != "accounts")]
