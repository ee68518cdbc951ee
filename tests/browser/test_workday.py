"""A working day in the console at a laptop's and a phone's size: every log page fits its
window, the sort shows, the keyboard works, and both themes keep their contrast (axe-core,
vendored, run in the page)."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from logging_app import models
from logging_app.logs import LOGS
from tests.browser.conftest import TIMEOUT_MS, Watch
from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# A column of each log that is not the time, to sort by.
_SORTABLE = {spec.slug: spec.listed_columns[-1].name for spec in LOGS.values()}


def _tab(browser, console: str, watch: Watch, *, viewport: dict, scheme: str = "light"):
    context = browser.new_context(base_url=console, viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on("console", lambda message: message.type == "error" and watch.errors.append(message.text))
    tab.on("pageerror", lambda error: watch.errors.append(str(error)))
    return context, tab


@pytest.fixture(params=[LAPTOP, PHONE], ids=["laptop", "phone"])
def sized(request, browser, console: str, watch: Watch) -> Iterator[Page]:
    """A signed-in tab at a laptop's size, then at a phone's."""
    context, tab = _tab(browser, console, watch, viewport=request.param)
    sign_in(tab)
    yield tab
    context.close()
    assert watch.errors == []


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_every_log_page_fits_its_window_and_shows_its_sort(sized: Page):
    page = sized
    for spec in LOGS.values():
        page.goto(f"/logging/{spec.slug}/")
        expect(page.locator("table.log-table tbody tr").first).to_be_visible()
        assert _fits(page), spec.slug

        # Sorted by a column from its header: the header says so, and a chip too.
        page.goto(f"/logging/{spec.slug}/?sort={_SORTABLE[spec.slug]}")
        header = page.locator("table.log-table th[aria-sort]")
        expect(header).to_have_count(1)
        expect(header).to_have_attribute("aria-sort", "ascending")
        header.get_by_role("link").click()
        expect(page.locator("table.log-table th[aria-sort]")).to_have_attribute(
            "aria-sort", "descending"
        )
        expect(page.get_by_role("link", name=re.compile("^Remove sort by"))).to_be_visible()
        assert _fits(page), spec.slug

    call = models.CallDetailRecord.objects.order_by("-call_date").first()
    for url in ("/", "/accounts/", "/preferences/", f"/logging/cdr/{call.pk}/"):
        page.goto(url)
        assert _fits(page), url


def test_the_table_scrolls_inside_itself_with_its_time_column_fixed(browser, console, watch):
    context, page = _tab(browser, console, watch, viewport=LAPTOP)
    sign_in(page)
    page.goto("/logging/cdr/")
    box = page.locator(".table-container")

    widths = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    first = page.locator("table.log-table tbody tr td").first
    left_of_box = box.evaluate("b => b.getBoundingClientRect().left")

    # Every column is reached inside the box; the time stays in view as it scrolls.
    assert widths[0] >= widths[1]
    expect(page.locator("table.log-table th", has_text="Call route")).to_be_in_viewport()
    assert abs(first.evaluate("c => c.getBoundingClientRect().left") - left_of_box) < 2
    assert _fits(page)
    context.close()


def test_the_phone_folds_the_menu_and_the_filters(browser, console, watch):
    context, page = _tab(browser, console, watch, viewport=PHONE)
    sign_in(page)
    page.goto("/logging/cdr/")
    menu = page.get_by_role("navigation", name="Main menu")

    expect(menu).to_be_hidden()
    expect(page.get_by_label("Account")).to_be_hidden()
    # The table starts on the first screen.
    assert page.locator("table.log-table").evaluate("t => t.getBoundingClientRect().top") < 844

    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("Account")).to_be_visible()
    page.get_by_role("button", name="Menu").click()
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="System").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("System")
    assert _fits(page)
    context.close()


def test_the_keyboard_reaches_search_rows_and_logs(signed_in: Page):
    page = signed_in
    page.goto("/logging/cdr/")

    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("h1").click()

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    rows = page.locator("table.log-table tbody tr")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    href = rows.nth(0).locator("a").first.get_attribute("href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))

    menu = page.get_by_role("navigation", name="Main menu")
    key = menu.get_by_role("link", name="SIP Sessions").get_attribute("data-jump")
    page.keyboard.press("g")
    page.keyboard.press(key)
    expect(page.get_by_role("heading", level=1)).to_have_text("SIP Sessions")
    page.keyboard.press("g")
    page.keyboard.press("o")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")


def test_skip_to_results_takes_two_keys(signed_in: Page):
    page = signed_in
    page.goto("/logging/cdr/")

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")

    first_row_link = page.locator("table.log-table tbody tr").first.locator("a").first
    expect(first_row_link).to_be_focused()


def test_the_column_chooser_is_remembered(signed_in: Page):
    page = signed_in
    page.goto("/logging/cdr/?range=30d")

    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Caller group").uncheck()
    page.get_by_label("Callee group").uncheck()
    page.get_by_role("button", name="Save columns").click()

    expect(page).to_have_url(re.compile(r"/logging/cdr/\?range=30d$"))
    headers = page.locator("table.log-table thead th")
    expect(headers.filter(has_text="Caller group")).to_have_count(0)
    page.goto("/logging/cdr/")
    expect(headers.filter(has_text="Callee group")).to_have_count(0)
    expect(headers.filter(has_text="Caller")).to_have_count(1)


def _contrast_failures(page: Page) -> list[str]:
    page.evaluate(AXE.read_text())  # in the page's own world; the CSP allows no inline script
    return page.evaluate(
        """() => axe.run(document, {runOnly: ["color-contrast"]}).then(result =>
            result.violations.flatMap(violation => violation.nodes.map(
                node => `${node.target.join(" ")}: ${node.failureSummary}`)))"""
    )


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_both_themes_keep_their_contrast(browser, console, watch, scheme):
    context, page = _tab(browser, console, watch, viewport=LAPTOP, scheme=scheme)
    sign_in(page)
    for url in (
        "/",
        "/logging/cdr/?disposition=BUSY&disposition=FAILED&sort=-total_duration",
        "/logging/security/",
        "/logging/secure-messages/",
        "/logging/sip-sessions/",
        f"/logging/cdr/{models.CallDetailRecord.objects.first().pk}/",
        "/accounts/",
    ):
        page.goto(url)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(18, 22, 28)") == (scheme == "dark"), url
        assert _contrast_failures(page) == [], url
    context.close()


def test_the_theme_switch_is_kept(signed_in: Page):
    page = signed_in
    switch = page.get_by_role("button", name="Dark theme")
    expect(switch).to_have_attribute("aria-pressed", "false")

    switch.click()
    page.reload()

    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 22, 28)"
