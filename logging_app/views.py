"""The console's pages: one list view, one detail view and one export for all eight logs."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage
from django.db import DatabaseError, connection
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe
from django_tables2 import RequestConfig
from django_tables2.data import TableListData
from django_tables2.paginators import LazyPaginator

from . import charts, models, selectors, services
from .listing.columns import (
    DateTimeColumn,
    Rendering,
    TimestampColumn,
    column_for,
    value_writer,
)
from .listing.filters import filterset_for
from .listing.tables import table_for
from .logs import LOGS, LogSpec
from .logs.spec import BLOCK, CHOICE, TIME, Column
from .middleware import viewer_time_zone_remember
from .templatetags.console import filter_time, in_zone

PAGE_SIZES = (25, 50, 100, 200)
# The deepest numbered page: its OFFSET, (page - 1) × page size, must fit the databases'
# 64-bit integers, and no sorted list comes near it (10 million rows are 400,000 pages).
MAX_PAGE = 10**9
# The overview counts each log's rows of the last this many hours.
OVERVIEW_HOURS = 24
EXPORT_CHUNK = 2000
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ListOptionsForm(forms.Form):
    """The list parameters that are not filters: paging, page size and export format.

    `before` and `after` are keyset cursors (see selectors.Cursor) for the default order;
    `page` numbers pages only when the list is sorted by a column.
    """

    per_page = forms.TypedChoiceField(
        choices=[(size, size) for size in PAGE_SIZES], coerce=int, required=False
    )
    export = forms.ChoiceField(choices=[("csv", "CSV")], required=False)
    before = forms.CharField(required=False, max_length=64)
    after = forms.CharField(required=False, max_length=64)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def __init__(self, *args, log: LogSpec, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # CSV for every log, and the log's own formats (the Security log's CEF lines).
        formats = [(name, name.upper()) for name in log.exports]
        self.fields["export"].choices = [("csv", "CSV"), *formats]

    def _clean_cursor(self, name: str) -> selectors.Cursor | None:
        text = self.cleaned_data[name]
        if not text:
            return None
        try:
            return selectors.Cursor.parse(text)
        except (ValueError, OverflowError):
            raise forms.ValidationError("Not a position in this list.") from None

    def clean_before(self) -> selectors.Cursor | None:
        return self._clean_cursor("before")

    def clean_after(self) -> selectors.Cursor | None:
        return self._clean_cursor("after")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("before") and cleaned.get("after"):
            raise forms.ValidationError("Give “before” or “after”, not both.")
        return cleaned


def _log_spec(log: str) -> LogSpec:
    try:
        return LOGS[log]
    except KeyError:
        raise Http404(f"There is no log called {log!r}.") from None


def _can_view(user, model: type[Model]) -> bool:
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def _require_view_permission(request: HttpRequest, model: type[Model]) -> None:
    if not _can_view(request.user, model):
        raise PermissionDenied


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_lines(spec: LogSpec, table, queryset) -> tuple[list[str], Iterator[str]]:
    """The header and the rows of a CSV export, with the table's columns."""
    columns = [column for column in table.columns if column.name]
    zone = timezone.get_current_timezone_name()

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    header = writer.writerow(
        [
            f"{column.header} ({zone})" if column.name == spec.time_field else column.header
            for column in columns
        ]
    )
    # Plain values, not model instances (nor the joined accounts the pages show): building
    # an instance per row would cost more than writing it.
    values = queryset.values_list(*(column.name for column in columns))
    rows = (
        writer.writerow([_safe_cell(_export_value(value)) for value in row])
        for row in values.iterator(chunk_size=EXPORT_CHUNK)
    )
    return [header], rows


def _content_type(export_format: str) -> str:
    return "text/csv; charset=utf-8" if export_format == "csv" else "text/plain; charset=utf-8"


