"""Shared steps of the chat-template and sub-plan tests: the workspaces they run in (open: three available models
bound), in one place, and template documents."""

from __future__ import annotations

from typing import Any

import mcp_types

from tests.xem.support import open_workspace

__all__ = ["PromptNotices", "add_workspace", "template"]


async def add_workspace(bus: Any, name: str, project_id: str | None) -> None:
    """An open operational workspace of ``project_id`` (workspaces fail closed: three available models bound)."""
    await open_workspace(bus.xem, name)
    await bus.pool.execute("UPDATE xem.workspaces SET project_id = $2 WHERE name = $1", name, project_id)


def template(name: str, said: str, allowed: list[str], cadence: str = "per_policy", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": f"{said} template", "system_prompt": f"{said}: work in ${{workspace}}.",
            "allowed_tools": allowed, "approval_cadence": cadence, **extra}


class PromptNotices:
    """The prompts/list_changed notices a client received."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, message: Any) -> None:
        root = getattr(message, "root", message)
        if isinstance(root, mcp_types.PromptListChangedNotification):
            self.count += 1
