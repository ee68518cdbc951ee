"""The search box (`q`): what support pastes, found exactly through indexes; other words
inside the text columns (logging_app/listing/search.py)."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.db.models import Q, UUIDField

from logging_app.listing.search import (
    ADDRESS,
    CALL_ID,
    NUMBER,
    UUID,
    crossed,
    fields_by_kind,
    readings,
    search_for,
)
from logging_app.logs import LOGS
from tests.factories import make_account, make_call_detail_record, make_log_record
from tests.page import errors, parse, row_ids
from tests.test_views_log_list import MAX_QUERIES_PER_LIST

ALL_LOGS = list(LOGS)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CDR = "/logging/cdr/"
NUMBER_TYPED = "+390612340016"


def _url(slug: str) -> str:
    return f"/logging/{slug}/"


def _searched_for(response) -> str:
    return parse(response).find("p", cls="searched").text


def _link(response, rel: str) -> str:
    return parse(response).find("a", rel=rel).attrs["href"]


# --- Reading the text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("1795696564.988", [CALL_ID]),
        ("+390612340016", [NUMBER]),
        ("+39 06 1234-0016", [NUMBER]),
        ("390612340016", [CALL_ID, NUMBER]),  # digits: a call id or a number
        ("203.0.113.30", [ADDRESS]),
        ("203.0.113.30:5060", [ADDRESS]),
        ("2001:db8::1", [ADDRESS]),
        ("[2001:db8::1]:5060", [ADDRESS]),
        ("3f2a6c1e-8d4b-4c2a-9e1f-0a1b2c3d4e5f", [UUID]),
        ("Operations", []),
        ("0016", []),  # a part of a number: looked for inside the text
        ("2.1", [CALL_ID]),
        ("fe80::1%eth0", []),
        ("203.0.113.30:99999", []),
        ("[203.0.113.30]:5060", []),
    ],
)
def test_it_reads_what_support_pastes(text, kinds):
    assert [reading.kind for reading in readings(text)] == kinds


@pytest.mark.parametrize(
    ("slug", "kinds"),
    [
        (
            "cdr",
            {
                UUID: ("event_id",),
                CALL_ID: ("call_id",),
                NUMBER: ("caller_number", "callee_number"),
            },
        ),
        ("secure-messages", {UUID: ("uuid",)}),
        ("sip-sessions", {UUID: ("event_id",), ADDRESS: ("remote_address",)}),
        ("web-sessions", {UUID: ("event_id",), ADDRESS: ("ip_address",)}),
        ("system", {UUID: ("event_id",)}),
    ],
)
def test_it_knows_which_fields_hold_each_kind(slug, kinds):
    assert fields_by_kind(LOGS[slug]) == kinds


# Exact fields no index leads, on purpose: enumerations of the small message logs (their
# lists filter by them the same way), and a web session's address (one row per sign-in; an
# index would cost every ingest for a log that stays small).
UNINDEXED = {
    ("install-messages", "variant"),
    ("install-messages", "message_type"),
    ("activation-messages", "message_type"),
    ("web-sessions", "ip_address"),
}


def _exact_fields(spec) -> set[str]:
    fields = {name for names in fields_by_kind(spec).values() for name in names}
    fields |= {f.name for f in spec.model._meta.concrete_fields if f.choices and not f.is_relation}
    # A number in a field an account link fills is looked up through the link.
    links = {link.source: link.link for link in spec.account_links}
    return {links.get(name, name) for name in fields}


@pytest.mark.parametrize("slug", ALL_LOGS)
def test_it_looks_up_every_exact_field_through_an_index(slug):
    spec = LOGS[slug]
    meta = spec.model._meta
    led = {index.fields[0] for index in meta.indexes} | {
        f.name for f in meta.concrete_fields if f.unique
    }

    missing = {name for name in _exact_fields(spec) if name not in led} - {
        name for log, name in UNINDEXED if log == slug
    }

    assert not missing, f"{slug}: no index leads with {sorted(missing)}"


def test_it_finds_an_unlinked_number_through_a_partial_index():
    # The rows no account was linked to: the only ones a number's own index holds.
    spec = LOGS["cdr"]
    partial = {
        (index.fields[0], str(index.condition))
        for index in spec.model._meta.indexes
        if index.condition is not None
    }

    for name in fields_by_kind(spec)[NUMBER]:
        link = next(link.link for link in spec.account_links if link.source == name)
        assert (name, str(Q(**{f"{link}__isnull": True}))) in partial


def test_it_joins_the_branches_of_two_ors():
    a, b, x, y = Q(a=1), Q(b=1), Q(x=1), Q(y=1)

    assert crossed((a, b), (x, y)) == (a & x, a & y, b & x, b & y)
    assert crossed((a, b), (x, y, Q(z=1))) == (a, b)  # too many: the shorter OR's
    five = tuple(Q(n=n) for n in range(5))
    assert crossed((a,), five) == tuple(a & branch for branch in five)
    assert crossed((a, b), ()) == (a, b)
    assert crossed((a,), (x,)) == ()
    assert crossed((), ()) == ()


def test_it_takes_quoted_text_as_text():
    search = search_for(LOGS["cdr"], '"FAILED"')

    assert not search.exact
    assert search.description == "text “FAILED”"


# --- Each kind, found exactly -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ALL_LOGS)
def test_it_finds_a_record_by_its_uuid(admin_client, slug):
    field = next(f.name for f in LOGS[slug].model._meta.concrete_fields if isinstance(f, UUIDField))
    found, other = make_log_record(slug), make_log_record(slug)

    response = admin_client.get(_url(slug), {"q": str(getattr(found, field)).upper()})

    assert row_ids(response) == [found.pk]
    assert other.pk not in row_ids(response)
    assert _searched_for(response).startswith(f"Searched for UUID {getattr(found, field)}.")


@pytest.mark.django_db
def test_it_finds_a_secure_message_by_its_uuid(admin_client):
    message = make_log_record(
        "secure-messages", uuid=uuid.UUID("3f2a6c1e-8d4b-4c2a-9e1f-0a1b2c3d4e5f")
    )
    make_log_record("secure-messages")

    response = admin_client.get(
        _url("secure-messages"), {"q": "3f2a6c1e-8d4b-4c2a-9e1f-0a1b2c3d4e5f"}
    )

    assert row_ids(response) == [message.pk]


@pytest.mark.django_db
def test_it_finds_a_call_by_its_call_id_and_no_other(admin_client):
    legs = [make_call_detail_record(call_id="1795696564.988") for _ in range(2)]
    for other in ("1795696564.9881", "11795696564.988", "1795696564.98"):
        make_call_detail_record(call_id=other)

    response = admin_client.get(CDR, {"q": "1795696564.988"})

    assert sorted(row_ids(response)) == sorted(leg.pk for leg in legs)
    assert _searched_for(response).startswith("Searched for call id 1795696564.988.")


@pytest.mark.django_db
def test_it_finds_a_number_as_caller_or_callee_linked_or_not(admin_client):
    holder = make_account(virtual_number=NUMBER_TYPED)
    made = make_call_detail_record(caller_account=holder)
    received = make_call_detail_record(callee_account=holder)
    # Before the account had it, or a number no account has: stored without a link.
    unlinked = make_call_detail_record(callee_number=NUMBER_TYPED)
    other_notation = make_call_detail_record(caller_number="00390612340016")
    make_call_detail_record(caller_number="+3906123400161")  # a longer number
    make_call_detail_record(callee_number="+39061234001")  # a shorter one
    # The account's calls under the number it had before.
    make_call_detail_record(caller_account=holder, caller_number="+390699999999")

    response = admin_client.get(CDR, {"q": "+39 06 1234 0016"})

    assert sorted(row_ids(response)) == sorted(
        row.pk for row in (made, received, unlinked, other_notation)
    )
    assert _searched_for(response).startswith(f"Searched for number {NUMBER_TYPED}.")


@pytest.mark.django_db
def test_it_finds_digits_as_a_call_id_or_a_number(admin_client):
    by_number = make_call_detail_record(caller_number="390612340016")
    by_call_id = make_call_detail_record(call_id="390612340016")
    make_call_detail_record(call_id="390612340016.1")

    response = admin_client.get(CDR, {"q": "390612340016"})

    assert sorted(row_ids(response)) == sorted([by_number.pk, by_call_id.pk])
    assert _searched_for(response).startswith(
        "Searched for call id 390612340016 or number 390612340016."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("203.0.113.30", ["203.0.113.30:5060", "203.0.113.30:5061"]),
        ("203.0.113.30:5060", ["203.0.113.30:5060"]),
        ("2001:db8::1", ["[2001:db8::1]:5060"]),
        ("[2001:db8::1]:5060", ["[2001:db8::1]:5060"]),
    ],
)
def test_it_finds_a_sip_remote_address_with_or_without_its_port(admin_client, q, found):
    rows = {
        address: make_log_record("sip-sessions", remote_address=address)
        for address in (
            "203.0.113.30:5060",
            "203.0.113.30:5061",
            "203.0.113.3:5060",
            "203.0.113.300:5060",
            "[2001:db8::1]:5060",
            "[2001:db8::10]:5060",
        )
    }

    response = admin_client.get(_url("sip-sessions"), {"q": q})

    assert sorted(row_ids(response)) == sorted(rows[address].pk for address in found)
    assert _searched_for(response).startswith(f"Searched for address {q}.")


@pytest.mark.django_db
def test_it_finds_a_web_sessions_address_port_or_not(admin_client):
    found = make_log_record("web-sessions", ip_address="203.0.113.30")
    make_log_record("web-sessions", ip_address="203.0.113.3")

    for q in ("203.0.113.30", "203.0.113.30:443"):
        assert row_ids(admin_client.get(_url("web-sessions"), {"q": q})) == [found.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "field", "q", "value", "said"),
    [
        ("cdr", "disposition", "FAILED", "FAILED", "disposition FAILED"),
        ("cdr", "hangup_cause", "user_busy", "USER_BUSY", "hangup cause USER_BUSY"),
        ("cdr", "call_type", "3-way", "3-WAY", "call type 3-WAY"),
        ("secure-messages", "status", "Expired", "EXPIRED", "status EXPIRED"),
        # UNREGISTER holds REGISTER: found whole, not inside.
        ("sip-sessions", "event", "REGISTER", "REGISTER", "event REGISTER"),
        ("web-sessions", "event_type", "success", "SUCCESS", "event type SUCCESS"),
    ],
)
def test_it_finds_an_enumerated_value_whole(admin_client, slug, field, q, value, said):
    found = make_log_record(slug, **{field: value})
    for other, _ in LOGS[slug].model._meta.get_field(field).flatchoices:
        if other != value:
            make_log_record(slug, **{field: other})

    response = admin_client.get(_url(slug), {"q": q})

    assert row_ids(response) == [found.pk]
    assert _searched_for(response).startswith(f"Searched for {said}.")


@pytest.mark.django_db
def test_it_finds_a_value_two_enumerations_hold_in_either(admin_client):
    no_answer = make_call_detail_record(disposition="NO_ANSWER", hangup_cause="NO_ANSWER")
    timed_out = make_call_detail_record(disposition="FAILED", hangup_cause="NO_ANSWER")
    make_call_detail_record(disposition="FAILED", hangup_cause="NO_USER_RESPONSE")

    response = admin_client.get(CDR, {"q": "no answer"})

    assert sorted(row_ids(response)) == sorted([no_answer.pk, timed_out.pk])
    assert _searched_for(response).startswith("Searched for disposition or hangup cause NO_ANSWER.")


# --- Free text ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_finds_a_group_name_inside_the_text(admin_client):
    caller = make_call_detail_record(caller_group="Operations")
    callee = make_call_detail_record(callee_group="IT Operations")
    make_call_detail_record()

    response = admin_client.get(CDR, {"q": "operations"})

    assert sorted(row_ids(response)) == sorted([caller.pk, callee.pk])
    assert _searched_for(response) == "Searched for text “operations”."


@pytest.mark.django_db
def test_it_looks_inside_the_text_for_a_kind_the_log_has_no_field_for(admin_client):
    found = make_log_record("system", message=f"Modem dialled {NUMBER_TYPED}")
    make_log_record("system")

    response = admin_client.get(_url("system"), {"q": NUMBER_TYPED})

    assert row_ids(response) == [found.pk]
    assert _searched_for(response) == f"Searched for text “{NUMBER_TYPED}”."


@pytest.mark.django_db
def test_it_offers_to_look_for_an_exact_value_inside_the_text(admin_client):
    failed = make_call_detail_record(disposition="FAILED")
    named = make_call_detail_record(caller="Failed Fred")

    exact = admin_client.get(CDR, {"q": "FAILED"})
    link = parse(exact).find("p", cls="searched").find("a").attrs["href"]
    as_text = admin_client.get(urljoin(CDR, link))

    assert row_ids(exact) == [failed.pk]
    assert parse_qs(urlsplit(link).query)["q"] == ['"FAILED"']
    assert row_ids(as_text) == [named.pk]
    assert _searched_for(as_text) == "Searched for text “FAILED”."


@pytest.mark.django_db
def test_it_says_nothing_of_a_search_without_one(admin_client):
    response = admin_client.get(CDR, {"q": "  "})

    assert response.status_code == 200
    assert not parse(response).find_all("p", cls="searched")


# --- Pages, queries, garbage --------------------------------------------------------------


@pytest.mark.django_db
def test_it_pages_a_number_found_linked_and_unlinked_as_one_list(admin_client):
    holder = make_account(virtual_number=NUMBER_TYPED)
    mine = []
    for minute in range(60):
        call_date = T0 - timedelta(minutes=minute)
        side = ("caller_account", "callee_account", "callee_number")[minute % 3]
        value = NUMBER_TYPED if side == "callee_number" else holder
        mine.append(make_call_detail_record(call_date=call_date, **{side: value}).pk)
        make_call_detail_record(call_date=call_date)  # someone else's

    first = admin_client.get(CDR, {"q": NUMBER_TYPED, "per_page": "25"})
    second = admin_client.get(urljoin(CDR, _link(first, "next")))
    third = admin_client.get(urljoin(CDR, _link(second, "next")))
    back = admin_client.get(urljoin(CDR, _link(third, "prev")))

    assert row_ids(first) + row_ids(second) + row_ids(third) == mine
    assert row_ids(back) == row_ids(second)


@pytest.mark.django_db
def test_it_searches_within_an_accounts_rows(admin_client):
    alice = make_account(username="alice")
    mine = make_call_detail_record(caller_account=alice, disposition="FAILED")
    make_call_detail_record(callee_account=alice, disposition="BUSY")
    make_call_detail_record(disposition="FAILED")

    response = admin_client.get(CDR, {"account": "alice", "q": "failed"})

    assert row_ids(response) == [mine.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"q": "1795696564.988"},
        {"q": NUMBER_TYPED},
        {"q": "390612340016"},
        {"q": "FAILED"},
        {"q": "no answer"},
        {"q": "Operations"},
        {"q": NUMBER_TYPED, "account": "alice"},
        {"q": "no answer", "account": "alice"},
    ],
)
def test_it_searches_in_a_bounded_number_of_queries(
    admin_client, query, django_assert_max_num_queries
):
    alice = make_account(username="alice", virtual_number=NUMBER_TYPED)
    for minute in range(60):
        make_call_detail_record(
            call_date=T0 - timedelta(minutes=minute),
            caller_account=alice if minute % 2 else None,
            callee_number=NUMBER_TYPED,
            call_id="1795696564.988",
            disposition="FAILED",
            hangup_cause="NO_ANSWER",
            caller_group="Operations",
        )

    with django_assert_max_num_queries(MAX_QUERIES_PER_LIST):
        response = admin_client.get(CDR, query | {"per_page": "25"})

    assert response.status_code == 200
    assert len(row_ids(response)) == 25


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ALL_LOGS)
@pytest.mark.parametrize(
    "q",
    [
        "%_'\"\\",
        "fe80::1%eth0",
        "[::1]:99999",
        "[1.2.3.4]:80",
        "::ffff:1.2.3.4",
        "1.2.3.4:0",
        "{3f2a6c1e-8d4b-4c2a-9e1f-0a1b2c3d4e5f}",
        "urn:uuid:3f2a6c1e-8d4b-4c2a-9e1f-0a1b2c3d4e5f",
        "1" * 1000,
        "+" + "9" * 40,
        "١٢٣٤٥٦٧٨٩",  # digits, but not ASCII ones
        '"',
        "😀",
        "x" * 1000,
    ],
)
def test_it_answers_any_search_without_a_server_error(admin_client, slug, q):
    make_log_record(slug)

    response = admin_client.get(_url(slug), {"q": q})

    assert response.status_code == 200
    assert row_ids(response) == []


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["FAILED\x00", "x" * 1001, "“" * 100_000])
def test_it_refuses_a_search_no_column_can_hold(admin_client, q):
    # SQLite refuses a LIKE pattern of more than 50,000 bytes.
    response = admin_client.get(CDR, {"q": q})

    assert response.status_code == 400
    assert errors(response)


def test_it_reads_an_enumerated_value_only_where_the_log_has_it():
    # EXPIRED is no value of the CDR's: there, it is a word like any other.
    assert not search_for(LOGS["cdr"], "EXPIRED").exact
    assert search_for(LOGS["secure-messages"], "EXPIRED").description == "status EXPIRED"


@pytest.mark.django_db
def test_it_looks_for_a_number_no_account_holds_among_the_unlinked_rows():
    search = search_for(LOGS["cdr"], NUMBER_TYPED)

    numbers = (NUMBER_TYPED, "390612340016", "00390612340016")
    assert search.branches == (
        Q(caller_account__isnull=True, caller_number__in=numbers),
        Q(callee_account__isnull=True, callee_number__in=numbers),
    )
