"""SQL migrations and schema snapshots shipped with the suite (package data)."""

from importlib.resources import files
from pathlib import Path

__all__ = ["resource_path"]


def resource_path(*parts: str) -> Path:
    """Filesystem path of a shipped resource, e.g. ``resource_path("bus", "migrations")``."""
    return Path(str(files(__name__).joinpath(*parts)))
