"""SIP reconciliation: CONNECT/DISCONNECT bound to the account registered in that connection."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from logging_app import models
from logging_app.jobs import reconcile_sip_sessions
from tests.factories import make_account, make_sip_session_event

pytestmark = pytest.mark.django_db

CONNECT, REGISTER = models.SipEvent.CONNECT, models.SipEvent.REGISTER
UNREGISTER, DISCONNECT = models.SipEvent.UNREGISTER, models.SipEvent.DISCONNECT
A, B, C = "198.51.100.7:50612", "203.0.113.9:40100", "192.0.2.44:5061"


class _Timeline:
    """SIP events one minute apart, as the appliance reports them."""

    def __init__(self, start: datetime) -> None:
        self.time = start

    def __call__(self, event: str, address: str, username: str = "") -> models.SipSessionEvent:
        self.time += timedelta(minutes=1)
        return make_sip_session_event(
            timestamp=self.time, event=event, remote_address=address, username=username
        )


@pytest.fixture
def sip() -> _Timeline:
    return _Timeline(timezone.now() - timedelta(hours=3))


def _bound(event: models.SipSessionEvent) -> tuple[str, int | None, bool]:
    event.refresh_from_db()
    return event.username, event.account_id, event.reconciled


def test_it_binds_interleaved_connections_from_several_addresses(sip):
    alice, bob = make_account(username="alice"), make_account(username="bob")
    connect_a = sip(CONNECT, A)
    connect_b = sip(CONNECT, B)
    register_a = sip(REGISTER, A, "alice")
    sip(REGISTER, B, "bob")
    disconnect_b = sip(DISCONNECT, B)
    sip(UNREGISTER, A, "alice")
    disconnect_a = sip(DISCONNECT, A)
    # A second connection from A, by another account.
    reconnect_a = sip(CONNECT, A)
    sip(REGISTER, A, "carol")
    redisconnect_a = sip(DISCONNECT, A)

    result = reconcile_sip_sessions()

    assert (result.bound, result.connections, result.ambiguous, result.unmatched) == (6, 3, 0, 0)
    assert _bound(connect_a) == _bound(disconnect_a) == ("alice", alice.pk, True)
    assert _bound(connect_b) == _bound(disconnect_b) == ("bob", bob.pk, True)
    # carol has no Account: the name is bound, the link stays empty until she arrives.
    assert _bound(reconnect_a) == _bound(redisconnect_a) == ("carol", None, True)
    # What the appliance reported itself is left as it was.
    assert _bound(register_a) == ("alice", None, False)


def test_it_leaves_a_connection_unbound_when_several_accounts_registered(sip):
    connect = sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip(REGISTER, A, "bob")
    disconnect = sip(DISCONNECT, A)

    result = reconcile_sip_sessions()

    assert (result.bound, result.ambiguous) == (0, 1)
    assert _bound(connect) == _bound(disconnect) == ("", None, False)


def test_it_binds_when_the_same_account_registered_several_times(sip):
    connect = sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip(UNREGISTER, A, "alice")
    sip(REGISTER, A, "alice")
    sip(DISCONNECT, A)

    assert reconcile_sip_sessions().bound == 2
    assert _bound(connect)[0] == "alice"


def test_it_leaves_a_connection_without_registration_unbound(sip):
    sip(CONNECT, A)
    sip(REGISTER, B, "bob")  # another address
    sip(DISCONNECT, A)
    sip(REGISTER, A, "alice")  # after the disconnect: another connection

    result = reconcile_sip_sessions()

    assert (result.bound, result.unmatched) == (0, 1)
    assert not models.SipSessionEvent.objects.filter(reconciled=True).exists()


def test_it_waits_for_an_open_connection_to_end(sip):
    connect = sip(CONNECT, A)
    sip(REGISTER, A, "alice")

    assert reconcile_sip_sessions().bound == 0
    assert _bound(connect) == ("", None, False)

    sip(REGISTER, A, "bob")
    disconnect = sip(DISCONNECT, A)

    # bob registered too before the end: the connection turned out ambiguous.
    assert reconcile_sip_sessions().ambiguous == 1
    assert _bound(connect) == _bound(disconnect) == ("", None, False)


def test_it_ends_a_connection_at_the_next_connect_when_its_disconnect_is_missing(sip):
    first = sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    second = sip(CONNECT, A)
    sip(REGISTER, A, "bob")
    disconnect = sip(DISCONNECT, A)

    assert reconcile_sip_sessions().bound == 3
    assert _bound(first)[0] == "alice"
    assert _bound(second)[0] == _bound(disconnect)[0] == "bob"


def test_it_binds_a_connection_that_began_before_the_lookback(sip):
    now = timezone.now()
    sip.time = now - timedelta(days=10)
    connect = sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip.time = now - timedelta(hours=1)
    disconnect = sip(DISCONNECT, A)

    result = reconcile_sip_sessions(now=now, lookback=timedelta(hours=48))

    assert result.bound == 2
    assert _bound(connect)[0] == _bound(disconnect)[0] == "alice"


def test_it_looks_no_further_back_than_the_lookback(sip):
    now = timezone.now()
    sip.time = now - timedelta(days=10)
    connect = sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip(DISCONNECT, A)

    assert reconcile_sip_sessions(now=now, lookback=timedelta(hours=48)).bound == 0
    assert _bound(connect)[0] == ""
    assert reconcile_sip_sessions(now=now, lookback=timedelta(days=11)).bound == 2


def test_it_does_nothing_more_when_run_again(sip):
    sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip(DISCONNECT, A)
    sip(CONNECT, C)
    sip(DISCONNECT, C)

    assert reconcile_sip_sessions().bound == 2
    again = reconcile_sip_sessions()

    assert (again.bound, again.connections, again.unmatched) == (0, 0, 1)
    assert models.SipSessionEvent.objects.filter(reconciled=True).count() == 2


def test_the_account_page_filter_finds_reconciled_events(sip):
    alice = make_account(username="alice")
    sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip(DISCONNECT, A)

    reconcile_sip_sessions()

    events = models.SipSessionEvent.objects.filter(account=alice).order_by("timestamp")
    assert [event.event for event in events] == [CONNECT, DISCONNECT]


def test_the_command_prints_what_it_did(sip, capsys):
    sip(CONNECT, A)
    sip(REGISTER, A, "alice")
    sip(DISCONNECT, A)

    call_command("reconcile_sip", "--lookback-hours", "24")

    assert capsys.readouterr().out == (
        "reconcile_sip: 2 events bound to an account in 1 connections; "
        "left unbound: 0 ambiguous, 0 unmatched connections\n"
    )
