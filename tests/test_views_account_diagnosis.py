"""The account page as a diagnosis: its state, its calls' figures, its paged timeline."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from logging_app import models
from logging_app.ingest import ingest_records
from logging_app.logs import LOGS
from tests.factories import cdr_report, make_account, make_log_record
from tests.page import errors, parse, row_ids

pytestmark = pytest.mark.django_db

OLGA = "+390612340016"
BRUNO = "+390612340048"


@pytest.fixture(autouse=True)
def _console_time_zone_after():
    # The middleware leaves a request's zone active in the thread that served it.
    yield
    timezone.deactivate()


def _accounts() -> None:
    ingest_records(
        log="accounts",
        records=[
            {"username": "olga", "description": "Olga Neri", "virtual_number": OLGA},
            {"username": "bruno", "description": "Bruno Bianchi", "virtual_number": BRUNO},
        ],
    )


def _noon() -> datetime:
    """Noon UTC today: the windows are whole UTC days, "Today" since midnight."""
    return datetime.combine(timezone.now().astimezone(UTC).date(), time(12), tzinfo=UTC)


def _call(ago: timedelta, disposition: str, cause: str, *, duration: int = 0, **fields) -> dict:
    """A call of Olga's to Bruno, `ago` before noon UTC today."""
    return (
        cdr_report(
            call_date=(_noon() - ago).isoformat(),
            caller_number=OLGA,
            callee_number=BRUNO,
            disposition=disposition,
            hangup_cause=cause,
            call_duration=duration,
            total_duration=duration + 5,
        )
        | fields
    )


def _figures(response) -> dict[str, list[str]]:
    """The calls table: each window's row, by its label."""
    table = parse(response).find("table", cls="call-figures")
    rows = {}
    for row in table.find("tbody").find_all("tr"):
        label = row.find("th").text.split(" (")[0]
        rows[label] = [cell.text for cell in row.find_all("td")]
    return rows


def _facts(response) -> dict[str, str]:
    facts = parse(response).find("dl", cls="facts")
    labels = [dt.text for dt in facts.find_all("dt")]
    return dict(zip(labels, [dd.text for dd in facts.find_all("dd")], strict=True))


def _timeline(response) -> list[list[str]]:
    table = parse(response).find("table", cls="timeline")
    rows = [row.find_all("td") for row in table.find("tbody").find_all("tr")]
    return [[cell.text for cell in cells] for cells in rows if len(cells) > 1]


def _timeline_links(response) -> list[str]:
    table = parse(response).find("table", cls="timeline")
    rows = [row.find_all("td") for row in table.find("tbody").find_all("tr")]
    return [cells[0].links[0] for cells in rows if len(cells) > 1]


def test_it_counts_the_calls_of_each_window(admin_client):
    _accounts()
    ingest_records(
        log="cdr",
        records=[
            _call(timedelta(hours=1), "ANSWERED", "NORMAL_CLEARING", duration=120),
            _call(timedelta(hours=2), "ANSWERED", "NORMAL_CLEARING", duration=60),
            _call(timedelta(hours=3), "FAILED", "BEARERCAPABILITY_NOTAVAIL"),
            _call(timedelta(days=3), "BUSY", "USER_BUSY"),
            _call(timedelta(days=3, hours=1), "BUSY", "USER_BUSY"),
            _call(timedelta(days=20), "NO_ANSWER", "NO_ANSWER"),
            _call(timedelta(days=40), "FAILED", "BEARERCAPABILITY_NOTAVAIL"),
            # Received, not made.
            _call(timedelta(hours=5), "ANSWERED", "NORMAL_CLEARING", duration=30)
            | {"caller_number": BRUNO, "callee_number": OLGA},
        ],
    )

    figures = _figures(admin_client.get("/accounts/olga/"))

    # Calls, made, received, answered, ASR, ACD, top hangup causes.
    assert figures["Today"][:6] == ["4", "3", "1", "3", "75%", "0:01:10"]
    assert figures["Today"][6] == "NORMAL_CLEARING 3 BEARERCAPABILITY_NOTAVAIL 1"
    assert figures["7 days"][:5] == ["6", "5", "1", "3", "50%"]
    assert figures["7 days"][6] == ("NORMAL_CLEARING 3 USER_BUSY 2 BEARERCAPABILITY_NOTAVAIL 1")
    assert figures["30 days"][:5] == ["7", "6", "1", "3", "43%"]


