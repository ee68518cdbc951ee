"""The appliance's health in the browser: the banner comes when the heartbeats stop."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from logging_app.demo.events import heartbeat_record
from logging_app.health import CACHE_KEY
from logging_app.ingest import ingest_records
from logging_app.models import SystemEvent, SystemEventType
from tests.browser.steps import open_log, screenshot, sign_in

pytestmark = pytest.mark.browser


def _heartbeat(ago: timedelta) -> None:
    """The appliance's heartbeat, through the ingest service, and the health read anew."""
    result = ingest_records(log="system", records=[heartbeat_record(timezone.now() - ago)])
    assert result.accepted == 1
    cache.delete(CACHE_KEY)


@pytest.fixture
def watched(settings) -> None:
    settings.HEARTBEAT_EXPECTED_SECONDS = 300
    # The demo's seeded records stop where they were made: only the heartbeats are watched.
    settings.LOG_SILENCE_FACTOR = 0


def test_the_banner_shows_on_every_page_while_the_heartbeats_are_stale(page: Page, watched):
    # The appliance's heartbeats stopped 20 minutes ago (the demo's come every hour).
    stopped = timezone.now() - timedelta(minutes=20)
    SystemEvent.objects.filter(event_type=SystemEventType.HEARTBEAT, timestamp__gt=stopped).delete()
    _heartbeat(timedelta(minutes=20))
    sign_in(page)

    banner = page.get_by_role("alert").filter(has_text="The appliance needs attention")
    expect(banner).to_contain_text("The appliance's heartbeats stopped")
    expect(banner).to_contain_text("20 minutes ago")
    expect(page.locator("#health")).to_contain_text("The heartbeats stopped.")
    open_log(page, "Call Details Record")
    expect(banner).to_contain_text("one is expected at least every 5 minutes")
    screenshot(page, "health-banner")

    # The heartbeats come again: the banner goes.
    _heartbeat(timedelta(0))
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call Details Record")
    expect(banner).to_have_count(0)


def test_no_banner_while_the_heartbeats_are_fresh(page: Page, watched):
    _heartbeat(timedelta(seconds=30))
    sign_in(page)

    expect(page.locator("#health")).to_contain_text("Last heartbeat:")
    expect(page.locator("#health")).to_contain_text("One is expected at least every 5 minutes.")
    expect(page.locator("section.health-banner")).to_have_count(0)
    open_log(page, "System")
    expect(page.locator("section.health-banner")).to_have_count(0)
