"""The account list and the account page with its activity across all logs."""

from datetime import UTC, datetime, timedelta

import pytest

from logging_app.logs import LOGS
from tests.factories import make_account, make_group, make_log_record
from tests.page import log_table, main_text, parse

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _timeline(response) -> list[tuple[str, str, str]]:
    """(time, log, href) of each timeline row."""
    table = parse(response).find("table", cls="timeline")
    rows = [row.find_all("td") for row in table.find("tbody").find_all("tr")]
    return [(cells[0].text, cells[1].text, cells[0].links[0]) for cells in rows if cells[0].links]


@pytest.mark.django_db
def test_it_shows_the_account_and_its_group(admin_client):
    group = make_group(name="sales", description="Sales team")
    make_account(
        username="alice", description="Alice Rossi", virtual_number="+3906123", group=group
    )

    response = admin_client.get("/accounts/alice/")

    text = main_text(response)
    assert response.status_code == 200
    assert "Account alice" in text
    assert "Alice Rossi" in text
    assert "+3906123" in text
    assert "sales — Sales team" in text


@pytest.mark.django_db
def test_it_shows_activity_of_several_logs_newest_first(admin_client):
    alice = make_account(username="alice")
    call = make_log_record("cdr", callee_account=alice, call_date=T0 - timedelta(hours=1))
    sip = make_log_record("sip-sessions", account=alice, timestamp=T0)
    message = make_log_record(
        "secure-messages", recipient_account=alice, received=T0 - timedelta(hours=3)
    )
    install = make_log_record("install-messages", account=alice, timestamp=T0 - timedelta(hours=2))
    make_log_record("sip-sessions", username="bob", timestamp=T0)

    response = admin_client.get("/accounts/alice/")

    assert _timeline(response) == [
        ("2026-11-24 09:00:00", "SIP Sessions", f"/logging/sip-sessions/{sip.pk}/"),
        ("2026-11-24 08:00:00", "Call Details Record", f"/logging/cdr/{call.pk}/"),
        ("2026-11-24 07:00:00", "Install Messages", f"/logging/install-messages/{install.pk}/"),
        ("2026-11-24 06:00:00", "Secure Messages", f"/logging/secure-messages/{message.pk}/"),
    ]


@pytest.mark.django_db
def test_it_links_timeline_rows_to_their_detail(admin_client):
    alice = make_account(username="alice")
    make_log_record("activation-messages", account=alice)

    href = _timeline(admin_client.get("/accounts/alice/"))[0][2]

    assert admin_client.get(href).status_code == 200


@pytest.mark.django_db
def test_it_links_to_the_accounts_sip_events(admin_client):
    make_account(username="alice")

    response = admin_client.get("/accounts/alice/")

    assert "/logging/sip-sessions/?account=alice" in parse(response).find("main").links


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_name_without_activity(admin_client):
    make_account(username="alice")

    assert admin_client.get("/accounts/nobody/").status_code == 404


@pytest.mark.django_db
def test_it_keeps_a_deleted_accounts_rows_and_links_them_by_name(admin_client):
    ghost = make_account(username="ghost")
    install = make_log_record("install-messages", account=ghost, timestamp=T0)
    web = make_log_record("web-sessions", account=ghost, date_created=T0 - timedelta(hours=1))
    ghost.delete()

    listed = log_table(admin_client.get("/logging/install-messages/"))
    href = listed.rows[0][1].links[0]
    response = admin_client.get(href)

    assert listed.column("Account") == ["ghost"]
    assert href == "/accounts/ghost/"
    assert response.status_code == 200
    assert "not in the account directory" in main_text(response)
    assert [row[2] for row in _timeline(response)] == [
        f"/logging/install-messages/{install.pk}/",
        f"/logging/web-sessions/{web.pk}/",
    ]


@pytest.mark.django_db
def test_it_escapes_names(admin_client):
    name = "<img src=x onerror=alert(1)>"
    make_log_record("install-messages", account_name=name)

    response = admin_client.get(f"/accounts/{name}/")

    assert response.status_code == 200
    assert name.encode() not in response.content
    assert "Account <img src=x onerror=alert(1)>" in main_text(response)


@pytest.mark.django_db
def test_it_lists_and_searches_accounts(admin_client):
    group = make_group(name="sales")
    make_account(username="alice", description="Alice Rossi", group=group)
    make_account(username="bob", description="Bruno Bianchi")

    everyone = parse(admin_client.get("/accounts/")).find("main").links
    found = parse(admin_client.get("/accounts/", {"q": "rossi"})).find("main").links

    assert "/accounts/alice/" in everyone and "/accounts/bob/" in everyone
    assert "/accounts/alice/" in found and "/accounts/bob/" not in found


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/", "/accounts/alice/"])
def test_it_needs_the_view_permission(no_perm_client, url):
    make_account(username="alice")

    assert no_perm_client.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/", "/accounts/alice/"])
def test_it_shows_accounts_to_support(support_client, url):
    make_account(username="alice")

    assert support_client.get(url).status_code == 200


@pytest.mark.django_db
def test_it_bounds_the_queries_of_an_account_page(admin_client, django_assert_max_num_queries):
    alice = make_account(username="alice", group=make_group())
    for spec in LOGS.values():
        for link in spec.account_links[:1]:
            for _ in range(5):
                make_log_record(spec.slug, **{link.link: alice})

    # Session, user, the account; per log, one query per field that can name the account
    # (its link, its name as received: 19 in all) and one for the rows. None per row.
    with django_assert_max_num_queries(3 + 19 + 7):
        response = admin_client.get("/accounts/alice/")

    assert len(_timeline(response)) == 35


@pytest.mark.django_db
def test_it_answers_a_search_for_nul_with_a_form_error(admin_client):
    make_account(username="alice")

    response = admin_client.get("/accounts/", {"q": "\x00"})

    assert response.status_code == 400
    assert "Null characters are not allowed" in main_text(response)


@pytest.mark.django_db
def test_it_finds_no_account_page_for_a_name_with_nul(admin_client):
    make_account(username="alice")

    assert admin_client.get("/accounts/%00/").status_code == 404
    assert admin_client.get("/accounts/alice%00/").status_code == 404


@pytest.mark.django_db
def test_a_calls_security_event_shows_on_both_parties_pages(admin_client):
    from logging_app.ingest import ingest_records
    from tests.factories import cdr_report

    make_account(username="olga", virtual_number="+390612340016")
    make_account(username="bruno", virtual_number="+390612340048")
    ingest_records(
        log="cdr",
        records=[
            cdr_report(
                caller_number="+390612340016",
                callee_number="+390612340048",
                disposition="FAILED",
                hangup_cause="BEARERCAPABILITY_NOTAVAIL",
            )
        ],
    )

    for username in ("olga", "bruno"):
        logs = [log for _, log, _ in _timeline(admin_client.get(f"/accounts/{username}/"))]
        assert "Security" in logs, username
    listed = admin_client.get("/logging/security/", {"account": "olga"})
    assert "CDR-400" in main_text(listed)
