"""Identifiers: 4-digit tickets from 1001, tasks ``1001.01``, sub-tickets ``1001.1``, prefixed ids for the rest.

Blueprint §2.7: new tickets start at 1001 and increment; a ticket's tasks are ``<ticket>.NN``;
historical 3-digit tickets (``069``) are kept as they are (accepted only on import). Sub-tickets
made by ``evolve_ticket`` use the same dot notation without padding (``1001.1``, ``1001.1.2``), so
``1001.1`` names a ticket and ``1001.01`` a task. Other entities get ``<prefix>-<n>`` ids.
"""

from __future__ import annotations

import re

__all__ = [
    "FIRST_TICKET",
    "PREFIXES",
    "is_historical_ticket_id",
    "kind_of_id",
    "subticket_id",
    "task_id",
    "task_id_sql",
    "ticket_id",
]

FIRST_TICKET = 1001

PREFIXES = {
    "project": "proj",
    "sprint": "spr",
    "idea": "idea",
    "discussion_thread": "thr",
    "topic": "topic",
    "user": "user",
    "host": "host",
    "roster_binding": "bind",
    "evolution": "evo",
    "override": "ovr",
    "escalation": "esc",
    "decision": "dec",
}

_TICKET = r"(?:\d{3}|[1-9]\d{3,})(?:\.[1-9]\d*)*"
_TICKET_RE = re.compile(rf"^{_TICKET}$")
_TASK_RE = re.compile(rf"^{_TICKET}\.\d{{2,}}$")
_HISTORICAL_RE = re.compile(r"^\d{3}$")
_PREFIXED_RE = re.compile(r"^([a-z]+)-[1-9]\d*$")
_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}


def ticket_id(number: int) -> str:
    """The id of the ``number``-th new ticket (``1001`` and up)."""
    if number < FIRST_TICKET:
        raise ValueError(f"new tickets are numbered from {FIRST_TICKET}")
    return str(number)


def task_id(ticket: str, sequence: int) -> str:
    """``1001.01``: the ``sequence``-th task of ``ticket`` (two digits at least)."""
    if sequence < 1:
        raise ValueError("task sequences start at 1")
    return f"{ticket}.{sequence:02d}"


def task_id_sql(ticket: str, sequence: str) -> str:
    """The SQL expression of :func:`task_id` over the SQL expressions ``ticket`` and ``sequence``
    (for statements that number and insert a task at once)."""
    return f"{ticket} || '.' || lpad(({sequence})::text, greatest(2, length(({sequence})::text)), '0')"


def subticket_id(parent: str, index: int) -> str:
    """``1001.1``: the ``index``-th sub-ticket of ``parent``."""
    if index < 1:
        raise ValueError("sub-ticket indices start at 1")
    return f"{parent}.{index}"


def is_historical_ticket_id(value: str) -> bool:
    return bool(_HISTORICAL_RE.match(value))


def kind_of_id(value: str) -> str | None:
    """Which kind of object ``value`` names by its shape ("ticket", "task", "project", ...), or None.

    ``1001.10`` may be task 10 of 1001 or its 10th sub-ticket: such ids answer None (look both up).
    """
    ticket, task = bool(_TICKET_RE.match(value)), bool(_TASK_RE.match(value))
    if ticket or task:
        return None if ticket and task else "ticket" if ticket else "task"
    match = _PREFIXED_RE.match(value)
    return _BY_PREFIX.get(match.group(1)) if match else None
