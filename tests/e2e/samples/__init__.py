"""Sample calls of every tool, per server, for the Inspector run (tests/e2e/test_inspector.py).

Each server module defines ``SAMPLES``: an ordered dict tool name -> ``Sample``. They run in order
against one server started with ``--toolsets all``, so a sample may use what an earlier one created:
a string argument ``"$ref:create_project.id"`` is replaced by that field of the earlier result's
structured content. Every tool a server lists must have a sample, and every sample a listed tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Sample"]


@dataclass(frozen=True)
class Sample:
    args: dict[str, Any] = field(default_factory=dict)
    expect: str = "ok"  # "ok", or the error code the call must fail with, e.g. "not_found"
