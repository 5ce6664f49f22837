"""Health writes: publishing scorecards, scoring accounts, storing the day's scores, CSM pulses.

The flow of a recompute is set-based from end to end: the published scorecards are assigned to
accounts with one query each (ordered criteria, the default last), each scorecard's measures are
computed for all of its accounts in one `compute_measures` call, scoring is pure Python, and the
day's rows are upserted in bulk. A band change writes a timeline entry, in bulk too.

Scorecards are installed lazily: a workspace gets the three default scorecards (one per tier) the
first time it is recomputed, or when the scorecards page calls `scorecards_install_defaults`; a
workspace that was never scored has nothing to install them for. Scoring "every account" means
every customer: churned accounts keep their past scores but get no new ones (a backtest, which
replays accounts that churned later, passes their ids).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.choices import Stage
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.segments import apply_criteria, clean_criteria
from retain.accounts.selectors import accounts_annotated, accounts_not_scored, workspace_today
from retain.health import definition, hooks
from retain.health.choices import Band, PulseValue, ScorecardStatus
from retain.health.defaults import FILES, default_scorecard_text
from retain.health.measures import compute_measures
from retain.health.models import HealthScore, Pulse, Scorecard, WarehouseMeasure
from retain.health.scoring import HealthResult, explain_change, score
from retain.health.scoring import Scorecard as Definition
from retain.health.selectors import definition_of, scorecards_published, stored_result
from retain.health.warehouse.kinds import HIGHER as WAREHOUSE_HIGHER
from retain.health.warehouse.kinds import LOWER as WAREHOUSE_LOWER
from retain.lib.dates import start_of_day
from retain.lib.definitions import Problem
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import audit_record

ScoreResult = HealthResult
Progress = Callable[[int, int], None]  # (accounts done, accounts in all)

# How many factors a band-change entry names.
FACTORS_IN_SUMMARY = 3


# Scorecards ---------------------------------------------------------------------------------------


def scorecards_install_defaults(*, workspace: Workspace, actor: Member | None = None) -> list[Scorecard]:
    """Publish the default scorecards (community, enterprise, strategic) as version 1 when the
    workspace has no published scorecard; otherwise leave everything as it is. Returns the
    published scorecards either way."""
    with transaction.atomic():
        # Lock the workspace row so that two first recomputes do not both install.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        if not Scorecard.objects.filter(workspace=workspace, status=ScorecardStatus.PUBLISHED).exists():
            for name in FILES:
                scorecard_publish(workspace=workspace, actor=actor, text=default_scorecard_text(name), filename=name)
    return scorecards_published(workspace)


def _clean_applies_to(workspace: Workspace, card: Definition, text: str, filename: str) -> dict[str, Any]:
    """The scorecard's criteria as the accounts list cleans them, owners checked against the workspace."""
    if card.is_default:
        return {"default": True}
    try:
        criteria = clean_criteria(dict(card.applies_to))
    except ValidationError as error:
        problems = [Problem(f"applies_to.{key}", "; ".join(errors)) for key, errors in error.message_dict.items()]
        raise ValidationError({"definition": definition.located(text, problems, source=filename)}) from None
    owners = [owner for owner in criteria.get("owner", []) if isinstance(owner, int)]
    if owners:
        known = set(Member.objects.filter(workspace=workspace, pk__in=owners).values_list("pk", flat=True))
        unknown = [str(owner) for owner in owners if owner not in known]
        if unknown:
            problem = Problem("applies_to.owner", f"{', '.join(unknown)} is not a member of this workspace")
            raise ValidationError({"definition": definition.located(text, [problem], source=filename)})
    return criteria


