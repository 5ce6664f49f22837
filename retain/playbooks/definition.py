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
("steps[2].task.assignee"), and ``parse_yaml`` adds the file, line and column of the offending key.
Conditions are checked with lib.conditions against the snapshot attribute names below, so a typo
gets a "did you mean". Member e-mails and segment names are checked against the workspace by
playbooks.services at save; this module needs no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from retain.accounts.choices import ContactRole, Edition, EntryKind, Stage, Tier
from retain.lib import conditions
from retain.messaging.templating import validate_template
from retain.playbooks.choices import AdvocacyAsk, StepKind, TimeFrom, TriggerKind
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
SNAPSHOT_ATTRS: tuple[str, ...] = (*ACCOUNT_ATTRS, "traits.*", "milestone.*.status")
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
TASK_PRIORITIES = ("low", "normal", "high", "urgent")
# The kinds of task a step may create; retain.tasks' own list wins when it has one.
DEFAULT_TASK_KINDS = ("call", "email", "meeting", "review", "escalation", "onboarding", "advocacy", "renewal", "other")
SET_FIELDS = ("stage", "tier", "owner", "tag")


def task_kinds() -> tuple[str, ...]:
    try:
        from retain.tasks.choices import TaskKind  # type: ignore[import-not-found,unused-ignore]  # the module exists; the fallback around it is still to go
    except ImportError:
        return DEFAULT_TASK_KINDS
    return tuple(TaskKind.values)


def task_priorities() -> tuple[str, ...]:
    try:
        from retain.tasks.choices import TaskPriority  # type: ignore[import-not-found,unused-ignore]  # the module exists; the fallback around it is still to go
    except ImportError:
        return TASK_PRIORITIES
    return tuple(TaskPriority.values)


def _template_problem(text: str) -> str | None:
    """Why a step's template may not be saved (its line:column and what is wrong), or None."""
    try:
        validate_template(text)
    except ValueError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------------------------
# The cleaner: collects every problem as (path, message), then raises them all at once.


class _Cleaner:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def mapping(self, data: object, path: str, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(data, Mapping):
            self.error(path, "must be an object")
            return None
        for key in data:
            if key not in allowed:
                self.error(_join(path, str(key)), f"unknown key (known: {', '.join(allowed)})")
        return dict(data)

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 500) -> str:
        value = data.get(key)
        where = _join(path, key)
        if value is None or value == "":
            if required:
                self.error(where, "is required")
            return ""
        if not isinstance(value, str):
            self.error(where, "must be a text")
            return ""
        if len(value) > limit:
            self.error(where, f"must be at most {limit} characters")
            return ""
        return value.strip()

    def template(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 5000
    ) -> str:
        value = self.text(data, key, path, required=required, limit=limit)
        if value:
            problem = _template_problem(value)
            if problem:
                self.error(_join(path, key), problem)
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
        value = data.get(key, default)
        where = _join(path, key)
        if value is None:
            self.error(where, "is required")
            return low
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(where, "must be a whole number")
            return low
        if not low <= value <= high:
            self.error(where, f"must be between {low} and {high}")
            return low
        return value

    def choice(self, data: Mapping[str, Any], key: str, path: str, options: tuple[str, ...] | list[str]) -> str:
        value = data.get(key)
        if value not in options:
            self.error(_join(path, key), f"must be one of {', '.join(options)} (got {_show(value)})")
            return ""
        return str(value)

    def choices(self, data: Mapping[str, Any], key: str, path: str, options: tuple[str, ...] | list[str]) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        where = _join(path, key)
        if not items:
            self.error(where, "must not be empty")
        for index, item in enumerate(items):
            if item not in options:
                self.error(f"{where}[{index}]", f"must be one of {', '.join(options)} (got {_show(item)})")
                return []
        return sorted({str(item) for item in items})

    def condition(self, data: object, path: str, known: tuple[str, ...]) -> dict[str, Any] | None:
        problems = conditions.validate(data, known_attrs=known)
        for sub, message in problems:
            self.error(_join(path, sub) if sub else path, message)
        if problems:
            return None
        return conditions.parse(data).to_data()


