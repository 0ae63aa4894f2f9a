"""The service context: pool + settings + primary user, one transaction per use case, shared lookups."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from odm.domain.numbering import kind_of_id
from odm.errors import NotFound
from odm.settings import OdmSettings
from odm.store import OdmStores
from servers.kernel import uow as kernel_uow

__all__ = ["OdmServices", "Work", "dec", "dumps", "jsonish", "need", "read_only", "single_statement", "transactional"]

# where a caller of the default toolset finds ids of a kind (tools of other toolsets say which)
_LISTING = {"task": "odm://tickets/{ticket_id} for a ticket's tasks", "ticket": "list_tickets (--toolsets planning)",
            "project": "list_projects (--toolsets planning)", "escalation": "odm://escalations?status=open"}
_JSON_COLUMNS = ("spec_snapshot", "details", "override_params")


@dataclass
class OdmServices:
    """What every use case runs with; ``runtime.services`` of odm-mcp."""

    pool: asyncpg.Pool
    settings: OdmSettings
    primary_user_id: str
    known_partitions: set[datetime] = field(default_factory=set)  # activity months known to have a partition


class Work(OdmStores, kernel_uow.Work[OdmServices]):
    """The stores of one transaction plus the services it runs under."""

    def __init__(self, conn: asyncpg.Connection, services: OdmServices) -> None:
        OdmStores.__init__(self, conn)
        self.services = services

    def actor(self, given: str | None) -> str:
        """Who acts: the caller if it said, else the configured primary user."""
        return given or self.services.primary_user_id


_uow = kernel_uow.UnitOfWork(Work, conflict="the work graph changed concurrently; call again")
transactional = _uow.transaction  # one transaction per use case
single_statement = _uow.statement  # a use case whose writes are one statement: no BEGIN/COMMIT
read_only = _uow.read  # a read-only snapshot


def need(row: asyncpg.Record | None, kind: str, key: str) -> asyncpg.Record:
    """``row`` or NotFound naming what ``key`` looks like if it is the wrong kind of id."""
    if row is not None:
        return row
    looks = kind_of_id(key)
    hint = f"; {key} looks like a {looks.replace('_', ' ')} id" if looks not in (None, kind) else ""
    then = f" (find ids with search, or {_LISTING[kind]})" if kind in _LISTING else ""
    raise NotFound(f"no {kind.replace('_', ' ')} {key}{hint}{then}")


def dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def jsonish(row: asyncpg.Record) -> dict[str, Any]:
    """The row as a dict with its jsonb columns decoded."""
    data = dict(row)
    for column in _JSON_COLUMNS:
        if isinstance(data.get(column), str):
            data[column] = json.loads(data[column])
    return data


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)