def test_a_hangup_cause_links_to_the_calls_it_counts(admin_client):
    _accounts()
    busy = [_call(timedelta(days=d, hours=2), "BUSY", "USER_BUSY") for d in (1, 2, 9)]
    ingest_records(
        log="cdr", records=[*busy, _call(timedelta(hours=1), "ANSWERED", "NORMAL_CLEARING")]
    )

    page = parse(admin_client.get("/accounts/olga/"))
    week = next(
        row
        for row in page.find("table", cls="call-figures").find("tbody").find_all("tr")
        if row.find("th").text.startswith("7 days")
    )
    link = next(url for url in week.links if "hangup_cause=USER_BUSY" in url)
    listed = admin_client.get(link)

    assert listed.status_code == 200
    assert len(row_ids(listed)) == 2  # the two busy calls of the week, not the older one
    assert parse_qs(urlsplit(link).query)["account"] == ["olga"]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_the_figures_and_their_links_agree_in_any_time_zone(zone):
    _accounts()
    ingest_records(
        log="cdr",
        records=[_call(timedelta(hours=h), "FAILED", "CALL_REJECTED") for h in (1, 10, 23, 25, 30)],
    )
    user = User.objects.create_superuser("zoned", password="a-long-password-9")
    models.ConsoleUserProfile.objects.update_or_create(user=user, defaults={"time_zone": zone})
    client = Client()
    client.post("/login/", {"username": "zoned", "password": "a-long-password-9"})

    page = parse(client.get("/accounts/olga/"))
    day = page.find("table", cls="call-figures").find("tbody").find_all("tr")[0]
    link = next(url for url in day.links if "hangup_cause=CALL_REJECTED" in url)

    assert day.find_all("td")[0].text == "2"  # today's: 11:00 and 02:00 UTC
    assert len(row_ids(client.get(link))) == 2


def test_it_states_the_registration_messages_and_last_install_and_activation(admin_client):
    olga = make_account(username="olga")
    now = timezone.now().replace(microsecond=0)
    make_log_record(
        "sip-sessions",
        account=olga,
        event="REGISTER",
        remote_address="203.0.113.30:5060",
        timestamp=now - timedelta(hours=3),
    )
    make_log_record(
        "sip-sessions",
        account=olga,
        event="UNREGISTER",
        remote_address="203.0.113.31:5060",
        timestamp=now - timedelta(hours=1),
    )
    make_log_record("sip-sessions", account=olga, event="CONNECT", timestamp=now)
    for status in ("ENQUEUED", "ENQUEUED", "EXPIRED", "DELIVERED"):
        make_log_record("secure-messages", sender_account=olga, status=status)
    make_log_record("activation-messages", account=olga, consumed=False, sent=True)

    response = admin_client.get("/accounts/olga/")
    facts = _facts(response)

    assert "UNREGISTER" in facts["Registration"]
    assert "203.0.113.31:5060" in facts["Registration"]
    assert facts["Secure messages ENQUEUED"] == "2"
    assert facts["Secure messages EXPIRED"] == "1"
    assert facts["Last install message"] == "None recorded"
    assert "Consumed ✘" in facts["Last activation message"]
    enqueued = next(
        url for url in parse(response).find("dl", cls="facts").links if "status=ENQUEUED" in url
    )
    assert len(row_ids(admin_client.get(enqueued))) == 2


