"""The shapes of identifiers the Bus accepts (agent ids, lease names, topics, hosts), as pydantic types.

The patterns are checked by validators rather than advertised as JSON-schema ``pattern``s: agents pay
for every byte of tools/list, and a validator's message says in words what is allowed.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = ["AGENT_ID_PATTERN", "AgentId", "HostId", "LeaseName", "Role", "Topic", "Words", "shaped"]

AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


def shaped(pattern: str, words: str, max_length: int):
    """A str type of at most ``max_length`` characters matching ``pattern``; ``words`` says what that means."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {words}")
        return value

    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(check)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def Words(max_length: int):
    """A non-blank str of at most ``max_length`` characters (checked, not advertised: see the module doc)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_not_blank)]


# agent ids are the ODM agent id by convention (3 digits for ODM agents, e.g. "002")
AgentId = shaped(AGENT_ID_PATTERN, "letters, digits, _ . @ - (starting with a letter or digit)", 64)
Role = shaped(r"^[a-z][a-z0-9_-]{0,31}$", "lower-case letters, digits, _ - (starting with a letter)", 32)
HostId = shaped(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", "letters, digits, _ . - (starting with a letter or digit)", 64)
LeaseName = shaped(r"^[a-z0-9][a-z0-9_.:-]{0,127}$", "lower-case letters, digits, _ . : -", 128)
Topic = shaped(r"^[a-z0-9][a-z0-9_.-]{0,127}$", "lower-case letters, digits, _ . - (e.g. deploy.finished)", 128)