def _check_warehouse_kinds(workspace: Workspace, card: Definition, text: str, filename: str) -> None:
    """A warehouse kind must name a measure of this workspace, with the prefix of its direction: a
    missing measure or a reversed direction would otherwise score as "missing" on every account."""
    named = [
        (f"groups[{i}].measures[{j}].kind" if card.grouped else f"measures[{j}].kind", measure.kind)
        for i, group in enumerate(card.groups)
        for j, measure in enumerate(group.measures)
        if measure.kind.partition(".")[0] in (WAREHOUSE_HIGHER, WAREHOUSE_LOWER)
    ]
    if not named:
        return
    keys = {kind.partition(".")[2] for _, kind in named}
    kinds = {m.key: m.kind for m in WarehouseMeasure.objects.filter(workspace=workspace, key__in=keys)}
    problems = []
    for path, kind in named:
        key = kind.partition(".")[2]
        if key not in kinds:
            problems.append(Problem(path, f"no warehouse measure {key!r} in this workspace (Settings › Warehouse)"))
        elif kinds[key] != kind:
            problems.append(Problem(path, f"the measure {key!r} is scored as {kinds[key]} (its direction); not {kind}"))
    if problems:
        raise ValidationError({"definition": definition.located(text, problems, source=filename)})


@transaction.atomic
def scorecard_publish(
    *, workspace: Workspace, actor: Member | None, text: str, filename: str = "scorecard.yaml"
) -> Scorecard:
    """Validate a scorecard document and make it the published version of its name.

    A new name starts at version 1; a changed document of a published name becomes version n + 1
    and retires version n (scores keep pointing at the version they were computed with); the same
    text again changes nothing. Errors: ValidationError({"definition": ["scorecard.yaml:14: path:
    message", ...]}), every problem at once.
    """
    try:
        card = definition.parse(text, source=filename)
    except definition.DefinitionError as error:
        raise ValidationError({"definition": error.lines}) from None
    applies_to = _clean_applies_to(workspace, card, text, filename)
    _check_warehouse_kinds(workspace, card, text, filename)
    versions = Scorecard.objects.select_for_update().filter(workspace=workspace, name=card.name)
    current = versions.filter(status=ScorecardStatus.PUBLISHED).first()
    if current is not None and current.definition == text:
        return current
    if card.is_default:
        other = (
            Scorecard.objects.filter(workspace=workspace, status=ScorecardStatus.PUBLISHED, is_default=True)
            .exclude(name=card.name)
            .first()
        )
        if other is not None:
            problem = Problem(
                "applies_to.default",
                f"{other.name!r} is already the default scorecard (publish under that name to replace it)",
            )
            raise ValidationError({"definition": definition.located(text, [problem], source=filename)})
    latest = versions.aggregate(high=Max("version"))["high"] or 0
    if current is not None:
        current.status = ScorecardStatus.RETIRED
        current.save(update_fields=["status"])
    data = definition.to_data(card)
    data["applies_to"] = applies_to
    scorecard = Scorecard.objects.create(
        workspace=workspace,
        name=card.name,
        version=latest + 1,
        definition=text,
        parsed=data,
        priority=card.priority,
        applies_to=applies_to,
        is_default=card.is_default,
        status=ScorecardStatus.PUBLISHED,
        published_at=timezone.now(),
        created_by=actor,
    )
    audit_record(
        workspace=workspace,
        actor=actor,
        action=AuditAction.SCORECARD_PUBLISHED,
        target=scorecard,
        detail={"name": card.name, "version": scorecard.version},
    )
    return scorecard


# Assigning and scoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Card:
    """A scorecard to score with: a stored version, or a draft definition (row None)."""

    row: Scorecard | None
    card: Definition


def _cards(
    workspace: Workspace, scorecards: Sequence[Scorecard] | None, definitions: Sequence[Definition] | None
) -> list[_Card]:
    if definitions is not None:
        # A definition identical to a published version is that version; anything else is a draft.
        published = {row.name: row for row in scorecards_published(workspace)}
        cards = []
        for card in definitions:
            row = published.get(card.name)
            same = row is not None and definition.to_data(definition_of(row)) == definition.to_data(card)
            cards.append(_Card(row if same else None, card))
    else:
        rows = scorecards_published(workspace) if scorecards is None else list(scorecards)
        cards = [_Card(row, definition_of(row)) for row in rows]
    return sorted(cards, key=lambda c: (c.card.is_default, c.card.priority, c.card.name))


def _account_ids(workspace: Workspace, account_ids: Iterable[int] | None) -> list[int]:
    """The accounts asked for, or else every customer: churned accounts are no longer scored."""
    if account_ids is None:
        accounts = Account.objects.filter(workspace=workspace).exclude(stage=Stage.CHURNED)
        return list(accounts.order_by("id").values_list("id", flat=True))
    return sorted(set(account_ids))


