"""A list's rows as a download: CSV for every log, and the log's own formats (CEF).

The rows stream in constant memory, through a server-side cursor, and the export is
recorded as a Security event (CON-510) once it ends, also when it is cut short.
"""

import csv
from collections.abc import Iterator
from datetime import datetime, tzinfo

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from .. import services
from ..logs.spec import LogSpec
from ..templatetags.console import in_zone
from .columns import DurationColumn

EXPORT_CHUNK = 2000
# The last column of the logs that explain their records (LogSpec.explain).
EXPLANATION_HEADER = "What happened"
# A spreadsheet runs a cell starting with one of these as a formula: such a cell is written
# after a `'`, which spreadsheets show as text (README, "Exports": a number +39… reads '+39…).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(spec: LogSpec, table, queryset) -> tuple[list[str], Iterator[str]]:
    """The header and the rows of a CSV export, with the table's columns, and what each
    record means when the log can say ("What happened")."""
    columns = [column for column in table.columns if column.name]
    # The viewer's zone, looked up once: per value it costs a thread-local read each.
    zone, zone_name = timezone.get_current_timezone(), timezone.get_current_timezone_name()

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    headers = [_header(spec, column, zone_name) for column in columns]
    names = [column.name for column in columns]
    explain = spec.explain
    if explain:
        headers.append(EXPLANATION_HEADER)
        # The explanation may read any field, listed or not: its rows come with all of them.
        names += [
            field.attname
            for field in spec.model._meta.concrete_fields
            if field.attname not in names
        ]
    shown = len(columns)

    def line(row: tuple) -> str:
        if not explain:
            return writer.writerow(_cells(row, zone))
        meaning = explain(dict(zip(names, row, strict=True)))
        return writer.writerow([*_cells(row[:shown], zone), _safe_cell(meaning)])

    # Plain values, not model instances (nor the joined accounts the pages show): building
    # an instance per row would cost more than writing it.
    values = queryset.values_list(*names).iterator(chunk_size=EXPORT_CHUNK)
    return [writer.writerow(headers)], (line(row) for row in values)


def _header(spec: LogSpec, column, zone_name: str) -> str:
    """A column's CSV header, with the unit its values are written in where the page shows
    them otherwise: the time's zone, and seconds for a duration the page writes h:mm:ss."""
    if column.name == spec.time_field:
        return f"{column.header} ({zone_name})"
    if isinstance(column.column, DurationColumn):
        return f"{column.header} (seconds)"
    return column.header


def export_lines(spec: LogSpec, export_format: str, table, queryset) -> tuple[list, Iterator]:
    """The header and the lines of an export: CSV with the table's columns, or one of the
    log's own formats (LogSpec.exports) over its records, read in chunks."""
    if export_format == "csv":
        return csv_lines(spec, table, queryset)
    return [], spec.exports[export_format](queryset.iterator(chunk_size=EXPORT_CHUNK))


def _cells(row: tuple, zone: tzinfo) -> list[str]:
    return [_safe_cell(_export_value(value, zone)) for value in row]


def _content_type(export_format: str) -> str:
    return "text/csv; charset=utf-8" if export_format == "csv" else "text/plain; charset=utf-8"


def export_response(
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


def _export_value(value, zone: tzinfo):
    if isinstance(value, datetime):
        return in_zone(value, zone)[0].isoformat()  # with its offset: UTC where the zone ends first
    return value
