"""Vega-Lite specs of the renewal figures (pure: each takes what a selector computed)."""

from __future__ import annotations

from typing import Any

from retain.renewals import selectors


def board_spec(board: selectors.Board, currency: str) -> dict[str, Any]:
    """Vega-Lite: target, forecast and expected ARR per forecast category (the table below holds the same).

    The renewals not forecast yet have no forecast bar: a zero there would read as a forecast of nothing.
    """
    values = [
        {"category": column.label, "measure": measure, "arr": float(amount), "order": index}
        for index, column in enumerate(board.columns)
        for measure, amount in (
            ("Target", column.target_arr),
            ("Forecast", column.forecast_arr if column.is_forecast else None),
            ("Expected", column.expected_arr),
        )
        if amount is not None
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Renewal ARR by forecast category",
        "width": "container",
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "category", "type": "nominal", "sort": {"field": "order"}, "title": None},
            "xOffset": {"field": "measure"},
            "y": {"field": "arr", "type": "quantitative", "title": f"ARR ({currency})"},
            "color": {"field": "measure", "type": "nominal", "title": None},
        },
    }
