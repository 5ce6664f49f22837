"""How a number is written beside another: the sign always shown."""

from __future__ import annotations


def signed(delta: float) -> str:
    """+3, −14, +0.4: a typographic minus, one decimal only under 1."""
    magnitude = abs(delta)
    text = f"{magnitude:.1f}" if magnitude < 1 else f"{magnitude:.0f}"
    return ("−" if delta < 0 else "+") + text
