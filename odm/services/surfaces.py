"""Execution surface use cases (§4.9): register one (the same name and content returns it), read one."""

from __future__ import annotations

import asyncpg

from odm.domain.execution import SurfaceCreate
from odm.domain.execution_views import SurfaceOut
from odm.errors import Conflict
from odm.services._work import Work, transactional

__all__ = ["register_surface"]


@transactional
async def register_surface(w: Work, cmd: SurfaceCreate) -> SurfaceOut:
    """Register a surface by name; registering the same name again with the same content returns it.

    Raises: Conflict (the name holds a different surface).
    """
    values = cmd.model_dump()
    existing = await w.surfaces.by_name(cmd.name)
    if existing is None:
        try:
            existing = await w.surfaces.insert(**values)
        except asyncpg.UniqueViolationError:
            raise Conflict(f"name: surface {cmd.name} was just registered by another caller; call again") from None
    elif any(existing[k] != v for k, v in values.items()):
        differs = sorted(k for k, v in values.items() if existing[k] != v)
        raise Conflict(f"name: surface {cmd.name} is registered as {existing['id']} with different {', '.join(differs)}; "
                       "choose another name")
    return SurfaceOut.model_validate(dict(existing))
