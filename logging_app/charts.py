"""The overview's charts: rows per day as stacked bars, drawn on the server as SVG.

The geometry is computed here and the template writes it as SVG attributes: no script, no
style attribute, nothing fetched, so the strict Content Security Policy holds. Every bar
segment links to the list it counts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from . import selectors
from .logs import LOGS, LogSpec
from .templatetags.console import filter_time

DAYS = 14

# The drawing's own coordinates (its viewBox); the page scales it to the column's width.
WIDTH, HEIGHT = 560, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 36, 6, 10, 32
_PLOT_WIDTH = WIDTH - _LEFT - _RIGHT
_PLOT_HEIGHT = HEIGHT - _TOP - _BOTTOM
_BAR_SHARE = 0.64  # of each day's slot; the rest is the gap between bars
_MAX_TICKS = 4


@dataclass(frozen=True)
class Series:
    """One enumerated value a chart counts, and the colour it is drawn in."""

    value: str
    colour: str


@dataclass(frozen=True)
class ChartSpec:
    slug: str
    title: str
    log: str
    field: str
    series: tuple[Series, ...]
    # What one counted row is: "call" (1 call, 3 calls).
    unit: str

    def count(self, number: int) -> str:
        return f"{number} {self.unit}{'' if number == 1 else 's'}"


def chart_specs(logs: Iterable[LogSpec] | None = None) -> list[ChartSpec]:
    """The charts the logs declare (logs/<log>.py), by their position."""
    declared = sorted(
        (
            (chart, spec)
            for spec in (LOGS.values() if logs is None else logs)
            for chart in spec.charts
        ),
        key=lambda pair: pair[0].position,
    )
    return [
        ChartSpec(
            slug=chart.slug,
            title=chart.title,
            log=spec.slug,
            field=chart.field,
            series=tuple(Series(value, colour) for value, colour in chart.series),
            unit=chart.unit,
        )
        for chart, spec in declared
    ]


@dataclass(frozen=True)
class Segment:
    series: Series
    count: int
    y: float
    height: float
    url: str
    label: str


@dataclass(frozen=True)
class Cell:
    """One count of the chart's table: a day and value, or a day's total."""

    count: int
    url: str


@dataclass(frozen=True)
class Bar:
    day: date
    x: float
    width: float
    total: int
    # Bottom first, in the order of the chart's series; values counted 0 are left out.
    segments: list[Segment]
    cells: list[Cell]
    url: str

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    # The bar's segments and its row of the chart's table are written here rather than by
    # the template's loops: four charts of fourteen days make hundreds of them, and the
    # template's lookups of their attributes took half the overview's time.

    @property
    def segments_svg(self) -> SafeString:
        """The bar's segments, bottom first, each linked to the rows it counts."""
        return format_html_join(
            "",
            '<a href="{}" aria-label="{}"><title>{}</title>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/></a>',
            (
                (s.url, s.label, s.label, self.x, s.y, self.width, s.height, s.series.colour)
                for s in self.segments
            ),
        )

    @property
    def table_cells(self) -> SafeString:
        """The day's row of the chart's table: each count linked to the rows it counts."""
        return format_html_join(
            "",
            '<td class="num">{}</td>',
            (
                (format_html('<a href="{}">{}</a>', c.url, c.count) if c.count else "0",)
                for c in self.cells
            ),
        )


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class LegendEntry:
    series: Series
    total: int
    url: str


@dataclass(frozen=True)
class Chart:
    spec: ChartSpec
    log: LogSpec
    first_day: date
    last_day: date
    bars: list[Bar]
    ticks: list[Tick]
    legend: list[LegendEntry]
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = _LEFT
    plot_right: int = WIDTH - _RIGHT
    plot_bottom: int = HEIGHT - _BOTTOM

    @property
    def description(self) -> str:
        return (
            f"{self.spec.title} per day, {self.first_day} to {self.last_day} "
            f"({timezone.get_current_timezone_name()}): {self.spec.count(self.total)} in all."
        )


def _query(**params) -> str:
    return urlencode(params, doseq=True)


def _step(largest: int) -> int:
    """The gap between the y axis' ticks: 1, 2 or 5 times a power of ten."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if largest <= step * _MAX_TICKS:
                return step
        magnitude *= 10


def _y(value: float, top: int) -> float:
    return round(_TOP + _PLOT_HEIGHT * (1 - value / top), 1)


def build_chart(spec: ChartSpec, *, days: list[date], counts: dict[tuple[date, str], int]) -> Chart:
    """Lay out one chart from its counts per (day, value)."""
    log = LOGS[spec.log]
    values = [series.value for series in spec.series]
    largest = max((sum(counts.get((day, v), 0) for v in values) for day in days), default=0)
    step = _step(max(largest, 1))
    top = step * -(-max(largest, 1) // step)
    slot = _PLOT_WIDTH / len(days)
    # A chart links each of its days and values to the list: the list's address and each
    # value's filter written once, not once per link.
    listed = reverse("log_list", args=[spec.log])
    chosen = {series.value: _query(**{spec.field: series.value}) for series in spec.series}
    every = _query(**{spec.field: values})

    bars = []
    for index, day in enumerate(days):
        day_range = _query(since=filter_time(day), until=filter_time(day, end_of_day=True))
        segments, cells, stacked = [], [], 0
        for series in spec.series:
            count = counts.get((day, series.value), 0)
            url = f"{listed}?{chosen[series.value]}&{day_range}"
            cells.append(Cell(count, url))
            if not count:
                continue
            y_top = _y(stacked + count, top)
            segments.append(
                Segment(
                    series=series,
                    count=count,
                    y=y_top,
                    height=round(_y(stacked, top) - y_top, 1),
                    url=url,
                    label=f"{series.value} on {format_date(day, 'D Y-m-d')}: {spec.count(count)}",
                )
            )
            stacked += count
        day_url = f"{listed}?{every}&{day_range}"
        width = slot * _BAR_SHARE
        bars.append(
            Bar(
                day=day,
                x=round(_LEFT + index * slot + (slot - width) / 2, 1),
                width=round(width, 1),
                total=stacked,
                segments=segments,
                cells=[*cells, Cell(stacked, day_url)],
                url=day_url,
            )
        )

    legend = [
        LegendEntry(
            series=series,
            total=sum(counts.get((day, series.value), 0) for day in days),
            url=f"{listed}?{chosen[series.value]}&{_query(since=filter_time(days[0]))}",
        )
        for series in spec.series
    ]
    return Chart(
        spec=spec,
        log=log,
        first_day=days[0],
        last_day=days[-1],
        bars=bars,
        ticks=[Tick(value, _y(value, top)) for value in range(0, top + 1, step)],
        legend=legend,
        total=sum(bar.total for bar in bars),
    )


def overview_charts(*, logs: Iterable[LogSpec], days: int = DAYS) -> list[Chart]:
    """The overview's charts of the logs in `logs`, for the last `days` days up to today.

    Days are the viewer's: they start at midnight in the current time zone.
    """
    today = timezone.localdate()
    shown = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    zone = timezone.get_current_timezone()
    start = datetime.combine(shown[0], time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    charts = []
    for spec in chart_specs(logs):
        counts = selectors.daily_counts(
            log=LOGS[spec.log],
            field=spec.field,
            values=[series.value for series in spec.series],
            start=start,
            end=end,
        )
        charts.append(build_chart(spec, days=shown, counts=counts))
    return charts
