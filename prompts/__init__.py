"""MCP prompt templates as files: YAML-like front matter and a markdown body."""

from importlib.resources import files
from pathlib import Path

__all__ = ["prompt_path"]


def prompt_path(name: str) -> Path:
    """Filesystem path of a shipped prompt template, e.g. ``prompt_path("plan_ticket.md")``."""
    return Path(str(files(__name__).joinpath(name)))
