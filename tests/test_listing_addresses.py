"""Addresses as people paste them into a list's filter: an IP with or without its port."""

import pytest

from logging_app.listing.addresses import Address, parse_address
from tests.factories import make_log_record
from tests.page import errors, row_ids


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("203.0.113.30", Address("203.0.113.30")),
        (" 203.0.113.30:5060 ", Address("203.0.113.30", 5060)),
        ("2001:db8::1", Address("2001:db8::1")),
        ("[2001:db8::1]", Address("2001:db8::1")),
        ("[2001:DB8::1]:5060", Address("2001:DB8::1", 5060)),
        ("2001:db8::1:5060", Address("2001:db8::1:5060")),  # an IPv6 address, not a port
    ],
)
def test_it_reads_an_address_with_or_without_its_port(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-an-address",
        "203.0.113.30:",
        "203.0.113.30:0",
        "203.0.113.30:65536",
        "203.0.113.300",
        "203.0.113.030",
        "[203.0.113.30]:5060",
        "[2001:db8::1]5060",
        "fe80::1%eth0",
        "[fe80::1%eth0]:5060",
    ],
)
def test_it_refuses_what_is_not_an_address(text):
    assert parse_address(text) is None


def test_it_knows_an_ipv6_address_by_its_short_form():
    assert Address("2001:DB8:0::1").hosts == ["[2001:DB8:0::1]", "[2001:db8::1]"]


@pytest.fixture
def sip_rows(db) -> dict[str, int]:
    addresses = [
        "203.0.113.30:5060",
        "203.0.113.30:40000",
        "203.0.113.3:5060",
        "203.0.113.31:5060",
        "[2001:db8::1]:5060",
        "[2001:db8::10]:5060",
    ]
    return {
        address: make_log_record("sip-sessions", remote_address=address).pk for address in addresses
    }


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("203.0.113.30", ["203.0.113.30:5060", "203.0.113.30:40000"]),
        ("203.0.113.30:5060", ["203.0.113.30:5060"]),
        ("203.0.113.3", ["203.0.113.3:5060"]),
        ("203.0.113.30:5061", []),
        ("2001:db8::1", ["[2001:db8::1]:5060"]),
        ("2001:DB8:0::1", ["[2001:db8::1]:5060"]),
        ("[2001:db8::1]", ["[2001:db8::1]:5060"]),
        ("[2001:db8::1]:5060", ["[2001:db8::1]:5060"]),
    ],
)
def test_it_filters_sip_events_by_address_with_or_without_port(
    admin_client, sip_rows, asked, found
):
    response = admin_client.get("/logging/sip-sessions/", {"remote_address": asked})

    assert response.status_code == 200
    assert sorted(row_ids(response)) == sorted(sip_rows[address] for address in found)


@pytest.mark.django_db
def test_it_finds_an_address_stored_without_a_port(admin_client):
    bare = make_log_record("sip-sessions", remote_address="203.0.113.30")

    response = admin_client.get("/logging/sip-sessions/", {"remote_address": "203.0.113.30"})

    assert row_ids(response) == [bare.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["not-an-address", "203.0.113.30:99999", "[203.0.113.30]:1"])
def test_it_refuses_a_bad_address_with_a_form_error(admin_client, asked):
    make_log_record("sip-sessions")

    response = admin_client.get("/logging/sip-sessions/", {"remote_address": asked})

    assert response.status_code == 400
    assert any("Enter an IP address, with or without its port" in e for e in errors(response))
    assert row_ids(response) == []


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["203.0.113.7", "203.0.113.7:51234"])
def test_it_filters_web_sessions_by_ip_pasted_with_or_without_port(admin_client, asked):
    found = make_log_record("web-sessions", ip_address="203.0.113.7")
    make_log_record("web-sessions", ip_address="203.0.113.70")

    response = admin_client.get("/logging/web-sessions/", {"ip_address": asked})

    assert row_ids(response) == [found.pk]
