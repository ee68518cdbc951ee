"""From a complaint to its cause in the demo data: "Olga's call to Hugo failed at noon"."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.steps import screenshot
from tests.factories import demo_story_call

pytestmark = pytest.mark.browser

OLGA, HUGO = "olga.moretti", "hugo.ricci"
INCOMPATIBLE = (
    "Failed: caller and callee use security models that are not compatible (Q.850 cause 58)."
)
# The account's activity pages back through its history; the call is on one of the first.
PAGES = 5


def _activity_row(page: Page, call_id: str) -> Locator:
    """The row of the account's activity that shows the call, paging back if need be."""
    for _ in range(PAGES):
        row = page.get_by_role("row").filter(has_text=call_id).filter(has_text=INCOMPATIBLE)
        if row.count():
            return row.first
        page.get_by_role("link", name=re.compile("Older")).click()
    pytest.fail(f"call {call_id} is not in the first {PAGES} pages of the activity")


def _call_page_link(row: Locator) -> Locator | None:
    for link in row.get_by_role("link").all():
        if (link.get_attribute("href") or "").startswith("/calls/"):
            return link
    return None


def test_it_goes_from_olgas_account_to_the_cause_of_her_failed_call(signed_in: Page):
    page = signed_in
    call = demo_story_call()

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    page.get_by_label("Username, description or number").fill("olga")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=OLGA, exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Account {OLGA}")
    row = _activity_row(page, call.call_id)
    expect(row).to_contain_text(INCOMPATIBLE)
    screenshot(page, "journey-account", full_page=True)
    link = _call_page_link(row)
    if link is None:
        # No call-page link in the row: through the record's page and its call id.
        row.get_by_role("link").first.click()
        expect(page.get_by_text(INCOMPATIBLE).first).to_be_visible()
        link = page.get_by_role("link", name=call.call_id, exact=True)
    link.click()

    expect(page).to_have_url(re.compile(rf"/calls/{re.escape(call.call_id)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Call {call.call_id}")
    expect(page.get_by_role("cell", name=INCOMPATIBLE)).to_be_visible()
    for username in (OLGA, HUGO):
        lane = page.get_by_role("region", name=f"SIP events of {username}")
        for event in ("CONNECT", "REGISTER", "UNREGISTER", "DISCONNECT"):
            expect(lane.get_by_role("cell", name=event, exact=True)).to_be_visible()
    expect(page.get_by_role("region", name=f"SIP events of {HUGO}")).to_contain_text(
        "Registered before the call"
    )
    security = page.get_by_role("heading", name="Security events made from this call")
    expect(security).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="CDR-400")).to_contain_text(
        "Call failed: incompatible security models"
    )
    screenshot(page, "journey-call", full_page=True)