def test_it_finds_a_registration_older_than_the_timeline_shows(admin_client):
    olga = make_account(username="olga")
    now = timezone.now().replace(microsecond=0)
    make_log_record(
        "sip-sessions",
        account=olga,
        event="REGISTER",
        remote_address="203.0.113.40:5060",
        timestamp=now - timedelta(days=2),
    )
    for minute in range(60):  # more than the timeline's page, none a registration
        make_log_record(
            "sip-sessions", account=olga, event="CONNECT", timestamp=now - timedelta(minutes=minute)
        )

    facts = _facts(admin_client.get("/accounts/olga/"))

    assert "REGISTER" in facts["Registration"]
    assert "203.0.113.40:5060" in facts["Registration"]


def test_the_timeline_shows_each_rows_outcome(admin_client):
    _accounts()
    ingest_records(
        log="cdr", records=[_call(timedelta(hours=1), "FAILED", "BEARERCAPABILITY_NOTAVAIL")]
    )

    (row,) = [
        r for r in _timeline(admin_client.get("/accounts/olga/")) if r[1] == "Call Details Record"
    ]

    assert row[3].startswith("FAILED")
    assert "Call duration 0:00:00" in row[3]
    assert "incompatible" in row[2] or "security models" in row[2]


def test_the_timeline_links_a_call_to_its_call_page(admin_client):
    _accounts()
    ingest_records(
        log="cdr",
        records=[_call(timedelta(hours=1), "BUSY", "USER_BUSY", call_id="1795696564.988")],
    )

    table = parse(admin_client.get("/accounts/olga/")).find("table", cls="timeline")

    assert "/calls/1795696564.988/" in table.links


def test_it_narrows_the_timeline_to_one_log(admin_client):
    olga = make_account(username="olga")
    make_log_record("sip-sessions", account=olga)
    make_log_record("cdr", caller_account=olga)

    rows = _timeline(admin_client.get("/accounts/olga/?log=sip-sessions"))

    assert [row[1] for row in rows] == ["SIP Sessions"]


@pytest.mark.parametrize(
    "query", ["log=nonsense", "before=yesterday", "before=cdr_2026-11-24T09:00:00Z_x", "before=%00"]
)
def test_a_bad_timeline_parameter_is_a_form_error(admin_client, query):
    make_account(username="olga")

    response = admin_client.get(f"/accounts/olga/?{query}")

    assert response.status_code == 400
    assert errors(response)


def test_paging_back_reads_the_whole_history_once_in_order(admin_client):
    olga = make_account(username="olga")
    t0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    created = []
    for n in range(130):
        # Rows of several logs share times, so that pages end between rows of one second.
        at = t0 - timedelta(seconds=n // 3)
        log = ("cdr", "sip-sessions", "install-messages")[n % 3]
        field = LOGS[log].time_field
        links = {"caller_account": olga} if log == "cdr" else {"account": olga}
        created.append(make_log_record(log, **links, **{field: at}))

    seen, url = [], "/accounts/olga/"
    while url:
        response = admin_client.get(url)
        assert response.status_code == 200
        seen += _timeline_links(response)
        older = parse(response).find("nav", cls="pager").links
        url = next((f"/accounts/olga/{link}" for link in older if "before=" in link), "")

    assert len(seen) == len(created) == len(set(seen))
    expected = sorted(
        created,
        key=lambda record: (
            getattr(record, "call_date", None) or record.timestamp,
            list(LOGS).index(next(s for s in LOGS.values() if s.model is type(record)).slug),
            record.pk,
        ),
        reverse=True,
    )
    assert seen == [
        f"/logging/{next(s for s in LOGS.values() if s.model is type(r)).slug}/{r.pk}/"
        for r in expected
    ]


def test_an_unknown_name_gets_no_call_figures(admin_client):
    make_log_record("sip-sessions", username="ghost")

    response = admin_client.get("/accounts/ghost/")

    assert response.status_code == 200
    assert parse(response).find_all("table", cls="call-figures") == []
    assert "Registration" in _facts(response)
