"""The layers of ARCHITECTURE.md, checked on the source: who may import whom, and where SQL may live.

Every module of the product is parsed (no import runs); a violation names the module, the import and the
rule it breaks, so the fix is obvious.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bus", "odm", "xem", "servers")
SUBSYSTEMS = ("bus", "odm", "xem")
SUITE = (*PACKAGES, "resources", "prompts", "tests", "bench")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import of a suite module in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import (the suite uses absolute imports)"
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names if n.split(".")[0] in SUITE]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] in SUITE]
    return found


def _within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def allowed(importer: str, imported: str) -> str | None:
    """None if ``importer`` may import ``imported``, else the rule it breaks."""
    top = importer.split(".")[0]
    if _within(imported, "servers.kernel") or imported in SUITE:
        return None  # the shared kernel is for everyone; a bare package name is checked by the names imported from it
    if top in SUBSYSTEMS:
        s = top
        if imported.split(".")[0] in SUITE and not _within(imported, s):
            return f"{s} imports only itself and servers.kernel (no other package, no servers/ room)"
        layer = importer.split(".")[1] if importer.count(".") else ""
        rules = {
            "domain": (f"{s}.domain", f"{s}.errors"),
            "store": (f"{s}.domain", f"{s}.store", f"{s}.errors"),
            # xem.keyfiles: the CURVE key pairs and join-key secret on disk, read by the processes that own them
            "services": (f"{s}.domain", f"{s}.store", f"{s}.services", f"{s}.errors", f"{s}.settings", f"{s}.keyfiles"),
            "agent": (f"{s}.domain", f"{s}.agent", f"{s}.errors", f"{s}.settings", f"{s}.keyfiles"),
            "router": (f"{s}.domain", f"{s}.services", f"{s}.router", f"{s}.errors", f"{s}.settings", f"{s}.bootstrap",
                       f"{s}.keyfiles"),
            "errors": (f"{s}.errors",),
            "settings": (f"{s}.settings", f"{s}.domain"),
        }
        if layer in rules and not _within(imported, *rules[layer]):
            return f"{s}.{layer} may import only {', '.join(rules[layer])} (domain -> store -> services)"
        return None
    if _within(importer, "servers.runtime"):
        ok = _within(imported, "servers.runtime", "resources")
        return None if ok else "servers.runtime imports no adapter and no package (only servers.kernel, resources)"
    if _within(importer, "servers.app"):
        ok = _within(imported, "servers.app", "servers.runtime", "prompts")
        return None if ok else "servers.app is shared MCP plumbing: no adapter, no package"
    for s in SUBSYSTEMS:
        if _within(importer, f"servers.{s}"):
            if _within(imported, f"{s}.store"):
                return f"servers.{s} (MCP adapters) reaches {s} through its services, never its store"
            if _within(imported, "servers.cli") or any(_within(imported, f"servers.{o}") for o in SUBSYSTEMS if o != s):
                return f"servers.{s} imports no other server and no CLI"
            if imported.split(".")[0] in SUBSYSTEMS and not _within(imported, s):
                return f"servers.{s} serves {s} only"
            return None
    if _within(importer, "servers.cli"):
        if any(_within(imported, f"{s}.store") for s in SUBSYSTEMS):
            return "servers.cli (xeroctl, entry points) calls services, never a store"
        return None
    return None


def _violations() -> list[str]:
    out = []
    for name, path in sorted(_modules().items()):
        for line, imported in _imports(path):
            rule = allowed(name, imported)
            if rule:
                out.append(f"{path.relative_to(ROOT)}:{line}: {name} imports {imported}: {rule}")
    return out


def test_every_import_follows_the_layers():
    assert _violations() == []


@pytest.mark.parametrize(
    "importer, imported",
    [
        ("odm.domain.tasks", "odm.store.tasks"),
        ("bus.store.agents", "bus.services.agents"),
        ("xem.services.invocations", "bus.store.agents"),
        ("odm.services.tasks", "servers.app"),
        ("servers.xem", "xem.store"),
        ("servers.cli.xeroctl.agents", "xem.store"),
        ("servers.runtime.database", "servers.bus"),
        ("servers.app.server", "odm.services"),
        ("xem.agent.runner", "xem.services"),
        ("servers.bus.messages", "servers.odm"),
    ],
)
def test_the_layer_rule_refuses_an_import_against_the_direction(importer, imported):
    assert allowed(importer, imported) is not None


_SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|pg_notify|pg_advisory)\b")
_DB_CALLS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_records_to_table", "acquire"}


def _service_modules() -> list[Path]:
    return [p for s in SUBSYSTEMS for p in (ROOT / s / "services").rglob("*.py") if "__pycache__" not in p.parts]


def test_services_hold_no_sql_and_open_no_connections():
    """SQL lives in stores; services reach the database only through ``work`` (the unit of work)."""
    found = []
    for path in _service_modules():
        if path.name == "_work.py":  # the package's unit of work: where connections are acquired
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: SQL text")
            if isinstance(node, ast.Attribute) and node.attr in _DB_CALLS and isinstance(node.ctx, ast.Load):
                base = ast.unparse(node.value)
                if base.split(".")[-1] in ("conn", "pool", "connection"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {base}.{node.attr}")
    assert found == []


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _modules().values() if (n := len(p.read_text().splitlines())) > 400]
    assert long == []
