"""Playbook definitions: the YAML document a team writes, validated at save into clean data.

The format (agreed across the product; see the default playbooks for full examples)::

    key: health-turned-red
    name: Health turned red — risk review
    audience: {tier: [enterprise, strategic], where: {attr: traits.region, op: eq, value: EMEA}}
    trigger: {kind: data, condition: {attr: health.band, op: eq, value: red}, hold_hours: 24}
    conditions: {attr: account.status, op: ne, value: churned}
    limits: {max: 1, per_days: 90}
    steps:
      - task: {title: "Risk review: {{ account.name }}", kind: review, assignee: owner, due_in_days: 2}
      - wait: {days: 7}
      - escalate: {step: 0, after_days: 7}

Every problem is reported at once, keyed by its path in the document
("steps[2].task.assignee"), and ``parse_yaml`` adds the file, line and column of the offending key
(retain.lib.definitions: the same messages, duplicate-key rule and locations as every definition).
Conditions are checked with lib.conditions against the snapshot attribute names below, so a typo
gets a "did you mean". Member e-mails and segment names are checked against the workspace by
playbooks.services at save; this module needs no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from retain.accounts.choices import ContactRole, Edition, EntryKind, Stage, Tier
from retain.lib import conditions
from retain.lib.definitions import Checker, DefinitionError, Document, Problem, join, load, one_of, show
from retain.messaging.templating import validate_template
from retain.playbooks.choices import AdvocacyAsk, StepKind, TimeFrom, TriggerKind
from retain.tasks.choices import TaskKind, TaskPriority
from retain.tenancy.choices import CsmKind, Role

KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRAIT_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9_]{0,62})$")
MAX_STEPS = 30
MAX_DAYS = 3650

# What conditions may read: built for many accounts at once by playbooks.snapshot.
ACCOUNT_ATTRS = (
    "account.name",
    "account.tier",
    "account.edition",
    "account.stage",
    "account.status",
    "account.owner",
    "account.industry",
    "account.employees",
    "account.mrr",
    "account.arr",
    "account.seats",
    "account.days_in_stage",
    "account.customer_since_days",
    "account.tags",
    "health.score",
    "health.band",
    "health.change_7d",
    "usage.vs_baseline_pct",
    "usage.seat_utilisation",
    "usage.events_7d",
    "usage.active_users_30d",
    "milestones.behind",
    "milestones.stuck",
    "milestones.done",
    "renewal.days_to_term_end",
)
SNAPSHOT_ATTRS: tuple[str, ...] = (*ACCOUNT_ATTRS, "traits.*", "milestone.*.status", "warehouse.*")
# Attributes that higher apps add to the snapshot (playbooks.snapshot.provider_register).
_ADDED_ATTRS: list[str] = []


def snapshot_attrs() -> tuple[str, ...]:
    """What conditions on an account snapshot may read: the built-in names and the registered ones."""
    return (*SNAPSHOT_ATTRS, *_ADDED_ATTRS)


def snapshot_attrs_add(names: tuple[str, ...]) -> None:
    clash = [name for name in names if name in SNAPSHOT_ATTRS or name in _ADDED_ATTRS]
    if clash:
        raise ValueError(f"snapshot attributes already defined: {', '.join(clash)}")
    _ADDED_ATTRS.extend(names)


ENTRY_ATTRS: tuple[str, ...] = (
    "entry.kind",
    "entry.summary",
    "entry.data.*",
    "entry.contact.role",
    "entry.contact.email",
    "entry.contact.status",
)

# Paths of the playbooks screen beside /playbooks/<key>/: a playbook may not be called that.
RESERVED_KEYS = frozenset({"new", "preview"})
TOP_KEYS = ("key", "name", "description", "audience", "trigger", "conditions", "limits", "digest", "steps")
AUDIENCE_KEYS = ("segment", "tier", "edition", "stage", "owner", "where")
SET_FIELDS = ("stage", "tier", "owner", "tag")


def task_kinds() -> tuple[str, ...]:
    return tuple(TaskKind.values)


def task_priorities() -> tuple[str, ...]:
    return tuple(TaskPriority.values)


def _template_problem(text: str) -> str | None:
    """Why a step's template may not be saved (its line:column and what is wrong), or None."""
    try:
        validate_template(text)
    except ValueError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------------------------
