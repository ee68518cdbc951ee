"""Saved views: save a list as it is under a name, find it in the menu, open it (its rows,
columns and sort are back), share it, rename it and delete it."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from logging_app import models
from logging_app.roles import ADMINISTRATORS
from tests.factories import make_call_detail_record
from tests.page import errors, log_table, main_text, parse, row_ids

pytestmark = pytest.mark.django_db
CDR = "/logging/cdr/"


def _save(client: Client, name: str = "Busy calls", *, log: str = "cdr", **fields):
    data = {"name": name, "query": "", "hidden": []}
    if log == "cdr":
        data["query"] = "disposition=BUSY&range=7d&sort=-total_duration&page=3&before=x&export=csv"
        data["hidden"] = ["caller_group", "callee_group"]
    data.update(fields)
    return client.post(f"/logging/{log}/views/", data)


def _view(name: str = "Busy calls") -> models.SavedView:
    return models.SavedView.objects.get(name=name)


def _menu_views(response) -> list[str]:
    menu = parse(response).find("nav", cls="menu").find("div", cls="menu-views")
    return [a.text for a in menu.find_all("a")]


def _calls() -> dict[str, models.CallDetailRecord]:
    now = timezone.now()
    return {
        "short": make_call_detail_record(disposition="BUSY", total_duration=10),
        "long": make_call_detail_record(disposition="BUSY", total_duration=90),
        "answered": make_call_detail_record(disposition="ANSWERED"),
        "old": make_call_detail_record(disposition="BUSY", call_date=now - timedelta(days=9)),
    }


# --- Saving ---------------------------------------------------------------------------------


def test_it_saves_the_filters_sort_and_columns_and_opens_them(admin_client, admin_user):
    calls = _calls()

    saved = _save(admin_client)
    view = _view()
    opened = admin_client.get(saved["Location"])

    assert view.owner == admin_user and view.log == "cdr" and not view.shared
    # Never a position in the list nor an export.
    assert view.query == "disposition=BUSY&range=7d&sort=-total_duration"
    assert view.hidden == ["caller_group", "callee_group"]
    assert saved.status_code == 302
    assert saved["Location"] == f"{CDR}?{view.query}&view={view.pk}"
    assert opened.status_code == 200
    assert row_ids(opened) == [calls["long"].pk, calls["short"].pk]
    headers = log_table(opened).headers
    assert "Caller group" not in headers and "Callee group" not in headers
    assert "Disposition" in headers
    assert "Saved the view “Busy calls”." in main_text(opened)
    chips = [a.text for a in parse(opened).find("ul", cls="chips").find_all("a")]
    assert "View: Busy calls ×" in chips


def test_it_leaves_out_what_is_no_parameter_of_the_list(admin_client):
    _save(admin_client, query="q=&account=olga&nope=1&refresh=30&view=4&per_page=100")

    assert _view().query == "account=olga&per_page=100"


def test_the_list_offers_to_save_it_as_it_is(admin_client):
    make_call_detail_record()
    admin_client.post("/logging/cdr/columns/", {"shown": ["caller"], "next": CDR})

    response = admin_client.get(CDR, {"disposition": "BUSY", "page": "2", "sort": "caller"})

    form = parse(response).find("details", cls="save-view").find("form")
    assert form.attrs["action"] == "/logging/cdr/views/"
    hidden = {
        (field.attrs["name"], field.attrs["value"])
        for field in form.find_all("input", type="hidden")
        if field.attrs["name"] != "csrfmiddlewaretoken"
    }
    assert ("query", "disposition=BUSY&sort=caller") in hidden
    assert ("hidden", "callee") in hidden and ("hidden", "caller") not in hidden


def test_opening_a_view_keeps_the_users_own_columns(admin_client, admin_user):
    make_call_detail_record()
    _save(admin_client)

    opened = admin_client.get(f"/views/{_view().pk}/", follow=True)
    own = admin_client.get(CDR)

    assert "Caller group" not in log_table(opened).headers
    assert "Caller group" in log_table(own).headers
    assert not models.ListColumns.objects.filter(user=admin_user).exists()
    # The column chooser saves one's own columns, and goes back to the list without the view.
    chooser = parse(opened).find("details", cls="columns-chooser")
    back = chooser.find("input", type="hidden", name="next").attrs["value"]
    assert "view=" not in back and "disposition=BUSY" in back


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 81, "Ensure this value has at most 80 characters (it has 81)."),
    ],
)
def test_it_refuses_a_name_that_is_none_or_too_long(admin_client, name, error):
    response = _save(admin_client, name)

    assert response.status_code == 400
    assert errors(response) == [error]
    assert not models.SavedView.objects.exists()
    # The form is there again, to put it right.
    assert parse(response).find("form", cls="saved-view-form")


def test_it_refuses_a_name_the_user_already_has_on_that_list(admin_client):
    _save(admin_client, "Busy calls")

    response = _save(admin_client, "BUSY CALLS")

    assert response.status_code == 400
    assert errors(response) == ["You already have a view called “BUSY CALLS” on this list."]
    assert _save(admin_client, "Busy calls", log="sip-sessions").status_code == 302


def test_it_refuses_filters_too_long_to_keep(admin_client):
    response = _save(admin_client, query="q=" + "a" * 2100)

    assert response.status_code == 400
    assert errors(response) == [
        "These filters are too long to save as a view (2,000 characters at most)."
    ]


def test_it_refuses_what_is_not_a_column(admin_client):
    response = _save(admin_client, hidden=["call_date"])

    assert response.status_code == 400
    assert errors(response)
    assert not models.SavedView.objects.exists()


def test_support_saves_views_of_its_own(support_client, support_user):
    assert _save(support_client, shared="on").status_code == 302
    assert _view().owner == support_user and _view().shared


def test_it_asks_for_a_post_a_sign_in_and_a_log(client, admin_client, no_perm_client):
    assert admin_client.get("/logging/cdr/views/").status_code == 405
    assert _save(client).status_code == 302  # to the sign-in page
    assert _save(admin_client, log="nope").status_code == 404
    assert _save(no_perm_client).status_code == 403
    assert not models.SavedView.objects.exists()


# --- The menu -------------------------------------------------------------------------------


def test_the_menu_lists_ones_own_views_and_the_shared_ones_per_log(admin_client, support_client):
    _save(admin_client, "Busy calls")
    _save(admin_client, "Mine only", log="sip-sessions")
    _save(support_client, "Registrations", log="sip-sessions", shared="on")
    _save(support_client, "Private", log="sip-sessions")

    response = admin_client.get("/")

    menu = parse(response).find("div", cls="menu-views")
    assert [h3.text for h3 in menu.find_all("h3")] == ["Call Details Record", "SIP Sessions"]
    assert _menu_views(response) == [
        "Busy calls",
        "Mine only",
        "Registrations (support)",
        "All saved views",
    ]
    assert _menu_views(support_client.get("/")) == [
        "Private",
        "Registrations",
        "All saved views",
    ]


def test_the_menu_keeps_few_views_and_fewer_on_a_phone(admin_client):
    for n in range(12):
        _save(admin_client, f"View {n:02d}", query="")

    items = parse(admin_client.get("/")).find("div", cls="menu-views").find_all("li")

    assert len(items) == 10 + 1  # and "All saved views"
    assert [item.attrs.get("class", "") for item in items[:6]] == ["", "", "", "", "extra", "extra"]


def test_the_menu_shows_no_view_of_a_log_the_user_cannot_see(admin_client, no_perm_client):
    _save(admin_client, shared="on")

    response = no_perm_client.get("/preferences/")

    assert _menu_views(response) == ["No saved view yet"]
    assert "No saved view yet." in main_text(no_perm_client.get("/views/"))


# --- Opening and sharing --------------------------------------------------------------------


def test_a_shared_view_opens_for_another_user(admin_client, support_client):
    calls = _calls()
    _save(admin_client, shared="on")
    view = _view()

    opened = support_client.get(f"/views/{view.pk}/")
    page = support_client.get(opened["Location"])

    assert opened.status_code == 302
    assert parse_qs(urlsplit(opened["Location"]).query)["view"] == [str(view.pk)]
    assert row_ids(page) == [calls["long"].pk, calls["short"].pk]
    assert "Caller group" not in log_table(page).headers
    assert "View: Busy calls (shared by admin) ×" in main_text(page)


def test_an_unshared_view_is_its_owners_alone(admin_client, support_client):
    _save(admin_client)
    view = _view()

    assert support_client.get(f"/views/{view.pk}/").status_code == 404
    listed = support_client.get(CDR, {"view": view.pk})
    assert listed.status_code == 400
    assert errors(listed) == ["view: Not a saved view of this list that you can open."]


@pytest.mark.parametrize("view", ["0", "-1", "x", "99999", str(2**63), "1.5"])
def test_the_list_refuses_a_view_that_is_not_one(admin_client, view):
    response = admin_client.get(CDR, {"view": view})

    assert response.status_code == 400
    assert errors(response)


def test_the_list_refuses_a_view_of_another_log(admin_client):
    _save(admin_client)

    response = admin_client.get("/logging/sip-sessions/", {"view": _view().pk})

    assert response.status_code == 400


def test_nobody_opens_a_view_of_a_log_they_cannot_see(admin_client, no_perm_client):
    _save(admin_client, shared="on")

    assert no_perm_client.get(f"/views/{_view().pk}/").status_code == 404
    assert no_perm_client.get("/views/99999999999999999999/").status_code == 404


def test_filtering_in_a_view_keeps_its_columns(admin_client):
    make_call_detail_record()
    _save(admin_client)

    page = admin_client.get(f"/views/{_view().pk}/", follow=True)

    form = parse(page).find("form", cls="filters")
    kept = form.find("input", type="hidden", name="view")
    assert kept.attrs["value"] == str(_view().pk)


# --- The page of saved views, renaming, deleting -------------------------------------------


def test_the_page_of_views_says_whose_they_are_and_what_one_may_change(
    admin_client, support_client
):
    _save(admin_client, shared="on")
    _save(support_client, "Mine", query="")

    response = support_client.get("/views/")

    rows = [
        [cell.text for cell in row.find_all("td")]
        for row in parse(response).find("table", cls="saved-views-table").find_all("tr")[1:]
    ]
    assert rows == [
        ["Mine", "you", "no", "Rename or share Delete"],
        ["Busy calls", "admin", "yes", ""],
    ]


def test_its_owner_renames_and_shares_a_view(support_client):
    _save(support_client)
    view = _view()

    response = support_client.post(f"/views/{view.pk}/edit/", {"name": "Busy", "shared": "on"})

    assert response.status_code == 302
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Busy", True)
    assert "Saved the view “Busy”." in main_text(support_client.get(response["Location"]))


def test_a_rename_refuses_a_bad_name(support_client):
    _save(support_client)
    _save(support_client, "Other", query="")

    assert errors(support_client.post(f"/views/{_view().pk}/edit/", {"name": ""})) == [
        "This field is required."
    ]
    taken = support_client.post(f"/views/{_view().pk}/edit/", {"name": "other"})
    assert taken.status_code == 400
    assert errors(taken) == ["You already have a view called “other” on this list."]
    # Its own name, in another case, is no clash.
    assert (
        support_client.post(f"/views/{_view().pk}/edit/", {"name": "BUSY calls"}).status_code == 302
    )


def test_a_shared_view_is_read_only_to_others(admin_client, support_client):
    _save(admin_client, shared="on")
    view = _view()

    assert support_client.get(f"/views/{view.pk}/edit/").status_code == 403
    assert support_client.post(f"/views/{view.pk}/edit/", {"name": "Mine"}).status_code == 403
    assert support_client.post(f"/views/{view.pk}/delete/").status_code == 403
    assert _view().name == "Busy calls"


def test_an_administrator_renames_and_deletes_a_shared_view(support_client, db):
    _save(support_client, shared="on")
    view = _view()
    administrator = User.objects.create_user("ada", password="ada-password-123")
    administrator.groups.add(Group.objects.get(name=ADMINISTRATORS))
    client = Client()
    client.force_login(administrator)

    renamed = client.post(f"/views/{view.pk}/edit/", {"name": "Checked", "shared": "on"})

    assert renamed.status_code == 302
    assert client.post(f"/views/{view.pk}/delete/").status_code == 302
    assert not models.SavedView.objects.exists()


def test_deleting_asks_first(admin_client):
    _save(admin_client)
    view = _view()

    asked = admin_client.get(f"/views/{view.pk}/delete/")
    deleted = admin_client.post(f"/views/{view.pk}/delete/")

    assert asked.status_code == 200
    assert "Delete the view “Busy calls”?" in main_text(asked)
    assert parse(asked).find("form", method="post")
    assert deleted.status_code == 302 and deleted["Location"] == "/views/"
    assert not models.SavedView.objects.exists()
    assert admin_client.get(f"/views/{view.pk}/").status_code == 404
    assert admin_client.post(f"/views/{view.pk}/delete/").status_code == 404


def test_the_pages_of_views_ask_for_a_sign_in(client):
    for url in ("/views/", "/views/1/", "/views/1/edit/", "/views/1/delete/"):
        assert client.get(url).status_code == 302, url


def test_a_view_costs_the_list_no_more_queries(admin_client, django_assert_max_num_queries):
    from tests.test_views_log_list import MAX_QUERIES_PER_LIST

    for _ in range(30):
        make_call_detail_record(disposition="BUSY")
    _save(admin_client)

    with django_assert_max_num_queries(MAX_QUERIES_PER_LIST):
        response = admin_client.get(f"{CDR}?disposition=BUSY&view={_view().pk}")

    assert "Caller group" not in log_table(response).headers
