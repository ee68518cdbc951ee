"""The account pages found however the account is named: by username, description or
virtual number, in any case (`/accounts/?q=` and `/accounts/<name>/`)."""

from urllib.parse import quote

import pytest

from tests.factories import make_account, make_log_record
from tests.page import main_text, parse


def _alice():
    return make_account(
        username="alice.esposito", description="Alice Esposito", virtual_number="+390612340016"
    )


def _found(response) -> list[str]:
    """The account pages the account list links to, in its order."""
    return [link for link in parse(response).find("table").links if link.startswith("/accounts/")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "ALICE.ESPOSITO",
        "Alice Esposito",
        "alice esposito",
        "+390612340016",
        "390612340016",
        "0039 06 1234 0016",
    ],
)
def test_it_takes_an_account_named_otherwise_to_its_page(admin_client, name):
    _alice()

    response = admin_client.get(f"/accounts/{quote(name)}/")

    assert response.status_code == 302
    assert response.url == "/accounts/alice.esposito/"


@pytest.mark.django_db
def test_it_lists_the_accounts_a_shared_description_names(admin_client):
    make_account(username="mrossi", description="Mario Rossi")
    make_account(username="mario.rossi", description="Mario Rossi")

    response = admin_client.get("/accounts/Mario%20Rossi/", follow=True)

    assert response.redirect_chain == [("/accounts/?q=Mario+Rossi", 302)]
    assert _found(response) == ["/accounts/mario.rossi/", "/accounts/mrossi/"]


@pytest.mark.django_db
def test_it_shows_a_name_only_rows_carry_as_before(admin_client):
    _alice()
    make_log_record("install-messages", account_name="ghost")

    response = admin_client.get("/accounts/ghost/")

    assert response.status_code == 200
    assert "not in the account directory" in main_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["ALICE.ESPOSITO", "alice esposito", "Esposito", "+39 06 1234 0016", "390612340016"]
)
def test_it_searches_accounts_by_any_of_their_names(admin_client, query):
    _alice()
    make_account(username="bruno", description="Bruno Bianchi", virtual_number="+390612340048")

    response = admin_client.get("/accounts/", {"q": query})

    assert _found(response) == ["/accounts/alice.esposito/"]


@pytest.mark.django_db
def test_it_lists_the_account_a_search_names_exactly_first(admin_client):
    make_account(username="aalice", description="Aalice")
    make_account(username="alice", description="Alice Rossi")

    response = admin_client.get("/accounts/", {"q": "ALICE"})

    assert _found(response) == ["/accounts/alice/", "/accounts/aalice/"]


@pytest.mark.django_db
def test_it_offers_the_closest_accounts_when_a_search_finds_none(admin_client):
    _alice()
    make_account(username="bruno", description="Bruno Bianchi")

    response = admin_client.get("/accounts/", {"q": "alice.esposto"})

    assert "No accounts match “alice.esposto”. Closest accounts: alice.esposito" in (
        main_text(response)
    )
    assert _found(response) == ["/accounts/alice.esposito/"]
