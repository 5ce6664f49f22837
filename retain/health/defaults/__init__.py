"""The default scorecards, one per tier (seeds 000-002): community is tech-touch, enterprise
mid-touch, strategic high-touch. Each file's description says why it weighs what it weighs."""

from __future__ import annotations

from importlib import resources

from retain.health.definition import parse
from retain.health.scoring import Scorecard

FILES = ("strategic.yaml", "enterprise.yaml", "community.yaml")


def default_scorecards() -> list[Scorecard]:
    """The defaults, parsed and validated, in the order they are tried (priority, lower first)."""
    folder = resources.files(__package__)
    cards = [parse(folder.joinpath(name).read_text(encoding="utf-8"), source=name) for name in FILES]
    return sorted(cards, key=lambda card: card.priority)


def default_scorecard_text(name: str) -> str:
    """One default file as written, comments and all (what `health scorecard export` can start from)."""
    if name not in FILES:
        raise KeyError(f"{name!r} is not a default scorecard (known: {', '.join(FILES)})")
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
