"""Config discovery: boot-time probes for candidate workspace bindings (git repositories, CLIs).

Candidates are only reported; an operator approves each before the agent binds it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from xem.agent._config import DiscoveryConfig
from xem.domain.manifest import Candidate

__all__ = ["discover"]


def _slug(prefix: str, text: str) -> str:
    return (prefix + re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-"))[:48]


def _git_repos(root: Path, depth: int) -> list[Path]:
    found: list[Path] = []
    if not root.is_dir():
        return found
    if (root / ".git").exists():
        return [root]
    if depth == 0:
        return found
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())
    except OSError:
        return found
    for child in children:
        found.extend(_git_repos(child, depth - 1))
    return found


def discover(config: DiscoveryConfig, path: str | None = None) -> list[Candidate]:
    """Git repositories under the configured roots and configured CLIs found on PATH."""
    candidates: dict[str, Candidate] = {}
    for root in config.git_roots:
        for repo in _git_repos(root.expanduser().absolute(), config.git_max_depth):
            cid = _slug("git-", repo.name)
            candidates.setdefault(cid, Candidate(id=cid, kind="git", value=str(repo)))
    for cli in config.clis:
        found = shutil.which(cli, path=path if path is not None else os.environ.get("PATH"))
        if found:
            cid = _slug("cli-", cli)
            candidates.setdefault(cid, Candidate(id=cid, kind="cli", value=found))
    return sorted(candidates.values(), key=lambda c: c.id)
