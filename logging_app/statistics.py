"""The statistics page: the calls of a time range grouped by account, group, route, hangup
cause, disposition, day or hour, with calls, answered, ASR and ACD; sortable, as CSV, a
chart of the days, each row linking to the CDR list of the calls it counts."""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from io import StringIO
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_safe

from . import call_statistics as stats
from . import charts, models
from .listing.filters import TIME_FORMAT, InstantField, TimeInput
from .logs import log_for_model
from .templatetags.console import filter_time, local_time
from .views import require_view_permission

# Query-string keys of the page (besides `since` and `until`).
BY, RANGE, SORT, EXPORT, PAGE = "by", "range", "sort", "export", "page"
# The quick ranges, up to now.
QUICK_RANGES = {
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
DEFAULT_RANGE = "7d"
# The columns one may sort by; the value grouped by sorts ascending, the figures descending.
COLUMNS = ("value", "calls", "answered", "asr", "acd")
# A page shows this many rows, the first in the order asked (`page` 2 the next ones; the
# CSV all of them), as many as a list's page: writing 500 rows took longer than reading
# 2,000 accounts' figures, and 100 half as long as reading them.
SHOWN_ROWS = 50
CHART_DAYS = 62
# The CDR list parameter selecting a row's calls, by what they are grouped by.
LIST_PARAMS = {
    stats.ACCOUNT: "account",
    models.CallDimension.GROUP: "group",
    models.CallDimension.ROUTE: "call_route",
    models.CallDimension.HANGUP_CAUSE: "hangup_cause",
    models.CallDimension.DISPOSITION: "disposition",
}
# The ends of the calendar a range is held within: a whole hour (day) either side is left.
_FIRST, _LAST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)


# A time as every page writes one (Y-m-d H:i:s, in the viewer's zone), as the lists' filters.
_TIME_WIDGET = TimeInput(
    format=TIME_FORMAT,
    attrs={"class": "when", "placeholder": "YYYY-MM-DD hh:mm:ss", "autocomplete": "off"},
)


class StatisticsForm(forms.Form):
    # Written as every page writes a time (Y-m-d H:i:s), in the viewer's zone.
    since = InstantField(required=False, label="Since", widget=_TIME_WIDGET)
    until = InstantField(required=False, label="Until", widget=_TIME_WIDGET)
    range = forms.ChoiceField(
        required=False, choices=[("", "—")] + [(k, v[0]) for k, v in QUICK_RANGES.items()]
    )
    by = forms.ChoiceField(required=False, label="Grouped by", choices=stats.GROUPINGS.items())
    sort = forms.ChoiceField(
        required=False, choices=[(f"{d}{c}", f"{d}{c}") for c in COLUMNS for d in ("", "-")]
    )
    export = forms.ChoiceField(required=False, choices=[("csv", "CSV")])
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)

    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“Until” must not be before “since”.")
        if cleaned.get("range") and (since or until):
            self.add_error(RANGE, "Give a quick range or “since” and “until”, not both.")
        return cleaned

    def time_range(self, now: datetime) -> tuple[datetime, datetime]:
        """The range asked for, within the calendar: a quick range up to now, or since and
        until (the last week up to now for either one not given)."""
        data = self.cleaned_data
        quick = QUICK_RANGES[data["range"] or DEFAULT_RANGE][1]
        if data["range"]:
            start, end = now - quick, now
        else:
            end = data["until"] or now
            start = data["since"] or min(now, end) - quick
        return max(start, _FIRST), min(max(end, _FIRST), _LAST)


@dataclass(frozen=True)
class ShownRow:
    row: stats.Row
    label: str
    url: str  # the CDR list of its calls; empty when no filter selects them (no route)
    account_url: str = ""


def _label(row: stats.Row, by: str) -> str:
    if by == stats.DAY:
        return format_date(row.key, "D Y-m-d")
    if by == stats.HOUR:
        return local_time(row.key)
    return row.key or "(none)"


def _shown(row: stats.Row, by: str, log, span: Callable) -> ShownRow:
    return ShownRow(
        row,
        _label(row, by),
        _list_url(log.slug, row, by, span),
        reverse("account_detail", args=[row.key]) if by == stats.ACCOUNT else "",
    )


def _list_url(log: str, row: stats.Row, by: str, span: Callable) -> str:
    """The CDR list of the row's calls; `span(start, end)`: the list's since and until."""
    since, until = span(row.start, row.end)
    params = {"since": since, "until": until}
    if by in LIST_PARAMS:
        if not row.key:  # no filter selects the calls without a group or route
            return ""
        params[LIST_PARAMS[by]] = row.key
    return f"{reverse('log_list', args=[log])}?{urlencode(params)}"


def _span(start: datetime, end: datetime) -> tuple[str, str]:
    return filter_time(start), filter_time(end - timedelta(seconds=1))


