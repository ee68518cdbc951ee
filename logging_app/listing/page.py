"""One list page as one object, as the admin's ChangeList: filterset → rows → pager → count →
table → export, each stage built from the one before and kept on the object.
"""

from datetime import datetime
from functools import cached_property

from django import forms
from django.core.paginator import EmptyPage
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from .. import models, selectors
from ..logs.spec import LogSpec
from .chooser import hidden_columns
from .export import export_lines, export_response
from .filters import filterset_for
from .saved import view_hidden_columns, view_visible
from .tables import KeysetRows, LogTable, screen_table_for, table_for

PAGE_SIZES = (25, 50, 100, 200)
# The deepest numbered page: its OFFSET, (page - 1) × page size, must fit the databases'
# 64-bit integers, and no sorted list comes near it (10 million rows are 400,000 pages).
MAX_PAGE = 10**9
# Query-string keys of the list besides the filters (as the admin's constants).
SORT = "sort"
VIEW = "view"


class ListOptionsForm(forms.Form):
    """The list parameters that are not filters: paging, page size and export format.

    `before` and `after` are keyset cursors (see selectors.Cursor) for the default order;
    `page` numbers pages only when the list is sorted by a column. `view` shows the columns
    of a saved view (its filters are in the rest of the query string).
    """

    per_page = forms.TypedChoiceField(
        choices=[(size, size) for size in PAGE_SIZES], coerce=int, required=False
    )
    export = forms.ChoiceField(choices=[("csv", "CSV")], required=False)
    before = forms.CharField(required=False, max_length=64)
    after = forms.CharField(required=False, max_length=64)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)
    view = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

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


