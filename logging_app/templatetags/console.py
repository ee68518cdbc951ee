"""Tiny formatting filters and tags shared by the tables and templates."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from django import forms, template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

register = template.Library()

# The filters of a list's one line (the most used); the others are behind "More filters".
LINE_FILTERS = ("range", "account", "q")


def in_zone(moment: datetime, zone: tzinfo | None = None) -> tuple[datetime, bool]:
    """`moment` in `zone` (else the viewer's time zone), and True; or, where that zone's
    calendar ends first (the last hours of year 9999 east of UTC, the first of year 1
    west of it), `moment` in UTC, and False."""
    try:
        return timezone.localtime(moment, zone), True
    except OverflowError:
        return moment.astimezone(UTC), False


@register.filter
def local_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """A date-time as every page writes it, Y-m-d H:i:s, in `zone` or else the viewer's time
    zone (which the page names); " UTC" follows one that zone cannot show."""
    local, shown_in_zone = in_zone(moment, zone)
    # isoformat() writes this format in 2 µs; strftime() takes 10, Django's dateformat 60,
    # and a list page shows 50 to 100 date-times.
    text = local.replace(tzinfo=None).isoformat(" ", "seconds")
    return text if shown_in_zone else f"{text} UTC"


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


def filter_time(moment: datetime | date, *, end_of_day: bool = False) -> str:
    """A date-time as the lists' `since` and `until` read it: in the current time zone.

    A date is its first second, or with `end_of_day` its last.
    """
    if isinstance(moment, datetime):
        local, shown_in_zone = in_zone(moment)
        if not shown_in_zone:  # the filters read a time with its offset too
            return local.isoformat(timespec="seconds")
        return local.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{moment.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}"


@register.filter
def ago(moment: datetime | None) -> SafeString | str:
    """How long ago (or how soon) `moment` is, in words; the exact time on hover."""
    if not isinstance(moment, datetime):
        return ""
    now = timezone.now()
    if abs(now - moment) < timedelta(minutes=1):
        words = "just now"
    elif moment < now:
        words = f"{timesince(moment, now, depth=1)} ago"
    else:
        words = f"in {timeuntil(moment, now, depth=1)}"
    local, shown_in_zone = in_zone(moment)
    zone = timezone.get_current_timezone_name() if shown_in_zone else "UTC"
    exact = f"{local.replace(tzinfo=None).isoformat(' ', 'seconds')} {zone}"
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), exact, words)


@register.simple_tag
def filter_groups(form: forms.Form) -> dict:
    """A list's filters as its filter bar shows them: `line`, the most used, on one line;
    `more`, the others, behind "More filters", open when one of them is set or wrong;
    how many are set (`active`, and of those `more_active`)."""
    line = [form[name] for name in LINE_FILTERS if name in form.fields]
    more = [form[name] for name in form.fields if name not in LINE_FILTERS]
    data = form.data if form.is_bound else {}

    def is_set(field: forms.BoundField) -> bool:
        return any(str(value).strip() for value in data.getlist(field.name)) if data else False

    more_active = sum(1 for field in more if is_set(field))
    return {
        "line": line,
        "more": more,
        "active": sum(1 for field in line if is_set(field)) + more_active,
        "more_active": more_active,
        "more_open": more_active > 0 or any(field.errors for field in more),
    }


@dataclass(frozen=True)
class Chip:
    """One active filter value, and the same page without it."""

    label: str
    value: str
    remove_url: str


def _shown(field: forms.Field, value: str) -> str:
    if hasattr(field, "shown"):  # a field that says its values itself (a time range)
        return field.shown(value)
    if isinstance(field, forms.DateTimeField):
        return value.replace("T", " ")
    if isinstance(field.widget, forms.NullBooleanSelect):
        return {"true": "Yes", "false": "No"}.get(value.lower(), value)
    choices = getattr(field, "choices", None) or getattr(field.widget, "choices", ())
    return str(dict(choices).get(value, value))


@register.simple_tag(takes_context=True)
def active_filters(context: template.Context, form: forms.Form) -> list[Chip]:
    """A chip for each filter value in the query string, in the form's order."""
    request = context["request"]
    chips = []
    for name, field in form.fields.items():
        for value in request.GET.getlist(name):
            if not value.strip():
                continue
            query = request.GET.copy()
            query.setlist(name, [other for other in query.getlist(name) if other != value])
            if not query.getlist(name):
                del query[name]
            # The chip leads back to the first page of the list, not to a download.
            for paging in ("page", "before", "after", "export"):
                query.pop(paging, None)
            url = f"{request.path}?{query.urlencode()}" if query else request.path
            chips.append(Chip(str(field.label or name), _shown(field, value), url))
    return chips
