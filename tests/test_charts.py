"""The geometry of the overview's charts, from counts per day and value."""

from datetime import date, timedelta

import pytest

from logging_app import charts

CALLS = next(c for c in charts.chart_specs() if c.slug == "calls")
DAYS = [date(2026, 11, 11) + timedelta(days=n) for n in range(charts.DAYS)]


def _chart(counts: dict) -> charts.Chart:
    return charts.build_chart(CALLS, days=DAYS, counts=counts)


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (38, [0, 10, 20, 30, 40]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_it_puts_the_ticks_at_round_numbers(largest, ticks):
    chart = _chart({(DAYS[0], "ANSWERED"): largest})

    assert [tick.value for tick in chart.ticks] == ticks


def test_it_draws_one_bar_a_day_left_to_right():
    chart = _chart({})

    assert [bar.day for bar in chart.bars] == DAYS
    xs = [bar.x for bar in chart.bars]
    assert xs == sorted(xs)
    assert chart.plot_left <= xs[0]
    assert xs[-1] + chart.bars[-1].width <= chart.plot_right
    assert all(bar.segments == [] for bar in chart.bars)


def test_it_stacks_segments_from_the_axis_up_in_the_series_order():
    chart = _chart({(DAYS[2], "BUSY"): 2, (DAYS[2], "ANSWERED"): 6})

    answered, busy = chart.bars[2].segments
    assert (answered.series.value, busy.series.value) == ("ANSWERED", "BUSY")
    # The bottom segment stands on the axis, the next one on it, the top at the top tick.
    assert answered.y + answered.height == chart.plot_bottom
    assert busy.y + busy.height == pytest.approx(answered.y)
    assert busy.y == chart.ticks[-1].y
    assert answered.height == pytest.approx(3 * busy.height, abs=0.2)


def test_it_counts_every_day_and_value_in_the_table_and_the_legend():
    chart = _chart({(DAYS[0], "BUSY"): 2, (DAYS[1], "BUSY"): 1, (DAYS[1], "FAILED"): 4})

    assert [cell.count for cell in chart.bars[1].cells] == [0, 0, 1, 0, 4, 5]
    assert {entry.series.value: entry.total for entry in chart.legend}["BUSY"] == 3
    assert chart.total == 7
