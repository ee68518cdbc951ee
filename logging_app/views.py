"""The console's pages: one list view, one detail view and one export for all eight logs."""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, router
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from . import charts, models, selectors
from .figures import utc_hour
from .health import appliance_health
from .listing.chooser import ColumnsForm, list_columns_save
from .listing.columns import (
    DateTimeColumn,
    Rendering,
    TimestampColumn,
    column_for,
    declared_column,
    value_writer,
)
from .listing.page import PAGE_SIZES, VIEW, LogList
from .listing.saved import SaveViewForm, saved_query
from .listing.tables import screen_columns, table_for
from .logs import LOGS, LogSpec
from .middleware import viewer_time_zone_remember
from .templatetags.console import filter_time

# The overview counts each log's rows of the last this many hours.
OVERVIEW_HOURS = 24


def _log_spec(log: str) -> LogSpec:
    try:
        return LOGS[log]
    except KeyError:
        raise Http404(f"There is no log called {log!r}.") from None


def can_view(user, model: type[Model]) -> bool:
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def require_view_permission(request: HttpRequest, model: type[Model]) -> None:
    if not can_view(request.user, model):
        raise PermissionDenied


@require_safe
def log_list(request: HttpRequest, log: str) -> HttpResponse:
    spec = _log_spec(log)
    require_view_permission(request, spec.model)
    listing = LogList(request, spec)
    if listing.export_format:
        return listing.export()
    try:
        # On the database the list reads from: a replica's queries stop there.
        using = router.db_for_read(spec.model)
        with selectors.time_limited(selectors.PAGE_TIME_LIMIT_SECONDS, using=using):
            return _render_list(request, listing)
    except selectors.TooSlow:
        return _render_list(request, listing.emptied())


def _render_list(request: HttpRequest, listing: LogList) -> HttpResponse:
    spec = listing.spec
    context = {
        "log": spec,
        "listing": listing,
        "filter": listing.filterset,
        "options": listing.options,
        "table": listing.table,
        "page_sizes": PAGE_SIZES,
        "per_page": listing.per_page,
        "default_per_page": PAGE_SIZES[1],
        "count": listing.count,
        "unsortable": listing.unsortable,
        "sorted_by": listing.sorted_by,
        "columns_form": ColumnsForm(
            spec=spec,
            initial={"shown": [n for n, _ in screen_columns(spec)[1:] if n not in listing.hidden]},
        ),
        # The chooser saves the viewer's own columns: back on the list, the view's give way.
        "columns_next": _without_view(request),
        "save_view_form": SaveViewForm(
            spec=spec,
            owner=request.user,
            auto_id="save_view_%s",  # beside the filters, a log's own `name` among them
            initial={"query": saved_query(spec, request.GET), "hidden": listing.hidden},
        ),
        "sort_max_rows": f"{selectors.COUNT_CAP:,}",
        "too_slow": listing.too_slow,
        "time_limit": selectors.PAGE_TIME_LIMIT_SECONDS,
        "live_notice": spec.live_notice() if spec.live_notice else "",
    }
    return render(request, "logging/list.html", context, status=listing.status)


def _without_view(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop(VIEW, None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


@require_POST
def log_columns(request: HttpRequest, log: str) -> HttpResponse:
    """Save the columns the viewer shows on a log's list (the column chooser), then go back
    to the list as it was."""
    spec = _log_spec(log)
    require_view_permission(request, spec.model)
    form = ColumnsForm(request.POST, spec=spec)
    if not form.is_valid():
        return HttpResponseBadRequest("Not columns of this list.")
    # A display setting of one's own: Support may change it too.
    list_columns_save(
        user=request.user,
        spec=spec,
        shown=form.cleaned_data["shown"],
        reset=form.cleaned_data["reset"],
    )
    back = request.POST.get("next", "")
    list_url = reverse("log_list", args=[spec.slug])
    if not back.startswith(f"{list_url}?") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = list_url
    return redirect(back)


@dataclass(frozen=True)
class DetailRow:
    label: str
    html: str | None  # None: the field is empty
    block: bool = False  # free text, kept as written


def _can_see_secrets(user) -> bool:
    # Administrators (superusers) see activation tokens; Support sees them masked.
    return user.is_superuser


def _detail_rows(spec: LogSpec, record: Model, rendering: Rendering) -> list[DetailRow]:
    """Every field of the record in the model's (the manual's) order, each written with
    the column the list writes it with."""
    listed = table_for(spec).base_columns
    rows = []
    for field in record._meta.concrete_fields:
        if field.primary_key or field.name in spec.link_fields:
            continue
        column = listed.get(field.name) or column_for(spec, declared_column(spec, field))
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
    require_view_permission(request, spec.model)
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
        "what_happened": spec.explained(record),
    }
    return render(request, "logging/detail.html", context)


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    logs = [spec for spec in LOGS.values() if can_view(request.user, spec.model)]
    # Whole UTC hours, the figures' (the one under way included).
    since = utc_hour(timezone.now()) - timedelta(hours=OVERVIEW_HOURS - 1)
    # The health every page's banner reads (kept a few seconds) knows each log's newest row.
    known = appliance_health()
    newest = {} if known.unknown else {log.spec.slug: log.newest for log in known.logs}
    context = {
        "hours": OVERVIEW_HOURS,
        "since": filter_time(since),
        "activity": selectors.recent_activity(logs=logs, since=since, newest=newest),
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
