"""The XEM composition root: the services on the bus database for xem-mcp, the router and xeroctl."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from xem.services import XemServices

__all__ = ["open_services"]


@asynccontextmanager
async def open_services(pool: asyncpg.Pool) -> AsyncIterator[XemServices]:
    """The XEM services on ``pool`` (schema ``xem`` of the bus database), for as long as the block runs."""
    yield XemServices(pool)
