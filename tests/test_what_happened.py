"""What a record means, in plain words (LogSpec.explain), where the console shows it: the
detail page, the account page's timeline and the CSV export. The CDR is the log that says."""

from datetime import UTC, datetime, timedelta

import pytest

from logging_app.logs import LOGS
from tests.factories import make_account, make_call_detail_record, make_log_record
from tests.page import csv_rows, log_table, parse

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
INCOMPATIBLE = (
    "Failed: caller and callee use security models that are not compatible (Q.850 cause 58)."
)
ABSENT = (
    "Not answered: the callee was temporarily not reachable through the trunk (Q.850 cause 20)."
)
ABSENT_UNROUTED = (
    f"{ABSENT} Note: the manual gives SUBSCRIBER_ABSENT only for calls that go out by a "
    "trunk, yet this call has no call route."
)


def _what_happened(response) -> list[str]:
    return [box.text for box in parse(response).find_all("section", cls="what-happened")]


def test_it_says_what_happened_on_a_calls_detail_page(admin_client):
    call = make_call_detail_record(disposition="FAILED", hangup_cause="BEARERCAPABILITY_NOTAVAIL")

    response = admin_client.get(f"/logging/cdr/{call.pk}/")

    assert response.status_code == 200
    assert _what_happened(response) == [f"What happened: {INCOMPATIBLE}"]


def test_it_notes_a_trunk_cause_on_a_call_without_a_route(admin_client):
    call = make_call_detail_record(
        disposition="NO_ANSWER", hangup_cause="SUBSCRIBER_ABSENT", call_route=""
    )

    response = admin_client.get(f"/logging/cdr/{call.pk}/")

    assert _what_happened(response) == [f"What happened: {ABSENT_UNROUTED}"]


def test_it_says_what_the_call_type_adds_on_the_detail_page(admin_client):
    call = make_call_detail_record(call_type="3-WAY")

    response = admin_client.get(f"/logging/cdr/{call.pk}/")

    assert _what_happened(response) == [
        "What happened: Answered and ended normally (Q.850 cause 16). This is one leg of a "
        "3-way call (a regular call into which more participants were invited); its other "
        "legs share the call id."
    ]


def test_it_says_nothing_for_a_log_that_does_not_explain(admin_client):
    event = make_log_record("system")

    response = admin_client.get(f"/logging/system/{event.pk}/")

    assert response.status_code == 200
    assert _what_happened(response) == []


def test_it_says_what_happened_in_the_account_timeline(admin_client):
    alice = make_account(username="alice")
    call = make_call_detail_record(
        callee_account=alice,
        call_date=T0,
        disposition="FAILED",
        hangup_cause="BEARERCAPABILITY_NOTAVAIL",
    )
    make_log_record("sip-sessions", account=alice, timestamp=T0 - timedelta(hours=1))

    response = admin_client.get("/accounts/alice/")

    table = parse(response).find("table", cls="timeline")
    rows = [row.find_all("td") for row in table.find("tbody").find_all("tr")]
    said = [
        [span.text for span in cells[2].find_all("span", cls="what-happened")] for cells in rows
    ]
    assert [cells[1].text for cells in rows] == ["Call Details Record", "SIP Sessions"]
    assert rows[0][2].text == f"{call} {INCOMPATIBLE}"
    assert said == [[INCOMPATIBLE], []]


def test_it_exports_what_happened_as_the_last_csv_column(admin_client):
    make_call_detail_record(
        call_date=T0, disposition="FAILED", hangup_cause="BEARERCAPABILITY_NOTAVAIL"
    )
    make_call_detail_record(
        call_date=T0 - timedelta(minutes=1),
        disposition="NO_ANSWER",
        hangup_cause="SUBSCRIBER_ABSENT",
        call_route="",
    )
    make_call_detail_record(
        call_date=T0 - timedelta(minutes=2),
        disposition="NO_ANSWER",
        hangup_cause="SUBSCRIBER_ABSENT",
        call_route="trunk-milan",
    )

    response = admin_client.get("/logging/cdr/", {"export": "csv"})

    rows = csv_rows(response)
    assert rows[0][-2:] == ["Call route", "What happened"]
    assert [row[-1] for row in rows[1:]] == [INCOMPATIBLE, ABSENT_UNROUTED, ABSENT]
    assert [row[-2] for row in rows[1:]] == ["", "", "trunk-milan"]


def test_it_exports_what_happened_of_the_filtered_rows_only(admin_client):
    make_call_detail_record(disposition="FAILED", hangup_cause="BEARERCAPABILITY_NOTAVAIL")
    make_call_detail_record(disposition="ANSWERED", hangup_cause="NORMAL_CLEARING")

    response = admin_client.get("/logging/cdr/", {"disposition": "FAILED", "export": "csv"})

    assert [row[-1] for row in csv_rows(response)] == ["What happened", INCOMPATIBLE]


def test_it_explains_a_record_and_its_values_alike():
    call = make_call_detail_record(disposition="BUSY", hangup_cause="USER_BUSY")
    values = type(call).objects.filter(pk=call.pk).values().get()

    cdr = LOGS["cdr"]

    assert cdr.explain(call) == cdr.explain(values) == "Busy: the callee was busy (Q.850 cause 17)."


def test_it_says_what_happened_in_the_disposition_tooltip_of_the_list(admin_client):
    make_call_detail_record(disposition="FAILED", hangup_cause="BEARERCAPABILITY_NOTAVAIL")

    table = log_table(admin_client.get("/logging/cdr/"))

    cell = table.rows[0][table.headers.index("Disposition")]
    assert cell.text == "FAILED"
    assert cell.find("span").attrs["title"] == INCOMPATIBLE
    assert "What happened" not in table.headers
