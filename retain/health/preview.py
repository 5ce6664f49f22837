"""What a draft scorecard would do before it is published: how many accounts would change band.

Today's accounts are scored twice, as of today, without writing anything: under the published
scorecards, and under the published scorecards with the draft in place of the one of the same name
(or added beside them, when the name is new). The draft's `applies_to` and priority take effect as
they would once published, so a draft can also move accounts between scorecards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from retain.accounts.models import Account
from retain.accounts.segments import clean_criteria
from retain.accounts.selectors import workspace_today
from retain.health import definition
from retain.health.choices import Band
from retain.health.scoring import Scorecard as Definition
from retain.lib.definitions import Problem
from retain.tenancy.models import Workspace

BANDS = (Band.RED.value, Band.YELLOW.value, Band.GREEN.value, Band.BLANK.value)
MOVERS = 10


@dataclass(frozen=True)
class Mover:
    account_id: int
    name: str
    before: float | None
    after: float | None
    band_before: str
    band_after: str
    scorecard_before: str
    scorecard_after: str

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass(frozen=True)
class PreviewResult:
    draft: str
    day: dt.date
    accounts: int
    scored_by_draft: int  # accounts the draft would score
    transitions: dict[tuple[str, str], int]  # (band before, band after) → accounts
    movers: list[Mover]  # band changes first, then the largest changes of overall score

    @property
    def changed(self) -> int:
        return sum(n for (before, after), n in self.transitions.items() if before != after)

    def lines(self) -> list[str]:
        out = [
            f"Draft {self.draft!r} scored as of {self.day}: {self.accounts} accounts, "
            f"{self.scored_by_draft} of them by the draft.",
            f"{self.changed} accounts would change band.",
            "Band now → band under the draft (rows: now, columns: draft):",
            "  " + f"{'':<8}" + "".join(f"{band:>8}" for band in BANDS),
        ]
        for before in BANDS:
            cells = "".join(f"{self.transitions.get((before, after), 0):>8}" for after in BANDS)
            out.append(f"  {before:<8}{cells}")
        if self.movers:
            out.append("Biggest movers:")
            for m in self.movers:
                moved = (
                    f" [{m.scorecard_before} → {m.scorecard_after}]" if m.scorecard_before != m.scorecard_after else ""
                )
                out.append(
                    f"  {m.name[:40]:<40} {_score(m.before):>5} {m.band_before:<6} → {_score(m.after):>5} "
                    f"{m.band_after:<6} ({m.delta:+.1f}){moved}"
                )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "draft": self.draft,
            "day": self.day.isoformat(),
            "accounts": self.accounts,
            "scored_by_draft": self.scored_by_draft,
            "changed": self.changed,
            "transitions": [
                {"from": before, "to": after, "accounts": n} for (before, after), n in sorted(self.transitions.items())
            ],
            "movers": [dataclasses.asdict(m) | {"delta": m.delta} for m in self.movers],
        }


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def parse_draft(*, workspace: Workspace, text: str, filename: str = "scorecard.yaml") -> Definition:
    """The draft's definition, validated as publishing would; ValidationError({"definition": [...]})."""
    try:
        card = definition.parse(text, source=filename)
    except definition.DefinitionError as error:
        raise ValidationError({"definition": error.lines}) from None
    if card.is_default:
        return card
    try:
        criteria = clean_criteria(dict(card.applies_to))
    except ValidationError as error:
        problems = [Problem(f"applies_to.{key}", "; ".join(errs)) for key, errs in error.message_dict.items()]
        raise ValidationError({"definition": definition.located(text, problems, source=filename)}) from None
    return dataclasses.replace(card, applies_to=criteria)


def preview_scorecard(
    *,
    workspace: Workspace,
    text: str,
    filename: str = "scorecard.yaml",
    day: dt.date | None = None,
    movers: int = MOVERS,
) -> PreviewResult:
    """Score today's accounts under the published scorecards and under the draft; count band changes."""
    from retain.health.services import draft_definitions, score_accounts

    draft = parse_draft(workspace=workspace, text=text, filename=filename)
    day = day or workspace_today(workspace)
    now = score_accounts(workspace=workspace, day=day)
    under_draft = score_accounts(
        workspace=workspace, day=day, definitions=draft_definitions(workspace=workspace, draft=draft)
    )
    transitions: Counter[tuple[str, str]] = Counter()
    moved: list[tuple[int, float | None, float | None, str, str, str, str]] = []
    by_draft = 0
    for account_id in sorted(set(now) | set(under_draft)):
        row_before, before = now.get(account_id, (None, None))
        row_after, after = under_draft.get(account_id, (None, None))
        band_before = (before.band if before else None) or "blank"
        band_after = (after.band if after else None) or "blank"
        transitions[(band_before, band_after)] += 1
        name_before = row_before.name if row_before is not None else "none"
        # Under the draft only the draft itself has no stored version.
        name_after = row_after.name if row_after is not None else (draft.name if after is not None else "none")
        by_draft += name_after == draft.name
        overall_before = before.overall if before else None
        overall_after = after.overall if after else None
        if overall_before != overall_after or band_before != band_after:
            moved.append((account_id, overall_before, overall_after, band_before, band_after, name_before, name_after))
    # Accounts that change band first, then by how far their score moves.
    moved.sort(key=lambda m: (m[3] == m[4], -abs((m[2] or 0.0) - (m[1] or 0.0)), m[0]))
    top = moved[:movers]
    names = dict(Account.objects.filter(workspace=workspace, pk__in=[m[0] for m in top]).values_list("pk", "name"))
    return PreviewResult(
        draft=draft.name,
        day=day,
        accounts=len(set(now) | set(under_draft)),
        scored_by_draft=by_draft,
        transitions=dict(transitions),
        movers=[Mover(m[0], names.get(m[0], str(m[0])), *m[1:]) for m in top],
    )
