from dataclasses import dataclass
from functools import cache

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import health
from .listing.saved import views_menu
from .logs import LOGS

# The letters `g` then a letter jumps to, taken by the pages outside LOGGING.
PAGE_KEYS = {"o": "overview", "u": "accounts"}


@dataclass(frozen=True)
class MenuItem:
    slug: str
    title: str
    key: str  # `g` then this letter opens the log


@cache
def _menu(slugs: tuple[str, ...]) -> tuple[MenuItem, ...]:
    """Each log with its jump letter: the first free initial of its title's words, else the
    first free letter of its title."""
    taken = set(PAGE_KEYS)
    items = []
    for slug in slugs:
        title = LOGS[slug].title
        initials = [word[0] for word in title.lower().split()]
        letters = [c for c in title.lower() if "a" <= c <= "z"]
        key = next((c for c in [*initials, *letters] if c not in taken), "")
        taken.add(key)
        items.append(MenuItem(slug, title, key))
    return tuple(items)


def console(request: HttpRequest) -> dict:
    """The LOGGING menu, its saved views (one query, made only when the menu is shown) and
    the time zone in use, for base.html on every page."""
    return {
        "menu_logs": _menu(tuple(LOGS)),
        "menu_views": SimpleLazyObject(lambda: views_menu(request.user)),
        "current_time_zone": timezone.get_current_timezone_name(),
    }


def appliance_health(request: HttpRequest) -> dict:
    """The appliance's health for the banner of every page and the overview, read only
    when a page shows it, and only of the logs the signed-in user may read."""
    user = request.user
    if not user.is_authenticated:
        return {}

    def seen() -> health.Health:
        readable = [
            spec
            for spec in LOGS.values()
            if user.has_perm(f"{spec.model._meta.app_label}.view_{spec.model._meta.model_name}")
        ]
        return health.appliance_health().seen_by(readable)

    return {"health": SimpleLazyObject(seen)}