def _assign(workspace: Workspace, ids: list[int], cards: list[_Card], today: dt.date) -> dict[int, _Card]:
    """First matching scorecard wins; the default takes what is left. One query per criteria card."""
    remaining = set(ids)
    assigned: dict[int, _Card] = {}
    for entry in cards:
        if not remaining:
            break
        if entry.card.is_default:
            matched = set(remaining)
        else:
            criteria = dict(entry.card.applies_to)
            base = (
                accounts_annotated(workspace)
                if "renewal_within_days" in criteria
                else Account.objects.filter(workspace=workspace)
            )
            queryset = apply_criteria(base, criteria, today)
            if len(remaining) <= MAX_IDS_IN_QUERY:
                queryset = queryset.filter(pk__in=remaining)
            matched = set(queryset.order_by().values_list("pk", flat=True)) & remaining
        for account_id in matched:
            assigned[account_id] = entry
        remaining -= matched
    return assigned


def assign_scorecards(
    *,
    workspace: Workspace,
    account_ids: list[int] | None,
    scorecards: list[Scorecard] | None = None,
    today: dt.date | None = None,
) -> dict[int, Scorecard]:
    """Which scorecard scores each account: {account_id: scorecard}. Accounts that no scorecard
    matches (only possible without a default) are left out."""
    cards = _cards(workspace, scorecards, None)
    ids = _account_ids(workspace, account_ids)
    assigned = _assign(workspace, ids, cards, today or workspace_today(workspace))
    return {account_id: entry.row for account_id, entry in assigned.items() if entry.row is not None}


def _batches(cards: Iterable[_Card]) -> list[tuple[dict[str, Mapping[str, Any]], list[_Card]]]:
    """Scorecards grouped so that each group's measures can be computed in one call: a scorecard
    joins a group when every measure kind they share has the same parameters. The measure queries
    cost the same for one account or all of them, so the defaults (which share most kinds) cost
    one pass over the rollups rather than one per tier."""
    batches: list[tuple[dict[str, Mapping[str, Any]], list[_Card]]] = []
    for entry in cards:
        params = entry.card.params()
        for merged, members in batches:
            if all(merged.get(kind, value) == value for kind, value in params.items()):
                merged.update(params)
                members.append(entry)
                break
        else:
            batches.append((dict(params), [entry]))
    return batches


def _score(
    workspace: Workspace,
    day: dt.date,
    account_ids: Iterable[int] | None,
    cards: list[_Card],
    progress: Progress | None = None,
) -> dict[int, tuple[_Card, HealthResult]]:
    ids = _account_ids(workspace, account_ids)
    assigned = _assign(workspace, ids, cards, day)
    by_card: dict[int, list[int]] = {}
    for account_id, entry in assigned.items():
        by_card.setdefault(id(entry), []).append(account_id)
    results: dict[int, tuple[_Card, HealthResult]] = {}
    done = 0
    for params, members in _batches(entry for entry in cards if by_card.get(id(entry))):
        batch_ids = [account_id for entry in members for account_id in by_card[id(entry)]]
        values = compute_measures(workspace, batch_ids, day, kinds=list(params), params=params)
        for entry in members:
            for account_id in by_card[id(entry)]:
                results[account_id] = (entry, score(entry.card, values[account_id]))
        done += len(batch_ids)
        if progress is not None:
            progress(done, len(ids))
    return results


def score_accounts(
    *,
    workspace: Workspace,
    day: dt.date,
    account_ids: Iterable[int] | None = None,
    scorecards: list[Scorecard] | None = None,
    definitions: Sequence[Definition] | None = None,
) -> dict[int, tuple[Scorecard | None, HealthResult]]:
    """Score accounts as of `day` without writing anything: {account_id: (scorecard, result)}.

    The published scorecards by default (or `scorecards`); `definitions` scores with definitions
    instead (a draft in a preview): a definition identical to a published version reports that
    version, any other reports None. `draft_definitions` builds the list for a preview.
    """
    cards = _cards(workspace, scorecards, definitions)
    return {
        account_id: (entry.row, result)
        for account_id, (entry, result) in _score(workspace, day, account_ids, cards).items()
    }


