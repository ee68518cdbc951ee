"""Browser tests: Debian's Chromium, driven by Playwright, on the console served live.

The browser is the system's (BROWSER_EXECUTABLE, default /usr/bin/chromium): nothing is
downloaded. Without it the tests skip on a developer's machine, and fail in CI (CI=true), where
.ci/run installs it.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import sync_playwright

from tests.browser.steps import PASSWORD, USERNAME, sign_in

BROWSER_EXECUTABLE = os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A laptop's screen; some tests also look at a wide one.
VIEWPORT = {"width": 1366, "height": 900}
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: the browser tests must run here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator:
    if not Path(BROWSER_EXECUTABLE).is_file():
        _unavailable(f"No browser at {BROWSER_EXECUTABLE} (apt-get install chromium)")

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop running in this thread, and Django
        # refuses database calls under a running loop. The tests make their data between
        # browser steps, never at the same time, so this is safe here.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=BROWSER_EXECUTABLE, args=BROWSER_ARGS
            )
            yield chromium
            chromium.close()


@dataclass
class Watch:
    """What the browser did besides showing pages: requests elsewhere, errors."""

    outside_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def console(live_server, transactional_db, settings) -> str:
    """The console served live, with 14 days of demo data and an administrator to sign in.

    The data goes in through the ingest service, as the appliance's would.
    """
    # The live server speaks plain HTTP.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    call_command("seed_demo", days=14, accounts=12, seed=7, stdout=StringIO())
    User.objects.create_superuser(USERNAME, password=PASSWORD)
    return live_server.url


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, console: str, watch: Watch) -> Iterator:
    """A fresh browser tab (no cookies) on the console, not signed in."""
    context = browser.new_context(base_url=console, viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((console, "data:"))
            else watch.outside_requests.append(request.url)
        ),
    )
    # A Content Security Policy violation is reported on the console as an error.
    tab.on("console", lambda message: message.type == "error" and watch.errors.append(message.text))
    tab.on("pageerror", lambda error: watch.errors.append(str(error)))
    yield tab
    context.close()
    assert watch.outside_requests == [], "assets must come from the console itself"
    assert watch.errors == [], "the pages must run without errors or policy violations"


@pytest.fixture
def signed_in(page):
    """The tab, signed in as the administrator through the sign-in page."""
    sign_in(page)
    return page
