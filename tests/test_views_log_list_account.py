"""The lists' `account` filter: an account found however it is named (username, name or
number, any case), and a name that finds none said so, with the closest accounts."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from logging_app.logs import LOGS
from tests.factories import make_account, make_log_record
from tests.page import parse, row_ids
from tests.test_views_log_list import MAX_QUERIES_PER_LIST

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WITH_ACCOUNTS = [slug for slug, spec in LOGS.items() if spec.account_links]
# Logs whose rows keep the username they received beside the link.
BY_USERNAME = [
    (slug, link)
    for slug, spec in LOGS.items()
    for link in spec.account_links
    if link.match == "username"
]
NAMES = [
    "alice.esposito",
    "ALICE.ESPOSITO",
    "Alice Esposito",
    "alice  esposito",
    "+390612340016",
    "+39 06 1234 0016",
    "390612340016",
    "0039 06 1234-0016",
]


def _url(slug: str) -> str:
    return f"/logging/{slug}/"


def _alice():
    return make_account(
        username="alice.esposito", description="Alice Esposito", virtual_number="+390612340016"
    )


def _account_notice(response):
    """The notice the account filter wrote, if any."""
    notices = parse(response).find("main").find_all("p", cls="account-match")
    return notices[0] if notices else None


@pytest.mark.django_db
@pytest.mark.parametrize("typed", NAMES)
@pytest.mark.parametrize("slug", WITH_ACCOUNTS)
def test_it_finds_an_accounts_rows_by_any_of_its_names(admin_client, slug, typed):
    alice = _alice()
    mine = [make_log_record(slug, **{link.link: alice}).pk for link in LOGS[slug].account_links]
    make_log_record(slug)  # someone else's

    response = admin_client.get(_url(slug), {"account": typed})

    assert response.status_code == 200
    assert sorted(row_ids(response)) == sorted(mine)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "link"), BY_USERNAME, ids=[f"{slug}-{link.source}" for slug, link in BY_USERNAME]
)
def test_it_finds_rows_received_under_the_accounts_username_but_not_linked(
    admin_client, slug, link
):
    _alice()
    unlinked = make_log_record(slug, **{link.source: "alice.esposito"})
    make_log_record(slug, **{link.source: "bob"})

    response = admin_client.get(_url(slug), {"account": "Alice Esposito"})

    assert row_ids(response) == [unlinked.pk]


@pytest.mark.django_db
def test_it_finds_cdrs_by_the_number_of_either_party(admin_client):
    alice = _alice()
    made = make_log_record("cdr", caller_account=alice)
    received = make_log_record("cdr", callee_account=alice)
    make_log_record("cdr")

    response = admin_client.get(_url("cdr"), {"account": "+39 06 1234 0016"})

    assert sorted(row_ids(response)) == sorted([made.pk, received.pk])


@pytest.mark.django_db
def test_it_says_whose_rows_it_shows_when_found_by_another_name(admin_client):
    alice = _alice()
    make_log_record("sip-sessions", account=alice)

    by_number = admin_client.get(_url("sip-sessions"), {"account": "+390612340016"})
    by_username = admin_client.get(_url("sip-sessions"), {"account": "alice.esposito"})

    notice = _account_notice(by_number)
    assert "“+390612340016” is alice.esposito (Alice Esposito)" in notice.text
    assert notice.links == ["/accounts/alice.esposito/"]
    assert _account_notice(by_username) is None


@pytest.mark.django_db
def test_it_shows_every_account_a_shared_description_names(admin_client):
    first = make_account(username="mrossi", description="Mario Rossi")
    second = make_account(username="mario.rossi", description="Mario Rossi")
    rows = [make_log_record("web-sessions", account=account).pk for account in (first, second)]
    make_log_record("web-sessions")

    response = admin_client.get(_url("web-sessions"), {"account": "mario rossi"})

    assert sorted(row_ids(response)) == sorted(rows)
    assert _account_notice(response).links == ["/accounts/mario.rossi/", "/accounts/mrossi/"]


@pytest.mark.django_db
def test_it_takes_a_username_typed_exactly_for_that_account_alone(admin_client):
    alice = make_account(username="alice", description="Alice Rossi")
    other = make_account(username="arossi", description="Alice")
    mine = make_log_record("install-messages", account=alice)
    theirs = make_log_record("install-messages", account=other)

    exactly = admin_client.get(_url("install-messages"), {"account": "alice"})
    in_another_case = admin_client.get(_url("install-messages"), {"account": "ALICE"})

    assert row_ids(exactly) == [mine.pk]
    assert sorted(row_ids(in_another_case)) == sorted([mine.pk, theirs.pk])


@pytest.mark.django_db
def test_it_says_when_no_account_matches_and_offers_the_closest(admin_client):
    alice = _alice()
    make_account(username="alicia.conti", description="Alicia Conti")
    make_account(username="bruno", description="Bruno Bianchi")
    mine = make_log_record("sip-sessions", account=alice)

    response = admin_client.get(
        _url("sip-sessions"), {"account": "alice.esposto", "since": "2000-01-01T00:00:00"}
    )

    notice = _account_notice(response)
    assert row_ids(response) == []
    assert "No account is called “alice.esposto”" in notice.text
    assert "Closest accounts: alice.esposito (Alice Esposito)" in notice.text
    offered = {parse_qs(urlsplit(link).query)["account"][0]: link for link in notice.links}
    assert "bruno" not in offered
    # Each suggestion is the same list, filtered by that account.
    query = parse_qs(urlsplit(offered["alice.esposito"]).query)
    assert query["since"] == ["2000-01-01T00:00:00"]
    followed = admin_client.get(urljoin(_url("sip-sessions"), offered["alice.esposito"]))
    assert row_ids(followed) == [mine.pk]


@pytest.mark.django_db
def test_it_offers_accounts_holding_the_text(admin_client):
    _alice()

    response = admin_client.get(_url("install-messages"), {"account": "esposito"})

    assert "alice.esposito" in _account_notice(response).text


@pytest.mark.django_db
def test_it_says_so_when_nothing_comes_close(admin_client):
    _alice()

    response = admin_client.get(_url("install-messages"), {"account": "zzqqxx"})

    notice = _account_notice(response)
    assert "No account is called “zzqqxx”" in notice.text
    assert "None comes close" in notice.text
    assert notice.links == ["/accounts/"]


@pytest.mark.django_db
def test_it_offers_nothing_for_a_name_rows_carry(admin_client):
    # A deleted account's name: its rows are the answer.
    kept = make_log_record("install-messages", account_name="ghost")

    response = admin_client.get(_url("install-messages"), {"account": "ghost"})

    assert row_ids(response) == [kept.pk]
    assert "“ghost” is not in the account directory" in _account_notice(response).text
    assert "Closest accounts" not in _account_notice(response).text


@pytest.mark.django_db
def test_it_matches_names_whole_not_as_patterns(admin_client):
    _alice()
    make_log_record("web-sessions", account=None, principal="alice.esposito")

    response = admin_client.get(_url("web-sessions"), {"account": "alice%"})

    assert row_ids(response) == []
    assert "No account is called “alice%”" in _account_notice(response).text


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ALICE.ESPOSITO", "+390612340016", "nobody"])
@pytest.mark.parametrize("slug", WITH_ACCOUNTS)
def test_it_bounds_the_queries_of_a_list_by_account(
    support_client, slug, typed, django_assert_max_num_queries
):
    alice = _alice()
    links = LOGS[slug].account_links
    for minute in range(60):
        link = links[minute % len(links)]
        make_log_record(
            slug, **{LOGS[slug].time_field: T0 - timedelta(minutes=minute)}, **{link.link: alice}
        )

    # A list's queries, and the lookup of the accounts the name means; however many
    # fields and names the rows are looked for under (one UNION ALL: selectors.first_rows),
    # and the closest accounts in place of the count when nothing is found.
    with django_assert_max_num_queries(MAX_QUERIES_PER_LIST + 1):
        first = support_client.get(_url(slug), {"account": typed})
    assert first.status_code == 200
    assert len(row_ids(first)) == (0 if typed == "nobody" else 50)