def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _show(value: object) -> str:
    return "nothing" if value is None else repr(value)


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
                c.error(f"audience.owner[{index}]", f"must be a member e-mail (got {_show(item)})")
                break
        else:
            audience["owner"] = sorted({item.strip().lower() for item in items})
    if "where" in raw:
        where = c.condition(raw["where"], "audience.where", SNAPSHOT_ATTRS)
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
    kind = c.choice(data, "kind", "trigger", TriggerKind.values)
    if not kind:
        return {}
    raw = c.mapping(data, "trigger", TRIGGER_KEYS[kind])
    assert raw is not None
    trigger: dict[str, Any] = {"kind": kind}
    if kind == TriggerKind.TIME:
        trigger["after_days"] = c.integer(raw, "after_days", "trigger", low=0, default=0)
        trigger["from"] = c.choice(raw, "from", "trigger", TimeFrom.values)
        if trigger["from"] == TimeFrom.STAGE_ENTRY:
            trigger["stage"] = c.choice(raw, "stage", "trigger", Stage.values)
        elif "stage" in raw:
            c.error("trigger.stage", "is only for from: stage_entry")
        if raw.get("every_days") is not None:
            trigger["every_days"] = c.integer(raw, "every_days", "trigger", low=1)
    elif kind == TriggerKind.DATA:
        if "condition" not in raw:
            c.error("trigger.condition", "is required")
        else:
            trigger["condition"] = c.condition(raw["condition"], "trigger.condition", SNAPSHOT_ATTRS)
        trigger["hold_hours"] = c.integer(raw, "hold_hours", "trigger", low=0, high=24 * 90, default=0)
    else:
        trigger["entry"] = c.choice(raw, "entry", "trigger", EntryKind.values)
        if "where" in raw:
            trigger["where"] = c.condition(raw["where"], "trigger.where", (*ENTRY_ATTRS, *SNAPSHOT_ATTRS))
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
        f"(roles: {', '.join(roles)}; got {_show(value)})",
    )
    return ""


