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


def test_it_pages_through_the_accounts_and_follows_one_to_its_calls(signed_in: Page):
    from django.utils import timezone

    from logging_app.ingest import ingest_records
    from tests.factories import cdr_report

    accounts = [
        {"username": f"paged{n:03d}", "virtual_number": f"+3907{n:05d}"} for n in range(110)
    ]
    ingest_records(log="accounts", records=accounts)
    now = timezone.now()
    ingest_records(
        log="cdr",
        records=[
            cdr_report(call_date=now.isoformat(), caller_number=f"+3907{n:05d}") for n in range(110)
        ],
    )
    page = signed_in
    page.goto("/statistics/?range=7d")
    page.get_by_label("Grouped by").select_option(label="Account")
    page.get_by_role("button", name="Count").click()

    shown = page.locator("#rows-shown")
    expect(shown).to_contain_text(re.compile(r"The top 50 of 1[12]\d accounts"))
    expect(page.locator("table.statistics tbody tr")).to_have_count(50)
    page.get_by_role("link", name="Next 50").click()

    expect(page).to_have_url(re.compile(r"page=2"))
    expect(shown).to_contain_text(re.compile(r"51 to 100 of 1[12]\d accounts"))
    expect(page.get_by_role("link", name="Previous 50")).to_be_visible()
    row = page.locator("table.statistics tbody tr").last
    account = row.locator("th").inner_text().strip()
    calls = int(row.locator("td").first.inner_text())
    row.locator("td a").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Call Details Record")
    expect(page.locator("p.count")).to_have_text(f"{calls} record{'' if calls == 1 else 's'}")
    expect(page).to_have_url(re.compile(rf"account={account}"))
