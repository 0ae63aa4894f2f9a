"""The agent's TOML configuration (``xem-agent --config FILE``), validated as a whole at start."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from xem.agent._params import ParamSpec, check_template
from xem.domain.manifest import NAME_PATTERN, Risk
from xem.errors import ConfigError

__all__ = ["AgentConfig", "DiscoveryConfig", "ToolConfig", "WorkspaceConfig", "load_config"]


class WorkspaceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    root: Path


class ToolConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    workspace: str = Field(pattern=NAME_PATTERN)
    description: str = Field(max_length=2000)
    risk: Risk
    timeout_s: float = Field(60, gt=0, le=86_400)
    argv: list[str | list[str]] = Field(min_length=1, description='program and arguments; a list groups elements dropped together')
    params: dict[str, ParamSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _template(self) -> ToolConfig:
        check_template(self.name, self.argv, self.params)
        return self


class DiscoveryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    git_roots: list[Path] = Field(default_factory=list, description="directories searched for git repositories")
    git_max_depth: int = Field(2, ge=0, le=6)
    clis: list[str] = Field(default_factory=list, description="program names looked up on PATH")


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="registration_name")
    router: str = Field(pattern=r"^(tcp|ipc)://", description="router endpoint, e.g. tcp://127.0.0.1:8750")
    router_public_key: str = Field(min_length=40, max_length=40, description="router CURVE public key (Z85)")
    state_dir: Path
    join_key: str | None = None
    join_key_file: Path | None = None
    max_output_bytes: int = Field(65_536, ge=1024, le=512 * 1024, description='must fit in one frame')
    progress_interval_ms: int = Field(250, ge=10)
    workspaces: list[WorkspaceConfig] = Field(default_factory=list)
    tools: list[ToolConfig] = Field(default_factory=list)
    discovery: DiscoveryConfig = Field(default_factory=DiscoveryConfig)

    @field_validator("state_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @model_validator(mode="after")
    def _consistent(self) -> AgentConfig:
        names = [w.name for w in self.workspaces]
        if len(set(names)) != len(names):
            raise ValueError("workspace names must be unique")
        seen = set()
        for tool in self.tools:
            if (tool.workspace, tool.name) in seen:
                raise ValueError(f"tool {tool.workspace}/{tool.name} is declared twice")
            seen.add((tool.workspace, tool.name))
        return self

    def join_key_text(self) -> str | None:
        if self.join_key:
            return self.join_key.strip()
        if self.join_key_file is not None:
            try:
                return self.join_key_file.expanduser().read_text().strip() or None
            except OSError as exc:
                raise ConfigError(f"cannot read join_key_file {self.join_key_file}: {exc.strerror}") from None
        return None


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> AgentConfig:
    """Raises ConfigError naming the file and the first problem in it."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    data.update(overrides or {})
    try:
        return AgentConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "config"
        raise ConfigError(f"{path}: {where}: {err['msg'].removeprefix('Value error, ')}") from None
