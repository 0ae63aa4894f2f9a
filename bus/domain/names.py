"""The shapes of identifiers the Bus accepts (agent ids, lease names, topics, hosts), as pydantic types."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

__all__ = ["AgentId", "HostId", "LeaseName", "Role", "Topic", "AGENT_ID_PATTERN"]

AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"

AgentId = Annotated[
    str,
    StringConstraints(pattern=AGENT_ID_PATTERN),
    Field(description="agent id: 1-64 of letters, digits, _ . @ - (ODM agents use their 3-digit id, e.g. 002)"),
]
Role = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$"),
    Field(description="role, lower case, e.g. orchestrator, coder, ops"),
]
HostId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
    Field(description="host id, e.g. hetzner-cpx62"),
]
LeaseName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,127}$"),
    Field(description="lease name, lower case, e.g. go (elects the system master orchestrator)"),
]
Topic = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,127}$"),
    Field(description="event topic, lower case with dots, e.g. deploy.finished"),
]
