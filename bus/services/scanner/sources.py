"""What a condition source is: it reads the conditions that need a human now, or says it could not.

A source owns one ``linked_type``. A scan creates a todo per condition and marks done (with the
source's reason) the open system todos of that type whose condition is gone, but only when the
source was read in full in that scan: an unreadable source (``Unavailable``, or ``FeedUnsupported``
for a feed the ODM does not offer yet) dismisses nothing. A source with two origins raises ``PartialRead``
when one of them could not be read: what it did read becomes todos, and only the todos of the unread
part are kept (never dismissed) until it can be read again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from bus.domain.scans import Condition
from bus.services._work import BusServices
from servers.kernel.odm_client import OdmSession

__all__ = ["PartialRead", "ScanInputs", "Source"]


class PartialRead(Exception):
    """Part of a source was read (``conditions``), part not (``reason``); ``unread(linked_id)`` is true for
    the objects of the part that was not, whose todos must stay."""

    def __init__(self, conditions: list[Condition], reason: str, unread: Callable[[str], bool]) -> None:
        super().__init__(reason)
        self.conditions = conditions
        self.reason = reason
        self.unread = unread


class ScanInputs(Protocol):
    """What a source may use during one scan: the Bus services, and the ODM API (connected once)."""

    services: BusServices

    async def odm(self) -> OdmSession:
        """The scan's ODM session. Raises: Unavailable when the ODM cannot be reached."""
        ...


class Source(Protocol):
    name: str
    linked_type: str

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        """All current conditions. Raises: Unavailable (or FeedUnsupported)."""
        ...

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        """Why each condition cleared, for the todo's annotation (best effort; never raises)."""
        ...
