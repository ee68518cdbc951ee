"""The README's pictures of the pages, on a laptop and a phone, in both themes.

Taken on every run into test-output/screenshots/; with UPDATE_SCREENSHOTS=1 into
docs/screenshots/ instead, which is how the README's are made:

    UPDATE_SCREENSHOTS=1 .venv/bin/pytest -m browser tests/browser/test_screenshots.py
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from logging_app import models
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.steps import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
DOCS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def _folder() -> Path:
    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pictures(browser, console: str, *, viewport: dict, scheme: str, shots) -> list[Path]:
    context = browser.new_context(base_url=console, viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page)
    taken = []
    for name, url, step in shots:
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if step:
            step(page)
        path = _folder() / f"{name}.png"
        page.screenshot(path=path)
        taken.append(path)
    context.close()
    return taken


def _open_menu(page) -> None:
    page.get_by_role("button", name="Menu").click()


def test_it_pictures_the_main_pages(browser, console, settings):
    # As `make run` shows them: the demo's records stop where they were generated, and no
    # log is called silent for it (README, "When the appliance goes silent").
    settings.LOG_SILENCE_FACTOR = 0
    account = models.Account.objects.filter(calls_made__isnull=False).first()
    cdr = "/logging/cdr/?range=30d&disposition=BUSY&disposition=FAILED&sort=-total_duration"
    taken = [
        *_pictures(
            browser,
            console,
            viewport=LAPTOP,
            scheme="light",
            shots=[("overview", "/", None), ("list-cdr-filtered", cdr, None)],
        ),
        *_pictures(
            browser,
            console,
            viewport=LAPTOP,
            scheme="dark",
            shots=[
                ("list-cdr-dark", "/logging/cdr/", None),
                ("account-dark", f"/accounts/{account.username}/", None),
            ],
        ),
        *_pictures(
            browser,
            console,
            viewport=PHONE,
            scheme="light",
            shots=[("phone-cdr", "/logging/cdr/?range=7d", None)],
        ),
        *_pictures(
            browser,
            console,
            viewport=PHONE,
            scheme="dark",
            shots=[("phone-menu-dark", "/logging/security/", _open_menu)],
        ),
    ]

    for path in taken:
        assert path.stat().st_size < 400_000, path.name
