"""The coverage model: per tier, the CSM kind that owns it, how big a book may be, the touch
cadence expected in each lifecycle stage, the channels, and the executive-sponsor rule.

A workspace's model is YAML (like scorecards and playbooks) read through lib/definitions, so a
mistake is named by its path and its line and column. `DEFAULT_SOURCE` is the seeds' model, used
until a manager saves one. Pure: no queries here.

Decided once:
- A tier's cadence for a stage is `{every_days: N, touches: [call, ...]}` (a touchpoint of one of
  those kinds resets the clock) or `digital` (no personal touch expected: the community tier in
  adoption is served by e-mail programmes and webinars). A stage not listed expects nothing.
- Two tiers may not name the same CSM kind: a book's limits would then be ambiguous.
- A member's own capacity (Settings › Members) overrides the tier's limit in its unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from retain.accounts.choices import Stage, Tier, TouchpointKind
from retain.lib.definitions import Checker, Document, join, load
from retain.team.choices import Channel, SponsorRule
from retain.tenancy.choices import CsmKind

DEFAULT_PATH = Path(__file__).resolve().parent / "defaults" / "coverage.yaml"
DEFAULT_SOURCE = DEFAULT_PATH.read_text(encoding="utf-8")

TOP_KEYS = ("assign_new_accounts", "balance_tolerance_pct", "onboarding", "tiers", "rules")
TIER_KEYS = ("csm_kind", "max_accounts", "max_arr", "channels", "executive_sponsor", "cadence", "stage_days")
CADENCE_KEYS = ("every_days", "touches")
ONBOARDING_KEYS = ("csm_kind", "hand_over_at")
RULE_KEYS = ("field", "equals", "csms")
RULE_FIELDS = ("industry", "region", "language")
DIGITAL = "digital"
LIVE_STAGES = tuple(s for s in Stage.values if s != Stage.CHURNED)


@dataclass(frozen=True)
class Cadence:
    """How often an account in one stage expects a personal touch, and what counts as one."""

    every_days: int | None  # None: digital only
    touches: tuple[str, ...] = ()

    @property
    def digital(self) -> bool:
        return self.every_days is None

    def describe(self) -> str:
        if self.every_days is None:
            return "digital only"
        kinds = " or ".join(self.touches)
        return f"a {kinds} every {self.every_days} days"


@dataclass(frozen=True)
class TierCoverage:
    tier: str
    csm_kind: str
    max_accounts: int | None
    max_arr: Decimal | None
    channels: tuple[str, ...]
    executive_sponsor: str
    cadence: Mapping[str, Cadence]
    # Days an account of this tier is expected to spend in a stage (the time-in-stage report);
    # stages not named use team.stages' defaults.
    stage_days: Mapping[str, int] = field(default_factory=dict)

    def cadence_for(self, stage: str) -> Cadence | None:
        return self.cadence.get(stage)


@dataclass(frozen=True)
class Rule:
    """Accounts whose `field` equals `equals` go to one of these CSMs (by e-mail) when they can."""

    field: str
    equals: str
    csms: tuple[str, ...]

    def matches(self, values: Mapping[str, str]) -> bool:
        return (values.get(self.field) or "").strip().lower() == self.equals.strip().lower()


@dataclass(frozen=True)
class Coverage:
    tiers: Mapping[str, TierCoverage]
    assign_new_accounts: bool = True
    balance_tolerance_pct: float = 10.0
    onboarding_kind: str | None = None
    hand_over_at: str | None = None
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def tier_of_kind(self, kind: str) -> TierCoverage | None:
        return next((t for t in self.tiers.values() if t.csm_kind == kind), None)

    def owner_kind(self, tier: str, stage: str) -> str | None:
        """The CSM kind an account of this tier should have in this stage."""
        if self.onboarding_kind and stage == Stage.ONBOARDING:
            return self.onboarding_kind
        coverage = self.tiers.get(tier)
        return coverage.csm_kind if coverage else None

    def as_data(self) -> dict[str, Any]:
        """The cleaned model as JSON-ready data that `clean_coverage` reads back to the same model
        (stored beside the text, returned by the API)."""
        data: dict[str, Any] = {
            "assign_new_accounts": self.assign_new_accounts,
            "balance_tolerance_pct": self.balance_tolerance_pct,
            "tiers": {name: _tier_data(t) for name, t in self.tiers.items()},
        }
        if self.onboarding_kind:
            data["onboarding"] = {"csm_kind": self.onboarding_kind, "hand_over_at": self.hand_over_at}
        if self.rules:
            data["rules"] = [{"field": r.field, "equals": r.equals, "csms": list(r.csms)} for r in self.rules]
        return data


def _tier_data(t: TierCoverage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csm_kind": t.csm_kind,
        "channels": list(t.channels),
        "executive_sponsor": t.executive_sponsor,
        "cadence": {
            stage: DIGITAL if c.digital else {"every_days": c.every_days, "touches": list(c.touches)}
            for stage, c in t.cadence.items()
        },
    }
    if t.stage_days:
        data["stage_days"] = dict(t.stage_days)
    if t.max_accounts is not None:
        data["max_accounts"] = t.max_accounts
    if t.max_arr is not None:
        data["max_arr"] = int(t.max_arr) if t.max_arr == t.max_arr.to_integral_value() else float(t.max_arr)
    return data


def _cadence(c: Checker, value: object, path: str) -> Cadence | None:
    if value == DIGITAL:
        return Cadence(None)
    raw = c.mapping(value, path, CADENCE_KEYS) if not isinstance(value, str) else None
    if raw is None:
        if isinstance(value, str):
            c.error(path, f"must be {DIGITAL!r} or an object with every_days and touches (got {value!r})")
        return None
    days = c.number(raw, "every_days", path, whole=True, low=1, high=365, unit="days")
    touches = c.choices(raw, "touches", path, TouchpointKind.values)
    if "touches" not in raw:
        c.error(join(path, "touches"), f"is required: one or more of {', '.join(TouchpointKind.values)}")
    if days is None or not touches:
        return None
    return Cadence(int(days), tuple(touches))


def _tier(c: Checker, name: str, value: object, path: str) -> TierCoverage | None:
    raw = c.mapping(value, path, TIER_KEYS)
    if raw is None:
        return None
    kind = c.choice(raw, "csm_kind", path, CsmKind.values, required=True)
    max_accounts = c.number(raw, "max_accounts", path, default=None, whole=True, positive=True)
    max_arr = c.number(raw, "max_arr", path, default=None, positive=True)
    channels = c.choices(raw, "channels", path, Channel.values) if raw.get("channels") != [] else []
    sponsor = c.choice(raw, "executive_sponsor", path, SponsorRule.values, default=SponsorRule.NONE)
    cadence: dict[str, Cadence] = {}
    stages = raw.get("cadence")
    if stages is not None:
        where = join(path, "cadence")
        found = c.mapping(stages, where, LIVE_STAGES) or {}
        for stage, spec in found.items():
            if stage in LIVE_STAGES:
                one = _cadence(c, spec, join(where, stage))
                if one is not None:
                    cadence[stage] = one
    stage_days: dict[str, int] = {}
    if raw.get("stage_days") is not None:
        where = join(path, "stage_days")
        found_days = c.mapping(raw["stage_days"], where, LIVE_STAGES) or {}
        for stage in found_days:
            if stage in LIVE_STAGES:
                days = c.number(found_days, stage, where, whole=True, low=1, high=3650, unit="days")
                if days is not None:
                    stage_days[stage] = int(days)
    if c.failed(path) or kind is None:
        return None
    return TierCoverage(
        tier=name,
        csm_kind=kind,
        max_accounts=int(max_accounts) if max_accounts is not None else None,
        max_arr=Decimal(str(max_arr)) if max_arr is not None else None,
        channels=tuple(channels),
        executive_sponsor=sponsor or SponsorRule.NONE,
        cadence=cadence,
        stage_days=stage_days,
    )


def clean_coverage(data: object, *, document: Document | None = None, source: str = "<input>") -> Coverage:
    """The cleaned model, or DefinitionError naming every problem by its path (and line:column)."""
    c = Checker()
    raw = c.mapping(data, "", TOP_KEYS) if data is not None else None
    if raw is None:
        if data is None:
            c.error("", "must be an object with tiers")
        c.raise_if_any(source, document)
        raise AssertionError("unreachable")
    assign = c.boolean(raw, "assign_new_accounts", "", default=True)
    tolerance = c.number(raw, "balance_tolerance_pct", "", default=10, low=0, high=100, unit="%")
    tiers: dict[str, TierCoverage] = {}
    tiers_raw = raw.get("tiers")
    if tiers_raw is None:
        c.error("tiers", f"is required: an object with {', '.join(Tier.values)}")
    else:
        found = c.mapping(tiers_raw, "tiers", Tier.values) or {}
        seen: dict[str, str] = {}
        for name, spec in found.items():
            if name not in Tier.values:
                continue
            path = join("tiers", name)
            tier = _tier(c, name, spec, path)
            if tier is None:
                continue
            if tier.csm_kind in seen:
                c.error(join(path, "csm_kind"), f"{tier.csm_kind!r} already owns tier {seen[tier.csm_kind]!r}")
                continue
            seen[tier.csm_kind] = name
            tiers[name] = tier
    onboarding_kind = hand_over_at = None
    if raw.get("onboarding") is not None:
        spec = c.mapping(raw["onboarding"], "onboarding", ONBOARDING_KEYS) or {}
        onboarding_kind = c.choice(spec, "csm_kind", "onboarding", CsmKind.values, required=True)
        hand_over_at = c.choice(spec, "hand_over_at", "onboarding", LIVE_STAGES[1:], default=Stage.ADOPTION)
        if onboarding_kind and onboarding_kind in {t.csm_kind for t in tiers.values()}:
            c.error("onboarding.csm_kind", f"{onboarding_kind!r} already owns a tier; name the operational kind")
    rules: list[Rule] = []
    if raw.get("rules") is not None:
        for index, item in enumerate(c.items(raw["rules"], "rules", of="rules")):
            path = join("rules", index)
            spec = c.mapping(item, path, RULE_KEYS)
            if spec is None:
                continue
            field_name = c.choice(spec, "field", path, RULE_FIELDS, required=True)
            equals = c.text(spec, "equals", path)
            csms = [str(x).strip().lower() for x in c.items(spec.get("csms"), join(path, "csms"), of="e-mails")]
            if field_name and equals and csms and not c.failed(path):
                rules.append(Rule(field_name, equals, tuple(csms)))
    c.raise_if_any(source, document)
    return Coverage(
        tiers=tiers,
        assign_new_accounts=assign,
        balance_tolerance_pct=float(tolerance),
        onboarding_kind=onboarding_kind,
        hand_over_at=hand_over_at,
        rules=tuple(rules),
    )


def parse_coverage(text: str, filename: str = "<input>") -> Coverage:
    """Read and clean coverage YAML; DefinitionError points at the file, line and column."""
    document = load(text, source=filename)
    return clean_coverage(document.data, document=document, source=filename)


DEFAULT = parse_coverage(DEFAULT_SOURCE, "coverage.yaml")
