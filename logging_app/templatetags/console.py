"""Tiny formatting filters shared by the tables and templates."""

from django import template

register = template.Library()


@register.filter
def hms(seconds: int | None) -> str:
    """Seconds as h:mm:ss, the way call durations are read."""
    if seconds is None or seconds == "":
        return ""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


@register.filter
def tag_class(value) -> str:
    """The CSS class that colours an enumerated value by its outcome."""
    return f"tag tag-{str(value).lower()}"
