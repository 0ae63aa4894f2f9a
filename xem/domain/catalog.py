"""The exec-tool catalog: one entry per (workspace, tool) that online agents serve, built from their manifests.

Two agents serving the same (workspace, tool) are one entry (both listed as its agents); the first agent by
name provides the description and schema. A name that cannot be formed, or that two different
(workspace, tool) pairs would share, is skipped (and reported, for the log).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from xem.domain.invocations import mcp_tool_name
from xem.domain.manifest import Manifest

__all__ = ["Catalog", "ExecTool", "build_catalog"]

log = logging.getLogger("xiopro.xem.catalog")


@dataclass(frozen=True)
class ExecTool:
    name: str  # <workspace>__<tool>
    workspace: str
    tool: str
    description: str
    risk: str
    input_schema: dict[str, Any]
    timeout_s: float
    agents: tuple[str, ...]

    @property
    def summary(self) -> str:
        line = self.description.strip().splitlines()[0] if self.description.strip() else self.tool
        return line[:160]


@dataclass(frozen=True)
class Catalog:
    tools: dict[str, ExecTool] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def find(self, workspace: str, tool: str) -> ExecTool | None:
        return next((t for t in self.tools.values() if t.workspace == workspace and t.tool == tool), None)

    def signature(self) -> tuple[Any, ...]:
        """Equal for two catalogs whose MCP listing is the same (the agents behind a tool do not matter)."""
        return tuple(sorted((t.name, t.description, t.risk, repr(sorted(t.input_schema.items()))) for t in self.tools.values()))


def build_catalog(agents: list[tuple[str, dict[str, Any]]]) -> Catalog:
    """The catalog of ``(agent name, manifest)`` pairs (online agents only; the caller filters)."""
    tools: dict[str, ExecTool] = {}
    skipped: list[str] = []
    for agent, raw in sorted(agents, key=lambda a: a[0]):
        try:
            manifest = Manifest.model_validate(raw)
        except ValidationError:
            skipped.append(f"agent {agent}: its stored manifest does not validate")
            continue
        for spec in manifest.tools:
            name = mcp_tool_name(spec.workspace, spec.name)
            if name is None:
                skipped.append(f"{spec.workspace}/{spec.name} (agent {agent}): the MCP name would be over 64 characters")
                continue
            known = tools.get(name)
            if known is None:
                tools[name] = ExecTool(name, spec.workspace, spec.name, spec.description, spec.risk, dict(spec.input_schema),
                                       spec.timeout_s, (agent,))
            elif (known.workspace, known.tool) != (spec.workspace, spec.name):
                skipped.append(f"{spec.workspace}/{spec.name} (agent {agent}): its MCP name {name} is taken by "
                               f"{known.workspace}/{known.tool}")
            elif agent not in known.agents:
                tools[name] = ExecTool(known.name, known.workspace, known.tool, known.description, known.risk,
                                       known.input_schema, known.timeout_s, (*known.agents, agent))
    return Catalog(tools, tuple(skipped))
