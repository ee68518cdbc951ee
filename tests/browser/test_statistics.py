"""The statistics page in a real browser: from the menu to the calls a row counts."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import column, screenshot

pytestmark = pytest.mark.browser


def test_it_groups_by_hangup_cause_and_follows_a_row_to_its_calls(signed_in: Page):
    page = signed_in
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Calls").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call statistics")

    page.get_by_role("link", name="last 30 days").click()
    page.get_by_label("Grouped by").select_option(label="Hangup cause")
    page.get_by_role("button", name="Count").click()

    expect(page).to_have_url(re.compile(r"by=hangup_cause"))
    table = page.locator("table.statistics")
    expect(table.locator("thead th").first).to_have_text("Hangup cause")
    # Fewest calls first: a row whose calls fit on one page of the list.
    table.get_by_role("link", name="Calls", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=calls"))
    screenshot(page, "statistics-by-hangup-cause")
    first = table.locator("tbody tr").first
    cause = first.locator("th").inner_text().strip()
    calls = int(first.locator("td").first.inner_text())
    assert 0 < calls <= 50

    first.locator("td a").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Call Details Record")
    expect(page.locator("p.count")).to_have_text(f"{calls} record{'' if calls == 1 else 's'}")
    assert set(column(page, "Hangup cause")) == {cause}
