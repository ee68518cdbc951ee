"""The detail page of one record of any log."""

from datetime import UTC, datetime

import pytest

from logging_app.logs import LOGS
from tests.factories import (
    make_account,
    make_activation_message,
    make_call_detail_record,
    make_log_record,
    make_security_event,
)
from tests.page import main_text, parse, record_fields

ALL_LOGS = list(LOGS)


def _url(slug: str, pk: int) -> str:
    return f"/logging/{slug}/{pk}/"


@pytest.mark.django_db
def test_it_shows_a_call_as_the_manual_spells_it(admin_client):
    record = make_call_detail_record(
        call_type="3-WAY",
        disposition="NO_ANSWER",
        hangup_cause="NO_USER_RESPONSE",
        total_duration=3725,
        call_duration=0,
    )

    fields = record_fields(admin_client.get(_url("cdr", record.pk)))

    assert fields["Call type"] == "3-WAY"
    assert fields["Disposition"] == "NO_ANSWER"
    assert fields["Hangup cause"] == "NO_USER_RESPONSE"
    assert fields["Total duration"] == "1:02:05"
    assert fields["Call duration"] == "0:00:00"


@pytest.mark.django_db
def test_it_shows_the_activation_link_token_and_validity(admin_client):
    record = make_activation_message(
        message_link="https://provisioning.example.com/p/abc",
        token="tok-1234567890",
        validity=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )

    fields = record_fields(admin_client.get(_url("activation-messages", record.pk)))

    assert fields["Message link"] == "https://provisioning.example.com/p/abc"
    assert fields["Token"] == "tok-1234567890"
    assert fields["Validity"] == "2026-12-01 09:00:00"


@pytest.mark.django_db
def test_it_masks_the_activation_token_for_support(support_client):
    record = make_activation_message(token="tok-1234567890")

    response = support_client.get(_url("activation-messages", record.pk))

    assert response.status_code == 200
    assert "tok-1234567890" not in response.content.decode()
    assert record_fields(response)["Token"].endswith("7890")


@pytest.mark.django_db
def test_it_links_the_account_to_its_page(admin_client):
    alice = make_account(username="alice")
    record = make_log_record("install-messages", account=alice)

    response = admin_client.get(_url("install-messages", record.pk))
    href = parse(response).find("dl", cls="record").links[0]

    assert href == "/accounts/alice/"
    assert admin_client.get(href).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("principal", ["a/b", "anonymousUser"])
def test_it_shows_a_name_that_is_no_account_page_unlinked(admin_client, principal):
    record = make_log_record("web-sessions", principal=principal)

    response = admin_client.get(_url("web-sessions", record.pk))

    assert response.status_code == 200
    assert record_fields(response)["Principal"] == principal
    assert parse(response).find("dl", cls="record").links == []


@pytest.mark.django_db
def test_it_links_the_call_id_and_lists_the_other_legs(admin_client):
    first = make_call_detail_record(call_id="1732440900.42", call_type="CONFERENCE")
    others = [
        make_call_detail_record(call_id="1732440900.42", call_type="CONFERENCE") for _ in range(2)
    ]
    make_call_detail_record(call_id="1732440900.43")

    response = admin_client.get(_url("cdr", first.pk))
    legs = parse(response).find("main").find_all("table", cls="log-table")[0]

    assert "/calls/1732440900.42/" in parse(response).find("dl").links
    assert sorted(legs.links) == sorted(_url("cdr", leg.pk) for leg in others)


@pytest.mark.django_db
def test_it_links_a_security_event_to_its_source_record(admin_client):
    source = make_log_record("web-sessions", event_type="FAIL_BAD_CREDENTIALS")
    event = make_security_event(source_log="web-sessions", source_id=source.pk)
    direct = make_security_event(source_log="appliance")

    response = admin_client.get(_url("security", event.pk))
    direct_text = main_text(admin_client.get(_url("security", direct.pk)))

    assert _url("web-sessions", source.pk) in parse(response).find("main").links
    assert record_fields(response)["Source log"] == "Web Sessions"
    assert "arrived directly" in direct_text


@pytest.mark.django_db
def test_it_says_no_payload_is_stored_on_a_secure_message(admin_client):
    record = make_log_record("secure-messages")

    text = main_text(admin_client.get(_url("secure-messages", record.pk)))

    assert "payload of a secure message is never received or stored" in text


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ALL_LOGS)
def test_it_answers_404_for_a_missing_record(admin_client, slug):
    record = make_log_record(slug)

    response = admin_client.get(_url(slug, record.pk + 1000))

    assert response.status_code == 404


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_log(admin_client):
    assert admin_client.get("/logging/nope/1/").status_code == 404


@pytest.mark.django_db
def test_it_does_not_find_a_record_of_another_log(admin_client):
    system = make_log_record("system")

    assert admin_client.get(_url("system", system.pk)).status_code == 200
    assert admin_client.get(_url("cdr", system.pk)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ALL_LOGS)
def test_it_needs_the_view_permission(no_perm_client, slug):
    record = make_log_record(slug)

    assert no_perm_client.get(_url(slug, record.pk)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ALL_LOGS)
def test_it_shows_records_to_support(support_client, slug):
    record = make_log_record(slug)

    assert support_client.get(_url(slug, record.pk)).status_code == 200


@pytest.mark.django_db
def test_it_escapes_what_the_appliance_sent(admin_client):
    record = make_log_record("system", details="<img src=x onerror=alert(1)>")

    response = admin_client.get(_url("system", record.pk))

    assert b"<img src=x" not in response.content
    assert record_fields(response)["Details"] == "<img src=x onerror=alert(1)>"
