"""ECharts options built in Python: the page passes each with `json_script` and
`static/maoyi/dashboards.js` hands it to `echarts.setOption` as it is. Amounts go out as decimal
strings (the JSON encoder writes Decimal exactly), which ECharts reads as numbers; no money is ever
a float here. Only plain data: no functions, so nothing to evaluate in the browser."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Tabler's palette, in the order the series take it.
COLORS = ["#206bc4", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#17a2b8", "#f59f00"]


def _axis_tooltip() -> dict[str, Any]:
    return {"trigger": "axis", "axisPointer": {"type": "shadow"}}


def bar(
    categories: Sequence[Any],
    series: Sequence[tuple[Any, Sequence[Any]]],
    *,
    stack: bool = False,
    horizontal: bool = False,
    line_series: Sequence[tuple[Any, Sequence[Any]]] = (),
    counts: bool = False,
) -> dict[str, Any]:
    """Bars per category, one bar series per (name, values); `line_series` drawn as lines on top;
    `counts`: whole numbers only on the value axis."""
    category_axis: dict[str, Any] = {
        "type": "category",
        "data": [str(c) for c in categories],
        "axisLabel": {"hideOverlap": True},
    }
    value_axis: dict[str, Any] = {"type": "value", **({"minInterval": 1} if counts else {})}
    option: dict[str, Any] = {
        "color": COLORS,
        "tooltip": _axis_tooltip(),
        "grid": {"left": 12, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [
            {
                "name": str(name),
                "type": "bar",
                "data": list(values),
                **({"stack": "total"} if stack else {}),
                "barMaxWidth": 36,
            }
            for name, values in series
        ]
        + [{"name": str(name), "type": "line", "data": list(values)} for name, values in line_series],
    }
    if horizontal:
        category_axis["inverse"] = True  # the first row on top, as in the table under it
    if len(series) + len(line_series) > 1:
        option["legend"] = {"top": 0}
    return option


def line(categories: Sequence[Any], series: Sequence[tuple[Any, Sequence[Any]]]) -> dict[str, Any]:
    """One line per (name, values); a None value leaves a gap (a month without purchases)."""
    return {
        "color": COLORS,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll", "textStyle": {"width": 160, "overflow": "truncate"}},
        "grid": {"left": 12, "right": 24, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(c) for c in categories]},
        "yAxis": {"type": "value", "scale": True},
        "series": [
            {
                "name": str(name),
                "type": "line",
                "data": ["-" if v is None else v for v in values],
                "connectNulls": True,
                "symbolSize": 8,
            }
            for name, values in series
        ],
    }
