"""The attention-queue scanner (spec 4.14): pluggable condition sources, one leader per cycle.

``scan_once(services)`` is the use case (the ``scan_now`` tool and the periodic ``run`` loop call it);
``Scanner`` is one process's scan state (sources, lease holder, last report); ``default_sources`` are
the Bus-local ones and the ODM ones (read through the ODM server's API at scan time).
"""

from __future__ import annotations

from bus.services.scanner.local import AgentErrorSource, AlertSource
from bus.services.scanner.odm import odm_sources
from bus.services.scanner.scanner import SCAN_LEASE, Scanner, run, scan_once
from bus.services.scanner.sources import ScanInputs, Source
from bus.settings import BusSettings

__all__ = ["SCAN_LEASE", "ScanInputs", "Scanner", "Source", "default_sources", "run", "scan_once"]


def default_sources(settings: BusSettings) -> list[Source]:
    """Bus-local sources and the ODM ones (which read the ODM server's API at scan time)."""
    return [
        AlertSource(),
        AgentErrorSource(),
        *odm_sources(stale_task_after_s=settings.stale_task_after_s, budget_warn_ratio=settings.budget_warn_ratio),
    ]
