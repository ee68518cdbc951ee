"""What a person does in the console, as steps the browser tests share."""

from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

USERNAME, PASSWORD = "admin", "browser-test-password-7"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-output" / "screenshots"


def sign_in(page: Page, username: str = USERNAME, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()


def open_log(page: Page, title: str) -> None:
    """Open a log from the LOGGING menu."""
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def column(page: Page, header: str) -> list[str]:
    """The texts of one column of the list's table."""
    headers = page.locator("table.log-table thead th").all_inner_texts()
    index = [text.strip() for text in headers].index(header) + 1
    cells = page.locator(f"table.log-table tbody tr td:nth-child({index})")
    return [text.strip() for text in cells.all_inner_texts()]


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Keep a picture of the page in test-output/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path