def _step_task(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    checklist = raw.get("checklist") or []
    if not isinstance(checklist, list) or not all(isinstance(item, str) and item.strip() for item in checklist):
        c.error(_join(path, "checklist"), "must be a list of texts")
        checklist = []
    return {
        "title": c.template(raw, "title", path, limit=200),
        "kind": c.choice({"kind": raw.get("kind", "call")}, "kind", path, task_kinds()),
        "priority": c.choice({"priority": raw.get("priority", "normal")}, "priority", path, task_priorities()),
        "assignee": _assignee(c, raw.get("assignee"), _join(path, "assignee")),
        "due_in_days": c.integer(raw, "due_in_days", path, low=0, default=0),
        "checklist": [item.strip() for item in checklist],
        "description": c.template(raw, "description", path, required=False),
    }


def _step_email(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    to = c.choices(raw, "to", path, ContactRole.values)
    if not to and "to" not in raw:
        c.error(_join(path, "to"), f"is required: contact roles ({', '.join(ContactRole.values)})")
    return {
        "to": to,
        "subject": c.template(raw, "subject", path, limit=300),
        "body": c.template(raw, "body", path, limit=20000),
    }


def _url(c: _Cleaner, raw: dict[str, Any], path: str) -> str:
    url = c.text(raw, "url", path, limit=2000)
    if url and not re.match(r"^https?://[^\s/]+", url):
        c.error(_join(path, "url"), "must be an http:// or https:// address")
    return url


def _step_slack(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    return {"url": _url(c, raw, path), "text": c.template(raw, "text", path, limit=4000)}


def _step_webhook(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    payload = raw.get("payload", {})
    if not isinstance(payload, dict):
        c.error(_join(path, "payload"), "must be an object")
        payload = {}
    return {"url": _url(c, raw, path), "payload": payload}


def _step_set(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    field = raw.get("field")
    value = raw.get("value")
    where = _join(path, "value")
    if not isinstance(field, str) or not (field in SET_FIELDS or field.startswith("traits.")):
        c.error(_join(path, "field"), f"must be one of {', '.join(SET_FIELDS)} or traits.<name> (got {_show(field)})")
        return {}
    if field.startswith("traits."):
        if not TRAIT_NAME.match(field[7:]):
            c.error(_join(path, "field"), "a trait name starts with a letter and holds letters, digits and _")
        if isinstance(value, dict | list):
            c.error(where, "must be a text, number or boolean")
    elif field in ("stage", "tier"):
        options = Stage.values if field == "stage" else Tier.values
        if value not in options:
            c.error(where, f"must be one of {', '.join(options)} (got {_show(value)})")
    elif field == "owner":
        if not isinstance(value, str) or not EMAIL.match(value):
            c.error(where, f"must be a member e-mail (got {_show(value)})")
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
    key = c.text(raw, "playbook", path, limit=60)
    if key and not KEY.match(key):
        c.error(_join(path, "playbook"), "must be a playbook key (lower-case letters, digits and -)")
    return {"playbook": key}


def _step_escalate(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    return {
        "step": c.integer(raw, "step", path, low=0, high=MAX_STEPS),
        "after_days": c.integer(raw, "after_days", path, low=0),
    }


def _step_advocacy(c: _Cleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    milestone = c.text(raw, "after_milestone", path, limit=60)
    return {
        "ask": c.choice(raw, "ask", path, AdvocacyAsk.values),
        "after_milestone": milestone,
        "assignee": _assignee(c, raw.get("assignee"), _join(path, "assignee")),
        "due_in_days": c.integer(raw, "due_in_days", path, low=0, default=3),
    }


@dataclass(frozen=True)
class _StepSpec:
    keys: tuple[str, ...]
    clean: Callable[[_Cleaner, dict[str, Any], str], dict[str, Any]]


STEP_SPECS: dict[str, _StepSpec] = {
    StepKind.TASK: _StepSpec(
        ("title", "kind", "priority", "assignee", "due_in_days", "checklist", "description"), _step_task
    ),
    StepKind.EMAIL: _StepSpec(("to", "subject", "body"), _step_email),
    StepKind.SLACK: _StepSpec(("url", "text"), _step_slack),
    StepKind.WEBHOOK: _StepSpec(("url", "payload"), _step_webhook),
    StepKind.SET: _StepSpec(("field", "value"), _step_set),
    StepKind.WAIT: _StepSpec(("days",), _step_wait),
    StepKind.ENROL: _StepSpec(("playbook",), _step_enrol),
    StepKind.ESCALATE: _StepSpec(("step", "after_days"), _step_escalate),
    StepKind.ADVOCACY: _StepSpec(("ask", "after_milestone", "assignee", "due_in_days"), _step_advocacy),
}


def _clean_steps(c: _Cleaner, data: object, key: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not data:
        c.error("steps", "must be a non-empty list of steps")
        return []
    if len(data) > MAX_STEPS:
        c.error("steps", f"at most {MAX_STEPS} steps")
        return []
    steps: list[dict[str, Any]] = []
    for index, item in enumerate(data):
        path = f"steps[{index}]"
        if not isinstance(item, Mapping) or len(item) != 1:
            c.error(path, f"must be an object with exactly one step kind ({', '.join(STEP_SPECS)})")
            steps.append({})
            continue
        ((kind, raw),) = item.items()
        spec = STEP_SPECS.get(kind)
        if spec is None:
            c.error(_join(path, str(kind)), f"unknown step kind (known: {', '.join(STEP_SPECS)})")
            steps.append({})
            continue
        path = _join(path, kind)
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


def clean_definition(data: object) -> dict[str, Any]:
    """The cleaned definition, or ValidationError({path: message}) naming every problem at once."""
    c = _Cleaner()
    raw = c.mapping(data, "", TOP_KEYS) if isinstance(data, Mapping) else None
    if raw is None:
        raise ValidationError({"definition": "must be an object with key, name, trigger and steps"})
    key = c.text(raw, "key", "", limit=60)
    if key and not KEY.match(key):
        c.error("key", "must be lower-case letters, digits and -, at most 60 characters")
    elif key in RESERVED_KEYS:
        c.error("key", f"{key!r} names a page of the playbooks screen; choose another key")
    clean: dict[str, Any] = {
        "key": key,
        "name": c.text(raw, "name", "", limit=200),
        "description": c.text(raw, "description", "", required=False, limit=5000),
    }
    if raw.get("audience") is not None:
        clean["audience"] = _clean_audience(c, raw["audience"])
    clean["trigger"] = _clean_trigger(c, raw.get("trigger"))
    if raw.get("conditions") is not None:
        known = SNAPSHOT_ATTRS
        if clean["trigger"].get("kind") == TriggerKind.EVENT:
            known = (*ENTRY_ATTRS, *SNAPSHOT_ATTRS)
        clean["conditions"] = c.condition(raw["conditions"], "conditions", known)
    clean["limits"] = _clean_limits(c, raw.get("limits"))
    digest = raw.get("digest", False)
    if not isinstance(digest, bool):
        c.error("digest", "must be true or false")
    clean["digest"] = digest is True
    clean["steps"] = _clean_steps(c, raw.get("steps"), key)
    if c.errors:
        raise ValidationError(dict(c.errors))
    return clean


# ---------------------------------------------------------------------------------------------
# YAML: syntax errors and validation errors with the file, line and column they are at.


class DefinitionError(ValidationError):
    """A definition that does not parse or validate; ``lines`` are "file:line:column: path: message"."""

    def __init__(self, errors: dict[str, str], lines: list[str]) -> None:
        super().__init__(errors)
        self.lines = lines


def parse_yaml(text: str, filename: str = "<input>") -> dict[str, Any]:
    """Parse and clean a YAML definition; DefinitionError points at the file, line and column."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        message = f"{where}: not valid YAML: {problem}"
        raise DefinitionError({"yaml": message}, [message]) from None
    positions: dict[str, tuple[int, int]] = {}
    if node is not None:
        _map_positions(node, "", positions)
    try:
        return clean_definition(data if data is not None else {})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        lines: list[str] = []
        for path, messages in exc.message_dict.items():
            line, column = _position(positions, path)
            where = f"{filename}:{line}:{column}"
            errors[path] = f"{where}: {messages[0]}"
            lines.append(f"{where}: {path}: {messages[0]}")
        lines.sort(key=_line_order)
        raise DefinitionError(errors, lines) from None


def error_lines(exc: ValidationError, filename: str = "<input>") -> list[str]:
    """Every problem as one line, for the command line (located when parse_yaml raised it)."""
    if isinstance(exc, DefinitionError):
        return exc.lines
    return [f"{filename}: {path}: {message}" for path, messages in exc.message_dict.items() for message in messages]


def _line_order(line: str) -> tuple[int, int]:
    parts = line.split(":")
    try:
        return int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return 0, 0


def _map_positions(node: yaml.Node, path: str, positions: dict[str, tuple[int, int]]) -> None:
    positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = _join(path, str(key_node.value))
            # The key's own position: a nested block starts on the line after its key.
            positions.setdefault(child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            _map_positions(value_node, child, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_positions(item, f"{path}[{index}]", positions)


def _position(positions: Mapping[str, tuple[int, int]], path: str) -> tuple[int, int]:
    """Where a path is, or its nearest ancestor that the document has (a missing key: its parent)."""
    while path:
        if path in positions:
            return positions[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return positions.get("", (1, 1))


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
    return str(kind)


def step_kind(step: Mapping[str, Any]) -> str:
    return str(next(iter(step)))
