"""Definitions a team writes (scorecards, playbooks, journey templates, conditions): one way to read
them, check them field by field, and say where each problem is.

A definition arrives as YAML text (an editor, a file on the command line) or as already-parsed data
(a JSON request body, a stored version). Either way its cleaner walks the data with a `Checker`,
which collects every problem under the path of the field it concerns ("steps[2].task.assignee",
"groups[0].measures[1].kind") and says it in the same words whichever definition it is:

    is required                       must be a text            must be at most 200 characters
    must be an object                 unknown key (did you mean 'days'?)
    must be one of a, b, c (got 'x')  must be a number          must be a whole number
    must be from 0 to 100             must be greater than 0    must be true or false
    must be a non-empty list          appears twice (first on line 3)

`load` reads YAML and records where each path is (the line and column of its key: a nested block
starts on the line after its key, and the key is what a person looks for). A key given twice in one
mapping is refused at the second one: YAML itself would silently keep the last. A syntax error is
a problem at the mark the parser gives. A problem whose path the text lacks (a required key that
is missing) is placed at its nearest ancestor that is there.

`DefinitionError` carries the problems, sorted by where they are, and reads as Django's
ValidationError ({path: [message]}) for forms and the API, or as lines for a command line:
"scorecard.yaml:14:9: groups[0].measures[2].kind: 'active_user' is not a measure kind".
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml
from django.core.exceptions import ValidationError

# The ValidationError key of a problem with the whole definition (no path).
WHOLE = "definition"
_MISSING: Any = object()


# Paths -------------------------------------------------------------------------------------------


def join(path: str, key: str | int) -> str:
    """`steps` + 2 → `steps[2]`; `steps[2]` + `task` → `steps[2].task`; "" + `key` → `key`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.startswith("["):
        return f"{path}{key}"
    return f"{path}.{key}" if path else key


def parent(path: str) -> str:
    """`groups[0].measures[2]` → `groups[0].measures` → `groups[0]` → `groups` → ``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def show(value: object) -> str:
    """A value inside a message: 'text', 42, true, nothing."""
    if value is None or value is _MISSING:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def suggest(word: object, choices: Iterable[str]) -> str | None:
    """The choice the word was probably meant to be: one it begins, or one that looks like it."""
    options = list(choices)
    text = str(word)
    starts = [choice for choice in options if choice.startswith(text)] if text else []
    close = starts or difflib.get_close_matches(text, options, n=1)
    return close[0] if close else None


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' or ''."""
    close = suggest(word, choices)
    return f" (did you mean {close!r}?)" if close else ""


# Problems ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def where(self, source: str) -> str:
        if self.line is None:
            return source
        return f"{source}:{self.line}:{self.column or 1}"

    def format(self, source: str = "<input>") -> str:
        """`source:line:column: path: message` (the parts that are known)."""
        where = self.where(source)
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def _order(problem: Problem) -> tuple[int, int]:
    return problem.line or 0, problem.column or 0


class DefinitionError(ValidationError):
    """Every problem of a definition. As a ValidationError: {path: ["source:line:column: message"]}
    (the location only when the text was YAML; the whole definition's problems under "definition")."""

    def __init__(self, problems: Iterable[Problem], source: str = "<input>") -> None:
        self.problems = sorted(problems, key=_order)
        self.source = source
        errors: dict[str, list[str]] = {}
        for problem in self.problems:
            text = f"{problem.where(source)}: {problem.message}" if problem.line is not None else problem.message
            errors.setdefault(problem.path or WHOLE, []).append(text)
        super().__init__(errors)

    @property
    def lines(self) -> list[str]:
        """One line per problem, for a command line or an editor: `source:line:column: path: message`."""
        return [problem.format(self.source) for problem in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines)


# Reading YAML ------------------------------------------------------------------------------------


@dataclass
class Document:
    """YAML text read into data, with where each path is and the keys it gives twice."""

    data: Any
    positions: dict[str, tuple[int, int]]
    problems: list[Problem]
    source: str = "<input>"

    def locate(self, path: str) -> tuple[int, int] | None:
        """Where a path is, or its nearest ancestor that the text has."""
        probe = path
        while probe not in self.positions:
            if not probe:
                return None
            probe = parent(probe)
        return self.positions[probe]

    def place(self, problem: Problem) -> Problem:
        if problem.line is not None:
            return problem
        found = self.locate(problem.path)
        return replace(problem, line=found[0], column=found[1]) if found else problem

    def error(self, problems: Iterable[Problem]) -> DefinitionError:
        """A DefinitionError with each problem placed in this document."""
        return DefinitionError([self.place(problem) for problem in problems], self.source)


