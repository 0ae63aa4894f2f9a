"""Start-up time: ``xeroctl`` subcommands and each stdio server until it answers ``initialize`` and ``health``
(the embedded cluster already running, as under Claude Code), with the import time of each entry point
(``python -X importtime``). The baseline is ``python -c pass`` measured in the same run."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from servers.runtime.embedded import EmbeddedCluster
from tests.conftest import script_env

COMMANDS = (["xeroctl", "--help"], ["xeroctl", "keys", "--help"], ["xeroctl", "db", "status"], ["odm-mcp", "--help"])
SERVERS = ("bus-mcp", "odm-mcp", "xem-mcp")
MODULES = ("servers.cli.xeroctl", "servers.cli.odm_mcp", "servers.cli.bus_mcp", "servers.cli.xem_agent")


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=False, timeout=120)
    return time.perf_counter() - started


def _import_s(module: str) -> float:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True)
    total = [int(line.split("|")[1]) for line in done.stderr.splitlines() if line.rstrip().endswith(f" {module}")]
    return (total[-1] if total else 0) / 1e6


async def _stdio_ready(script: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    async with Client(StdioServerParameters(command=script, args=[], env=env), mode="legacy") as client:
        await client.call_tool("health", {})
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (the median is printed)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xiopro-startup-") as tmp:
        home = Path(tmp)
        cluster = EmbeddedCluster(home)
        cluster.acquire()
        try:
            env = script_env(XIOPRO_HOME=str(home), XIOPRO_LOG_LEVEL="WARNING", XIOPRO_BUS_SCAN_ENABLED="false")
            base = statistics.median(_timed([sys.executable, "-c", "pass"], env) for _ in range(args.runs))
            print(f"{'python -c pass (baseline)':<34} {base:6.2f} s")
            for command in COMMANDS:
                took = statistics.median(_timed(command, env) for _ in range(args.runs))
                print(f"{' '.join(command):<34} {took:6.2f} s  ({took / base:4.1f}x the baseline)")
            for script in SERVERS:
                took = statistics.median(anyio.run(_stdio_ready, script, env) for _ in range(args.runs))
                print(f"{script + ' (stdio) to health':<34} {took:6.2f} s  ({took / base:4.1f}x the baseline)")
            for module in MODULES:
                print(f"{'import ' + module:<34} {_import_s(module):6.2f} s")
        finally:
            cluster.release()
    return 0
