"""Each request in the viewer's time zone: pages show it, filters and exports read it.

The zone is the user's ConsoleUserProfile.time_zone (empty: the console's TIME_ZONE). It
is read once, when the user signs in, and kept in the session beside the user's id, so
that a page view costs no query for it; the Preferences page updates both.
"""

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import ConsoleUserProfile

SESSION_KEY = "console_time_zone"


def viewer_time_zone_remember(request: HttpRequest, name: str) -> None:
    """Show the rest of this session in zone `name` ("" for the console's)."""
    request.session[SESSION_KEY] = name


def _profile_time_zone(user) -> str:
    profile_zone = (
        ConsoleUserProfile.objects.filter(user_id=user.pk)
        .values_list("time_zone", flat=True)
        .first()
    )
    return profile_zone or ""


def _activate(name: str) -> None:
    try:
        zone = ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        # A zone the installed time zone database does not know: the console's own.
        zone = None
    if zone is None:
        timezone.deactivate()
    else:
        timezone.activate(zone)


def time_zone_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        signed_in = request.user.is_authenticated
        # Activated for the rest of the request and not reset on the way out: a streamed
        # export writes its rows after the view has returned. The next request on this
        # thread sets the zone afresh.
        _activate(request.session.get(SESSION_KEY, "") if signed_in else "")
        response = get_response(request)
        if not signed_in and request.user.is_authenticated:
            # This request signed the user in.
            viewer_time_zone_remember(request, _profile_time_zone(request.user))
        return response

    return middleware