def load(text: str, *, source: str = "<input>", root: str = "") -> Document:
    """Read one YAML document. A syntax error raises DefinitionError at its line and column; keys
    given twice are in the document's `problems` (raise them with the cleaner's). `root` names the
    path of the document itself, for a definition whose fields are one part of a bigger one."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise DefinitionError([Problem(root, f"not valid YAML: {problem}", *where)], source) from None
    positions: dict[str, tuple[int, int]] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, root, positions, problems, set())
    return Document(data, positions, problems, source)


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(
    node: yaml.Node, path: str, positions: dict[str, tuple[int, int]], problems: list[Problem], seen: set[int]
) -> None:
    # An alias is the node it names: walk each node once, so a document of aliases stays linear.
    if id(node) in seen:
        return
    seen.add(id(node))
    positions.setdefault(path, _position(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = join(path, key)
            if key in first:
                line = first[key][0]
                problems.append(Problem(child, f"appears twice (first on line {line})", *_position(key_node)))
                continue
            first[key] = _position(key_node)
            positions.setdefault(child, first[key])
            _walk(value_node, child, positions, problems, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, join(path, index), positions, problems, seen)


# Checking fields ---------------------------------------------------------------------------------


class Checker:
    """Collects problems by path while a cleaner walks a definition (the first problem at a path
    wins: later ones there are usually its consequences), with the field readers all definitions use."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._paths: set[str] = set()

    def error(self, path: str, message: str) -> None:
        if path not in self._paths:
            self._paths.add(path)
            self.problems.append(Problem(path, message))

    def extend(self, path: str, problems: Iterable[tuple[str, str]]) -> None:
        """Problems another checker found, at paths relative to `path`."""
        for sub, message in problems:
            self.error(join(path, sub) if sub else path, message)

    def failed(self, path: str | None = None) -> bool:
        """Whether there is any problem (at or under `path`, if given)."""
        if path is None:
            return bool(self.problems)
        return any(p == path or p.startswith((f"{path}.", f"{path}[")) for p in self._paths)

    def raise_if_any(self, source: str = "<input>", document: Document | None = None) -> None:
        found = [*(document.problems if document is not None else ()), *self.problems]
        if found:
            raise document.error(found) if document is not None else DefinitionError(found, source)

    # Shapes

    def mapping(self, value: object, path: str, keys: Collection[str]) -> dict[str, Any] | None:
        """The object, with each key it should not have named; None (and a problem) if it is none."""
        if not isinstance(value, Mapping):
            shown = f" with keys {', '.join(keys)}" if len(keys) <= 4 else ""
            self.error(path, f"must be an object{shown}")
            return None
        for key in value:
            if not isinstance(key, str) or key not in keys:
                self.unknown(join(path, str(key)), key, keys)
        return dict(value)

    def unknown(self, path: str, key: object, keys: Collection[str], *, what: str = "key") -> None:
        close = suggest(key, keys)
        hint = f"did you mean {close!r}?" if close else f"known: {', '.join(keys)}"
        self.error(path, f"unknown {what} ({hint})")

    def items(self, value: object, path: str, *, of: str = "") -> list[Any]:
        """A non-empty list ([] and a problem otherwise)."""
        if not isinstance(value, list) or not value:
            self.error(path, "must be a non-empty list" + (f" of {of}" if of else ""))
            return []
        return value

    # Values

    def text(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 200
    ) -> str | None:
        """The text as given; None when it is not there (a problem if required) or is wrong."""
        where = join(path, key)
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(where, "is required")
                return None
            return value if isinstance(value, str) else None
        if not isinstance(value, str):
            self.error(where, "must be a text")
            return None
        if len(value) > limit:
            self.error(where, f"must be at most {limit} characters")
            return None
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        default: Any = _MISSING,
        low: float | None = None,
        high: float | None = None,
        positive: bool = False,
        whole: bool = False,
        unit: str = "",
    ) -> Any:
        """The number, or the default when it is not given; None (and a problem) when it is wrong."""
        where = join(path, key)
        value = data.get(key)
        if value is None:
            if default is _MISSING:
                self.error(where, "is required")
                return None
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.error(where, "must be a whole number" if whole else "must be a number")
            return None
        if whole and not isinstance(value, int):
            self.error(where, "must be a whole number")
            return None
        if positive and value <= 0:
            self.error(where, "must be greater than 0")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                bounds = f"from {low:g} to {high:g}"
            else:
                bounds = f"at least {low:g}" if low is not None else f"at most {high:g}"
            self.error(where, f"must be {bounds}" + (f" {unit}" if unit else ""))
            return None
        return value

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        options: Sequence[str],
        *,
        default: str | None = None,
        required: bool = False,
    ) -> str | None:
        """One of the options, or the default when not given (a problem if required)."""
        where = join(path, key)
        value = data.get(key)
        if value is None:
            if required and default is None:
                self.error(where, f"is required: one of {', '.join(options)}")
            return default
        if not isinstance(value, str) or value not in options:
            self.error(where, one_of(value, options))
            return None
        return value

    def choices(self, data: Mapping[str, Any], key: str, path: str, options: Sequence[str]) -> list[str]:
        """A value or a list of values, each one of the options: sorted and without repeats."""
        value = data.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        where = join(path, key)
        if not items:
            self.error(where, "must be a non-empty list")
        for index, item in enumerate(items):
            if not isinstance(item, str) or item not in options:
                self.error(join(where, index), one_of(item, options))
                return []
        return sorted(set(items))

    def boolean(self, data: Mapping[str, Any], key: str, path: str, *, default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(join(path, key), "must be true or false")
            return default
        return value


def one_of(value: object, options: Sequence[str]) -> str:
    """'must be one of a, b, c (got 'x'; did you mean 'a'?)'."""
    close = suggest(value, options) if isinstance(value, str) else None
    hint = f"; did you mean {close!r}?" if close else ""
    return f"must be one of {', '.join(options)} (got {show(value)}{hint})"


__all__: Sequence[str] = [
    "WHOLE",
    "Checker",
    "DefinitionError",
    "Document",
    "Problem",
    "did_you_mean",
    "join",
    "load",
    "one_of",
    "parent",
    "show",
    "suggest",
]
