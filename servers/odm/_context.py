"""What every ODM adapter module shares: the services of this process, the "given arguments" rule, and
argument types used by several tools."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.types import Ref
from odm.services import OdmServices
from servers.app import runtime_of

__all__ = ["Refs", "given", "services"]

Refs = Annotated[list[Ref], Field(max_length=100)]


def services(ctx: Context) -> OdmServices:
    odm: OdmServices = runtime_of(ctx).services
    return odm


def given(**values: Any) -> dict[str, Any]:
    """The arguments the caller actually passed (None means 'leave as it is')."""
    return {k: v for k, v in values.items() if v is not None}
