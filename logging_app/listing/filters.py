"""The filters of the log lists: one FilterSet per log, made from its spec.

Query parameters are the DESIGN contract: `since`, `until`, `account`, `q` and each
enumerated field by its name, repeatable (`disposition=BUSY&disposition=FAILED`). The
time field, the account links and the searched fields are the spec's.
"""

import re
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property, reduce
from html import escape
from operator import or_

import django_filters
from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .. import models, selectors
from ..logs import LOGS
from ..logs.spec import LogSpec
from .addresses import Address, AddressField, endpoint_condition
from .search import MAX_SEARCH, Search, crossed, search_for


class ChoiceCheckboxes(forms.CheckboxSelectMultiple):
    """Django's checkbox markup, written without its templates.

    The templates take ~0.35 ms a checkbox, and the CDR filters show 20 on every page.
    """

    def render(self, name: str, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        outer = {key: widget["attrs"][key] for key in ("id", "class") if widget["attrs"].get(key)}
        boxes = "".join(
            _checkbox(option) for _, options, _ in widget["optgroups"] for option in options
        )
        return mark_safe(f"<div{flatatt(outer)}>{boxes}</div>")


def _checkbox(option: dict) -> str:
    attrs = option["attrs"]
    label = f' for="{escape(attrs["id"])}"' if attrs.get("id") else ""
    value = "" if option["value"] is None else f' value="{escape(str(option["value"]))}"'
    return (
        f'<div><label{label}><input type="{option["type"]}" name="{escape(option["name"])}"'
        f"{value}{flatatt(attrs)}> {escape(str(option['label']))}</label></div>"
    )


class EnumerationFilter(django_filters.MultipleChoiceFilter):
    """Any of several values of an enumerated field, chosen with checkboxes.

    Without django-filter's default DISTINCT, which is for to-many relations: a field of
    the log itself cannot repeat a row, and DISTINCT over every column made PostgreSQL
    sort all the matching rows (50 ms for the BUSY calls among 100k CDRs, then as much
    again to count them).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("distinct", False)
        kwargs.setdefault("widget", ChoiceCheckboxes)
        super().__init__(*args, **kwargs)


class LogFilterForm(forms.Form):
    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“Until” must not be before “since”.")
        return cleaned


# A date-time written as every page writes one (Y-m-d H:i:s), not in the browser's own
# locale as a datetime-local input would show it; the field reads ISO 8601 too.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class TimeInput(forms.DateTimeInput):
    """A date-time as the pages write it, also one typed or linked in ISO 8601's `T` form."""

    def format_value(self, value) -> str | None:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[^T]*", value):
            return value.replace("T", " ")
        return super().format_value(value)


_DATETIME_WIDGET = TimeInput(
    format=TIME_FORMAT,
    attrs={"class": "when", "placeholder": "YYYY-MM-DD hh:mm:ss", "autocomplete": "off"},
)


# The relative ranges the filter bar offers (`range=7d`); any other count of hours or days
# up to the limits is accepted too.
RANGE_PRESETS = (
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
)
_RANGE = re.compile(r"(\d{1,5})([hd])")
_RANGE_LIMITS = {"h": 24 * 366 * 10, "d": 366 * 10}  # ten years either way


def range_span(text: str) -> timedelta | None:
    """The span `range` names (`24h`, `7d`), or None when it is not one."""
    match = _RANGE.fullmatch(text)
    if not match or not 1 <= int(match[1]) <= _RANGE_LIMITS[match[2]]:
        return None
    count = int(match[1])
    return timedelta(hours=count) if match[2] == "h" else timedelta(days=count)


def range_label(text: str) -> str:
    """`7d` as a person says it: "Last 7 days"."""
    if preset := dict(RANGE_PRESETS).get(text):
        return preset
    match = _RANGE.fullmatch(text)
    if not match:
        return text
    unit = {"h": "hour", "d": "day"}[match[2]]
    return f"Last {int(match[1])} {unit}{'' if int(match[1]) == 1 else 's'}"


class RangeSelect(forms.Select):
    """The presets, and the range in the URL when it is another (`range=3d`)."""

    def get_context(self, name: str, value, attrs) -> dict:
        if value and value not in dict(self.choices) and range_span(str(value)):
            self.choices = [*self.choices, (value, range_label(str(value)))]
        return super().get_context(name, value, attrs)


class RangeField(forms.CharField):
    """`range`: the last so many hours (`24h`) or days (`7d`), counted back from the moment
    the page is asked for, so that a shared link stays relative."""

    widget = RangeSelect(choices=[("", "Any time"), *RANGE_PRESETS])

    def shown(self, value: str) -> str:
        """The value as its chip says it: "Last 3 days"."""
        return range_label(value.strip().lower())

    def to_python(self, value) -> str:
        text = super().to_python(value).strip().lower()
        if text and range_span(text) is None:
            raise forms.ValidationError(
                "Not a time range: a number of hours or days, as 24h or 7d (up to ten years)."
            )
        return text


class RangeFilter(django_filters.Filter):
    field_class = RangeField


class AnySelect(forms.NullBooleanSelect):
    """Yes, no, or "Any" (the field left out of the URL), for a yes/no filter."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]

    def format_value(self, value) -> str:
        return {True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")


class InstantField(forms.DateTimeField):
    """A date-time in the viewer's zone, or with its own offset, as the instant in UTC.

    In UTC, as the databases compare it: PostgreSQL refuses an offset beyond ±15:59
    (`+16:00` is a valid ISO 8601 offset), and SQLite's driver converts to UTC itself,
    which overflows at the ends of the calendar. An instant past either end (the last
    second of year 9999 west of UTC) is that end: no row lies beyond it.
    """

    def to_python(self, value) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            end = datetime.max if moment.year > 1 else datetime.min
            return end.replace(tzinfo=UTC)


class InstantFilter(django_filters.DateTimeFilter):
    field_class = InstantField


class IPAddressFilter(django_filters.Filter):
    """A column of IP addresses, asked for by an address pasted with or without its port.

    Validated as an address: PostgreSQL's inet column fails on anything else.
    """

    field_class = AddressField

    def filter(self, queryset: QuerySet, value: Address | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(**{self.field_name: value.ip})


class EndpointFilter(IPAddressFilter):
    """A column of addresses with their ports (models.EndpointField): the address with
    the port asked for, or with any port when none is."""

    def filter(self, queryset: QuerySet, value: Address | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(endpoint_condition(self.field_name, value))


class LogFilterSet(django_filters.FilterSet):
    """Date range, account and free text for every log; choices become multi-value filters.

    `spec` is the log's: its time field, account links and searched fields.
    """

    spec: LogSpec

    range = RangeFilter(method="filter_range", label="Time range")
    since = InstantFilter(method="filter_since", label="Since", widget=_DATETIME_WIDGET)
    until = InstantFilter(method="filter_until", label="Until", widget=_DATETIME_WIDGET)
    account = django_filters.CharFilter(
        method="filter_account",
        label="Account",
        widget=forms.TextInput(attrs={"placeholder": "username, name or number"}),
    )
    q = django_filters.CharFilter(
        method="filter_text",
        label="Search",
        max_length=MAX_SEARCH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "number, call id, UUID, address, word…",
                "data-search": "",
            }
        ),
    )

    class Meta:
        form = LogFilterForm

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.spec.account_links:
            del self.filters["account"]

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        if lookup_type == "exact":
            # Enumerations filter on several values at once: ?disposition=BUSY&disposition=FAILED
            if field.choices:
                return EnumerationFilter, {"choices": list(field.flatchoices)}
            # A small range (a severity, 0–10) is an enumeration too.
            if (high := _small_range(field)) is not None:
                choices = [(str(level), str(level)) for level in range(high + 1)]
                return EnumerationFilter, {"choices": choices}
            if field.get_internal_type() == "BooleanField":
                return django_filters.BooleanFilter, {"widget": AnySelect}
            if isinstance(field, models.EndpointField):
                return EndpointFilter, {}
            if field.get_internal_type() == "GenericIPAddressField":
                return IPAddressFilter, {}
        return super().filter_for_lookup(field, lookup_type)

    def filter_since(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(**{f"{self.spec.time_field}__gte": value})

    def filter_range(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # An explicit `since` wins: the range then says nothing (DESIGN, list parameters).
        if not value or self._cleaned("since"):
            return queryset
        since = timezone.now() - range_span(value)
        return queryset.filter(**{f"{self.spec.time_field}__gte": since})

    def filter_until(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(**{f"{self.spec.time_field}__lte": value})

    def _cleaned(self, name: str) -> str:
        """A filter's value as the validated form holds it; "" when none was given."""
        cleaned = getattr(self.form, "cleaned_data", {}) if self.is_bound else {}
        return cleaned.get(name) or ""

    @cached_property
    def account_text(self) -> str:
        """The account asked for, as typed; empty when none is."""
        return self._cleaned("account").strip()

    @cached_property
    def named_accounts(self) -> list[models.Account]:
        """The accounts `account` names: by username, description or number, in any case."""
        return selectors.accounts_named(self.account_text) if self.account_text else []

    @cached_property
    def account_branches(self) -> tuple[Q, ...]:
        """The account filter's conditions, one per field it looks in (none without an
        account asked for): the list pages find each one's rows through its own index
        (selectors.first_rows). A row is the accounts' when it links to one of them, or
        carries its username or the name as typed (rows no account was linked to)."""
        if not self.account_text:
            return ()
        # The ids as values, not a subquery: with literal ids PostgreSQL combines the
        # (link, time) indexes in a BitmapOr; with a subquery it walks the whole time
        # index looking for the account's rows (1.4 s instead of 0.3 ms on 1M CDRs).
        accounts = self.named_accounts
        names = [self.account_text, *(account.username for account in accounts)]
        ids = [account.pk for account in accounts]
        return tuple(selectors.account_branches(self.spec, names=names, account_ids=ids))

    def filter_account(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not self.account_branches:
            return queryset
        return queryset.filter(reduce(or_, self.account_branches))

    @cached_property
    def search(self) -> Search | None:
        """What `q` asks for (listing/search.py): a value looked up exactly, or free text;
        None without a search. Read from the validated form."""
        return search_for(self.spec, self._cleaned("q"))

    @cached_property
    def search_branches(self) -> tuple[Q, ...]:
        """The search's conditions, one per field and kind it looks in: the list pages find
        each one's rows through its own index, as the account filter's."""
        return self.search.branches if self.search else ()

    @property
    def branches(self) -> tuple[Q, ...]:
        """The branches of the account's OR and the search's, joined (search.crossed)."""
        return crossed(self.account_branches, self.search_branches)

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if self.search is None:
            return queryset
        return queryset.filter(self.search.condition)


def _small_range(field) -> int | None:
    """The top of a non-negative integer field's range when it is small (≤ 10)."""
    if field.get_internal_type() not in {"PositiveSmallIntegerField", "PositiveIntegerField"}:
        return None
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return min(highs) if highs and min(highs) <= 10 else None


class AnyFieldFilter(django_filters.CharFilter):
    """A value that any of several fields holds exactly (the caller's or callee's group)."""

    def __init__(self, *args, fields: tuple[str, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields = fields

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(reduce(or_, (Q(**{name: value}) for name in self.fields)))


@cache
def filterset_for(spec: LogSpec) -> type[LogFilterSet]:
    """The FilterSet class of a log: its declared filters, after time, account and text."""
    meta = type("Meta", (LogFilterSet.Meta,), {"model": spec.model, "fields": list(spec.filters)})
    declared = {
        name: AnyFieldFilter(fields=fields, label=name.replace("_", " ").capitalize())
        for name, fields in spec.any_field_filters.items()
    }
    attrs = {"spec": spec, "Meta": meta, **declared}
    return type(f"{spec.model.__name__}Filter", (LogFilterSet,), attrs)


# A log registered since adds a choice to the enumerations that name logs (Security's source).
LOGS.on_reset(filterset_for.cache_clear)