# The cleaner: the shared field readers (retain.lib.definitions) with the playbook's defaults.


class _Cleaner(Checker):
    def string(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 500) -> str:
        """The text without surrounding blanks; "" when it is not there (a problem if required) or wrong."""
        value = self.text(data, key, path, required=required, limit=limit)
        return value.strip() if value else ""

    def template(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 5000
    ) -> str:
        value = self.string(data, key, path, required=required, limit=limit)
        if value:
            problem = _template_problem(value)
            if problem:
                self.error(join(path, key), problem)
        return value

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        low: int,
        high: int = MAX_DAYS,
        default: int | None = None,
    ) -> int:
        """A whole number from low to high; `low` stands in for a wrong one, so cleaning can go on."""
        if default is None:
            value = self.number(data, key, path, low=low, high=high, whole=True)
        else:
            value = self.number(data, key, path, low=low, high=high, whole=True, default=default)
        return low if value is None else int(value)

    def option(
        self, data: Mapping[str, Any], key: str, path: str, options: Sequence[str], default: str | None = None
    ) -> str:
        return self.choice(data, key, path, options, default=default, required=True) or ""

    def condition(self, data: object, path: str, known: tuple[str, ...]) -> dict[str, Any] | None:
        parsed = conditions.check(self, data, path, known_attrs=known)
        return parsed.to_data() if parsed is not None else None


def _clean_audience(c: _Cleaner, data: object) -> dict[str, Any]:
    raw = c.mapping(data, "audience", AUDIENCE_KEYS)
    if raw is None:
        return {}
    audience: dict[str, Any] = {}
    if raw.get("segment") not in (None, ""):
        segment = raw["segment"]
        if isinstance(segment, bool) or not isinstance(segment, str | int):
            c.error("audience.segment", "must be a saved segment's name or id")
        else:
            audience["segment"] = segment
    for key, options in (("tier", Tier.values), ("edition", Edition.values), ("stage", Stage.values)):
        values = c.choices(raw, key, "audience", options)
        if values:
            audience[key] = values
    owners = raw.get("owner")
    if owners is not None:
        items = owners if isinstance(owners, list) else [owners]
        for index, item in enumerate(items):
            if not isinstance(item, str) or not EMAIL.match(item):
                c.error(f"audience.owner[{index}]", f"must be a member e-mail (got {show(item)})")
                break
        else:
            audience["owner"] = sorted({item.strip().lower() for item in items})
    if "where" in raw:
        where = c.condition(raw["where"], "audience.where", snapshot_attrs())
        if where is not None:
            audience["where"] = where
    return audience


TRIGGER_KEYS: dict[str, tuple[str, ...]] = {
    TriggerKind.TIME: ("kind", "after_days", "from", "stage", "every_days"),
    TriggerKind.DATA: ("kind", "condition", "hold_hours"),
    TriggerKind.EVENT: ("kind", "entry", "where"),
}


def _clean_trigger(c: _Cleaner, data: object) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        c.error("trigger", "is required: an object with kind time, data or event")
        return {}
    kind = c.option(data, "kind", "trigger", TriggerKind.values)
    if not kind:
        return {}
    raw = c.mapping(data, "trigger", TRIGGER_KEYS[kind])
    assert raw is not None
    trigger: dict[str, Any] = {"kind": kind}
    if kind == TriggerKind.TIME:
        trigger["after_days"] = c.integer(raw, "after_days", "trigger", low=0, default=0)
        trigger["from"] = c.option(raw, "from", "trigger", TimeFrom.values)
        if trigger["from"] == TimeFrom.STAGE_ENTRY:
            trigger["stage"] = c.option(raw, "stage", "trigger", Stage.values)
        elif "stage" in raw:
            c.error("trigger.stage", "is only for from: stage_entry")
        if raw.get("every_days") is not None:
            trigger["every_days"] = c.integer(raw, "every_days", "trigger", low=1)
    elif kind == TriggerKind.DATA:
        if "condition" not in raw:
            c.error("trigger.condition", "is required")
        else:
            trigger["condition"] = c.condition(raw["condition"], "trigger.condition", snapshot_attrs())
        trigger["hold_hours"] = c.integer(raw, "hold_hours", "trigger", low=0, high=24 * 90, default=0)
    else:
        trigger["entry"] = c.option(raw, "entry", "trigger", EntryKind.values)
        if "where" in raw:
            trigger["where"] = c.condition(raw["where"], "trigger.where", (*ENTRY_ATTRS, *snapshot_attrs()))
    return trigger


