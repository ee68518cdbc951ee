"""The list tables: a log's declared columns, in the manual's order, as a django-tables2 Table.

django-tables2 declares the columns, their headers and their sorting; the rows are written
by the table itself (`LogTable.rows_html`), each cell by its column's writer (columns.py).

Two uses of django-tables2's internals live here and nowhere else, known to work with the
versions pyproject.toml admits (3.0): `LogTable.order_by` extends the property's setter, and
`KeysetRows` subclasses `TableListData`. Its public API has no hook for either: the
tiebreak of a sort, and rows that are a list yet carry their model for the headers.
"""

from functools import cache
from html import escape
from urllib.parse import urlencode

import django_tables2 as tables
from django.db.models import Model
from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django_tables2.data import TableListData

from ..logs.spec import LogSpec
from .columns import Rendering, cell_writer, column_for, pair_writer


class LogTable(tables.Table):
    class Meta:
        attrs = {"class": "log-table"}
        empty_text = "No records match these filters."
        orderable = True

    # A column whose cell also writes another column's value, by name: (column, its name).
    pairs: dict[str, tuple[tables.Column, str]] = {}

    def _set_order_by(self, value) -> None:
        tables.Table.order_by.fset(self, value)
        if self.order_by:
            # Sorting by a column replaces the queryset's ordering; end it with the primary
            # key again, or rows tied on that column could move between pages.
            tiebreak = "-pk" if self.order_by[0].is_descending else "pk"
            self.data.data = self.data.data.order_by(*self.data.data.query.order_by, tiebreak)

    order_by = property(tables.Table.order_by.fget, _set_order_by)

    def before_render(self, request: HttpRequest) -> None:
        # render_table's hook: the headers' sort links keep the page's query string.
        self._query = request.GET

    def headers_html(self) -> SafeString:
        """The `<th>` of each column, with django-tables2's attributes and sort links; the
        column the rows are sorted by says so (`aria-sort`, which the stylesheet shows as an
        arrow) and its link's name says what a click does."""
        cells = []
        sorted_by = self.order_by[0] if self.order_by else None
        for column in self.columns:
            text = conditional_escape(column.header)
            sort = ""
            if sorted_by is not None and sorted_by.bare == column.name:
                sort = f' aria-sort="{"descending" if sorted_by.is_descending else "ascending"}"'
            if column.orderable:
                query = {key: values for key, values in self._query.lists() if key not in _PAGING}
                alias = column.order_by_alias.next
                query[self.prefixed_order_by_field] = alias
                url = escape(f"?{urlencode(query, doseq=True)}")
                order = "descending" if alias.startswith("-") else "ascending"
                title = escape(f"Sort by {column.header}, {order}")
                text = f'<a href="{url}" title="{title}">{text}</a>'
            cells.append(f"<th {column.attrs['th'].as_html()}{sort}>{text}</th>")
        return mark_safe("".join(cells))

    def rows_html(self) -> list[SafeString]:
        """The `<tr>` of each row of the page, every value escaped."""
        model = self._meta.model
        cells = [
            pair_writer(column, self.pairs[column.name], model)
            if column.name in self.pairs
            else cell_writer(column, model, clip=True)
            for column in self.columns
        ]
        rendering = Rendering()
        rows = []
        for index, row in enumerate(self.paginated_rows):
            record = row.record
            html = "".join([cell(record, rendering) for cell in cells])
            rows.append(mark_safe(f'<tr class="{"odd" if index % 2 else "even"}">{html}</tr>'))
        return rows


# A new sort starts again from its first page.
_PAGING = ("page", "before", "after")


class KeysetRows(TableListData):
    """The rows of one keyset page, with their model: the table's headers come from it."""

    def __init__(self, rows: list[Model], *, model: type[Model]) -> None:
        super().__init__(rows)
        self._model = model

    @property
    def model(self) -> type[Model]:
        return self._model


@cache
def table_for(spec: LogSpec) -> type[LogTable]:
    """The Table class of a log: its listed columns, in their declared order."""
    listed = spec.listed_columns
    attrs = {column.name: column_for(spec, column) for column in listed}
    meta = type(
        "Meta",
        (LogTable.Meta,),
        {
            "model": spec.model,
            "fields": tuple(column.name for column in listed),
            "sequence": tuple(column.name for column in listed),
        },
    )
    attrs["Meta"] = meta
    return type(f"{spec.model.__name__}Table", (LogTable,), attrs)


@cache
def screen_table_for(spec: LogSpec) -> type[LogTable]:
    """The Table class of a log's list page: its listed columns but those written in
    another's cell (`Column.under`: a caller's number under their name). The CSV export and
    the detail page keep `table_for`'s, the manual's columns."""
    full = table_for(spec).base_columns
    shown = tuple(column.name for column in spec.listed_columns if not column.under)
    attrs: dict = {name: full[name] for name in shown}
    attrs["Meta"] = type(
        "Meta", (LogTable.Meta,), {"model": spec.model, "fields": shown, "sequence": shown}
    )
    # The column whose cell also writes another's value: that other column, by name.
    attrs["pairs"] = {
        column.under: (full[column.name], column.name)
        for column in spec.listed_columns
        if column.under
    }
    return type(f"{spec.model.__name__}ScreenTable", (LogTable,), attrs)


def screen_columns(spec: LogSpec) -> list[tuple[str, str]]:
    """(name, header) of each column the list page can show, in order; the first, the
    time, is always shown."""
    table = screen_table_for(spec)(KeysetRows([], model=spec.model))
    return [(column.name, str(column.header)) for column in table.columns]
