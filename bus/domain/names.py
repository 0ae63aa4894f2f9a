"""The shapes of identifiers the Bus accepts (agent ids, lease names, topics, hosts), as pydantic types.

The patterns are checked by validators rather than advertised as JSON-schema ``pattern``s: agents pay
for every byte of tools/list, and a validator's message says in words what is allowed. Each type is a
plain ``Annotated`` alias (so type checkers read it as ``str``); adapters build their own lengths the
same way: ``Annotated[str, StringConstraints(max_length=64), NotBlank]``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = ["AGENT_ID_PATTERN", "AgentId", "HostId", "LeaseName", "NotBlank", "Role", "Topic", "matching"]

AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


def matching(pattern: str, words: str) -> AfterValidator:
    """A validator: the str must match ``pattern``; ``words`` says what that means."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {words}")
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


NotBlank = AfterValidator(_not_blank)  # a str that is not only white space

# agent ids are the ODM agent id by convention (3 digits for ODM agents, e.g. "002")
AgentId = Annotated[
    str, StringConstraints(max_length=64), matching(AGENT_ID_PATTERN, "letters, digits, _ . @ - (starting with a letter or digit)")
]
Role = Annotated[
    str, StringConstraints(max_length=32), matching(r"^[a-z][a-z0-9_-]{0,31}$", "lower-case letters, digits, _ - (starting with a letter)")
]
HostId = Annotated[
    str, StringConstraints(max_length=64),
    matching(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", "letters, digits, _ . - (starting with a letter or digit)"),
]
LeaseName = Annotated[
    str, StringConstraints(max_length=128), matching(r"^[a-z0-9][a-z0-9_.:-]{0,127}$", "lower-case letters, digits, _ . : -")
]
Topic = Annotated[
    str, StringConstraints(max_length=128),
    matching(r"^[a-z0-9][a-z0-9_.-]{0,127}$", "lower-case letters, digits, _ . - (e.g. deploy.finished)"),
]