class LogList:
    """The list of one log as a request asks for it.

    Stages: the filterset and the options are validated (`valid`); `queryset` holds the
    filtered rows; `table` is the page of rows in the asked order, with its pager (keyset
    cursors, or numbered pages under a sort); `count` is what the page says of the total;
    `export()` streams the rows instead. A list whose search ran out of time is `emptied`.
    """

    def __init__(self, request: HttpRequest, spec: LogSpec) -> None:
        self.request = request
        self.spec = spec
        self.filterset = filterset_for(spec)(
            request.GET or None, queryset=selectors.log_queryset(spec)
        )
        self.options = ListOptionsForm(request.GET, log=spec)
        self.valid = self.options.is_valid() & (
            not self.filterset.is_bound or self.filterset.is_valid()
        )
        self.queryset: QuerySet = (
            self.filterset.qs if self.valid else self.filterset.queryset.none()
        )
        self.too_slow = False
        self.view = self._saved_view()
        # The columns the viewer hides (the column chooser's, or the view's): one small read.
        if self.view is not None:
            self.hidden = view_hidden_columns(self.view, spec)
        else:
            self.hidden = hidden_columns(request.user, spec)

    def _saved_view(self) -> models.SavedView | None:
        """The saved view `view=` names, if the viewer may open it on this list; else a
        form error."""
        pk = self.options.cleaned_data.get(VIEW) if self.options.is_valid() else None
        if not pk:
            return None
        view = view_visible(self.request.user, pk, log=self.spec.slug)
        if view is None:
            self.options.add_error(VIEW, "Not a saved view of this list that you can open.")
            self.valid = False
            self.queryset = self.filterset.queryset.none()
        return view

    def _screen_table(self, data) -> LogTable:
        """The page's table of `data`: the screen's columns, less those the viewer hides."""
        return screen_table_for(self.spec)(data, exclude=self.hidden)

    def option(self, name: str):
        return self.valid and self.options.cleaned_data[name]

    @property
    def status(self) -> int:
        return 200 if self.valid else 400

    @property
    def export_format(self) -> str:
        return self.option("export") or ""

    def emptied(self) -> "LogList":
        """This list without rows: its search ran past the page's time limit."""
        self.queryset = self.filterset.queryset.none()
        self.too_slow = True
        for stage in ("_ordered", "_heads", "table", "count"):
            self.__dict__.pop(stage, None)
        return self

    # --- Order ----------------------------------------------------------------------------

    @cached_property
    def _ordered(self) -> tuple[LogTable, selectors.RowCount | None, str]:
        """The table in the order `sort=` asks for, when it can be had: (table, count, refused).

        Only the time column has an index to sort by (either way round). For any other, the
        database sorts every matching row before the first page: done only for rows few
        enough to count exactly (up to the count's cap), never over millions. `refused`
        names a column the rows stay unsorted by; `count` is the count this needed, if any.
        """
        table = self._screen_table(self.queryset)
        RequestConfig(self.request, paginate=False).configure(table)  # applies `sort=`
        if not table.order_by or table.order_by[0].bare == self.spec.time_field:
            return table, None, ""
        count = selectors.log_count(self.queryset, branches=self._branches)
        if count.exact:
            return table, count, ""
        refused = table.columns[table.order_by[0].bare].header
        # The default order, which its index serves.
        return self._screen_table(self.queryset), count, refused

    @property
    def sorted(self) -> bool:
        return bool(self.request.GET.get(SORT))

    @property
    def sorted_by(self) -> dict | None:
        """The sort the rows are shown in, for its chip: the column's header, the direction,
        and the page without the sort; None in the default order (newest first)."""
        if not self.sorted or self.unsortable or not self.valid:
            return None
        order_by = self.table.order_by
        if not order_by:
            return None
        column = self.table.columns[order_by[0].bare]
        query = self.request.GET.copy()
        for key in (SORT, "page", "before", "after", "export"):
            query.pop(key, None)
        path = self.request.path
        return {
            "header": column.header,
            "direction": "descending" if order_by[0].is_descending else "ascending",
            "remove_url": f"{path}?{query.urlencode()}" if query else path,
        }

    @property
    def unsortable(self) -> str:
        """The header of a column the list was asked to sort by and could not."""
        return self._ordered[2] if self.sorted else ""

    # --- Page -----------------------------------------------------------------------------

    @property
    def per_page(self) -> int:
        return self.option("per_page") or PAGE_SIZES[1]

    @cached_property
    def table(self) -> LogTable:
        """The page's rows: by numbered pages under a sort, else by keyset."""
        if self.sorted and (table := self._ordered[0]).order_by:
            # Sorted by a column: numbered pages by OFFSET. LazyPaginator fetches one row
            # past the page instead of counting; deep pages cost more, as the sort has no
            # index.
            page = self.option("page") or 1
            try:
                table.paginate(paginator_class=LazyPaginator, page=page, per_page=self.per_page)
            except EmptyPage:
                table.paginate(paginator_class=LazyPaginator, page=1, per_page=self.per_page)
            return table
        # The default order: keyset pages, as fast far back as on the first page.
        keyset = selectors.log_keyset_page(
            spec=self.spec,
            queryset=self.queryset,
            size=self.per_page,
            before=self.option("before") or None,
            after=self.option("after") or None,
            branches=self.filterset.branches if self.valid else (),
            budget=selectors.SEARCH_BUDGET_SECONDS if self.budgeted else None,
            heads=self._heads,
        )
        table = self._screen_table(KeysetRows(keyset.rows, model=self.spec.model))
        table.keyset = keyset
        return table

    @property
    def _branches(self) -> tuple:
        return self.filterset.branches if self.valid else ()

    @cached_property
    def _heads(self) -> list[tuple] | None:
        """The first page of an OR of branches in the default order (an account, a number
        searched in several fields): its count's rows hold the page's too, read once for
        both (selectors.branch_heads); None for any other page."""
        if len(self._branches) < 2 or self.sorted or self.budgeted or self.too_slow:
            return None
        if self.option("before") or self.option("after"):
            return None
        return selectors.branch_heads(self.queryset, self._branches)

    @cached_property
    def budgeted(self) -> bool:
        """Whether the page looks for its rows within a time budget: a free-text search that
        nothing else narrows to an index (an account), on PostgreSQL, where it would
        otherwise read every row of a large log (selectors.searched_rows)."""
        search = self.filterset.search if self.valid else None
        return (
            search is not None
            and not search.exact
            and not self.filterset.branches
            and not self.filterset.account_text
            and connections[self.queryset.db].vendor == "postgresql"
        )

    @property
    def searched_from(self) -> datetime | None:
        """Where a budgeted search stopped looking: older rows were not searched (None:
        every row was)."""
        keyset = getattr(self.table, "keyset", None)
        return keyset.searched_from if keyset is not None else None

    @property
    def search_older(self) -> str:
        """The `before` cursor that goes on searching where a budgeted search stopped."""
        return str(selectors.Cursor(self.searched_from, 0)) if self.searched_from else ""

    @cached_property
    def count(self) -> selectors.RowCount | None:
        """What the page says of the total: counted up to the cap, or the planner's guess."""
        if self.too_slow:
            return None
        keyset = getattr(self.table, "keyset", None)
        if keyset is not None and keyset.searched_from is not None:
            return None  # the page says how far back it searched
        if keyset is not None and not keyset.newer and not keyset.older:
            return selectors.RowCount(len(keyset.rows))  # the page holds every row
        if keyset is not None and self.budgeted:
            # Counting would read every row the search passes: a lower bound, as found.
            return selectors.RowCount(len(keyset.rows), exact=not keyset.older)
        if self.sorted and self._ordered[1] is not None:
            return self._ordered[1]
        return selectors.log_count(self.queryset, branches=self._branches, heads=self._heads)

    # --- Account --------------------------------------------------------------------------

    @property
    def accounts_meant(self) -> list[models.Account]:
        """The accounts `account` found by another name than one username as typed (a
        description, a number, another case), or several at once: the page says whose
        rows it shows."""
        accounts = self.filterset.named_accounts if self.valid else []
        if [account.username for account in accounts] == [self.filterset.account_text]:
            return []
        return accounts

    @cached_property
    def account_unknown(self) -> bool:
        """`account` names no account and no row carries the name: the page says so, and
        offers the closest accounts, rather than a bare "0 records"."""
        filterset = self.filterset
        if not self.valid or not filterset.account_text or filterset.named_accounts:
            return False
        count = self.count
        return count is not None and count.exact and count.value == 0

    @property
    def account_not_in_directory(self) -> bool:
        """`account` names no account, but rows carry the name (a deleted account's)."""
        filterset = self.filterset
        named = bool(filterset.account_text) and not filterset.named_accounts
        return self.valid and named and not self.too_slow and not self.account_unknown

    @cached_property
    def account_suggestions(self) -> list[models.Account]:
        """The accounts closest to an `account` that names none."""
        if not self.account_unknown:
            return []
        return selectors.accounts_like(self.filterset.account_text)

    # --- Export ---------------------------------------------------------------------------

    def export(self) -> StreamingHttpResponse:
        """The filtered rows, in the asked order, as the asked format: every column of the
        manual, whatever the page shows."""
        table = table_for(self.spec)(self.queryset)
        # Sorted as the page is, when it is (never a sort the page refused as too costly).
        if self.sorted and self._ordered[0].order_by and not self.unsortable:
            RequestConfig(self.request, paginate=False).configure(table)  # applies `sort=`
        lines = export_lines(self.spec, self.export_format, table, table.data.data)
        return export_response(self.request, self.spec, self.export_format, *lines)
