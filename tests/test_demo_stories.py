"""The demo's support stories (logging_app/demo/stories.py), as support reads them.

Around the latest noon (Rome) at least an hour ago, Olga Moretti's calls go wrong in five
ways; the call pages, the SIP Sessions and the message logs say why.
"""

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from logging_app import models
from logging_app.demo import demo_records
from logging_app.logs import LOGS
from tests.factories import demo_story_call
from tests.page import log_table, main_text, parse

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
OLGA, HUGO, CARLA, DARIO = "olga.moretti", "hugo.ricci", "carla.fontana", "dario.greco"
INCOMPATIBLE = (
    "Failed: caller and callee use security models that are not compatible (Q.850 cause 58)."
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo, committed for the module's tests to read, deleted afterwards."""
    with django_db_blocker.unblock():
        call_command(
            "seed_demo", "--days", "2", "--accounts", "8", "--seed", "21", "--flush",
            stdout=io.StringIO(),
        )  # fmt: skip
    yield
    with django_db_blocker.unblock():
        for spec in LOGS.values():
            spec.model.objects.all().delete()
        models.Account.objects.all().delete()
        models.AccountGroup.objects.all().delete()
        models.CdrPolicy.objects.all().delete()
        models.LogHour.objects.all().delete()  # the figures of the rows deleted
        models.CallHour.objects.all().delete()


@pytest.fixture
def noon(demo) -> datetime:
    """The stories' noon: when Olga's call to Hugo failed on their security models."""
    return demo_story_call().call_date


def _call(noon: datetime, minutes: int, caller: str, callee: str) -> models.CallDetailRecord:
    return models.CallDetailRecord.objects.get(
        call_date=noon + timedelta(minutes=minutes),
        caller_account__username=caller,
        callee_account__username=callee,
    )


def _call_page(client, call: models.CallDetailRecord):
    response = client.get(f"/calls/{call.call_id}/")
    assert response.status_code == 200
    return response


def _lane(response, username: str):
    return parse(response).find(
        "section", cls="lane", **{"aria-label": f"SIP events of {username}"}
    )


def _lane_events(response, username: str) -> list[str]:
    return [row.find_all("td")[1].text for row in _lane(response, username).find_all("tr")[1:]]


def _utc(moment: datetime) -> str:
    """A list's `since` or `until`, in the administrator's time zone (UTC)."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


def _classes(response, header: str) -> list[str]:
    """The classes of a list column's values: "true" or "false" for a yes-or-no one."""
    table = log_table(response)
    index = table.headers.index(header)
    return [row[index].find("span").attrs["class"] for row in table.rows]


# --- Olga's failed call, from her account to its call page ----------------------------------


def test_it_finds_olga_by_her_first_name(admin_client, demo):
    response = admin_client.get("/accounts/", {"q": "olga"})

    assert log_table(response).column("Username") == [OLGA]
    assert log_table(response).column("Description") == ["Olga Moretti"]


def test_it_tells_on_olgas_page_what_happened_to_her_call(admin_client, noon):
    call = _call(noon, 0, OLGA, HUGO)

    response = admin_client.get(f"/accounts/{OLGA}/")

    assert INCOMPATIBLE in main_text(response)
    links = parse(response).find("main").links
    assert f"/calls/{call.call_id}/" in links or f"/logging/cdr/{call.pk}/" in links


def test_it_explains_the_failed_call_on_its_call_page(admin_client, noon):
    response = _call_page(admin_client, _call(noon, 0, OLGA, HUGO))

    assert INCOMPATIBLE in main_text(response)
    # Both opened their app minutes before: their connections, bound by reconciliation.
    assert _lane_events(response, OLGA) == ["CONNECT", "REGISTER", "UNREGISTER", "DISCONNECT"]
    assert _lane_events(response, HUGO) == ["CONNECT", "REGISTER", "UNREGISTER", "DISCONNECT"]
    assert "Registered before the call" in _lane(response, HUGO).text
    security = parse(response).find("main").find_all("table", cls="log-table")[-1]
    assert "CDR-400 Call failed: incompatible security models" in security.text


def test_it_shows_the_callee_was_busy_on_another_call(admin_client, noon):
    busy = _call(noon, -60, OLGA, CARLA)
    other = _call(noon, -64, CARLA, DARIO)

    response = _call_page(admin_client, busy)

    assert "Busy: the callee was busy (Q.850 cause 17)." in main_text(response)
    assert "Registered before the call" in _lane(response, CARLA).text
    assert other.disposition == models.Disposition.ANSWERED
    assert other.call_date < busy.call_date
    assert other.call_date + timedelta(seconds=other.total_duration) > busy.call_date


def test_it_shows_the_callee_registered_but_not_answering(admin_client, noon):
    response = _call_page(admin_client, _call(noon, -40, OLGA, DARIO))

    assert "Not answered: the callee did not answer before the call timed out" in main_text(
        response
    )
    assert "Registered before the call" in _lane(response, DARIO).text
    assert _lane_events(response, DARIO) == ["UNREGISTER", "DISCONNECT"]


def test_it_shows_the_callee_had_unregistered_before_the_call(admin_client, noon):
    response = _call_page(admin_client, _call(noon, -20, OLGA, HUGO))

    assert "Failed: the call could not be placed" in main_text(response)
    state = _lane(response, HUGO).find("p").text
    assert state.startswith("Not registered")
    assert "unregistered at" in state
    assert _lane_events(response, HUGO) == ["CONNECT", "REGISTER", "UNREGISTER", "DISCONNECT"]


def test_it_marks_the_disconnect_that_cut_the_call(admin_client, noon):
    response = _call_page(admin_client, _call(noon, 15, OLGA, DARIO))

    assert "Answered: the callee answered; why it ended is not known" in main_text(response)
    [cut] = _lane(response, DARIO).find_all("tr", cls="cut")
    assert "DISCONNECT" in cut.text
    assert "in call" in cut.text
    # The connection was lost: no UNREGISTER before the DISCONNECT.
    assert _lane_events(response, DARIO)[:3] == ["CONNECT", "REGISTER", "DISCONNECT"]


# --- The SIP Sessions ------------------------------------------------------------------------


def test_it_shows_dario_flapping_from_changing_addresses(admin_client, noon):
    response = admin_client.get(
        "/logging/sip-sessions/",
        {
            "account": DARIO,
            "event": ["REGISTER", "UNREGISTER"],
            "since": _utc(noon + timedelta(minutes=17)),
            "until": _utc(noon + timedelta(minutes=36)),
        },
    )

    table = log_table(response)
    events = table.column("Event")
    assert len(events) >= 10
    assert events == ["UNREGISTER", "REGISTER"] * (len(events) // 2)  # newest first
    addresses = table.column("Remote address")[1::2]
    assert len(set(addresses)) == len(addresses)


def test_it_binds_olgas_connections_to_her(admin_client, demo):
    response = admin_client.get(
        "/logging/sip-sessions/", {"account": OLGA, "event": ["CONNECT", "DISCONNECT"]}
    )

    usernames = log_table(response).column("Username")
    assert len(usernames) >= 10
    assert set(usernames) == {f"{OLGA} reconciled"}


# --- The messages --------------------------------------------------------------------------


def test_it_shows_olgas_message_to_hugo_expired_after_72_hours(admin_client, noon):
    response = admin_client.get("/logging/secure-messages/", {"account": OLGA, "status": "EXPIRED"})

    table = log_table(response)
    [row] = [row for row in table.rows if row[table.headers.index("To")].text == HUGO]
    assert row[table.headers.index("Send attempts")].text == "6"
    message = models.SecureMessage.objects.get(uuid=row[table.headers.index("UUID")].text)
    assert message.received < noon - timedelta(hours=72)
    assert message.processed is None
    expired = models.SecurityEvent.objects.get(source_log="secure-messages", source_id=message.pk)
    assert expired.signature_id == "MSG-300"


def test_it_shows_hugos_activation_message_never_consumed(admin_client, demo):
    response = admin_client.get("/logging/activation-messages/", {"account": HUGO})

    assert _classes(response, "Consumed") == ["false"]
    assert _classes(response, "Sent") == ["true"]


@pytest.mark.parametrize(("username", "variant"), [(OLGA, "ZRTP"), (HUGO, "SDES")])
def test_it_shows_the_security_model_each_installed(admin_client, demo, username, variant):
    response = admin_client.get("/logging/install-messages/", {"account": username})

    assert set(log_table(response).column("Variant")) == {variant}


# --- When the stories happen -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "noon"),
    [
        # At 13:50 in Rome the stories (until 12:51) are not an hour old: the day before.
        (datetime(2026, 11, 24, 13, 50, tzinfo=ROME), datetime(2026, 11, 23, 12, tzinfo=ROME)),
        (datetime(2026, 11, 24, 13, 52, tzinfo=ROME), datetime(2026, 11, 24, 12, tzinfo=ROME)),
        # Summer time started that night: noon is 10:00 UTC.
        (datetime(2026, 3, 29, 23, 0, tzinfo=ROME), datetime(2026, 3, 29, 12, tzinfo=ROME)),
    ],
)
def test_it_sets_the_stories_at_the_latest_noon_an_hour_before_their_end(now, noon):
    records = demo_records(days=1, accounts=4, seed=1, now=now)

    failed = [
        call
        for call in records["cdr"]
        if call["hangup_cause"] == "BEARERCAPABILITY_NOTAVAIL" and call["caller"] == "Olga Moretti"
    ]
    assert datetime.fromisoformat(failed[-1]["call_date"]) == noon
    for log in ("cdr", "sip-sessions"):
        latest = max(
            datetime.fromisoformat(record.get("call_date") or record["timestamp"])
            for record in records[log]
        )
        assert latest < now