def _sorted(rows: list[stats.Row], sort: str, by: str) -> list[stats.Row]:
    """Rows by a column, an empty figure (no ASR without calls) last either way."""
    column = sort.lstrip("-")
    value = (lambda row: row.key) if column == "value" else (lambda row: getattr(row, column))
    known = [row for row in rows if value(row) is not None]
    ordered = sorted(sorted(known, key=lambda row: str(row.key)), key=value)
    if sort.startswith("-"):
        ordered.reverse()
    return ordered + [row for row in rows if value(row) is None]


def _default_sort(by: str) -> str:
    return "value" if by in (stats.DAY, stats.HOUR) else "-calls"


def _sort_urls(request: HttpRequest, sort: str) -> dict[str, str]:
    """For each column, this page sorted by it (the other way round when it already is)."""
    urls = {}
    for column in COLUMNS:
        first = column if column == "value" else f"-{column}"
        wanted = column if sort == f"-{column}" else ("-" + column if sort == column else first)
        query = request.GET.copy()
        query[SORT] = wanted
        query.pop(PAGE, None)  # a new order starts at its top
        urls[column] = "?" + _clean_query(query)
    return urls


def _clean_query(query) -> str:
    return urlencode([(k, v) for k, values in query.lists() for v in values if v and k != EXPORT])


def _chart(counted: stats.Counted, log) -> charts.Chart | None:
    """Calls per day stacked by disposition, as the overview's chart of the calls."""
    declared = [spec for spec in charts.chart_specs([log]) if spec.field == "disposition"]
    if not declared or not counted.rows:
        return None
    first, last = min(row.key for row in counted.rows), max(row.key for row in counted.rows)
    if (last - first).days >= CHART_DAYS:
        return None
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    counts = {
        (row.key, value): calls
        for row in counted.rows
        for value, calls in row.by_disposition.items()
    }
    return charts.build_chart(declared[0], days=days, counts=counts)


def _csv(rows: list[stats.Row], by: str) -> HttpResponse:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow([stats.GROUPINGS[by], "Calls", "Answered", "ASR %", "ACD seconds"])
    for row in rows:  # no links: the CSV has none
        asr = "" if row.asr is None else f"{row.asr:.1f}"
        writer.writerow([_label(row, by), row.calls, row.answered, asr, _blank(row.acd)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="call-statistics-by-{by}.csv"'
    return response


def _blank(value: object) -> object:
    return "" if value is None else value


def _page_of(request: HttpRequest, ordered: list[stats.Row], page: int, by: str, log) -> dict:
    """The rows of `page` (the last one when it is past the end): only they get their
    links written; the rows before and after it are said, with links to their pages."""
    last = max((len(ordered) - 1) // SHOWN_ROWS + 1, 1)
    page = min(page, last)
    first = (page - 1) * SHOWN_ROWS
    shown = ordered[first : first + SHOWN_ROWS]
    # Rows but a day's or an hour's share their range: written once, in the viewer's zone.
    span = cache(_span)

    def url(number: int) -> str:
        query = request.GET.copy()
        query[PAGE] = str(number)
        return "?" + _clean_query(query)

    return {
        "rows": [_shown(row, by, log, span) for row in shown],
        "row_count": len(ordered),
        "first_row": first + 1,
        "last_row": first + len(shown),
        "paged": last > 1,
        "shown_rows": SHOWN_ROWS,
        "previous_url": url(page - 1) if page > 1 else "",
        "next_url": url(page + 1) if page < last else "",
    }


@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    log = log_for_model(models.CallDetailRecord)
    require_view_permission(request, log.model)
    form = StatisticsForm(request.GET)
    context = {
        "form": form,
        "quick_ranges": QUICK_RANGES,
        "hidden_fields": (SORT, EXPORT, PAGE),
    }
    if not form.is_valid():
        return render(request, "statistics.html", context, status=400)
    by = form.cleaned_data[BY] or stats.DAY
    sort = form.cleaned_data[SORT] or _default_sort(by)
    start, end = form.time_range(timezone.now())
    zone = timezone.get_current_timezone()
    counted = stats.call_statistics(by=by, start=start, end=end, zone=zone)
    ordered = _sorted(counted.rows, sort, by)
    if form.cleaned_data[EXPORT]:
        return _csv(ordered, by)
    query = request.GET.copy()
    query[EXPORT] = "csv"
    query.pop(PAGE, None)
    context |= {
        "by": by,
        "by_title": stats.GROUPINGS[by],
        "counted": counted,
        "counted_until": counted.end - timedelta(seconds=1),
        **_page_of(request, ordered, form.cleaned_data[PAGE] or 1, by, log),
        "sort": sort,
        "sort_urls": _sort_urls(request, sort),
        "csv_url": "?" + urlencode([(k, v) for k, vs in query.lists() for v in vs if v]),
        "chart": _chart(counted, log) if by == stats.DAY else None,
        "by_account": by == stats.ACCOUNT,
        "range": form.cleaned_data[RANGE],
    }
    return render(request, "statistics.html", context)
