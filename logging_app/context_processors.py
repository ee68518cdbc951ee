from django.http import HttpRequest
from django.utils import timezone

from .logs import LOGS


def console(request: HttpRequest) -> dict:
    """The LOGGING menu and the time zone in use, for base.html on every page."""
    return {"menu_logs": LOGS.values(), "current_time_zone": timezone.get_current_timezone_name()}
