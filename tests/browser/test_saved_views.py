"""Saved views round-trip at a laptop's and a phone's size: save a list with its filters,
sort and columns, find it in the menu, open it and get the same rows and columns back,
share it with a Support user who opens it too, and delete it after being asked."""

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from logging_app.roles import SUPPORT, roles_sync
from tests.browser.conftest import TIMEOUT_MS, Watch
from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SUPPORT_USER, SUPPORT_PASSWORD = "sam", "support-browser-password-7"
LIST = "/logging/cdr/?range=30d&sort=-total_duration&per_page=25"


@pytest.fixture(params=[LAPTOP, PHONE], ids=["laptop", "phone"])
def tabs(request, browser, console: str, watch: Watch) -> Iterator:
    """A function that opens a fresh tab at the size under test, signed in as someone."""
    contexts = []

    def open_tab(username: str | None = None, password: str | None = None) -> Page:
        context = browser.new_context(base_url=console, viewport=request.param)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
        tab.on("pageerror", lambda error: watch.errors.append(str(error)))
        sign_in(tab, *(arg for arg in (username, password) if arg))
        return tab

    open_tab.phone = request.param is PHONE
    yield open_tab
    for context in contexts:
        context.close()
    assert watch.errors == []


def _menu(page: Page, phone: bool):
    """The main menu, unfolded on a phone."""
    menu = page.get_by_role("navigation", name="Main menu")
    if phone:
        page.get_by_role("button", name="Menu").click()
    expect(menu).to_be_visible()
    return menu


def _rows(page: Page) -> list[str]:
    """The records the list shows, by the link of their time."""
    links = page.locator("table.log-table tbody tr td:first-child a")
    return [links.nth(i).get_attribute("href") for i in range(links.count())]


def _headers(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("table.log-table thead th").all_inner_texts()]


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_saved_view_round_trips(tabs):
    page = tabs()
    phone = tabs.phone

    # The list as someone works in it: a range, a sort, two columns fewer.
    page.goto(LIST)
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Caller group").uncheck()
    page.get_by_label("Callee group").uncheck()
    page.get_by_role("button", name="Save columns").click()
    expect(page.locator("table.log-table th[aria-sort]")).to_have_attribute(
        "aria-sort", "descending"
    )
    rows, headers = _rows(page), _headers(page)
    assert rows and "Caller group" not in headers

    page.locator("summary", has_text="Save view").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Longest calls")
    page.get_by_role("checkbox", name=re.compile("Share it")).check()
    assert _fits(page)
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("Saved the view “Longest calls”.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/logging/cdr/\?.*view=\d+$"))

    # One's own columns back to all: the view keeps its own.
    page.get_by_role("link", name=re.compile("^Leave the columns")).click()
    page.locator("summary", has_text="Columns (2 hidden)").click()
    page.get_by_role("button", name="Show all").click()
    expect(page.locator("table.log-table thead th", has_text="Caller group")).to_have_count(1)

    # Found in the menu, it opens the same rows, sort and columns.
    page.goto("/")
    _menu(page, phone).get_by_role("link", name="Longest calls").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call Details Record · Longest calls")
    expect(page.locator("table.log-table th[aria-sort]")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert _rows(page) == rows
    assert _headers(page) == headers
    assert _fits(page)
    shared_url = page.url

    # Shared: a Support user finds it in the menu, read-only, and sees the same.
    roles_sync()
    support = User.objects.create_user(SUPPORT_USER, password=SUPPORT_PASSWORD)
    support.groups.add(Group.objects.get(name=SUPPORT))
    other = tabs(SUPPORT_USER, SUPPORT_PASSWORD)
    _menu(other, phone).get_by_role("link", name="Longest calls (admin)").click()
    expect(other.get_by_text("View: Longest calls (shared by admin)")).to_be_visible()
    assert _rows(other) == rows
    assert _headers(other) == headers
    assert other.url == shared_url
    other.goto("/views/")
    listed = other.get_by_role("main").get_by_role("link", name="Longest calls", exact=True)
    expect(listed).to_be_visible()
    expect(other.get_by_role("link", name="Delete Longest calls")).to_have_count(0)

    # Deleted by its owner, after being asked; gone from both menus.
    page.goto("/views/")
    page.get_by_role("link", name="Delete Longest calls").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the view “Longest calls”?")
    page.get_by_role("button", name="Delete the view").click()
    expect(page.get_by_text("Deleted the view “Longest calls”.")).to_be_visible()
    expect(_menu(page, phone).get_by_role("link", name="Longest calls")).to_have_count(0)
    other.goto("/")
    expect(_menu(other, phone).get_by_role("link", name=re.compile("Longest"))).to_have_count(0)
