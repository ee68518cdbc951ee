"""The call page, /calls/<call id>/: every leg, both parties' SIP events, its Security events."""

from datetime import UTC, datetime, timedelta

import pytest

from logging_app import models
from tests.factories import (
    make_account,
    make_call_detail_record,
    make_security_event,
    make_sip_session_event,
)
from tests.page import main_text, parse
from tests.test_views_health import health_queries

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CALL_ID = "1795696564.988"


def _url(call_id: str = CALL_ID) -> str:
    return f"/calls/{call_id}/"


@pytest.fixture
def olga_calls_bruno():
    """Olga calls Bruno at noon; the call fails on their security models."""
    olga = make_account(username="olga", virtual_number="+390612340016")
    bruno = make_account(username="bruno", virtual_number="+390612340048")
    leg = make_call_detail_record(
        call_id=CALL_ID,
        call_date=T0,
        caller_account=olga,
        callee_account=bruno,
        total_duration=12,
        call_duration=0,
        disposition=models.Disposition.FAILED,
        hangup_cause=models.HangupCause.BEARERCAPABILITY_NOTAVAIL,
    )
    return olga, bruno, leg


def _lane(response, username: str):
    return parse(response).find(
        "section", cls="lane", **{"aria-label": f"SIP events of {username}"}
    )


def test_it_lists_every_leg_of_the_call(admin_client):
    legs = [
        make_call_detail_record(
            call_id=CALL_ID, call_type="CONFERENCE", call_date=T0 + timedelta(seconds=s)
        )
        for s in (0, 30, 60)
    ]
    make_call_detail_record(call_id="1795696564.989", call_date=T0)

    response = admin_client.get(_url())

    table = parse(response).find("table", cls="call-legs")
    assert response.status_code == 200
    details = [link for link in table.links if link.startswith("/logging/cdr/")]
    assert sorted(details) == sorted(f"/logging/cdr/{leg.pk}/" for leg in legs)
    assert "3 legs" in main_text(response)


def test_it_shows_both_parties_sip_events_around_the_call(admin_client, olga_calls_bruno):
    olga, bruno, _ = olga_calls_bruno
    before = make_sip_session_event(
        account=olga,
        event="REGISTER",
        timestamp=T0 - timedelta(minutes=3),
        remote_address="203.0.113.30:5060",
    )
    make_sip_session_event(account=olga, event="REGISTER", timestamp=T0 - timedelta(hours=2))
    cut = make_sip_session_event(
        account=bruno,
        event="DISCONNECT",
        timestamp=T0 + timedelta(seconds=5),
        remote_address="198.51.100.7:5061",
    )
    make_sip_session_event(account=bruno, event="REGISTER", timestamp=T0 + timedelta(minutes=30))

    response = admin_client.get(_url())

    olga_lane, bruno_lane = _lane(response, "olga"), _lane(response, "bruno")
    assert f"/logging/sip-sessions/{before.pk}/" in olga_lane.links
    assert "Registered before the call" in olga_lane.text
    assert "203.0.113.30:5060" in olga_lane.text
    assert next(row for row in bruno_lane.find_all("tr") if "cut" in row.classes).links[0] == (
        f"/logging/sip-sessions/{cut.pk}/"
    )
    # Only the window around the call: 10 minutes before, 5 after.
    assert len(olga_lane.find("tbody").find_all("tr")) == 1
    assert len(bruno_lane.find("tbody").find_all("tr")) == 1
    assert "/accounts/olga/" in olga_lane.links


def test_it_says_a_party_was_not_registered(admin_client, olga_calls_bruno):
    _, bruno, _ = olga_calls_bruno
    make_sip_session_event(account=bruno, event="UNREGISTER", timestamp=T0 - timedelta(hours=1))

    lane = _lane(admin_client.get(_url()), "bruno")

    assert "Not registered" in lane.text


@pytest.mark.usefixtures("olga_calls_bruno")
def test_it_finds_sip_events_received_under_the_username_only(admin_client):
    # Stored before the account was known: no link, the name as received.
    event = models.SipSessionEvent.objects.create(
        timestamp=T0 - timedelta(minutes=1),
        username="olga",
        event="REGISTER",
        remote_address="203.0.113.30:5060",
    )

    assert f"/logging/sip-sessions/{event.pk}/" in _lane(admin_client.get(_url()), "olga").links


def test_it_shows_the_security_events_made_from_the_legs(admin_client, olga_calls_bruno):
    _, _, leg = olga_calls_bruno
    event = make_security_event(
        source_log="cdr", source_id=leg.pk, timestamp=leg.call_date, signature_id="CDR-400"
    )
    make_security_event(source_log="cdr", source_id=leg.pk + 1000, timestamp=leg.call_date)

    response = admin_client.get(_url())

    assert f"/logging/security/{event.pk}/" in parse(response).find("main").links
    assert "CDR-400" in main_text(response)


def test_a_number_without_an_account_has_no_lane_of_events(admin_client):
    make_call_detail_record(call_id=CALL_ID, call_date=T0, callee_number="+15550100")

    assert "No account has this number" in main_text(admin_client.get(_url()))


def test_cdr_rows_and_details_link_to_the_call_page(admin_client, olga_calls_bruno):
    _, _, leg = olga_calls_bruno

    listed = parse(admin_client.get("/logging/cdr/")).find("table", cls="log-table")
    detail = parse(admin_client.get(f"/logging/cdr/{leg.pk}/")).find("dl", cls="record")

    assert _url() in listed.links
    assert _url() in detail.links


def test_it_answers_404_for_an_unknown_call(admin_client):
    assert admin_client.get(_url("no.such.call")).status_code == 404


def test_support_may_read_it(support_client, olga_calls_bruno):
    assert support_client.get(_url()).status_code == 200


def test_it_needs_the_cdr_view_permission(no_perm_client, olga_calls_bruno):
    assert no_perm_client.get(_url()).status_code == 403


def test_it_asks_an_anonymous_visitor_to_sign_in(client, olga_calls_bruno):
    response = client.get(_url())

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_runs_a_bounded_number_of_queries(
    admin_client, olga_calls_bruno, django_assert_max_num_queries
):
    olga, bruno, _ = olga_calls_bruno
    for minute in range(30):
        make_sip_session_event(account=olga, timestamp=T0 - timedelta(minutes=minute % 9))
        make_call_detail_record(
            call_id=CALL_ID, call_date=T0 + timedelta(seconds=minute), callee_account=bruno
        )

    # Session and user, the legs, the parties' events and states, the Security events,
    # whatever the number of legs and parties; the banner's health.
    with django_assert_max_num_queries(8 + health_queries()):
        assert admin_client.get(_url()).status_code == 200


def test_it_answers_404_for_a_call_id_with_nul(admin_client):
    assert admin_client.get("/calls/1%00/").status_code == 404
