"""The capability manifest an agent publishes: workspaces and tools, hashed canonically."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RISKS", "Candidate", "Manifest", "ToolSpec", "WorkspaceSpec", "canonical_json", "manifest_hash"]

Risk = Literal["read", "write", "destructive", "irreversible"]
RISKS: tuple[str, ...] = ("read", "write", "destructive", "irreversible")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$"


class WorkspaceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["configured", "git", "cli"] = "configured"
    root: str = Field(max_length=4096, description="absolute directory the workspace's tools run in")


class ToolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    workspace: str = Field(pattern=NAME_PATTERN)
    description: str = Field(max_length=2000)
    input_schema: dict[str, Any] = Field(description="JSON Schema of the tool's parameters")
    risk: Risk
    timeout_s: float = Field(gt=0, le=86_400)

    @property
    def mutating(self) -> bool:
        return self.risk != "read"


class Candidate(BaseModel):
    """A workspace binding found by config discovery; bound only once an operator approves it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=NAME_PATTERN, description="stable name, e.g. git-myrepo or cli-docker")
    kind: Literal["git", "cli"]
    value: str = Field(max_length=4096, description="repository root or CLI path")


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    manifest_version: int = Field(ge=1)
    workspaces: tuple[WorkspaceSpec, ...] = ()
    tools: tuple[ToolSpec, ...] = ()

    def declared(self) -> dict[str, Any]:
        """The declared capability (everything but the version): what the hash and the version track."""
        return self.model_dump(mode="json", exclude={"manifest_version"})

    def tool(self, workspace: str, name: str) -> ToolSpec | None:
        return next((t for t in self.tools if t.workspace == workspace and t.name == name), None)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def manifest_hash(manifest: Manifest) -> str:
    """``sha256:<hex>`` of the canonical JSON of the declared workspaces and tools."""
    return "sha256:" + hashlib.sha256(canonical_json(manifest.declared()).encode()).hexdigest()
