"""The account pages: the accounts found however they are named, and one account's
diagnosis (what state it is in, how its calls went) above its activity across the logs."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_safe

from . import diagnosis, models, selectors
from .listing.columns import Rendering, column_for, declared_column, value_writer
from .logs import LOGS, LogSpec
from .logs.spec import CHOICE
from .templatetags.console import filter_time
from .views import can_view, require_view_permission

# Query-string keys of the account page.
LOG_PARAM = "log"
BEFORE_PARAM = "before"


class AccountSearchForm(forms.Form):
    # A CharField refuses NUL, which PostgreSQL cannot compare with text.
    q = forms.CharField(required=False, max_length=200, strip=True)


class TimelineForm(forms.Form):
    """The timeline's log (empty: every log) and where its page starts (empty: now)."""

    log = forms.ChoiceField(required=False)
    before = forms.CharField(required=False, max_length=100)

    def __init__(self, *args, logs: list[LogSpec], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["log"].choices = [("", "Every log")] + [(s.slug, s.title) for s in logs]

    def clean_before(self) -> selectors.TimelineCursor | None:
        text = self.cleaned_data["before"]
        if not text:
            return None
        try:
            return selectors.TimelineCursor.parse(text)
        except (ValueError, OverflowError):
            raise forms.ValidationError(
                "Not a position in the timeline: follow the “Older” link instead."
            ) from None


@require_safe
def account_list(request: HttpRequest) -> HttpResponse:
    require_view_permission(request, models.Account)
    form = AccountSearchForm(request.GET)
    if not form.is_valid():
        context = {"accounts": [], "query": "", "form": form}
        return render(request, "accounts/list.html", context, status=400)
    query = form.cleaned_data["q"]
    accounts = list(selectors.account_search(query)[:500])
    # Nothing holds the text: the accounts closest to it instead.
    suggestions = selectors.accounts_like(query) if query and not accounts else []
    context = {"accounts": accounts, "query": query, "form": form, "suggestions": suggestions}
    return render(request, "accounts/list.html", context)


@dataclass(frozen=True)
class Shown:
    """A field of a record as a line of the page shows it: its label, its HTML."""

    label: str
    html: str
    bare: bool  # an enumerated value speaks for itself: shown without its label


def _writers(spec: LogSpec, names: tuple[str, ...]) -> list:
    """The writers of fields `names` of `spec`, each the one its list column writes with."""
    writers = []
    for name in names:
        field = spec.model._meta.get_field(name)
        declared = declared_column(spec, field)
        write = value_writer(column_for(spec, declared), name, spec.model)
        writers.append((capfirst(field.verbose_name), declared.kind == CHOICE, write))
    return writers


def _shown(writers: list, record: Model, rendering: Rendering) -> list[Shown]:
    shown = []
    for label, bare, write in writers:
        html = write(record, rendering)
        if html is not None:
            shown.append(Shown(label, html, bare))
    return shown


@dataclass(frozen=True)
class TimelineRow:
    time: str
    url: str
    log: LogSpec
    event: str
    outcome: list[Shown]
    what_happened: str


@dataclass(frozen=True)
class FactRow:
    label: str
    time: str = ""
    url: str = ""  # the record's detail, or the list of the rows counted
    shown: tuple[Shown, ...] = ()
    count: str = ""


def _fact_rows(lines: list[diagnosis.FactLine], username: str, rendering: Rendering) -> list:
    rows = []
    for line in lines:
        spec, fact = line.log, line.fact
        if fact.kind == diagnosis.LAST:
            record = line.record
            if record is None:
                rows.append(FactRow(fact.label))
                continue
            shown = _shown(_writers(spec, fact.shows), record, rendering)
            rows.append(
                FactRow(
                    fact.label,
                    time=rendering.local_time(getattr(record, spec.time_field)),
                    url=rendering.detail_url(spec.slug, record.pk),
                    shown=tuple(shown),
                )
            )
        else:
            count = f"{diagnosis.FACT_CAP} or more" if line.capped else str(line.count)
            url = rendering.list_url(spec.slug, account=username, **fact.listed)
            rows.append(FactRow(fact.label, url=url, count=count))
    return rows


def _cause_links(figures: diagnosis.CallFigures, username: str, rendering: Rendering) -> list:
    """Each window with the list URLs of its top hangup causes' calls."""
    windows = []
    for window in figures.windows:
        since = filter_time(window.since)
        causes = [
            (
                cause,
                count,
                rendering.list_url(
                    figures.log.slug, account=username, hangup_cause=cause, since=since
                ),
            )
            for cause, count in window.top_causes
        ]
        calls_url = rendering.list_url(figures.log.slug, account=username, since=since)
        windows.append((window, causes, calls_url))
    return windows


@require_safe
def account_detail(request: HttpRequest, username: str) -> HttpResponse:
    require_view_permission(request, models.Account)
    account = models.Account.objects.select_related("group").filter(username=username).first()
    if account is None and (named := selectors.accounts_named(username)):
        # A description, a number or another case: the account's own page, or the accounts
        # that share the description.
        if len(named) == 1:
            return redirect("account_detail", named[0].username)
        return redirect(f"{reverse('account_list')}?{urlencode({'q': username})}")
    logs = [
        spec for spec in LOGS.values() if spec.account_links and can_view(request.user, spec.model)
    ]
    form = TimelineForm(request.GET, logs=logs)
    valid = form.is_valid()
    chosen = form.cleaned_data.get(LOG_PARAM) if valid else ""
    before = form.cleaned_data.get(BEFORE_PARAM) if valid else None
    shown_logs = [spec for spec in logs if spec.slug == chosen] if chosen else logs
    page = (
        selectors.account_timeline(
            username=username, account=account, logs=shown_logs, before=before
        )
        if valid
        else selectors.TimelinePage([], None)
    )
    if account is None and valid and not page.entries and not (chosen or before):
        raise Http404(f"There is no account {username!r} and no activity under that name.")

    rendering = Rendering(show_secrets=request.user.is_superuser)
    outcome_writers = {spec.slug: _writers(spec, spec.outcome) for spec in shown_logs}
    timeline = [
        TimelineRow(
            rendering.local_time(entry.time),
            rendering.detail_url(entry.log.slug, entry.record.pk),
            entry.log,
            str(entry.record),
            _shown(outcome_writers[entry.log.slug], entry.record, rendering),
            entry.log.explained(entry.record),
        )
        for entry in page.entries
    ]
    # Read unnarrowed, the timeline's first page holds each log's newest row already.
    newest = page.newest if not chosen else {}
    facts = diagnosis.account_facts(username=username, account=account, logs=logs, newest=newest)
    figures = (
        diagnosis.call_figures(account=account, logs=logs, now=timezone.now()) if account else None
    )
    params = {LOG_PARAM: chosen} if chosen else {}
    older_url = f"?{urlencode(params | {BEFORE_PARAM: str(page.older)})}" if page.older else ""
    context = {
        "username": username,
        "account": account,
        "form": form,
        "facts": _fact_rows(facts, username, rendering),
        "figures": figures,
        "windows": _cause_links(figures, username, rendering) if figures else [],
        "timeline": timeline,
        "chosen": LOGS[chosen] if chosen else None,
        "older_url": older_url,
        "newest_url": f"?{urlencode(params)}" if before else "",
        # Each log that can name an account, filtered by this one.
        "log_links": [
            (spec.title, rendering.list_url(spec.slug, account=username)) for spec in logs
        ],
    }
    return render(request, "accounts/detail.html", context, status=200 if valid else 400)
