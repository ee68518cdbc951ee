"""The console in a real browser: what a support engineer does on a working day."""

import csv
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from logging_app import models
from logging_app.logs import LOGS
from tests.browser.steps import PASSWORD, USERNAME, column, open_log, screenshot

pytestmark = pytest.mark.browser

WIDE = {"width": 1920, "height": 1080}


def _h1(page: Page):
    return page.get_by_role("heading", level=1)


def _rows(page: Page):
    return page.locator("table.log-table tbody tr")


def _fits_the_window(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_it_signs_in_and_out(page: Page):
    page.goto("/logging/cdr/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/logging/cdr/$"))
    screenshot(page, "sign-in")

    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(_h1(page)).to_have_text("Call Details Record")
    expect(page.get_by_role("link", name="Time zone: UTC")).to_have_attribute(
        "href", "/preferences/"
    )
    # The stylesheet came from the console: the top bar has its colour.
    background = page.locator("header.topbar").evaluate("bar => getComputedStyle(bar).background")
    assert "rgb(23, 50, 79)" in background

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


def test_it_opens_each_of_the_eight_log_pages(signed_in: Page):
    page = signed_in
    for spec in LOGS.values():
        open_log(page, spec.title)

        expect(_rows(page).first).to_be_visible()
        assert _rows(page).count() == min(spec.model.objects.count(), 50)
        assert _fits_the_window(page), spec.slug
        screenshot(page, f"list-{spec.slug}")


def test_it_filters_by_account(signed_in: Page):
    page = signed_in
    account = models.Account.objects.filter(calls_made__isnull=False).first()
    calls = models.CallDetailRecord.objects.filter(caller_account=account) | (
        models.CallDetailRecord.objects.filter(callee_account=account)
    )
    open_log(page, "Call Details Record")

    page.get_by_label("Account").fill(account.username)
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(rf"account={re.escape(account.username)}"))
    expect(_rows(page)).to_have_count(min(calls.count(), 50))
    # Each party's cell holds its name and, under it, its number.
    parties = zip(column(page, "Caller"), column(page, "Callee"), strict=True)
    assert all(account.virtual_number in " ".join(pair) for pair in parties)

    chip = page.get_by_role("link", name=f"Remove filter Account: {account.username}")
    chip.click()

    expect(page).not_to_have_url(re.compile("account="))
    expect(chip).to_have_count(0)


def test_it_filters_by_an_enumerated_value(signed_in: Page):
    page = signed_in
    busy = models.CallDetailRecord.objects.filter(disposition=models.Disposition.BUSY).count()
    assert busy
    open_log(page, "Call Details Record")

    page.get_by_text("More filters").click()
    page.get_by_role("group", name="Disposition").get_by_label("BUSY").check()
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"disposition=BUSY"))
    expect(_rows(page)).to_have_count(min(busy, 50))
    assert set(column(page, "Disposition")) == {"BUSY"}
    expect(page.get_by_role("group", name="Disposition").get_by_label("BUSY")).to_be_checked()
    screenshot(page, "list-cdr-busy")


def test_it_opens_a_record_from_its_timestamp(signed_in: Page):
    page = signed_in
    open_log(page, "System")
    timestamp = _rows(page).first.locator("td").first.get_by_role("link")
    shown = timestamp.inner_text()

    timestamp.click()

    expect(_h1(page)).to_have_text(f"System · {shown}")
    expect(page).to_have_url(re.compile(r"/logging/system/\d+/$"))
    screenshot(page, "detail-system")


def test_it_opens_an_account_from_a_list(signed_in: Page):
    page = signed_in
    open_log(page, "Install Messages")
    link = _rows(page).first.get_by_role("link", name=re.compile(r"\w+\.\w+"))
    username = link.inner_text()

    link.click()

    expect(_h1(page)).to_have_text(f"Account {username}")
    expect(page.locator("table.timeline tbody tr").first).to_be_visible()
    screenshot(page, "account")


def test_it_shows_a_call_with_its_legs_from_its_call_id(signed_in: Page):
    page = signed_in
    page.goto("/logging/cdr/?call_type=CONFERENCE")
    link = _rows(page).first.get_by_role("link", name=re.compile(r"^\d+\.\d+$"))
    call_id = link.inner_text()
    legs = models.CallDetailRecord.objects.filter(call_id=call_id).count()
    assert legs > 1

    link.click()

    expect(page).to_have_url(re.compile(rf"/calls/{re.escape(call_id)}/$"))
    expect(_h1(page)).to_have_text(f"Call {call_id}")
    expect(page.locator("table.call-legs tbody tr")).to_have_count(legs)
    page.get_by_role("link", name=re.compile("these legs in the")).click()

    expect(page).to_have_url(re.compile(rf"\?call_id={re.escape(call_id)}$"))
    expect(_rows(page)).to_have_count(legs)
    assert set(column(page, "Call id")) == {call_id}


def test_it_lists_the_sip_events_of_a_username(signed_in: Page):
    page = signed_in
    open_log(page, "SIP Sessions")
    link = page.locator("table.log-table tbody td a[href*='account=']").first
    username = link.inner_text()
    events = models.SipSessionEvent.objects.filter(username=username).count()

    link.click()

    expect(page).to_have_url(re.compile(rf"/logging/sip-sessions/\?account={re.escape(username)}$"))
    expect(_rows(page)).to_have_count(min(events, 50))
    # The connections reconciliation bound to the account say so after its name.
    assert {name.removesuffix(" reconciled") for name in column(page, "Username")} == {username}


