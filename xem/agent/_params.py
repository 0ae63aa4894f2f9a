"""Tool parameters: declared types, their JSON Schema, and argv built from validated values.

A tool's ``argv`` is a list of fixed elements in which ``{name}`` placeholders are replaced; a
value always lands inside the element that names it, so no value can add an argument. An element
may be a group (a list, e.g. ``["-n", "{count}"]``) that is left out whole when an optional
parameter it names is not given. Nothing
is ever run through a shell, so ``; rm`` or ``$(...)`` stay inert text. A string value may not
start with ``-`` (it could be read as an option) unless the parameter allows it; a ``path`` is
resolved inside the workspace root (symlinks included) or refused.
"""

from __future__ import annotations

import os
import re
import string
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field

from xem.domain.schemas import validate_arguments
from xem.errors import ConfigError, ParameterRefused

__all__ = ["ParamSpec", "build_argv", "check_template", "input_schema"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,47}$")


class ParamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["string", "path", "integer", "number", "boolean", "enum"]
    description: str = Field("", max_length=500)
    required: bool = True
    default: str | int | float | bool | None = None
    pattern: str | None = None
    max_length: int = Field(1024, ge=1, le=65_536)
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    allow_leading_dash: bool = False
    secret: bool = False  # a password/token: marked writeOnly, so the bridge never keeps its value


def _schema_of(spec: ParamSpec) -> dict[str, Any]:
    if spec.type in ("string", "path"):
        schema: dict[str, Any] = {"type": "string", "maxLength": spec.max_length}
        if spec.pattern:
            schema["pattern"] = spec.pattern
        if spec.type == "path":
            schema["format"] = "path"  # the bridge and the agent check a workspace's path scope on these
    elif spec.type == "enum":
        schema = {"type": "string", "enum": list(spec.choices)}
    else:
        schema = {"type": spec.type}
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    if spec.secret:
        schema["writeOnly"] = True
    if spec.description:
        schema["description"] = spec.description
    if spec.default is not None:
        schema["default"] = spec.default
    return schema


def input_schema(params: dict[str, ParamSpec]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: _schema_of(spec) for name, spec in params.items()},
        "required": sorted(n for n, s in params.items() if s.required and s.default is None),
        "additionalProperties": False,
    }


def _placeholders(element: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(element) if field is not None]


Argv = list["str | list[str]"]


def _groups(argv: Argv) -> list[list[str]]:
    return [list(e) if isinstance(e, list) else [e] for e in argv]


def check_template(tool: str, argv: Argv, params: dict[str, ParamSpec]) -> None:
    """Raises ConfigError for an argv that names an undeclared parameter or whose program is a placeholder."""
    if not argv:
        raise ConfigError(f"tool {tool}: argv is empty")
    if not isinstance(argv[0], str) or _placeholders(argv[0]):
        raise ConfigError(f"tool {tool}: the program (argv[0]) must be fixed, not a parameter")
    for name in params:
        if not _NAME.match(name):
            raise ConfigError(f"tool {tool}: parameter name {name!r} must be letters, digits and _")
    for element in (e for group in _groups(argv) for e in group):
        try:
            names = _placeholders(element)
        except ValueError as exc:
            raise ConfigError(f"tool {tool}: argv element {element!r}: {exc}") from None
        for name in names:
            if name not in params:
                raise ConfigError(f"tool {tool}: argv names {{{name}}} but no such parameter is declared")


def _render(name: str, spec: ParamSpec, value: Any, root: Path) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if "\x00" in text:
        raise ParameterRefused(f"parameter {name}: NUL characters are not allowed")
    if spec.type == "path":
        base = Path(os.path.realpath(root))
        target = Path(os.path.realpath(base / text))
        if target != base and base not in target.parents:
            raise ParameterRefused(f"parameter {name}: path {text!r} leaves the workspace root")
        return str(target)
    if spec.type == "string" and text.startswith("-") and not spec.allow_leading_dash:
        raise ParameterRefused(f"parameter {name}: a value may not start with '-' (it would be read as an option)")
    return text


def build_argv(tool: str, argv: Argv, params: dict[str, ParamSpec], values: dict[str, Any], root: Path) -> list[str]:
    """The argv to execute for ``values``.

    Raises:
        ParameterRefused: values that do not match the declared schema, unsafe strings or paths outside ``root``.
    """
    try:
        validate_arguments(values, input_schema(params))  # one compiled validator per schema, not one per call
    except jsonschema.ValidationError as exc:
        raise ParameterRefused(f"tool {tool}: {exc.message}") from None
    rendered = {name: _render(name, spec, values.get(name, spec.default), root)
                for name, spec in params.items() if values.get(name, spec.default) is not None}
    out: list[str] = []
    for group in _groups(argv):
        if any(n not in rendered for element in group for n in _placeholders(element)):
            continue  # an optional parameter left out drops the element (or group) that names it
        out.extend(element.format_map(rendered) for element in group)
    return out