def draft_definitions(*, workspace: Workspace, draft: Definition) -> list[Definition]:
    """The published definitions with `draft` in place of the published scorecard of the same name
    (or added, when the name is new): what a preview scores with."""
    cards = [definition_of(row) for row in scorecards_published(workspace) if row.name != draft.name]
    return [*cards, draft]


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def measures_json(result: HealthResult) -> list[dict[str, Any]]:
    """What a score row keeps of each measure: raw value, score, weight and contribution."""
    return [
        {
            "kind": m.kind,
            "label": m.label,
            "group": m.group,
            "raw": m.raw,
            "score": _round(m.score),
            "weight": m.weight,
            "effective_weight": _round(m.effective_weight),
            "contribution": _round(m.contribution),
            "missing": m.missing,
            "decided": m.decided,
        }
        for m in result.measures
    ]


# Recomputing and storing --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    day: dt.date
    accounts: int  # scores written
    bands: Mapping[str, int] = field(default_factory=dict)  # band (incl. "blank") → accounts
    band_changes: int = 0

    def summary(self) -> str:
        counts = ", ".join(f"{self.bands.get(band, 0)} {band}" for band in Band.values)
        return f"{self.accounts} accounts scored on {self.day}: {counts}; {self.band_changes} band changes"


class _PreviousScore(NamedTuple):
    score_id: int
    band: str
    computed_at: dt.datetime


def _previous(workspace: Workspace, ids: list[int], day: dt.date) -> dict[int, _PreviousScore]:
    """Each account's latest score on or before `day`, one query."""
    latest = HealthScore.objects.filter(account=OuterRef("pk"), day__lte=day).order_by("-day").values("pk")[:1]
    accounts = Account.objects.filter(workspace=workspace)
    if len(ids) <= MAX_IDS_IN_QUERY:
        accounts = accounts.filter(pk__in=ids)
    rows = HealthScore.objects.filter(pk__in=accounts.annotate(latest=Subquery(latest)).values("latest"))
    wanted = set(ids)
    return {
        account_id: _PreviousScore(pk, band, computed_at)
        for pk, account_id, band, computed_at in rows.order_by().values_list("pk", "account_id", "band", "computed_at")
        if account_id in wanted
    }


def _chunks(items: Sequence[int], size: int = MAX_IDS_IN_QUERY) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _entry_time(workspace: Workspace, day: dt.date) -> dt.datetime:
    """When a band change on `day` happened: now for today, the day's last second for a past day."""
    now = timezone.now()
    end = start_of_day(day + dt.timedelta(days=1), workspace.time_zone) - dt.timedelta(seconds=1)
    return min(now, end)


def health_recompute(
    *,
    workspace: Workspace,
    day: dt.date | None = None,
    account_ids: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> RecomputeResult:
    """Score accounts (all of the workspace's by default) as of `day` (today) and store the scores.

    One row per account and day: a second run on the same day replaces the first. An account whose
    band differs from its previous score's (the latest before `day`, or the same day's earlier
    computation) gets a "health band changed" timeline entry naming what moved. An account's first
    score writes no entry: there is nothing it changed from.

    An account that is not scored yet (no revenue yet, or inside its tier's onboarding window:
    accounts.lifecycle.not_scored_reason) is stored blank with the reason and no overall, its
    measures kept: blank is never red, so no health playbook starts for it and the portfolio's
    % green leaves it out.
    """
    day = day or workspace_today(workspace)
    if not Scorecard.objects.filter(workspace=workspace, status=ScorecardStatus.PUBLISHED).exists():
        scorecards_install_defaults(workspace=workspace)
    ids = _account_ids(workspace, account_ids)
    cards = _cards(workspace, None, None)
    scored = _score(workspace, day, ids, cards, progress)
    held = accounts_not_scored(workspace, list(scored), day)
    for account_id in held:
        entry, result = scored[account_id]
        scored[account_id] = (entry, _not_scored(result))
    computed_at = timezone.now()
    with transaction.atomic():
        previous = _previous(workspace, ids, day)
        rows = []
        bands: Counter[str] = Counter()
        changed: list[int] = []
        for account_id, (entry, result) in scored.items():
            band = result.band or Band.BLANK
            bands[band] += 1
            assert entry.row is not None  # published scorecards only
            rows.append(
                HealthScore(
                    workspace_id=workspace.pk,
                    account_id=account_id,
                    day=day,
                    overall=result.overall,
                    band=band,
                    measures=measures_json(result),
                    scorecard_id=entry.row.pk,
                    not_scored_reason=held.get(account_id, ""),
                    computed_at=computed_at,
                )
            )
            before = previous.get(account_id)
            if before is not None and before.band != band:
                changed.append(account_id)
        entries = _band_change_entries(workspace, day, changed, previous, scored, held) if changed else []
        HealthScore.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["account", "day"],
            update_fields=["overall", "band", "measures", "scorecard", "not_scored_reason", "computed_at"],
        )
        if entries:
            # ignore_conflicts: an overlapping re-score that read the same previous scores has
            # written (or is writing) the same moves; their dedupe keys let one entry each through.
            TimelineEntry.objects.bulk_create(entries, batch_size=1000, ignore_conflicts=True)
            moves = [(e.account_id, e.data.get("band", ""), e.data.get("previous_band", "")) for e in entries]
            hooks.bands_changed(workspace.pk, day, moves)
    if progress is not None:
        progress(len(rows), len(rows))
    return RecomputeResult(day=day, accounts=len(rows), bands=dict(bands), band_changes=len(entries))