def test_it_exports_the_filtered_list_as_csv(signed_in: Page):
    page = signed_in
    failed = models.CallDetailRecord.objects.filter(disposition=models.Disposition.FAILED)
    page.goto("/logging/cdr/?disposition=FAILED")

    with page.expect_download() as started:
        page.get_by_role("link", name="Export CSV").click()
    download = started.value

    assert re.fullmatch(r"cdr-\d{8}-\d{6}\.csv", download.suggested_filename)
    rows = list(csv.reader(Path(download.path()).read_text(encoding="utf-8").splitlines()))
    assert rows[0][:2] == ["Call date (UTC)", "Caller number"]
    assert len(rows) - 1 == failed.count()
    disposition = rows[0].index("Disposition")
    assert {row[disposition] for row in rows[1:]} == {"FAILED"}


def test_it_charts_the_last_14_days_and_links_each_bar_to_its_rows(signed_in: Page):
    page = signed_in
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(4)
    screenshot(page, "overview", full_page=True)
    assert _fits_the_window(page)
    page.set_viewport_size(WIDE)
    screenshot(page, "overview-wide", full_page=True)

    segment = page.locator("#chart-calls svg.plot a[aria-label^='BUSY on']").last
    label = segment.get_attribute("aria-label")
    day, count = re.fullmatch(r"BUSY on \w+ (\S+): (\d+) calls?", label).groups()
    segment.click()

    expect(page).to_have_url(
        re.compile(rf"disposition=BUSY&since={day}T00%3A00%3A00&until={day}T23%3A59%3A59$")
    )
    expect(_rows(page)).to_have_count(int(count))
    assert set(column(page, "Disposition")) == {"BUSY"}
    expect(page.get_by_role("link", name=re.compile(r"^Remove filter"))).to_have_count(3)


def test_it_can_be_used_with_the_keyboard(signed_in: Page):
    page = signed_in
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    # Every bar of a chart is a link reached with Tab and followed with Enter.
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#chart-calls svg.plot') !== null"):
            break
    else:
        pytest.fail("no bar of the calls chart was reached with Tab")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    page.get_by_label("Account").focus()
    page.keyboard.type("nobody")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"account=nobody"))
    expect(page.get_by_text("No records match these filters.")).to_be_visible()


def test_it_sets_a_relative_range_and_refreshes_on_its_own(signed_in: Page):
    page = signed_in
    page.clock.install()
    page.goto("/logging/cdr/?disposition=ANSWERED")

    page.get_by_label("Time range").select_option("Last 24 hours")
    page.get_by_role("button", name="Filter").click()

    # Only what was set: no empty field, no default page size.
    expect(page).to_have_url(re.compile(r"/logging/cdr/\?range=24h&disposition=ANSWERED$"))
    chips = page.get_by_role("list", name="Active filters and sort").get_by_role("listitem")
    expect(chips).to_have_count(2)

    page.get_by_role("link", name="Auto-refresh every 30 s").click()
    expect(page).to_have_url(re.compile(r"&refresh=30$"))
    expect(page.locator("main .errors")).to_have_count(0)
    screenshot(page, "list-cdr-filtered")
    with page.expect_navigation():
        page.clock.fast_forward("00:31")
    expect(page).to_have_url(re.compile(r"&refresh=30$"))

    page.get_by_role("link", name="Stop auto-refresh").click()
    expect(page).not_to_have_url(re.compile("refresh="))


def test_it_shows_times_in_the_zone_the_user_picks(signed_in: Page):
    page = signed_in
    newest = models.SystemEvent.objects.order_by("-timestamp", "-id").first().timestamp
    page.get_by_role("link", name="Time zone: UTC").click()
    expect(_h1(page)).to_have_text("Preferences")

    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Preferences saved.")
    expect(page.get_by_role("link", name="Time zone: Asia/Tokyo")).to_be_visible()
    screenshot(page, "preferences")
    open_log(page, "System")
    in_tokyo = newest.astimezone(ZoneInfo("Asia/Tokyo"))
    assert column(page, "Timestamp")[0] == f"{in_tokyo:%Y-%m-%d %H:%M:%S}"


def test_it_counts_the_last_24_hours_per_log(signed_in: Page):
    page = signed_in

    def recent() -> int:
        day_ago = timezone.now() - timedelta(hours=24)
        return models.SipSessionEvent.objects.filter(timestamp__gte=day_ago).count()

    # Records only age out of the window while the page loads: its count lies between.
    most = recent()
    page.reload()
    cards = page.get_by_role("region", name="Last 24 hours").get_by_role("listitem")
    expect(cards).to_have_count(len(LOGS))
    sip = cards.filter(has_text="SIP Sessions")
    shown = int(sip.locator(".count").inner_text())
    assert recent() <= shown <= most

    sip.get_by_role("link").click()

    expect(_h1(page)).to_have_text("SIP Sessions")
    expect(page).to_have_url(re.compile(r"/logging/sip-sessions/\?since=\d{4}-"))
    expect(page.get_by_role("link", name=re.compile(r"^Remove filter Since: "))).to_have_count(1)
