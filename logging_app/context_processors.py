from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import health
from .logs import LOGS


def console(request: HttpRequest) -> dict:
    """The LOGGING menu and the time zone in use, for base.html on every page."""
    return {"menu_logs": LOGS.values(), "current_time_zone": timezone.get_current_timezone_name()}


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
