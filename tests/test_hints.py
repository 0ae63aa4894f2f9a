"""Every hint a server gives names something the caller can use: a tool mentioned in any message of a server
is in that server's default toolset, or the same message says which ``--toolsets`` brings it.

The messages are the string literals of each server's code (its package and its MCP adapters), so a hint
added later is checked too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from servers import bus, odm, xem

ROOT = Path(__file__).resolve().parents[1]
SPECS = {"bus": bus.SPEC, "odm": odm.SPEC, "xem": xem.SPEC}
ALL_TOOLS = {name for spec in SPECS.values() for name in spec.tools.names()} | {"health"}
# snake_case tool names are unambiguous in prose; a one-word name counts when written as a call: search(...)
_MENTION = re.compile(r"\b([a-z]+(?:_[a-z]+)+|[a-z]+(?=\())\b")


def _literals(server: str) -> list[tuple[str, int, str]]:
    found = []
    for base in (ROOT / server, ROOT / "servers" / server):
        for path in base.rglob("*.py"):
            tree = ast.parse(path.read_text())
            docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                          if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
                          and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                    text = node.value
                else:
                    continue
                if " " in text:  # a message, not an identifier or a SQL fragment
                    found.append((str(path.relative_to(ROOT)), node.lineno, text))
    return found


@pytest.mark.parametrize("server", sorted(SPECS))
def test_every_tool_a_message_names_is_in_the_default_toolset_or_the_message_says_which_toolset(server):
    default = set(SPECS[server].tools.names(frozenset({"default"}))) | {"health"}
    others = {name: other for other, spec in SPECS.items() if other != server for name in spec.tools.names(frozenset({"default"}))}
    toolset_help = set(SPECS[server].tools.toolsets.values())  # the descriptions --help prints for --toolsets
    wrong = []
    for where, line, text in _literals(server):
        if text.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "WITH", "DELETE", "CREATE")) or text in toolset_help:
            continue
        for name in set(_MENTION.findall(text)) & ALL_TOOLS:
            elsewhere = others.get(name)  # another server's tool, named with that server ("the ODM's next_task")
            if elsewhere and elsewhere.upper() in text.upper():
                continue
            if name not in default and "--toolsets" not in text:
                wrong.append(f"{where}:{line}: {name!r} in {text[:100]!r}")
    assert wrong == []