def _clean_limits(c: _Cleaner, data: object) -> dict[str, Any]:
    if data is None:
        return {}
    raw = c.mapping(data, "limits", ("once", "max", "per_days"))
    if raw is None:
        return {}
    if "once" in raw:
        if raw["once"] is not True and raw["once"] is not False:
            c.error("limits.once", "must be true or false")
            return {}
        if len(raw) > 1:
            c.error("limits", "give either once: true or max with per_days, not both")
            return {}
        return {"once": True} if raw["once"] else {}
    if not raw:
        return {}
    return {
        "max": c.integer(raw, "max", "limits", low=1, high=1000),
        "per_days": c.integer(raw, "per_days", "limits", low=1),
    }


def _assignee(c: _Cleaner, value: object, path: str) -> str:
    roles = sorted({*Role.values, *CsmKind.values})
    if value in (None, ""):
        return "owner"
    if isinstance(value, str):
        text = value.strip()
        if text in ("owner", "manager"):
            return text
        if text.startswith("role:") and text[5:] in roles:
            return text
        if EMAIL.match(text):
            return text.lower()
    c.error(
        path,
        "must be one of owner, manager, role:<role>, or a member e-mail "
        f"(roles: {', '.join(roles)}; got {show(value)})",
    )
    return ""


def _step_task(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    checklist = raw.get("checklist") or []
    if not isinstance(checklist, list) or not all(isinstance(item, str) and item.strip() for item in checklist):
        c.error(join(path, "checklist"), "must be a list of texts")
        checklist = []
    return {
        "title": c.template(raw, "title", path, limit=200),
        "kind": c.option(raw, "kind", path, task_kinds(), default="call"),
        "priority": c.option(raw, "priority", path, task_priorities(), default="normal"),
        "assignee": _assignee(c, raw.get("assignee"), join(path, "assignee")),
        "due_in_days": c.integer(raw, "due_in_days", path, low=0, default=0),
        "checklist": [item.strip() for item in checklist],
        "description": c.template(raw, "description", path, required=False),
    }


def _step_email(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    to = c.choices(raw, "to", path, ContactRole.values)
    if not to and "to" not in raw:
        c.error(join(path, "to"), f"is required: contact roles ({', '.join(ContactRole.values)})")
    return {
        "to": to,
        "subject": c.template(raw, "subject", path, limit=300),
        "body": c.template(raw, "body", path, limit=20000),
    }


def _url(c: _Cleaner, raw: dict[str, Any], path: str) -> str:
    url = c.string(raw, "url", path, limit=2000)
    if url and not re.match(r"^https?://[^\s/]+", url):
        c.error(join(path, "url"), "must be an http:// or https:// address")
    return url


def _step_slack(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    return {"url": _url(c, raw, path), "text": c.template(raw, "text", path, limit=4000)}


def _step_webhook(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    payload = raw.get("payload", {})
    if not isinstance(payload, dict):
        c.error(join(path, "payload"), "must be an object")
        payload = {}
    return {"url": _url(c, raw, path), "payload": payload}


def _step_set(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    field = raw.get("field")
    value = raw.get("value")
    where = join(path, "value")
    if not isinstance(field, str) or not (field in SET_FIELDS or field.startswith("traits.")):
        c.error(join(path, "field"), f"must be one of {', '.join(SET_FIELDS)} or traits.<name> (got {show(field)})")
        return {}
    if field.startswith("traits."):
        if not TRAIT_NAME.match(field[7:]):
            c.error(join(path, "field"), "a trait name starts with a letter and holds letters, digits and _")
        if isinstance(value, dict | list):
            c.error(where, "must be a text, number or boolean")
    elif field in ("stage", "tier"):
        options = Stage.values if field == "stage" else Tier.values
        if value not in options:
            c.error(where, one_of(value, options))
    elif field == "owner":
        if not isinstance(value, str) or not EMAIL.match(value):
            c.error(where, f"must be a member e-mail (got {show(value)})")
        else:
            value = value.strip().lower()
    elif not isinstance(value, str) or not value.strip() or len(value) > 60:
        c.error(where, "must be a tag: a text of at most 60 characters")
    else:
        value = value.strip()
    return {"field": field, "value": value}


def _step_wait(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    return {"days": c.integer(raw, "days", path, low=1)}


def _step_enrol(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    key = c.string(raw, "playbook", path, limit=60)
    if key and not KEY.match(key):
        c.error(join(path, "playbook"), "must be a playbook key (lower-case letters, digits and -)")
    return {"playbook": key}


def _step_escalate(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    return {
        "step": c.integer(raw, "step", path, low=0, high=MAX_STEPS),
        "after_days": c.integer(raw, "after_days", path, low=0),
    }


def _step_advocacy(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    milestone = c.string(raw, "after_milestone", path, limit=60)
    return {
        "ask": c.option(raw, "ask", path, AdvocacyAsk.values),
        "after_milestone": milestone,
        "assignee": _assignee(c, raw.get("assignee"), join(path, "assignee")),
        "due_in_days": c.integer(raw, "due_in_days", path, low=0, default=3),
    }


# The field readers a step kind registered from a higher app cleans its options with.
StepCleaner = _Cleaner


@dataclass(frozen=True)
class StepSpec:
    keys: tuple[str, ...]
    clean: Callable[[_Cleaner, dict[str, Any], str], dict[str, Any]]
    describe: Callable[[Mapping[str, Any]], str] | None = None


STEP_SPECS: dict[str, StepSpec] = {
    StepKind.TASK: StepSpec(
        ("title", "kind", "priority", "assignee", "due_in_days", "checklist", "description"), _step_task
    ),
    StepKind.EMAIL: StepSpec(("to", "subject", "body"), _step_email),
    StepKind.SLACK: StepSpec(("url", "text"), _step_slack),
    StepKind.WEBHOOK: StepSpec(("url", "payload"), _step_webhook),
    StepKind.SET: StepSpec(("field", "value"), _step_set),
    StepKind.WAIT: StepSpec(("days",), _step_wait),
    StepKind.ENROL: StepSpec(("playbook",), _step_enrol),
    StepKind.ESCALATE: StepSpec(("step", "after_days"), _step_escalate),
    StepKind.ADVOCACY: StepSpec(("ask", "after_milestone", "assignee", "due_in_days"), _step_advocacy),
}


def _clean_steps(c: _Cleaner, data: object, key: str) -> list[dict[str, Any]]:
    items = c.items(data, "steps", of="steps")
    if len(items) > MAX_STEPS:
        c.error("steps", f"at most {MAX_STEPS} steps")
        return []
    steps: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        path = f"steps[{index}]"
        if not isinstance(item, Mapping) or len(item) != 1:
            c.error(path, f"must be an object with exactly one step kind ({', '.join(STEP_SPECS)})")
            steps.append({})
            continue
        ((kind, raw),) = item.items()
        spec = STEP_SPECS.get(kind)
        if spec is None:
            c.unknown(join(path, str(kind)), kind, tuple(STEP_SPECS), what="step kind")
            steps.append({})
            continue
        path = join(path, kind)
        options = c.mapping(raw if raw is not None else {}, path, spec.keys)
        steps.append({kind: spec.clean(c, options, path) if options is not None else {}})
    for index, step in enumerate(steps):
        if step.get(StepKind.ESCALATE):
            target = step[StepKind.ESCALATE]["step"]
            if target >= index or StepKind.TASK not in steps[target]:
                c.error(f"steps[{index}].escalate.step", "must name an earlier task step (counting from 0)")
        if StepKind.ENROL in step and step[StepKind.ENROL].get("playbook") == key:
            c.error(f"steps[{index}].enrol.playbook", "a playbook cannot enrol in itself")
    return steps


def clean_definition(data: object, *, document: Document | None = None, source: str = "<input>") -> dict[str, Any]:
    """The cleaned definition, or DefinitionError naming every problem at once by its path (and,
    given the YAML document it came from, by its line and column)."""
    c = _Cleaner()
    if not isinstance(data, Mapping):
        c.error("", "must be an object with key, name, trigger and steps")
        c.raise_if_any(source, document)
    raw = c.mapping(data, "", TOP_KEYS) or {}
    key = c.string(raw, "key", "", limit=60)
    if key and not KEY.match(key):
        c.error("key", "must be lower-case letters, digits and -, at most 60 characters")
    elif key in RESERVED_KEYS:
        c.error("key", f"{key!r} names a page of the playbooks screen; choose another key")
    clean: dict[str, Any] = {
        "key": key,
        "name": c.string(raw, "name", "", limit=200),
        "description": c.string(raw, "description", "", required=False, limit=5000),
    }
    if raw.get("audience") is not None:
        clean["audience"] = _clean_audience(c, raw["audience"])
    clean["trigger"] = _clean_trigger(c, raw.get("trigger"))
    if raw.get("conditions") is not None:
        known = snapshot_attrs()
        if clean["trigger"].get("kind") == TriggerKind.EVENT:
            known = (*ENTRY_ATTRS, *snapshot_attrs())
        clean["conditions"] = c.condition(raw["conditions"], "conditions", known)
    clean["limits"] = _clean_limits(c, raw.get("limits"))
    clean["digest"] = c.boolean(raw, "digest", "")
    clean["steps"] = _clean_steps(c, raw.get("steps"), key)
    c.raise_if_any(source, document)
    return clean


# ---------------------------------------------------------------------------------------------
# YAML: syntax errors and validation errors with the file, line and column they are at.


def parse_yaml(text: str, filename: str = "<input>") -> dict[str, Any]:
    """Parse and clean a YAML definition; DefinitionError points at the file, line and column."""
    document = load(text, source=filename)
    return clean_definition(document.data if document.data is not None else {}, document=document, source=filename)


def refused(text: str, filename: str, errors: Mapping[str, str]) -> DefinitionError:
    """Problems found after cleaning (against the workspace), placed in the YAML like the cleaner's."""
    problems = [Problem(path, message) for path, message in errors.items()]
    try:
        return load(text, source=filename).error(problems)
    except DefinitionError:
        return DefinitionError(problems, filename)


def error_lines(exc: ValidationError, filename: str = "<input>") -> list[str]:
    """Every problem as one line, for the command line (located when it came from YAML)."""
    if isinstance(exc, DefinitionError):
        return exc.lines
    return [f"{filename}: {path}: {message}" for path, messages in exc.message_dict.items() for message in messages]


# ---------------------------------------------------------------------------------------------
# Saying what a definition does, for previews and simulations.


def describe_step(step: Mapping[str, Any]) -> str:
    """One line per step: "task (review) for owner: Risk review: {{ account.name }}, due in 2 days"."""
    ((kind, options),) = step.items()
    if kind == StepKind.TASK:
        due = options["due_in_days"]
        return f"task ({options['kind']}) for {options['assignee']}: {options['title']}, due in {due} days"
    if kind == StepKind.EMAIL:
        return f"e-mail to {', '.join(options['to'])}: {options['subject']}"
    if kind == StepKind.SLACK:
        return f"Slack post: {options['text']}"
    if kind == StepKind.WEBHOOK:
        return f"webhook to {options['url']}"
    if kind == StepKind.SET:
        return f"set {options['field']} to {options['value']}"
    if kind == StepKind.WAIT:
        return f"wait {options['days']} days, then re-check"
    if kind == StepKind.ENROL:
        return f"enrol in {options['playbook']}"
    if kind == StepKind.ESCALATE:
        return (
            f"escalate to the manager if the task of step {options['step']} is open after {options['after_days']} days"
        )
    if kind == StepKind.ADVOCACY:
        return f"ask for a {options['ask'].replace('_', ' ')} once {options['after_milestone']} is done"
    spec = STEP_SPECS.get(kind)
    if spec is not None and spec.describe is not None:
        return spec.describe(options)
    return str(kind)


def step_kind(step: Mapping[str, Any]) -> str:
    return str(next(iter(step)))