def _export(
    request: HttpRequest, spec: LogSpec, export_format: str, header: list[str], rows: Iterator[str]
) -> StreamingHttpResponse:
    """Stream an export in constant memory, and record who exported what once it ends."""
    user = request.user.get_username()
    query = request.GET.copy()
    query.pop("export", None)
    filters = query.urlencode() or "no filter"

    def audited() -> Iterator[str]:
        count = 0
        try:
            yield from header
            for line in rows:
                count += 1
                yield line
        finally:
            # Also when the download is cut short: the rows sent so far were exported.
            services.console_event_record(
                action="log_exported",
                user=user,
                extensions={
                    "cnt": count,
                    "msg": f"{user} exported {count} {spec.title} rows as "
                    f"{export_format.upper()} ({filters})",
                },
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(audited(), content_type=_content_type(export_format))
    filename = f"{spec.slug}-{stamp}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export_value(value):
    if isinstance(value, datetime):
        return in_zone(value)[0].isoformat()  # with its offset: UTC where the zone ends first
    return value


class _PageRows(TableListData):
    """The rows of one keyset page, with their model: the table's headers come from it."""

    def __init__(self, rows: list[Model], *, model: type[Model]) -> None:
        super().__init__(rows)
        self._model = model

    @property
    def model(self) -> type[Model]:
        return self._model


@require_safe
def log_list(request: HttpRequest, log: str) -> HttpResponse:
    spec = _log_spec(log)
    _require_view_permission(request, spec.model)

    filterset = filterset_for(spec)(request.GET or None, queryset=selectors.log_queryset(spec))
    options = ListOptionsForm(request.GET, log=spec)
    valid = options.is_valid() & (not filterset.is_bound or filterset.is_valid())
    queryset = filterset.qs if valid else filterset.queryset.none()

    export_format = valid and options.cleaned_data["export"]
    if export_format:
        table, _, _ = _ordered_table(request, spec, queryset)
        if export_format == "csv":
            return _export(request, spec, "csv", *_csv_lines(spec, table, table.data.data))
        lines = spec.exports[export_format](table.data.data)
        return _export(request, spec, export_format, [], lines)

    try:
        with selectors.time_limited(selectors.PAGE_TIME_LIMIT_SECONDS):
            return _render_list(request, spec, filterset, options, queryset, valid=valid)
    except selectors.TooSlow:
        nothing = filterset.queryset.none()
        return _render_list(request, spec, filterset, options, nothing, valid=valid, too_slow=True)


def _ordered_table(request: HttpRequest, spec: LogSpec, queryset) -> tuple:
    """The table in the order `sort=` asks for, when it can be had: (table, count, refused).

    Only the time column has an index to sort by (either way round). For any other, the
    database sorts every matching row before the first page: done only for rows few
    enough to count exactly (up to the count's cap), never over millions. `refused` names
    a column the rows stay unsorted by; `count` is the count this needed, if any.
    """
    table = table_for(spec)(queryset)
    RequestConfig(request, paginate=False).configure(table)  # applies `sort=`
    if not table.order_by or table.order_by[0].bare == spec.time_field:
        return table, None, ""
    count = selectors.log_count(queryset)
    if count.exact:
        return table, count, ""
    refused = table.columns[table.order_by[0].bare].header
    return table_for(spec)(queryset), count, refused  # the default order, its index serves


def _render_list(
    request: HttpRequest,
    spec: LogSpec,
    filterset,
    options: ListOptionsForm,
    queryset,
    *,
    valid: bool,
    too_slow: bool = False,
) -> HttpResponse:
    def cleaned(name: str):
        return valid and options.cleaned_data[name]

    table, count, unsortable = None, None, ""
    if request.GET.get(table_for(spec)._meta.order_by_field):  # `sort=`
        table, count, unsortable = _ordered_table(request, spec, queryset)
    per_page = cleaned("per_page") or PAGE_SIZES[1]
    if table is not None and table.order_by:
        # Sorted by a column: numbered pages by OFFSET. LazyPaginator fetches one row past
        # the page instead of counting; deep pages cost more, as the sort has no index.
        page = cleaned("page") or 1
        try:
            table.paginate(paginator_class=LazyPaginator, page=page, per_page=per_page)
        except EmptyPage:
            table.paginate(paginator_class=LazyPaginator, page=1, per_page=per_page)
    else:
        # The default order: keyset pages, as fast far back as on the first page.
        keyset = selectors.log_keyset_page(
            spec=spec,
            queryset=queryset,
            size=per_page,
            before=cleaned("before") or None,
            after=cleaned("after") or None,
            branches=filterset.account_branches if valid else (),
        )
        table = table_for(spec)(_PageRows(keyset.rows, model=spec.model))
        table.keyset = keyset
        if not keyset.newer and not keyset.older:
            count = selectors.RowCount(len(keyset.rows))  # the page holds every row

    context = {
        "log": spec,
        "filter": filterset,
        "options": options,
        "table": table,
        "page_sizes": PAGE_SIZES,
        "per_page": per_page,
        "count": None if too_slow else count or selectors.log_count(queryset),
        "unsortable": unsortable,
        "sort_max_rows": f"{selectors.COUNT_CAP:,}",
        "too_slow": too_slow,
        "time_limit": selectors.PAGE_TIME_LIMIT_SECONDS,
        "live_notice": spec.live_notice() if spec.live_notice else "",
    }
    return render(request, "logging/list.html", context, status=200 if valid else 400)


@dataclass(frozen=True)
class DetailRow:
    label: str
    html: str | None  # None: the field is empty
    block: bool = False  # free text, kept as written


def _can_see_secrets(user) -> bool:
    # Administrators (superusers) see activation tokens; Support sees them masked.
    return user.is_superuser


def _declared(spec: LogSpec, field) -> Column:
    """How a field shows when its log declares no column for it: by its type."""
    if field.choices:
        return Column(field.name, CHOICE)
    if field.get_internal_type() == "DateTimeField":
        return Column(field.name, TIME)
    if field.get_internal_type() == "TextField":
        return Column(field.name, BLOCK)
    return Column(field.name)


def _detail_rows(spec: LogSpec, record: Model, rendering: Rendering) -> list[DetailRow]:
    """Every field of the record in the model's (the manual's) order, each written with
    the column the list writes it with."""
    listed = table_for(spec).base_columns
    rows = []
    for field in record._meta.concrete_fields:
        if field.primary_key or field.name in spec.link_fields:
            continue
        column = listed.get(field.name) or column_for(
            spec, spec.column(field.name) or _declared(spec, field)
        )
        if isinstance(column, TimestampColumn):  # the page's own time links nowhere else
            column = DateTimeColumn()
        html = value_writer(column, field.name, spec.model)(record, rendering)
        rows.append(DetailRow(field.verbose_name, html, getattr(column, "block", False)))
    return rows


@dataclass(frozen=True)
class PanelRow:
    time: str
    url: str
    log: str
    summary: str


def _panels(spec: LogSpec, record: Model, rendering: Rendering) -> list[tuple[str, list, str]]:
    """(title, rows, empty) of each panel the log declares, its related records' rows."""
    panels = []
    for panel in spec.panels:
        rows = [
            PanelRow(
                rendering.local_time(getattr(related, LOGS[slug].time_field)),
                rendering.detail_url(slug, related.pk),
                LOGS[slug].title,
                str(related),
            )
            for slug, related in panel.related(record)
        ]
        panels.append((panel.title.format(record=record), rows, panel.empty))
    return panels


@require_safe
def log_detail(request: HttpRequest, log: str, pk: int) -> HttpResponse:
    spec = _log_spec(log)
    _require_view_permission(request, spec.model)
    record = selectors.log_record(spec, pk)
    if record is None:
        raise Http404(f"There is no {spec.title} record {pk}.")

    rendering = Rendering(show_secrets=_can_see_secrets(request.user))
    context = {
        "log": spec,
        "record": record,
        "rows": _detail_rows(spec, record, rendering),
        "panels": _panels(spec, record, rendering),
        "time": getattr(record, spec.time_field),
    }
    return render(request, "logging/detail.html", context)


class AccountSearchForm(forms.Form):
    # A CharField refuses NUL, which PostgreSQL cannot compare with text.
    q = forms.CharField(required=False, max_length=200, strip=True)


@require_safe
def account_list(request: HttpRequest) -> HttpResponse:
    _require_view_permission(request, models.Account)
    accounts = models.Account.objects.select_related("group")
    form = AccountSearchForm(request.GET)
    if not form.is_valid():
        context = {"accounts": [], "query": "", "form": form}
        return render(request, "accounts/list.html", context, status=400)
    query = form.cleaned_data["q"]
    if query:
        accounts = (
            accounts.filter(username__icontains=query)
            | accounts.filter(description__icontains=query)
            | accounts.filter(virtual_number__icontains=query)
        )
    context = {"accounts": accounts.order_by("username")[:500], "query": query, "form": form}
    return render(request, "accounts/list.html", context)


@require_safe
def account_detail(request: HttpRequest, username: str) -> HttpResponse:
    _require_view_permission(request, models.Account)
    if "\x00" in username:
        # No name holds NUL (ingest refuses it), and PostgreSQL cannot compare one.
        raise Http404("There is no account by that name.")
    account = models.Account.objects.select_related("group").filter(username=username).first()
    timeline = selectors.account_timeline(username=username, account=account)
    if account is None and not timeline:
        raise Http404(f"There is no account {username!r} and no activity under that name.")
    rendering = Rendering()
    context = {
        "username": username,
        "account": account,
        "timeline": [
            (entry, rendering.detail_url(entry.log.slug, entry.record.pk)) for entry in timeline
        ],
        "sip_url": rendering.list_url("sip-sessions", account=username),
    }
    return render(request, "accounts/detail.html", context)


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    logs = [spec for spec in LOGS.values() if _can_view(request.user, spec.model)]
    since = timezone.now() - timedelta(hours=OVERVIEW_HOURS)
    context = {
        "hours": OVERVIEW_HOURS,
        "since": filter_time(since),
        "activity": selectors.recent_activity(logs=logs, since=since),
        "charts": charts.overview_charts(logs=logs),
        "days": charts.DAYS,
    }
    return render(request, "overview.html", context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Pages show times in this zone; list filters read them in it.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        default = ("", f"The console's time zone ({settings.TIME_ZONE})")
        self.fields["time_zone"].choices = [default, *_time_zone_choices()]


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings: the time zone pages are shown in."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            zone = form.cleaned_data["time_zone"]
            # A display setting of one's own: Support may change it too.
            models.ConsoleUserProfile.objects.update_or_create(
                user=request.user, defaults={"time_zone": zone}
            )
            viewer_time_zone_remember(request, zone)
            messages.success(request, "Preferences saved.")
            return redirect("preferences")
        return render(request, "preferences.html", {"form": form}, status=400)

    profile = models.ConsoleUserProfile.objects.filter(user=request.user).first()
    form = PreferencesForm(initial={"time_zone": profile.time_zone if profile else ""})
    return render(request, "preferences.html", {"form": form})