def _not_scored(result: HealthResult) -> HealthResult:
    """A result stored for an account that is not scored yet: no overall, no band, measures kept."""
    return HealthResult(overall=None, band=None, composition=result.composition, measures=result.measures)


def _band_change_entries(
    workspace: Workspace,
    day: dt.date,
    changed: list[int],
    previous: Mapping[int, _PreviousScore],
    scored: Mapping[int, tuple[_Card, HealthResult]],
    held: Mapping[int, str],
) -> list[TimelineEntry]:
    before: dict[int, HealthScore] = {}
    for chunk in _chunks([previous[account_id].score_id for account_id in changed]):
        for row in HealthScore.objects.filter(pk__in=chunk).only("pk", "account_id", "overall", "band", "measures"):
            before[row.account_id] = row
    occurred_at = _entry_time(workspace, day)
    entries = []
    for account_id in changed:
        entry, result = scored[account_id]
        old = before.get(account_id)
        old_result = stored_result(old, entry.card.composition) if old is not None else None
        # Not scored: the reason is the change, not the measures' points.
        reason = held.get(account_id, "")
        factors = [] if reason else explain_change(old_result, result, entry.card.params())[:FACTORS_IN_SUMMARY]
        entries.append(
            timeline.health_band_changed_entry(
                Account(pk=account_id, workspace_id=workspace.pk),
                day=day,
                band=result.band or Band.BLANK,
                previous_band=previous[account_id].band,
                previous_score_id=previous[account_id].score_id,
                previous_computed_at=previous[account_id].computed_at,
                overall=result.overall,
                previous_overall=old.overall if old is not None else None,
                factors=[(f.kind, f.delta, f.words) for f in factors],
                scorecard=entry.row.name if entry.row is not None else entry.card.name,
                occurred_at=occurred_at,
                not_scored_reason=reason,
            )
        )
    return entries


# Pulses -------------------------------------------------------------------------------------------


@transaction.atomic
def pulse_set(*, account: Account, actor: Member | None, value: int, note: str = "", via: str = "web") -> Pulse:
    """Record the CSM's read of an account (1 red, 2 yellow, 3 green) and re-score the account
    once the transaction commits."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number not in PulseValue.values:
        raise ValidationError({"value": "must be 1 (red), 2 (yellow) or 3 (green)"})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "must be at most 2000 characters"})
    if actor is not None and actor.workspace_id != account.workspace_id:
        raise ValidationError({"actor": "is not a member of this workspace"})
    pulse = Pulse.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        member=actor,
        value=number,
        note=note,
        set_on=workspace_today(account.workspace),
    )
    timeline.pulse_set_entry(pulse, actor=actor, via=via).save()
    workspace_id, account_id = account.workspace_id, account.pk

    def rescore() -> None:
        from retain.health.jobs import rescore_accounts

        rescore_accounts.delay(workspace_id, [account_id])

    transaction.on_commit(rescore)
    return pulse
