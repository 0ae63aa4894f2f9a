"""What a condition source is: it reads the conditions that need a human now, or says it could not.

A source owns one ``linked_type``. A scan creates a todo per condition and marks done (with the
source's reason) the open system todos of that type whose condition is gone, but only when the
source was read in full in that scan: an unreadable source dismisses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = ["Condition", "ScanInputs", "Source", "SourceUnavailable", "SourceUnsupported"]


@dataclass(frozen=True)
class Condition:
    linked_type: str
    linked_id: str
    title: str
    priority: str  # critical | high | medium | low
    description: str | None = None
    environment: str | None = None
    linked_url: str | None = None
    since: datetime | None = None  # when this occurrence began: a todo closed after it is not re-created


class SourceUnavailable(Exception):
    """The source could not be read completely in this scan (peer down, timeout, bad answer)."""


class SourceUnsupported(SourceUnavailable):
    """The peer does not offer this source yet (e.g. an ODM without odm://feeds/escalations)."""


class ScanInputs(Protocol):
    """What a source may use during one scan: the bus database, and the ODM API (connected once)."""

    db: Any

    async def odm(self) -> Any:
        """The scan's OdmSession. Raises: SourceUnavailable when the ODM cannot be reached."""
        ...


class Source(Protocol):
    name: str
    linked_type: str

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        """All current conditions. Raises: SourceUnavailable (or SourceUnsupported)."""
        ...

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        """Why each condition cleared, for the todo's annotation (best effort; never raises)."""
        ...
